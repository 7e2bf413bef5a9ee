#include "alloc/allocator.h"

#include <algorithm>

#include "alloc/local_time.h"

namespace hourglass::alloc {

const char* ModeName(FulfilMode mode) {
  switch (mode) {
    case FulfilMode::kDelivery:
      return "delivery";
    case FulfilMode::kPickup:
      return "pickup";
    case FulfilMode::kShip:
      return "ship";
  }
  return "unknown";
}

namespace {

RoutingRules CoreRules(geo::EtaModel eta, RouteDefaults defaults) {
  RoutingRules rules;
  rules.eta = eta;
  rules.promise_min = defaults.promise_min;
  rules.reservation_ttl_s = defaults.reservation_ttl_s;
  return rules;
}

}  // namespace

Allocator::Allocator(Inventory& inventory, RoutingRules rules, int64_t finished_retention_ms,
                     EventLog* log)
    : inventory_(inventory),
      rules_(std::move(rules)),
      load_(inventory.slots, inventory.Stores()->stores),
      log_(log),
      book_(inventory.stock, finished_retention_ms, log, &load_) {}

Allocator::Allocator(Inventory& inventory, geo::EtaModel eta, RouteDefaults defaults,
                     int64_t finished_retention_ms, EventLog* log)
    : Allocator(inventory, CoreRules(eta, defaults), finished_retention_ms, log) {}

Allocator::StockSetResult Allocator::SetStock(StoreIdx store, std::string_view sku, int32_t on_hand,
                                              uint64_t as_of_seq, Now now) {
  StockSetResult result;
  const SkuIdx idx = inventory_.skus.Intern(sku);
  result.outcome =
      inventory_.stock.Set(store, idx, on_hand, as_of_seq, [&](int32_t now_on_hand) -> uint64_t {
        if (log_ == nullptr) return 0;
        StockSetEvent e;
        e.store = store;
        e.sku = sku;
        e.on_hand = now_on_hand;
        e.reported_on_hand = on_hand;
        e.as_of_seq = as_of_seq;
        e.wall_ms = now.wall_ms;
        return result.seq = log_->Append(e);
      });
  return result;
}

StateImage Allocator::Capture(FunctionRef<uint64_t()> current_seq, Now now) const {
  StateImage image;
  // Store changes wait: the snapshot's stores must be those as of its seq.
  std::lock_guard stores_lock(store_mu_);
  image.stores = inventory_.Stores();
  const StoreSet& stores = image.stores->stores;
  // Memory is allocated and touched before the locks are taken: on a VM,
  // first-touch page faults cost more than the copy itself.
  image.stock.resize(stores.size());
  for (uint32_t s = 0; s < stores.size(); ++s) {
    image.stock[s].resize(inventory_.stock.RowCount(StoreIdx{s}) + 8);
  }
  image.orders.resize(book_.Size() + 1024);
  for (OrderImage& o : image.orders) {
    o.lines.reserve(4);
    o.skus.reserve(4);
  }
  const auto order_locks = book_.LockAll();
  const auto store_locks = inventory_.stock.LockAll();
  image.seq = current_seq();
  // Every SKU in a stock row was interned before its row was written, so
  // copying the names now (under the store locks) covers them all.
  image.sku_names = inventory_.skus.Names();
  for (uint32_t s = 0; s < stores.size(); ++s) {
    auto& rows = image.stock[s];
    size_t i = 0;
    inventory_.stock.ForEachRowLocked(
        StoreIdx{s}, [&](size_t n) { rows.resize(n); },
        [&](SkuIdx sku, int32_t on_hand, int32_t held) {
          rows[i++] = {sku, on_hand, held};
        });
  }
  book_.CopyOrdersLocked(now, image.orders);
  return image;
}

void Allocator::Restore(const StateImage& image, Now now) {
  for (const OrderImage& o : image.orders) book_.Restore(o, now);
  inventory_.stock.ForgetCommitsUpTo(image.seq);
}

void Allocator::Replay(const StockSetEvent& event) {
  inventory_.stock.Set(event.store, inventory_.skus.Intern(event.sku), event.on_hand);
}

bool Allocator::NormalizeItems(const RouteRequest& request, const RoutingRules& rules,
                               AllocScratch& scratch) const {
  auto& lines = scratch.lines;
  lines.clear();
  for (const OrderItem& item : request.items) {
    const auto sku = inventory_.skus.Find(item.sku);
    if (!sku) {
      scratch.result.unknown_sku = item.sku;
      return false;
    }
    lines.push_back({{*sku, item.qty}, item.sku});
  }
  // Not stable_sort: that takes a heap buffer per call, and lines of one SKU
  // are merged below whatever their order.
  std::sort(lines.begin(), lines.end(),
            [](const NamedLine& a, const NamedLine& b) { return a.line.sku < b.line.sku; });
  size_t out = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (out > 0 && lines[out - 1].line.sku == lines[i].line.sku) {
      lines[out - 1].line.qty += lines[i].line.qty;
    } else {
      lines[out++] = lines[i];
    }
  }
  lines.resize(out);
  // Rarest SKU first: a store that cannot serve the order is usually missing
  // that one, and the probe stops at the first short line.
  const StockTable& stock = inventory_.stock;
  std::sort(lines.begin(), lines.end(), [&stock](const NamedLine& a, const NamedLine& b) {
    const uint32_t ra = stock.StoresStocking(a.line.sku);
    const uint32_t rb = stock.StoresStocking(b.line.sku);
    return ra != rb ? ra < rb : a.line.sku < b.line.sku;
  });
  scratch.plain.clear();
  scratch.line_keep.clear();
  for (const NamedLine& l : lines) {
    scratch.plain.push_back(l.line);
    if (!rules.safety_stock.sku_prefixes.empty()) {
      scratch.line_keep.push_back(rules.safety_stock.ForSku(l.sku));
    }
  }
  return true;
}

