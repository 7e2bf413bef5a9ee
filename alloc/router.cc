#include "alloc/router.h"

#include <algorithm>

#include "geo/distance.h"

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
    case NoRouteReason::kUnknownStore:
      return "unknown_store";
    case NoRouteReason::kNoWarehouse:
      return "no_warehouse";
    case NoRouteReason::kUnavailable:
      return "stores_unavailable";
  }
  return "unknown";
}

const char* RejectName(Reject reject) {
  switch (reject) {
    case Reject::kNone:
      return "none";
    case Reject::kOutOfZone:
      return "out_of_zone";
    case Reject::kPaused:
      return "paused";
    case Reject::kRemoved:
      return "removed";
    case Reject::kClosed:
      return "closed";
    case Reject::kDealerScope:
      return "dealer_scope";
    case Reject::kBeyondPromise:
      return "beyond_promise";
    case Reject::kAtCapacity:
      return "at_capacity";
    case Reject::kMissing:
      return "missing";
  }
  return "unknown";
}

Reject Router::Availability(StoreIdx idx, const RankContext& ctx, bool pickup) const {
  const Store& store = ctx.view->stores[idx];
  if (store.removed) return Reject::kRemoved;
  if (store.paused) return Reject::kPaused;
  if (ctx.rules->dealer_scope && !ctx.dealer.empty() && store.dealer != ctx.dealer) {
    return Reject::kDealerScope;
  }
  if (!pickup && !store.hours.OpenAt(ctx.minute_of_day)) return Reject::kClosed;
  if (!pickup && store.capacity_per_hour > 0 && ctx.load != nullptr &&
      ctx.load->Count(idx, ctx.slot_ms) >= store.capacity_per_hour) {
    return Reject::kAtCapacity;
  }
  return Reject::kNone;
}

Candidate Router::Assess(const geo::NearbyStore& near, geo::LatLon at, const RankContext& ctx,
                         bool& in_range, bool& in_time) const {
  const Store& store = ctx.view->stores[StoreIdx{near.store}];
  Candidate c;
  c.store = StoreIdx{near.store};
  c.distance_km = near.distance_km;
  if (!store.Delivers(at, near.distance_km)) {
    c.reject = Reject::kOutOfZone;
  } else {
    in_range = true;
    c.eta_min = ctx.rules->EtaFor(store, ctx.minute_of_day).EtaMin(store.prep_min, c.distance_km);
    if (c.eta_min > ctx.within_min) {
      c.reject = Reject::kBeyondPromise;
    } else {
      in_time = true;
      c.reject = Availability(c.store, ctx);
    }
  }
  if (c.reject == Reject::kNone) c.keep_back = ctx.rules->safety_stock.ForTier(store.tier);
  return c;
}

NoRouteReason Router::NoneFound(bool in_range, bool in_time) {
  if (!in_range) return NoRouteReason::kNoStoreInRange;
  if (!in_time) return NoRouteReason::kBeyondPromise;
  return NoRouteReason::kUnavailable;
}

NoRouteReason Router::Rank(geo::LatLon at, const RankContext& ctx, RouteScratch& scratch) const {
  scratch.nearby.clear();
  scratch.candidates.clear();
  scratch.rejected.clear();
  // No store delivers beyond its own reach, so the largest reach bounds the search.
  ctx.view->index.Within(at, ctx.view->max_reach_km, scratch.nearby);
  bool in_range = false;
  bool in_time = false;
  for (const geo::NearbyStore& n : scratch.nearby) {
    if (ctx.view->stores[StoreIdx{n.store}].kind != SiteKind::kStore) continue;
    const Candidate c = Assess(n, at, ctx, in_range, in_time);
    if (c.reject == Reject::kNone) {
      scratch.candidates.push_back(c);
    } else if (ctx.keep_rejected) {
      scratch.rejected.push_back(c);
    }
  }
  SortDefault(ctx.view->stores, scratch.candidates);
  SortDefault(ctx.view->stores, scratch.rejected);
  if (!scratch.candidates.empty()) return NoRouteReason::kNone;
  return NoneFound(in_range, in_time);
}

