// Strong index types: a store index and a SKU index are different things and
// must never be mixed up, so each is its own type.
#ifndef HOURGLASS_ALLOC_IDS_H_
#define HOURGLASS_ALLOC_IDS_H_

#include <cstdint>

namespace hourglass::alloc {

enum class StoreIdx : uint32_t {};
enum class SkuIdx : uint32_t {};

inline uint32_t Raw(StoreIdx s) { return static_cast<uint32_t>(s); }
// "No store" where one is optional (a bound store that was not asked for).
inline constexpr StoreIdx kNoStore{0xFFFFFFFFu};
inline uint32_t Raw(SkuIdx s) { return static_cast<uint32_t>(s); }

// One line of an order: `qty` units of `sku`.
struct Line {
  SkuIdx sku{};
  int32_t qty = 0;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_IDS_H_