void Allocator::KeepServable(const RoutingRules& rules, const RouteRequest& request,
                             int64_t slot_ms, AllocScratch& scratch) const {
  const Objective& w = rules.objective;
  const bool scored = w.configured();
  // Without a score, a preference or a report, the first store that has
  // everything is the answer: stop probing there.
  const bool first_only = !scored && request.prefer_store.empty() && !request.explain &&
                          !(request.mode == FulfilMode::kPickup && request.pickup_store.empty());
  auto& servable = scratch.servable;
  servable.clear();
  std::vector<Candidate>& rejected = scratch.route.rejected;
  for (Candidate c : scratch.route.candidates) {
    const KeepBack keep{scratch.line_keep, c.keep_back};
    const int32_t spare = scored ? inventory_.stock.Spare(c.store, scratch.plain, keep)
                                 : (inventory_.stock.Covers(c.store, scratch.plain, keep) ? 0 : -1);
    if (spare < 0) {
      if (request.explain) {
        c.reject = Reject::kMissing;
        rejected.push_back(c);
      }
      continue;
    }
    if (scored) {
      c.score.eta = w.eta * c.eta_min;
      c.score.distance = w.distance * c.distance_km;
      c.score.depth = w.depth / (1.0 + spare);
      if (const int32_t cap = scratch.view->stores[c.store].capacity_per_hour; cap > 0) {
        c.score.load = w.load * load_.Count(c.store, slot_ms) / cap;
      }
      c.score.tier = scratch.view->stores[c.store].tier == StoreTier::kFranchise ? w.franchise : 0;
    }
    servable.push_back(c);
    if (first_only) break;
  }
  if (scored) {
    // Stable: equal scores keep the default order.
    std::stable_sort(servable.begin(), servable.end(), [](const Candidate& a, const Candidate& b) {
      return a.score.total() < b.score.total();
    });
  }
}

void Allocator::ApplyPreference(const RouteRequest& request, const RankContext& ctx,
                                AllocScratch& scratch) const {
  RouteResult& result = scratch.result;
  const auto preferred = scratch.view->stores.Find(request.prefer_store);
  result.bound = BoundOutcome::kNotChosen;
  auto& servable = scratch.servable;
  const auto it = std::find_if(servable.begin(), servable.end(),
                               [&](const Candidate& c) { return c.store == *preferred; });
  if (it == servable.end()) {
    // Say why: judged on its own, or it lacks an item.
    const Candidate c =
        router_.Judge(*preferred, request.at, ctx, request.mode == FulfilMode::kPickup);
    result.bound_reject = c.reject != Reject::kNone ? c.reject : Reject::kMissing;
    return;
  }
  double best_eta = servable.front().eta_min;
  for (const Candidate& c : servable) best_eta = std::min(best_eta, c.eta_min);
  if (it->eta_min > best_eta + ctx.rules->bound_store_slack_min) return;
  std::rotate(servable.begin(), it, it + 1);
  result.bound = BoundOutcome::kChosen;
}