NoRouteReason Router::RankUntil(geo::LatLon at, const RankContext& ctx, RouteScratch& scratch,
                                FunctionRef<bool(const Candidate&)> serves, bool& served,
                                FunctionRef<void(StoreIdx)> ahead,
                                FunctionRef<bool(StoreIdx)> may_serve) const {
  scratch.candidates.clear();
  scratch.rejected.clear();
  auto& pending = scratch.pending;
  pending.clear();
  served = false;
  const StoreSet& stores = ctx.view->stores;
  // Unseen stores are farther than the ring's edge, so none has an ETA below
  // this; shaved a little so rounding never lets one rank before it.
  const double min_per_km = ctx.rules->FastestMinPerKm(ctx.minute_of_day) * (1 - 1e-9);
  const double reach = ctx.view->max_reach_km;
  bool in_range = false;
  bool in_time = false;
  constexpr size_t kFetchAhead = 4;  // how far ahead memory is asked for
  const double at_cos_lat = geo::CosLat(at);
  double inner = -1;  // stores at or within this were judged in an earlier ring
  // Two rings: a quarter of the reach (a sixteenth of the area) holds the
  // answer for most orders near many stores; near few stores the second
  // query costs little, and each store's distance is computed about once.
  for (double radius = reach / 4;; radius = reach) {
    const bool last = radius >= reach;
    auto& near = scratch.maybe_near;
    near.clear();
    ctx.view->index.MayBeWithin(at, radius, near, inner);
    for (size_t i = 0; i < std::min(kFetchAhead, near.size()); ++i)
      __builtin_prefetch(&stores[StoreIdx{near[i]}]);
    for (size_t i = 0; i < near.size(); ++i) {
      // Each store's record is a cache miss: ask for the one a few places on now.
      if (i + kFetchAhead < near.size())
        __builtin_prefetch(&stores[StoreIdx{near[i + kFetchAhead]}]);
      const StoreIdx idx{near[i]};
      // Near many stores most lack a line: with a candidate in hand, skipping
      // them unjudged spares their distance, their records and their sorting.
      if (may_serve && !(pending.empty() && scratch.candidates.empty()) && !may_serve(idx)) {
        continue;
      }
      const geo::NearbyStore n{near[i], ctx.view->index.DistanceKm(at, at_cos_lat, near[i])};
      if (n.distance_km > radius || n.distance_km <= inner) continue;
      if (stores[idx].kind != SiteKind::kStore) continue;
      const Candidate c = Assess(n, at, ctx, in_range, in_time);
      if (c.reject != Reject::kNone) continue;
      pending.push_back(c);
      // Most decisions probe a few stores right after this loop: a head start
      // for the stock of the first few seen (often among the first offered).
      if (ahead && pending.size() <= kFetchAhead) ahead(c.store);
    }
    SortDefault(stores, pending);  // Rank's order, so both choose alike
    // Offer, best first, those no unseen store can rank before (all, once
    // every store is seen); the rest wait for the next ring.
    size_t offerable = pending.size();
    if (!last) {
      const double unseen_eta = ctx.view->min_prep_min + radius * min_per_km;
      offerable = static_cast<size_t>(std::partition_point(pending.begin(), pending.end(),
                                                           [unseen_eta](const Candidate& c) {
                                                             return c.eta_min <= unseen_eta;
                                                           }) -
                                      pending.begin());
    }
    // Probes wait on memory: ask for the stock of the store kFetchAhead
    // places on while judging this one, so several fetches overlap.
    for (size_t i = 0; ahead && i < std::min(kFetchAhead, offerable); ++i) ahead(pending[i].store);
    for (size_t i = 0; i < offerable; ++i) {
      if (ahead && i + kFetchAhead < offerable) ahead(pending[i + kFetchAhead].store);
      scratch.candidates.push_back(pending[i]);
      if (serves(pending[i])) {
        served = true;
        return NoRouteReason::kNone;
      }
    }
    if (last) break;
    pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(offerable));
    inner = radius;
  }
  if (!scratch.candidates.empty()) return NoRouteReason::kNone;
  return NoneFound(in_range, in_time);
}

