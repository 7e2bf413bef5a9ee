#include "alloc/sku_store_filter.h"

namespace hourglass::alloc {

void SkuStoreFilter::Build(std::span<const uint32_t> stores_per_sku, uint32_t bits_per_row) {
  skus_ = static_cast<uint32_t>(stores_per_sku.size());
  first_word_ = std::make_unique<uint32_t[]>(size_t{skus_} + 1);
  size_t words = 0;
  for (uint32_t s = 0; s < skus_; ++s) {
    first_word_[s] = static_cast<uint32_t>(words);
    const uint64_t bits = uint64_t{stores_per_sku[s]} * bits_per_row;
    words += (bits + 63) / 64;
  }
  first_word_[skus_] = static_cast<uint32_t>(words);
  words_count_ = words;
  words_ = std::make_unique<uint64_t[]>(words);  // zeroed: no store yet
}

}  // namespace hourglass::alloc