void Allocator::Explain(const std::vector<Candidate>& rejected, AllocScratch& scratch) const {
  auto& out = scratch.result.explain;
  out.clear();
  for (const Candidate& c : scratch.servable) {
    ExplainEntry e;
    e.candidate = c;
    e.eligible = true;
    out.push_back(e);
  }
  for (const Candidate& c : rejected) {
    ExplainEntry e;
    e.candidate = c;
    if (c.reject == Reject::kMissing) {
      for (size_t i = 0; i < scratch.lines.size(); ++i) {
        const StockLevel level = inventory_.stock.Level(c.store, scratch.lines[i].line.sku);
        const int32_t usable = level.available() - KeepBack{scratch.line_keep, c.keep_back}.For(i);
        if (usable < scratch.lines[i].line.qty) {
          e.missing_sku = scratch.lines[i].sku;
          e.missing_qty = scratch.lines[i].line.qty - std::max(usable, 0);
          break;
        }
      }
    }
    out.push_back(e);
  }
}

void Allocator::Ship(AllocScratch& scratch) const {
  auto& candidates = scratch.route.candidates;
  candidates.clear();
  for (StoreIdx w : scratch.view->warehouses) {
    const Store& site = scratch.view->stores[w];
    Candidate c;
    c.store = w;
    c.eta_min = site.ship_days * 1440.0;
    candidates.push_back(c);
  }
  Router::SortDefault(scratch.view->stores, candidates);
}

namespace {

// Several-store plans look at this many candidates at most (nearest in time
// first) and orders of at most this many distinct lines (one bit each).
constexpr size_t kMaxSplitCandidates = 48;
constexpr size_t kMaxSplitLines = 64;
// A pickup takes missing items from at most this many other stores.
constexpr size_t kMaxTransferSources = 3;

}  // namespace

uint64_t Allocator::LinesHeld(StoreIdx store, int32_t keep_back,
                              const AllocScratch& scratch) const {
  uint64_t mask = 0;
  for (size_t i = 0; i < scratch.lines.size(); ++i) {
    const int32_t keep = KeepBack{scratch.line_keep, keep_back}.For(i);
    const StockLevel level = inventory_.stock.Level(store, scratch.lines[i].line.sku);
    if (level.available() - keep >= scratch.lines[i].line.qty) mask |= uint64_t{1} << i;
  }
  return mask;
}

void Allocator::GroupLines(std::span<const uint8_t> owner, AllocScratch& scratch) const {
  scratch.grouped.clear();
  scratch.grouped_keep.clear();
  for (size_t k = 0; k < scratch.parts.size(); ++k) {
    for (size_t i = 0; i < scratch.lines.size(); ++i) {
      if (owner[i] != k) continue;
      scratch.grouped.push_back(scratch.lines[i]);
      if (!scratch.line_keep.empty()) scratch.grouped_keep.push_back(scratch.line_keep[i]);
    }
    scratch.parts[k].end_line = static_cast<uint32_t>(scratch.grouped.size());
  }
}

