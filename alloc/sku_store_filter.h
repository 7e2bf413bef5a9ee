// For each SKU, a small Bloom filter of the stores that have a row for it, so
// that a probe can skip a store without touching its rows.
//
// Why: an order is compared with every store in reach until one has all its
// lines, and most of them lack the rarest line (in the demo data, 94 % of the
// stores in reach). Each such probe costs two or three dependent cache misses
// in the store's rows; the filter answers from a few words per SKU, which stay
// in cache across the ~100 candidates of one order.
//
// Layout: SKU s owns words [first_word_[s], first_word_[s + 1]), about
// bits_per_row bits per store stocking it at Seal. A store sets two bits in one
// word (a "blocked" Bloom filter: one memory access per test). With 4 bits per
// row the filter lets through about 15 % of the stores that do not stock the
// SKU. A SKU with no words (none stocked it at Seal, or filtering is off) lets
// every store through.
//
// Rows are only ever added, never removed, so the filter only gains bits: Add
// sets them (atomically) under the store's lock after the row exists, and a
// reader tests them without any lock.
#ifndef HOURGLASS_ALLOC_SKU_STORE_FILTER_H_
#define HOURGLASS_ALLOC_SKU_STORE_FILTER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "alloc/ids.h"

namespace hourglass::alloc {

class SkuStoreFilter {
 public:
  // stores_per_sku[s]: stores with a row for SKU s. bits_per_row 0: no filter.
  void Build(std::span<const uint32_t> stores_per_sku, uint32_t bits_per_row);

  // Records that `store` has a row for `sku`. Thread-safe against MayStock.
  void Add(SkuIdx sku, StoreIdx store) {
    const Slot slot = SlotOf(sku, store);
    if (slot.word != nullptr) {
      std::atomic_ref<uint64_t>(*slot.word).fetch_or(slot.mask, std::memory_order_release);
    }
  }

  // False only when `store` has no row for `sku`.
  bool MayStock(SkuIdx sku, StoreIdx store) const {
    const Slot slot = SlotOf(sku, store);
    if (slot.word == nullptr) return true;
    const uint64_t word = std::atomic_ref<uint64_t>(*slot.word).load(std::memory_order_acquire);
    return (word & slot.mask) == slot.mask;
  }

  size_t bytes() const {
    return words_count_ * sizeof(uint64_t) + (size_t{skus_} + 1) * sizeof(uint32_t);
  }

 private:
  struct Slot {
    uint64_t* word = nullptr;  // null: the SKU is not filtered
    uint64_t mask = 0;
  };
  Slot SlotOf(SkuIdx sku, StoreIdx store) const {
    const uint32_t s = Raw(sku);
    if (s >= skus_) return {};
    const uint32_t first = first_word_[s];
    const uint32_t words = first_word_[s + 1] - first;
    if (words == 0) return {};
    // splitmix64's finaliser: store indices are dense, so their bits need mixing.
    uint64_t h = (uint64_t{Raw(store)} + 1) * 0x9E3779B97F4A7C15ull;
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    h ^= h >> 31;
    // The word by multiply-shift (no division), the two bits from other bits of h.
    const auto at = static_cast<uint32_t>(((h >> 32) * words) >> 32);
    const uint64_t mask = (uint64_t{1} << (h & 63)) | (uint64_t{1} << ((h >> 6) & 63));
    return {&words_[first + at], mask};
  }

  std::unique_ptr<uint64_t[]> words_;
  size_t words_count_ = 0;
  std::unique_ptr<uint32_t[]> first_word_;  // skus_ + 1 entries
  uint32_t skus_ = 0;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_SKU_STORE_FILTER_H_
