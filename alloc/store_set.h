// The stores the daemon routes to: id, position and per-store delivery
// parameters. Immutable once built; shared freely between threads.
#ifndef HOURGLASS_ALLOC_STORE_SET_H_
#define HOURGLASS_ALLOC_STORE_SET_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alloc/ids.h"
#include "alloc/opening_hours.h"
#include "geo/delivery_zone.h"
#include "geo/lat_lon.h"

namespace hourglass::alloc {

// Who runs a store: the brand itself, or a franchisee (revenue splits differ).
enum class StoreTier : uint8_t { kUnset, kDirect, kFranchise };
inline const char* TierName(StoreTier tier) {
  return tier == StoreTier::kDirect ? "direct" : tier == StoreTier::kFranchise ? "franchise" : "";
}

// A store fulfils deliveries and pickups; a warehouse only ships (mode "ship").
enum class SiteKind : uint8_t { kStore, kWarehouse };

struct Store {
  // What ranking reads for every nearby store comes first, so it shares the
  // first cache line (a decision looks at tens of stores); names come last.
  geo::LatLon at;
  double radius_km = 0;           // delivery area around the store (unless it has a zone)
  double prep_min = 0;            // picking and packing before the courier leaves
  int32_t capacity_per_hour = 0;  // deliveries held or committed per clock hour; 0: no limit
  SiteKind kind = SiteKind::kStore;
  StoreTier tier = StoreTier::kUnset;
  bool paused = false;   // takes no orders until unpaused
  bool removed = false;  // store.remove: serves nothing new; its id stays known
  // Replaces the radius when set: an isochrone exported from a routing engine.
  std::shared_ptr<const geo::DeliveryZone> zone;
  OpeningHours hours;  // local time; open all day by default
  std::string id;
  std::string city;       // for per-city courier rules ("" : none)
  std::string dealer;     // the regional dealer that runs it ("" : none)
  int32_t ship_days = 0;  // warehouses: days to the customer
  bool dynamic = false;   // set or changed at runtime (store.upsert / store.remove)
  std::string zone_file;  // the zone's GeoJSON file as given (relative to the stores file)

  // Whether the store delivers to a point `distance_km` away.
  bool Delivers(geo::LatLon to, double distance_km) const {
    return zone ? zone->Contains(to) : distance_km <= radius_km;
  }
  // The farthest a delivery can go, for bounding index searches.
  double ReachKm() const { return zone ? zone->MaxDistanceKm(at) : radius_km; }
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