bool Allocator::PlanSplit(const RouteRequest& request, AllocScratch& scratch) const {
  const auto& candidates = scratch.route.candidates;  // in time, in ETA order
  const size_t lines = scratch.lines.size();
  if (lines < 2 || lines > kMaxSplitLines) return false;
  const uint64_t all = lines == 64 ? ~uint64_t{0} : (uint64_t{1} << lines) - 1;
  const size_t n = std::min(candidates.size(), kMaxSplitCandidates);
  auto& masks = scratch.masks;
  masks.clear();
  for (size_t i = 0; i < n; ++i) {
    masks.push_back(LinesHeld(candidates[i].store, candidates[i].keep_back, scratch));
  }
  // The fewest stores; among those, the earliest last part: candidates are
  // in ETA order, so the first combination found by its latest member wins.
  size_t chosen[3] = {0, 0, 0};
  size_t count = 0;
  for (size_t j = 1; j < n && count == 0; ++j) {
    for (size_t i = 0; i < j; ++i) {
      if ((masks[i] | masks[j]) == all) {
        chosen[0] = i, chosen[1] = j, count = 2;
        break;
      }
    }
  }
  for (size_t k = 2; k < n && count == 0 && request.max_parts >= 3; ++k) {
    for (size_t j = 1; j < k && count == 0; ++j) {
      for (size_t i = 0; i < j; ++i) {
        if ((masks[i] | masks[j] | masks[k]) == all) {
          chosen[0] = i, chosen[1] = j, chosen[2] = k, count = 3;
          break;
        }
      }
    }
  }
  if (count == 0) return false;
  // Each line goes to the earliest of the chosen stores that has it.
  uint8_t owner[kMaxSplitLines];
  for (size_t l = 0; l < lines; ++l) {
    for (size_t p = 0; p < count; ++p) {
      if (masks[chosen[p]] >> l & 1) {
        owner[l] = static_cast<uint8_t>(p);
        break;
      }
    }
  }
  scratch.parts.clear();
  scratch.part_keep.clear();
  for (size_t p = 0; p < count; ++p) {
    const Candidate& c = candidates[chosen[p]];
    scratch.parts.push_back({c.store, c.eta_min, c.distance_km, PartRole::kDelivery, 0});
    scratch.part_keep.push_back(c.keep_back);
  }
  // A store may have ended up with no line (another covered them all first).
  GroupLines(std::span(owner, lines), scratch);
  return true;
}

bool Allocator::PlanTransfer(const Candidate& pickup, const RankContext& ctx,
                             AllocScratch& scratch) const {
  const size_t lines = scratch.lines.size();
  if (lines > kMaxSplitLines) return false;
  const uint64_t all = lines == 64 ? ~uint64_t{0} : (uint64_t{1} << lines) - 1;
  const uint64_t here = LinesHeld(pickup.store, pickup.keep_back, scratch);
  uint64_t missing = all & ~here;
  const Store& at = scratch.view->stores[pickup.store];
  auto& nearby = scratch.route.nearby;
  nearby.clear();
  Router::StoresNear(*ctx.view, at.at, ctx.rules->transfer_radius_km, nearby);
  std::vector<Candidate>& sources = scratch.sources;
  sources.clear();
  auto& masks = scratch.masks;
  masks.clear();
  for (const geo::NearbyStore& n : nearby) {
    const StoreIdx s{n.store};
    if (s == pickup.store || scratch.view->stores[s].kind != SiteKind::kStore) continue;
    const Candidate c = router_.JudgeTransfer(s, pickup.store, ctx);
    if (c.reject != Reject::kNone) continue;
    const uint64_t mask = LinesHeld(s, c.keep_back, scratch) & missing;
    if (mask == 0) continue;
    sources.push_back(c);
    masks.push_back(mask);
  }
  // Greedy cover: the source with the most missing lines, then the earliest.
  uint8_t owner[kMaxSplitLines];
  for (size_t l = 0; l < lines; ++l) owner[l] = 0;
  scratch.parts.clear();
  scratch.part_keep.clear();
  scratch.parts.push_back({pickup.store, pickup.eta_min, pickup.distance_km, PartRole::kPickup, 0});
  scratch.part_keep.push_back(pickup.keep_back);
  double ready = pickup.eta_min;
  while (missing != 0 && scratch.parts.size() <= kMaxTransferSources) {
    size_t best = sources.size();
    int best_count = 0;
    for (size_t i = 0; i < sources.size(); ++i) {
      const int count = std::popcount(masks[i] & missing);
      if (count > best_count ||
          (count == best_count && count > 0 && sources[i].eta_min < sources[best].eta_min)) {
        best = i, best_count = count;
      }
    }
    if (best == sources.size()) return false;
    const Candidate& c = sources[best];
    const uint64_t taken = masks[best] & missing;
    for (size_t l = 0; l < lines; ++l) {
      if (taken >> l & 1) owner[l] = static_cast<uint8_t>(scratch.parts.size());
    }
    scratch.parts.push_back({c.store, c.eta_min, c.distance_km, PartRole::kTransfer, 0});
    scratch.part_keep.push_back(c.keep_back);
    ready = std::max(ready, c.eta_min);
    missing &= ~taken;
  }
  if (missing != 0) return false;
  // Ready once the store is open and picked and the last transfer is in.
  scratch.parts[0].eta_min = ready;
  GroupLines(std::span(owner, lines), scratch);
  return true;
}

