#include "alloc/allocator.h"

#include <algorithm>

namespace hourglass::alloc {

Allocator::Allocator(Inventory& inventory, geo::EtaModel eta, RouteDefaults defaults,
                     int64_t finished_retention_ms, EventLog* log)
    : inventory_(inventory),
      router_(inventory.stores, inventory.index, eta),
      defaults_(defaults),
      log_(log),
      book_(inventory.stock, finished_retention_ms, log) {}

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
  // Memory is allocated and touched before the locks are taken: on a VM,
  // first-touch page faults cost more than the copy itself.
  image.stock.resize(inventory_.stores.size());
  for (uint32_t s = 0; s < inventory_.stores.size(); ++s) {
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
  for (uint32_t s = 0; s < inventory_.stores.size(); ++s) {
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

bool Allocator::NormalizeItems(const RouteRequest& request, AllocScratch& scratch) const {
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
  std::stable_sort(lines.begin(), lines.end(),
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
  for (const NamedLine& l : lines) scratch.plain.push_back(l.line);
  return true;
}

const RouteResult& Allocator::Route(const RouteRequest& request, Now now, AllocScratch& scratch) {
  RouteResult& result = scratch.result;
  result.found = false;
  result.reason = NoRouteReason::kNone;
  result.unknown_sku = {};
  result.reserved = false;
  result.already = false;

  // A retried reservation answers with the plan it already holds, even if
  // that store could not take the order again now.
  if (request.reserve && book_.FindActive(request.order, result.plan)) {
    result.found = result.reserved = result.already = true;
    return result;
  }
  if (!NormalizeItems(request, scratch)) {
    result.reason = NoRouteReason::kUnknownSku;
    return result;
  }
  const double within_min = request.within_min > 0 ? request.within_min : defaults_.promise_min;
  result.reason = router_.Rank(request.at, within_min, scratch.route);
  if (result.reason != NoRouteReason::kNone) return result;

  const auto& candidates = scratch.route.candidates;
  if (request.reserve) {
    const int64_t ttl_s = request.ttl_s > 0 ? request.ttl_s : defaults_.reservation_ttl_s;
    switch (book_.Hold(request.order, candidates, scratch.lines, now, ttl_s * 1000, result.plan)) {
      case ReservationBook::HoldStatus::kAlready:
        result.already = true;
        [[fallthrough]];
      case ReservationBook::HoldStatus::kHeld:
        result.found = result.reserved = true;
        return result;
      case ReservationBook::HoldStatus::kNoStock:
        result.reason = NoRouteReason::kOutOfStock;
        return result;
    }
  }
  for (const Candidate& c : candidates) {
    if (!inventory_.stock.Covers(c.store, scratch.plain)) continue;
    Plan& plan = result.plan;
    plan.store = c.store;
    plan.eta_min = c.eta_min;
    plan.distance_km = c.distance_km;
    plan.state = OrderState::kHeld;
    plan.expires_at_ms = 0;
    plan.seq = 0;
    if (plan.items.size() < scratch.lines.size()) plan.items.resize(scratch.lines.size());
    for (size_t i = 0; i < scratch.lines.size(); ++i) {
      plan.items[i].sku.assign(scratch.lines[i].sku);
      plan.items[i].qty = scratch.lines[i].line.qty;
    }
    plan.item_count = scratch.lines.size();
    result.found = true;
    return result;
  }
  result.reason = NoRouteReason::kOutOfStock;
  return result;
}

}  // namespace hourglass::alloc
