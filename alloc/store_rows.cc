#include "alloc/store_rows.h"

#include <cassert>

namespace hourglass::alloc {

namespace {
constexpr uint32_t kRowsPerBucket = 16;
constexpr uint8_t kMaxShift = 16;  // keys are 16 bits
}  // namespace

StoreRows::Shape StoreRows::ShapeOf(std::span<const StockRow> sorted) {
  Shape shape;
  if (sorted.empty()) return shape;
  shape.base = Raw(sorted.front().sku);
  const uint32_t span = Raw(sorted.back().sku) - shape.base;  // last offset
  const uint64_t wanted = (sorted.size() + kRowsPerBucket - 1) / kRowsPerBucket;
  while (shape.shift < kMaxShift && (span >> shape.shift) + 1 > wanted) ++shape.shift;
  shape.buckets = (span >> shape.shift) + 1;
  return shape;
}

size_t StoreRows::BytesFor(uint32_t count, const Shape& shape) {
  if (count == 0) return 0;
  const size_t bytes =
      count * sizeof(RowUnits) + (shape.buckets + 1) * sizeof(uint32_t) + count * sizeof(uint16_t);
  return (bytes + 7) & ~size_t{7};
}

size_t StoreRows::BlockBytes(std::span<const StockRow> sorted) {
  return BytesFor(static_cast<uint32_t>(sorted.size()), ShapeOf(sorted));
}

void StoreRows::BuildIn(std::span<const StockRow> sorted, std::byte* block) {
  const Shape shape = ShapeOf(sorted);
  block_ = block;
  count_ = static_cast<uint32_t>(sorted.size());
  base_ = shape.base;
  buckets_ = shape.buckets;
  shift_ = shape.shift;
  if (count_ == 0) return;  // no block: every probe stops at buckets_ == 0
  RowUnits* levels = Levels();
  uint32_t* directory = Directory();
  uint16_t* keys = Keys();
  const uint32_t key_mask = (uint32_t{1} << shift_) - 1;
  uint32_t bucket = 0;
  directory[0] = 0;
  for (uint32_t i = 0; i < count_; ++i) {
    const uint32_t offset = Raw(sorted[i].sku) - base_;
    assert(i == 0 || sorted[i - 1].sku <= sorted[i].sku);
    // Close every bucket before this row's: they end here.
    while (bucket < (offset >> shift_)) directory[++bucket] = i;
    keys[i] = static_cast<uint16_t>(offset & key_mask);
    levels[i] = sorted[i].units;
  }
  while (bucket < buckets_) directory[++bucket] = count_;
}

}  // namespace hourglass::alloc
