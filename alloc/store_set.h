// The stores the daemon routes to: id, position and per-store delivery
// parameters. Immutable once built; shared freely between threads.
#ifndef HOURGLASS_ALLOC_STORE_SET_H_
#define HOURGLASS_ALLOC_STORE_SET_H_

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alloc/ids.h"
#include "geo/lat_lon.h"

namespace hourglass::alloc {

struct Store {
  std::string id;
  geo::LatLon at;
  double radius_km = 0;  // delivery area around the store
  double prep_min = 0;   // picking and packing before the courier leaves
};

// Transparent hashing lets lookups by string_view avoid building a string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class StoreSet {
 public:
  StoreSet() = default;
  explicit StoreSet(std::vector<Store> stores) : stores_(std::move(stores)) {
    by_id_.reserve(stores_.size());
    for (uint32_t i = 0; i < stores_.size(); ++i) by_id_.emplace(stores_[i].id, StoreIdx{i});
  }

  std::optional<StoreIdx> Find(std::string_view id) const {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    return it->second;
  }
  const Store& operator[](StoreIdx s) const { return stores_[Raw(s)]; }
  size_t size() const { return stores_.size(); }
  const std::vector<Store>& all() const { return stores_; }

 private:
  std::vector<Store> stores_;
  std::unordered_map<std::string, StoreIdx, StringHash, std::equal_to<>> by_id_;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_STORE_SET_H_