void Allocator::FillPlan(std::span<const OrderPart> parts, std::span<const NamedLine> lines,
                         Plan& plan) {
  plan.parts.assign(parts.begin(), parts.end());
  plan.state = OrderState::kHeld;
  plan.expires_at_ms = 0;
  plan.seq = 0;
  if (plan.items.size() < lines.size()) plan.items.resize(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    plan.items[i].sku.assign(lines[i].sku);
    plan.items[i].qty = lines[i].line.qty;
  }
  plan.item_count = lines.size();
}

const RouteResult& Allocator::Route(const RouteRequest& request, Now now, AllocScratch& scratch) {
  return Decide(rules_.Get(scratch.rules), request, now, scratch);
}

const RouteResult& Allocator::Quote(const RoutingRules& rules, RouteRequest request, Now now,
                                    AllocScratch& scratch) {
  request.reserve = false;
  return Decide(rules, request, now, scratch);
}

const RouteResult& Allocator::Decide(const RoutingRules& rules, const RouteRequest& request,
                                     Now now, AllocScratch& scratch, bool lazy_ok) {
  const StoreView& view = inventory_.sites.Get(scratch.stores);
  scratch.view = &view;
  RouteResult& result = scratch.result;
  result.view = &view;
  result.found = false;
  result.reason = NoRouteReason::kNone;
  result.unknown_sku = {};
  result.reserved = false;
  result.already = false;
  result.rules_version = rules.version;
  result.mode = request.mode;
  result.bound = BoundOutcome::kNotAsked;
  result.bound_reject = Reject::kNone;
  result.options.clear();
  result.explain.clear();

  // A retried reservation answers with the plan it already holds, even if
  // that store could not take the order again now. The id is hashed once for
  // this check and the hold.
  const ReservationBook::OrderKey order_key(request.reserve ? request.order : std::string_view{});
  if (request.reserve && book_.FindActive(order_key, result.plan)) {
    result.found = result.reserved = result.already = true;
    const PartRole role = result.plan.primary().role;
    result.mode = role == PartRole::kShip       ? FulfilMode::kShip
                  : role == PartRole::kDelivery ? FulfilMode::kDelivery
                                                : FulfilMode::kPickup;
    return result;
  }
  if (!NormalizeItems(request, rules, scratch)) {
    result.reason = NoRouteReason::kUnknownSku;
    return result;
  }
  RankContext ctx;
  ctx.view = &view;
  ctx.rules = &rules;
  ctx.minute_of_day = MinuteOfDay(request.at_wall_ms != 0 ? request.at_wall_ms : now.wall_ms,
                                  UtcOffset{rules.utc_offset_min});
  ctx.within_min = request.within_min > 0 ? request.within_min : rules.promise_min;
  ctx.dealer = request.dealer;
  ctx.keep_rejected = request.explain;
  ctx.load = &load_;
  ctx.slot_ms = request.at_wall_ms != 0 ? request.at_wall_ms : now.wall_ms;
  if (!request.prefer_store.empty() && !scratch.view->stores.Find(request.prefer_store)) {
    result.reason = NoRouteReason::kUnknownStore;
    return result;
  }

  auto& route = scratch.route;
  bool pickup_options = false;
  // With nothing to compare, the first candidate in rank order that has
  // every item is the answer: rank lazily and stop there.
  const bool lazy = lazy_ok && request.mode == FulfilMode::kDelivery &&
                    !rules.objective.configured() && request.prefer_store.empty() &&
                    !request.explain;
  bool lazily_served = false;
  switch (request.mode) {
    case FulfilMode::kDelivery:
      if (lazy) {
        const auto has_all = [&](const Candidate& c) {
          return inventory_.stock.Covers(c.store, scratch.plain,
                                         KeepBack{scratch.line_keep, c.keep_back});
        };
        // Probes test the rarest line first: its rows are what to fetch ahead.
        const auto fetch_ahead = [&](StoreIdx store) {
          if (!scratch.plain.empty()) inventory_.stock.Prefetch(store, scratch.plain.front().sku);
        };
        // A split needs the stores that have some of the lines, so it sees them all.
        const auto may_have_all = [&](StoreIdx store) {
          return inventory_.stock.MayStockAll(store, scratch.plain);
        };
        result.reason =
            router_.RankUntil(request.at, ctx, route, has_all, lazily_served, fetch_ahead,
                              request.allow_split ? FunctionRef<bool(StoreIdx)>{}
                                                  : FunctionRef<bool(StoreIdx)>{may_have_all});
      } else {
        result.reason = router_.Rank(request.at, ctx, route);
      }
      break;
    case FulfilMode::kPickup:
      if (request.pickup_store.empty()) {
        router_.Nearby(request.at, rules.pickup_search_km, ctx, route);
        pickup_options = true;
        result.reason =
            route.candidates.empty() ? NoRouteReason::kNoStoreInRange : NoRouteReason::kNone;
      } else {
        const auto store = scratch.view->stores.Find(request.pickup_store);
        if (!store || scratch.view->stores[*store].kind != SiteKind::kStore) {
          result.reason = NoRouteReason::kUnknownStore;
          return result;
        }
        route.candidates.clear();
        route.rejected.clear();
        Candidate c = router_.Judge(*store, request.at, ctx, /*pickup=*/true);
        if (!request.located) c.distance_km = 0;  // no customer location was given
        if (c.reject == Reject::kNone) {
          route.candidates.push_back(c);
        } else if (request.explain) {
          route.rejected.push_back(c);
        }
        result.reason =
            route.candidates.empty() ? NoRouteReason::kUnavailable : NoRouteReason::kNone;
      }
      break;
    case FulfilMode::kShip:
      route.rejected.clear();
      Ship(scratch);
      result.reason = route.candidates.empty() ? NoRouteReason::kNoWarehouse : NoRouteReason::kNone;
      break;
  }

  // The core's fast path: with nothing to compare, the reservation itself
  // probes the candidates in rank order (one lock per store tried).
  const bool direct = request.reserve && !rules.objective.configured() &&
                      request.prefer_store.empty() && !request.explain && !pickup_options &&
                      !request.fallback_ship && !request.allow_split &&
                      request.mode != FulfilMode::kPickup;
  auto& servable = scratch.servable;
  if (result.reason == NoRouteReason::kNone) {
    if (lazy) {
      servable.clear();
      if (lazily_served) servable.push_back(route.candidates.back());
    } else if (direct) {
      servable.swap(route.candidates);
    } else {
      KeepServable(rules, request, ctx.slot_ms, scratch);
    }
    if (!request.prefer_store.empty()) ApplyPreference(request, ctx, scratch);
    if (pickup_options) {
      const size_t k = std::min(servable.size(), static_cast<size_t>(rules.pickup_options));
      result.options.assign(servable.begin(), servable.begin() + static_cast<long>(k));
    }
  } else {
    servable.clear();
  }
  if (request.explain) Explain(route.rejected, scratch);
  // No single store: several, when the order allows it (a split delivery)
  // or the pickup store can be sent what it lacks (transfers).
  bool several = false;
  if (result.reason == NoRouteReason::kNone && servable.empty()) {
    if (request.mode == FulfilMode::kDelivery && request.allow_split) {
      several = PlanSplit(request, scratch);
    } else if (request.mode == FulfilMode::kPickup && !request.pickup_store.empty()) {
      several = PlanTransfer(route.candidates.front(), ctx, scratch);
    }
    if (!several) result.reason = NoRouteReason::kOutOfStock;
  }
  // Delivery opted in to a warehouse when no store can.
  if (result.reason != NoRouteReason::kNone && request.mode == FulfilMode::kDelivery &&
      request.fallback_ship && !scratch.view->warehouses.empty()) {
    result.mode = FulfilMode::kShip;
    Ship(scratch);
    servable.clear();
    for (const Candidate& c : route.candidates) {
      if (inventory_.stock.Covers(c.store, scratch.plain, KeepBack{scratch.line_keep, 0})) {
        servable.push_back(c);
      }
    }
    result.reason = servable.empty() ? NoRouteReason::kOutOfStock : NoRouteReason::kNone;
  }
  if (result.reason != NoRouteReason::kNone) return result;

  const PartRole role = result.mode == FulfilMode::kShip     ? PartRole::kShip
                        : result.mode == FulfilMode::kPickup ? PartRole::kPickup
                                                             : PartRole::kDelivery;
  if (request.reserve) {
    const int64_t ttl_s = request.ttl_s > 0 ? request.ttl_s : rules.reservation_ttl_s;
    ReservationBook::HoldOptions hold;
    hold.line_keep = several ? std::span<const int32_t>(scratch.grouped_keep)
                             : std::span<const int32_t>(scratch.line_keep);
    hold.slot_ms = ctx.slot_ms;
    hold.role = role;
    if (!request.prefer_store.empty())
      hold.bound = *scratch.view->stores.Find(request.prefer_store);
    const auto status =
        several
            ? book_.HoldParts(order_key, scratch.parts, scratch.part_keep, scratch.grouped, now,
                              ttl_s * 1000, result.plan, hold)
            : book_.Hold(order_key, servable, scratch.lines, now, ttl_s * 1000, result.plan, hold);
    switch (status) {
      case ReservationBook::HoldStatus::kAlready:
        result.already = true;
        [[fallthrough]];
      case ReservationBook::HoldStatus::kHeld:
        result.found = result.reserved = true;
        // The preferred store lost a race for the last unit: say so.
        if (result.bound == BoundOutcome::kChosen && !several &&
            result.plan.primary().store != servable.front().store) {
          result.bound = BoundOutcome::kNotChosen;
          result.bound_reject = Reject::kMissing;
        }
        return result;
      case ReservationBook::HoldStatus::kNoStock:
        // The store lazily found lost its units to another order between
        // probe and hold: decide again over every candidate.
        if (lazy && !several) return Decide(rules, request, now, scratch, /*lazy_ok=*/false);
        result.reason = NoRouteReason::kOutOfStock;
        return result;
    }
  }
  if (several) {
    FillPlan(scratch.parts, scratch.grouped, result.plan);
  } else {
    const Candidate& c = servable.front();
    const OrderPart part{c.store, c.eta_min, c.distance_km, role,
                         static_cast<uint32_t>(scratch.lines.size())};
    FillPlan(std::span(&part, 1), scratch.lines, result.plan);
  }
  result.found = true;
  return result;
}

