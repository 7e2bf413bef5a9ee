// One store's stock rows, laid out in one block of memory for cheap probes:
//
//   [ levels: count x {on_hand, reserved} ][ directory: buckets + 1 x u32 ][ keys: count x u16 ]
//
// Rows are sorted by SKU. A store's SKUs lie in [base, last]; that range is
// cut into buckets of 2^shift SKUs each, with shift chosen so that a bucket
// holds about 16 rows. directory[b] is the first row of bucket b, and a row's
// key is its SKU's offset inside its bucket, which fits in 16 bits because
// shift <= 16. A probe reads the directory, scans one bucket's keys (one
// cache line) and reads one level: three dependent cache misses, where a
// binary search over 4-byte SKUs took about nine. A row costs 10 bytes plus
// 4 per 16 rows of directory.
//
// The block belongs to the caller (an arena shared by every store loaded at
// start, or a store's own allocation after it gained a row); StoreRows is a
// view of it and never allocates.
#ifndef HOURGLASS_ALLOC_STORE_ROWS_H_
#define HOURGLASS_ALLOC_STORE_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "alloc/ids.h"

namespace hourglass::alloc {

struct RowUnits {
  int32_t on_hand = 0;
  int32_t reserved = 0;
};

struct StockRow {
  SkuIdx sku{};
  RowUnits units;
};

class StoreRows {
 public:
  // Bytes of the block that BuildIn needs for `sorted` (a multiple of 8; 0
  // for no rows, which need no block).
  static size_t BlockBytes(std::span<const StockRow> sorted);
  // Lays `sorted` (ascending SKU; a duplicate SKU is kept but only its first
  // row is found) out in `block`, BlockBytes(sorted) bytes aligned to 8, and
  // makes this a view of it.
  void BuildIn(std::span<const StockRow> sorted, std::byte* block);

  RowUnits* Find(SkuIdx sku) const {
    const uint32_t raw = Raw(sku);
    if (raw < base_) return nullptr;
    const uint32_t offset = raw - base_;
    const uint32_t bucket = offset >> shift_;
    if (bucket >= buckets_) return nullptr;
    const uint32_t* directory = Directory();
    const uint16_t* keys = Keys();
    const auto key = static_cast<uint16_t>(offset & ((uint32_t{1} << shift_) - 1));
    // A bucket holds ~16 keys: a scan beats a binary search here.
    for (uint32_t i = directory[bucket], end = directory[bucket + 1]; i < end; ++i) {
      if (keys[i] >= key) return keys[i] == key ? &Levels()[i] : nullptr;
    }
    return nullptr;
  }

  // Prefetches the lines Find(sku) reads: the directory entry, and the keys
  // and level where the row would be if the store's SKUs were spread evenly.
  // They are not (popular SKUs crowd the low indices): the guess names the
  // right line of keys for only 2-4 % of the demo's rows, so the directory
  // entry is what this mostly gains; with the guess dropped, alternating
  // runs could not be told apart from the VM's noise.
  void Prefetch(SkuIdx sku) const {
    const uint32_t raw = Raw(sku);
    if (raw < base_) return;
    const uint32_t bucket = (raw - base_) >> shift_;
    if (bucket >= buckets_) return;
    const auto guess = static_cast<uint32_t>(uint64_t{bucket} * count_ / buckets_);
    __builtin_prefetch(Directory() + bucket);
    __builtin_prefetch(Keys() + guess);
    __builtin_prefetch(Levels() + guess);
  }

  // fn(SkuIdx, RowUnits&) for each row in SKU order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (count_ == 0) return;
    const uint32_t* directory = Directory();
    const uint16_t* keys = Keys();
    RowUnits* levels = Levels();
    for (uint32_t b = 0; b < buckets_; ++b) {
      const uint32_t bucket_base = base_ + (b << shift_);
      for (uint32_t i = directory[b]; i < directory[b + 1]; ++i) {
        fn(SkuIdx{bucket_base + keys[i]}, levels[i]);
      }
    }
  }

  uint32_t size() const { return count_; }

 private:
  struct Shape {
    uint32_t base = 0;
    uint32_t buckets = 0;
    uint8_t shift = 0;
  };
  static Shape ShapeOf(std::span<const StockRow> sorted);
  static size_t BytesFor(uint32_t count, const Shape& shape);

  RowUnits* Levels() const { return reinterpret_cast<RowUnits*>(block_); }
  uint32_t* Directory() const {
    return reinterpret_cast<uint32_t*>(block_ + count_ * sizeof(RowUnits));
  }
  uint16_t* Keys() const { return reinterpret_cast<uint16_t*>(Directory() + buckets_ + 1); }

  std::byte* block_ = nullptr;
  uint32_t count_ = 0;
  uint32_t base_ = 0;
  uint32_t buckets_ = 0;  // 0 for a store with no rows
  uint8_t shift_ = 0;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_STORE_ROWS_H_