void Router::Nearby(geo::LatLon at, double reach_km, const RankContext& ctx,
                    RouteScratch& scratch) const {
  scratch.nearby.clear();
  scratch.candidates.clear();
  scratch.rejected.clear();
  ctx.view->index.Within(at, reach_km, scratch.nearby);
  for (const geo::NearbyStore& n : scratch.nearby) {
    if (ctx.view->stores[StoreIdx{n.store}].kind != SiteKind::kStore) continue;
    Candidate c = Judge(StoreIdx{n.store}, at, ctx, /*pickup=*/true);
    if (c.reject == Reject::kNone) {
      scratch.candidates.push_back(c);
    } else if (ctx.keep_rejected) {
      scratch.rejected.push_back(c);
    }
  }
  // Pickup by location: the nearest store first, then the one ready first.
  const StoreSet& stores = ctx.view->stores;
  const auto by_distance = [&stores](const Candidate& a, const Candidate& b) {
    if (a.distance_km != b.distance_km) return a.distance_km < b.distance_km;
    if (a.eta_min != b.eta_min) return a.eta_min < b.eta_min;
    return stores[a.store].id < stores[b.store].id;
  };
  std::sort(scratch.candidates.begin(), scratch.candidates.end(), by_distance);
  std::sort(scratch.rejected.begin(), scratch.rejected.end(), by_distance);
}

Candidate Router::Judge(StoreIdx idx, geo::LatLon at, const RankContext& ctx, bool pickup) const {
  const Store& store = ctx.view->stores[idx];
  Candidate c;
  c.store = idx;
  c.distance_km = geo::HaversineKm(store.at, at);
  c.keep_back = ctx.rules->safety_stock.ForTier(store.tier);
  if (pickup) {
    // Ready once the store has opened and picked the order; closed now is no
    // reason to refuse a pickup.
    c.eta_min = store.hours.MinutesUntilOpen(ctx.minute_of_day) + store.prep_min;
    c.reject = Availability(idx, ctx, /*pickup=*/true);
    return c;
  }
  c.eta_min = ctx.rules->EtaFor(store, ctx.minute_of_day).EtaMin(store.prep_min, c.distance_km);
  if (!store.Delivers(at, c.distance_km)) {
    c.reject = Reject::kOutOfZone;
  } else if (c.eta_min > ctx.within_min) {
    c.reject = Reject::kBeyondPromise;
  } else {
    c.reject = Availability(idx, ctx);
  }
  return c;
}

Candidate Router::JudgeTransfer(StoreIdx source, StoreIdx to, const RankContext& ctx) const {
  const Store& store = ctx.view->stores[source];
  Candidate c;
  c.store = source;
  c.distance_km = geo::HaversineKm(store.at, ctx.view->stores[to].at);
  c.keep_back = ctx.rules->safety_stock.ForTier(store.tier);
  c.eta_min = ctx.rules->EtaFor(store, ctx.minute_of_day).EtaMin(store.prep_min, c.distance_km) +
              ctx.rules->transfer_handling_min;
  // Capacity counts deliveries to customers; a transfer is not one.
  c.reject = Availability(source, ctx, /*pickup=*/true);
  if (c.reject == Reject::kNone && !store.hours.OpenAt(ctx.minute_of_day))
    c.reject = Reject::kClosed;
  if (c.reject == Reject::kNone && c.distance_km > ctx.rules->transfer_radius_km) {
    c.reject = Reject::kOutOfZone;
  }
  return c;
}

void Router::SortDefault(const StoreSet& stores, std::vector<Candidate>& candidates) {
  std::sort(candidates.begin(), candidates.end(),
            [&stores](const Candidate& a, const Candidate& b) {
              if (a.eta_min != b.eta_min) return a.eta_min < b.eta_min;
              if (a.distance_km != b.distance_km) return a.distance_km < b.distance_km;
              return stores[a.store].id < stores[b.store].id;
            });
}

}  // namespace hourglass::alloc
