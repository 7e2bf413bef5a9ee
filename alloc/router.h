// Ranks the stores that can deliver to a point within a promise.
//
// The pinned default ranking: a store is a candidate iff its distance is
// within its own radius_km and eta_min = prep_min + distance * detour /
// speed_kmh * 60 is within the promise; candidates are ordered by ETA, then
// distance, then store id. Stock is checked by the caller (Allocator), in
// rank order, so the first store that has every item wins.
//
// Thread-safety: const after construction; call Rank from any thread, each
// with its own RouteScratch.
#ifndef HOURGLASS_ALLOC_ROUTER_H_
#define HOURGLASS_ALLOC_ROUTER_H_

#include <vector>

#include "alloc/ids.h"
#include "alloc/store_set.h"
#include "geo/eta.h"
#include "geo/store_index.h"

namespace hourglass::alloc {

struct Candidate {
  StoreIdx store{};
  double eta_min = 0;
  double distance_km = 0;
};

// Why there is no plan. Stable: the wire names come from ReasonName().
enum class NoRouteReason {
  kNone,
  kNoStoreInRange,  // no store's delivery radius covers the point
  kBeyondPromise,   // stores cover the point, but none within the promise
  kOutOfStock,      // stores could deliver in time, none has every item
  kUnknownSku,      // an item names a SKU no store has ever stocked
};
const char* ReasonName(NoRouteReason reason);

// Per-thread buffers, reused so a decision allocates nothing once warm.
struct RouteScratch {
  std::vector<geo::NearbyStore> nearby;
  std::vector<Candidate> candidates;
};

class Router {
 public:
  Router(const StoreSet& stores, const geo::StoreIndex& index, geo::EtaModel eta);

  // Fills scratch.candidates in rank order. Returns kNone when there is at
  // least one, else the reason there is none.
  NoRouteReason Rank(geo::LatLon at, double within_min, RouteScratch& scratch) const;

 private:
  const StoreSet& stores_;
  const geo::StoreIndex& index_;
  geo::EtaModel eta_;
  double max_radius_km_ = 0;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_ROUTER_H_
