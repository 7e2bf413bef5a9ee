// Finds the stores that may serve a point, and why the others may not.
//
// The pinned default ranking: a store is a candidate iff it delivers to the
// point (its distance is within its own radius_km, or the point is inside its
// delivery zone) and eta_min = prep_min + distance * detour / speed_kmh * 60
// is within the promise; candidates are ordered by ETA, then distance, then
// store id. The rules add: paused and closed stores, dealer scope, per-city
// and time-of-day courier speeds, and stores at their hourly capacity. Stock
// is checked by the caller (Allocator), in rank order.
//
// Thread-safety: stateless; call it from any thread, each with its own
// RouteScratch. The stores come with each call (RankContext::view).
#ifndef HOURGLASS_ALLOC_ROUTER_H_
#define HOURGLASS_ALLOC_ROUTER_H_

#include <string_view>
#include <vector>

#include "alloc/delivery_load.h"
#include "alloc/function_ref.h"
#include "alloc/ids.h"
#include "alloc/routing_rules.h"
#include "alloc/store_set.h"
#include "alloc/store_view.h"
#include "geo/store_index.h"

namespace hourglass::alloc {

// Why a store that was looked at cannot serve the order. Stable: the wire
// names come from RejectName().
enum class Reject : uint8_t {
  kNone,
  kOutOfZone,      // the point is outside its radius or zone
  kPaused,         // paused by ops
  kRemoved,        // removed by store.remove
  kClosed,         // outside its opening hours at the order's time
  kDealerScope,    // another dealer's store, and the rules scope orders by dealer
  kBeyondPromise,  // it delivers there, but not within the promise
  kAtCapacity,     // its deliveries for the slot's hour reached capacity_per_hour
  kMissing,        // it lacks an item (or has it only within its safety stock)
};
const char* RejectName(Reject reject);

// The weighted parts of a candidate's score (see Objective); total is their sum.
struct ScoreParts {
  double eta = 0, distance = 0, depth = 0, load = 0, tier = 0;
  double total() const { return eta + distance + depth + load + tier; }
};

struct Candidate {
  StoreIdx store{};
  double eta_min = 0;
  double distance_km = 0;
  Reject reject = Reject::kNone;
  int32_t keep_back = 0;  // the store's safety stock per line (its tier's)
  ScoreParts score;
};

// Why there is no plan. Stable: the wire names come from ReasonName().
enum class NoRouteReason {
  kNone,
  kNoStoreInRange,  // no store delivers to the point
  kBeyondPromise,   // stores deliver there, but none within the promise
  kOutOfStock,      // stores could deliver in time, none has every item
  kUnknownSku,      // an item names a SKU no store has ever stocked
  kUnknownStore,    // pickup_store / prefer_store names no store
  kNoWarehouse,     // ship: no warehouse is configured
  kUnavailable,     // every store that covers the point is paused, closed or out of scope
};
const char* ReasonName(NoRouteReason reason);

// What a ranking depends on besides the point.
struct RankContext {
  const StoreView* view = nullptr;  // the stores this decision sees
  const RoutingRules* rules = nullptr;
  int minute_of_day = 0;               // local time of the order (or its `at`)
  double within_min = 0;               // the promise
  std::string_view dealer;             // the order's dealer ("" : any)
  bool keep_rejected = false;          // explain: keep rejected stores in scratch.rejected
  const DeliveryLoad* load = nullptr;  // capacity_per_hour; null: not limited
  int64_t slot_ms = 0;                 // the delivery's slot (Unix ms), for capacity
};

// Per-thread buffers, reused so a decision allocates nothing once warm.
struct RouteScratch {
  std::vector<geo::NearbyStore> nearby;
  std::vector<uint32_t> maybe_near;  // RankUntil: the ring's stores, distances not yet known
  std::vector<Candidate> candidates;
  std::vector<Candidate> rejected;  // with keep_rejected
  std::vector<Candidate> pending;   // RankUntil: seen, not yet offered
};

class Router {
 public:
  // Fills scratch.candidates in the default rank order. Returns kNone when
  // there is at least one, else the reason there is none.
  NoRouteReason Rank(geo::LatLon at, const RankContext& ctx, RouteScratch& scratch) const;

  // Rank's order, found lazily for "the first candidate that can serve":
  // stores within a quarter of the reach come first, and a candidate is
  // offered to `serves` as soon as no store further out could rank before it
  // (its ETA is at most the shortest prep plus the fastest courier to the
  // ring's edge); then the rest, in order. Stops at the first one served: scratch.candidates then
  // ends with it and `served` is set. Otherwise every candidate was offered, and scratch.candidates
  // and the result are what Rank gives. A decision near many stores thus judges the few nearest,
  // not all within reach. Not for explain (keep_rejected): rejected stores are not collected.
  // `ahead`, if given, hears of each candidate a few places before it is offered, so that what
  // `serves` will read can be fetched into cache for several stores at once.
  // `may_serve`, if given, is a cheap test that is false only for stores that `serves` would
  // refuse (the stock filters): once there is a candidate, such a store is skipped without being
  // judged, so it is missing from scratch.candidates. The store served and the result stay as
  // without it: with a candidate, the result is kNone either way.
  NoRouteReason RankUntil(geo::LatLon at, const RankContext& ctx, RouteScratch& scratch,
                          FunctionRef<bool(const Candidate&)> serves, bool& served,
                          FunctionRef<void(StoreIdx)> ahead = {},
                          FunctionRef<bool(StoreIdx)> may_serve = {}) const;

  // Stores within `reach_km` of `at` that take orders now (pickup by
  // location), nearest first; eta_min is when the order is ready there.
  void Nearby(geo::LatLon at, double reach_km, const RankContext& ctx, RouteScratch& scratch) const;

  // How a single store stands for an order at `at` (pickup at a named store,
  // a prefer_store outside the ranked set); eta_min as in Rank, or the ready
  // time for a pickup.
  Candidate Judge(StoreIdx store, geo::LatLon at, const RankContext& ctx, bool pickup) const;

  // A store that could send items to the pickup store `to`: eta_min is when
  // they arrive there (its prep, the courier, transfer_handling_min).
  Candidate JudgeTransfer(StoreIdx source, StoreIdx to, const RankContext& ctx) const;
  // Every store within `reach_km` of `at` (any kind), unordered.
  static void StoresNear(const StoreView& view, geo::LatLon at, double reach_km,
                         std::vector<geo::NearbyStore>& out) {
    view.index.Within(at, reach_km, out);
  }

  // Orders candidates by ETA, then distance, then store id.
  static void SortDefault(const StoreSet& stores, std::vector<Candidate>& candidates);

 private:
  // How one store found near `at` stands (reject kNone: a candidate); sets
  // in_range / in_time when it delivers there / within the promise.
  Candidate Assess(const geo::NearbyStore& near, geo::LatLon at, const RankContext& ctx,
                   bool& in_range, bool& in_time) const;
  static NoRouteReason NoneFound(bool in_range, bool in_time);

  // Rejections that do not depend on the point: paused, dealer scope and
  // (unless for a pickup, which waits for opening) closed.
  Reject Availability(StoreIdx store, const RankContext& ctx, bool pickup = false) const;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_ROUTER_H_
