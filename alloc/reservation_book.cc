#include "alloc/reservation_book.h"

namespace hourglass::alloc {

const char* StateName(OrderState state) {
  switch (state) {
    case OrderState::kHeld:
      return "held";
    case OrderState::kCommitted:
      return "committed";
    case OrderState::kReleased:
      return "released";
    case OrderState::kExpired:
      return "expired";
  }
  return "unknown";
}

ReservationBook::ReservationBook(StockTable& stock, int64_t finished_retention_ms)
    : stock_(stock), finished_retention_ms_(finished_retention_ms) {}

ReservationBook::Shard& ReservationBook::ShardOf(std::string_view order) const {
  return shards_[StringHash{}(order) % kShards];
}

void ReservationBook::CopyPlan(const Reservation& r, Plan& out) {
  out.store = r.store;
  out.eta_min = r.eta_min;
  out.distance_km = r.distance_km;
  out.state = r.state;
  out.expires_at_ms = r.expires_at_ms;
  if (out.items.size() < r.lines.size()) out.items.resize(r.lines.size());
  for (size_t i = 0; i < r.lines.size(); ++i) {
    out.items[i].sku.assign(r.skus[i]);
    out.items[i].qty = r.lines[i].qty;
  }
  out.item_count = r.lines.size();
}

bool ReservationBook::FindActive(std::string_view order, Plan& out) const {
  Shard& shard = ShardOf(order);
  std::lock_guard lock(shard.mu);
  auto it = shard.orders.find(order);
  if (it == shard.orders.end()) return false;
  const Reservation& r = it->second;
  if (r.state != OrderState::kHeld && r.state != OrderState::kCommitted) return false;
  CopyPlan(r, out);
  return true;
}

ReservationBook::HoldStatus ReservationBook::Hold(std::string_view order,
                                                  std::span<const Candidate> candidates,
                                                  std::span<const NamedLine> lines, int64_t now_ms,
                                                  int64_t ttl_ms, Plan& out) {
  Shard& shard = ShardOf(order);
  std::lock_guard lock(shard.mu);
  auto it = shard.orders.find(order);
  if (it != shard.orders.end() &&
      (it->second.state == OrderState::kHeld || it->second.state == OrderState::kCommitted)) {
    CopyPlan(it->second, out);
    return HoldStatus::kAlready;
  }
  Reservation r;
  r.lines.reserve(lines.size());
  r.skus.reserve(lines.size());
  for (const NamedLine& l : lines) {
    r.lines.push_back(l.line);
    r.skus.emplace_back(l.sku);
  }
  for (const Candidate& c : candidates) {
    if (!stock_.TryHold(c.store, r.lines)) continue;
    r.store = c.store;
    r.eta_min = c.eta_min;
    r.distance_km = c.distance_km;
    r.state = OrderState::kHeld;
    r.expires_at_ms = now_ms + ttl_ms;
    CopyPlan(r, out);
    // A released or expired order id may be reserved again: replace its record.
    if (it != shard.orders.end()) {
      it->second = std::move(r);
    } else {
      it = shard.orders.emplace(std::string(order), std::move(r)).first;
    }
    shard.due.emplace(it->second.expires_at_ms, it->first);
    return HoldStatus::kHeld;
  }
  return HoldStatus::kNoStock;
}

void ReservationBook::Finish(Shard& shard, const std::string& order, Reservation& r,
                             OrderState state, int64_t now_ms) {
  r.state = state;
  r.forget_at_ms = now_ms + finished_retention_ms_;
  shard.due.emplace(r.forget_at_ms, order);
}

FinishResult ReservationBook::Commit(std::string_view order, int64_t now_ms) {
  Shard& shard = ShardOf(order);
  std::lock_guard lock(shard.mu);
  auto it = shard.orders.find(order);
  if (it == shard.orders.end()) return {FinishStatus::kUnknownOrder, OrderState::kHeld};
  Reservation& r = it->second;
  if (r.state == OrderState::kHeld && now_ms >= r.expires_at_ms) {
    // Time is up but the sweeper has not run yet: expire now, as it would.
    stock_.Unhold(r.store, r.lines);
    Finish(shard, it->first, r, OrderState::kExpired, now_ms);
  }
  switch (r.state) {
    case OrderState::kHeld:
      stock_.Consume(r.store, r.lines);
      Finish(shard, it->first, r, OrderState::kCommitted, now_ms);
      return {FinishStatus::kDone, r.state};
    case OrderState::kCommitted:
      return {FinishStatus::kAlready, r.state};
    case OrderState::kReleased:
      return {FinishStatus::kOrderReleased, r.state};
    case OrderState::kExpired:
      return {FinishStatus::kOrderExpired, r.state};
  }
  return {FinishStatus::kUnknownOrder, r.state};
}

FinishResult ReservationBook::Release(std::string_view order, int64_t now_ms) {
  Shard& shard = ShardOf(order);
  std::lock_guard lock(shard.mu);
  auto it = shard.orders.find(order);
  if (it == shard.orders.end()) return {FinishStatus::kUnknownOrder, OrderState::kHeld};
  Reservation& r = it->second;
  switch (r.state) {
    case OrderState::kHeld: {
      // Past its time the units would have gone back anyway; record it as the
      // expiry it was, so the answer is the same whether or not the sweeper ran.
      const bool late = now_ms >= r.expires_at_ms;
      stock_.Unhold(r.store, r.lines);
      Finish(shard, it->first, r, late ? OrderState::kExpired : OrderState::kReleased, now_ms);
      return {late ? FinishStatus::kAlready : FinishStatus::kDone, r.state};
    }
    case OrderState::kReleased:
    case OrderState::kExpired:
      // The units are back in stock: what the caller wanted has happened.
      return {FinishStatus::kAlready, r.state};
    case OrderState::kCommitted:
      return {FinishStatus::kOrderCommitted, r.state};
  }
  return {FinishStatus::kUnknownOrder, r.state};
}

size_t ReservationBook::ExpireDue(int64_t now_ms) {
  size_t expired = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    while (!shard.due.empty() && shard.due.top().first <= now_ms) {
      const std::string order = shard.due.top().second;
      shard.due.pop();
      auto it = shard.orders.find(order);
      if (it == shard.orders.end()) continue;
      Reservation& r = it->second;
      // Entries go stale when an order changes state; act only when the
      // record itself says its time is up.
      if (r.state == OrderState::kHeld) {
        if (r.expires_at_ms > now_ms) continue;
        stock_.Unhold(r.store, r.lines);
        Finish(shard, it->first, r, OrderState::kExpired, now_ms);
        ++expired;
      } else if (r.forget_at_ms <= now_ms) {
        shard.orders.erase(it);
      }
    }
  }
  return expired;
}

BookCounts ReservationBook::Counts() const {
  BookCounts c;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const auto& [order, r] : shard.orders) {
      if (r.state == OrderState::kHeld) {
        ++c.held;
      } else {
        ++c.finished;
      }
    }
  }
  return c;
}

}  // namespace hourglass::alloc