std::optional<Store> Allocator::FindStore(std::string_view id) const {
  const auto view = inventory_.Stores();
  const auto idx = view->stores.Find(id);
  if (!idx) return std::nullopt;
  return view->stores[*idx];
}

Allocator::StoreChange Allocator::ChangeStore(Store store, bool remove, Now now) {
  return ApplyStore(std::move(store), remove, now, /*log=*/true);
}

Allocator::StoreChange Allocator::ApplyStore(Store store, bool remove, Now now, bool log) {
  std::lock_guard lock(store_mu_);
  StoreChange out;
  std::vector<Store> list;
  StoreIdx at{};
  switch (EditStores(*inventory_.Stores(), std::move(store), remove, inventory_.slots, list, at)) {
    case StoreEdit::kUnknownStore:
      out.status = StoreChangeStatus::kUnknownStore;
      return out;
    case StoreEdit::kNoRoom:
      out.status = StoreChangeStatus::kNoRoom;
      return out;
    case StoreEdit::kWarehouse:
      out.status = StoreChangeStatus::kWarehouse;
      return out;
    case StoreEdit::kCreated:
      out.created = true;
      break;
    case StoreEdit::kChanged:
      break;
  }
  const Store& stored = list[Raw(at)];
  // Logged before it is published: no request can name a new store (and so
  // log an event about it) before the store's own record is in the log.
  if (log && log_ != nullptr) {
    StoreEvent e;
    e.type = remove ? EventType::kStoreRemoved : EventType::kStoreUpserted;
    e.store = &stored;
    e.wall_ms = now.wall_ms;
    out.seq = log_->Append(e);
  }
  load_.SetCapacity(at, stored.removed ? 0 : stored.capacity_per_hour);
  inventory_.sites.Publish(std::make_shared<StoreView>(std::move(list)));
  return out;
}

}  // namespace hourglass::alloc
