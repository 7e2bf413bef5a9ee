#include "alloc/router.h"

#include <algorithm>

namespace hourglass::alloc {

const char* ReasonName(NoRouteReason reason) {
  switch (reason) {
    case NoRouteReason::kNone:
      return "none";
    case NoRouteReason::kNoStoreInRange:
      return "no_store_in_range";
    case NoRouteReason::kBeyondPromise:
      return "beyond_promise";
    case NoRouteReason::kOutOfStock:
      return "out_of_stock";
    case NoRouteReason::kUnknownSku:
      return "unknown_sku";
  }
  return "unknown";
}

Router::Router(const StoreSet& stores, const geo::StoreIndex& index, geo::EtaModel eta)
    : stores_(stores), index_(index), eta_(eta) {
  for (const Store& s : stores_.all()) max_radius_km_ = std::max(max_radius_km_, s.radius_km);
}

NoRouteReason Router::Rank(geo::LatLon at, double within_min, RouteScratch& scratch) const {
  scratch.nearby.clear();
  scratch.candidates.clear();
  // No store delivers beyond its own radius, so the largest radius bounds the search.
  index_.Within(at, max_radius_km_, scratch.nearby);
  bool in_range = false;
  for (const geo::NearbyStore& n : scratch.nearby) {
    const Store& store = stores_[StoreIdx{n.store}];
    if (n.distance_km > store.radius_km) continue;
    in_range = true;
    const double eta_min = eta_.EtaMin(store.prep_min, n.distance_km);
    if (eta_min > within_min) continue;
    scratch.candidates.push_back({StoreIdx{n.store}, eta_min, n.distance_km});
  }
  if (scratch.candidates.empty()) {
    return in_range ? NoRouteReason::kBeyondPromise : NoRouteReason::kNoStoreInRange;
  }
  std::sort(scratch.candidates.begin(), scratch.candidates.end(),
            [this](const Candidate& a, const Candidate& b) {
              if (a.eta_min != b.eta_min) return a.eta_min < b.eta_min;
              if (a.distance_km != b.distance_km) return a.distance_km < b.distance_km;
              return stores_[a.store].id < stores_[b.store].id;
            });
  return NoRouteReason::kNone;
}

}  // namespace hourglass::alloc
