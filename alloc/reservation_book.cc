#include "alloc/reservation_book.h"

#include "alloc/state_image.h"

namespace hourglass::alloc {
namespace {

using PartLinesList = boost::container::small_vector<StockTable::PartLines, 2>;

// Each part's share of `lines` (grouped by part); `line_keep` (if any) and
// `keep_back` (per part, if any) say what each store keeps back.
PartLinesList LinesByPart(std::span<const OrderPart> parts, std::span<const Line> lines,
                          std::span<const int32_t> line_keep = {},
                          std::span<const int32_t> keep_back = {}) {
  PartLinesList out;
  uint32_t begin = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    const uint32_t n = parts[k].end_line - begin;
    KeepBack keep;
    if (!line_keep.empty()) keep.per_line = line_keep.subspan(begin, n);
    if (k < keep_back.size()) keep.per_store = keep_back[k];
    out.push_back({parts[k].store, lines.subspan(begin, n), keep});
    begin = parts[k].end_line;
  }
  return out;
}

}  // namespace

// Drops a fresh order record on every way out of a hold that did not take
// (no stock, at capacity, an exception from the log), so a failed hold
// leaves the book as it found it.
struct ReservationBook::FreshGuard {
  Shard& shard;
  const Slot& slot;
  bool kept = false;
  ~FreshGuard() {
    if (!kept) DropIfFresh(shard, slot);
  }
};

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

ReservationBook::ReservationBook(StockTable& stock, int64_t finished_retention_ms, EventLog* log,
                                 DeliveryLoad* load)
    : stock_(stock), finished_retention_ms_(finished_retention_ms), log_(log), load_(load) {}

uint64_t ReservationBook::Log(EventType type, std::string_view order, const Reservation& r,
                              int64_t wall_ms) {
  if (log_ == nullptr) return 0;
  ReservationEvent e;
  e.type = type;
  e.order = order;
  e.parts = r.parts;
  e.lines = r.lines;
  e.skus = r.skus;
  e.expires_at_wall_ms = r.expires_at_wall_ms;
  e.wall_ms = wall_ms;
  e.slot_wall_ms = r.slot_ms;
  e.bound = r.bound;
  return log_->Append(e);
}

uint64_t ReservationBook::Unhold(Shard& shard, const std::string& order, Reservation& r,
                                 OrderState state, Now now) {
  uint64_t seq = 0;
  const EventType type = state == OrderState::kExpired ? EventType::kExpired : EventType::kReleased;
  const auto log = [&] { return seq = Log(type, order, r, now.wall_ms); };
  if (r.parts.size() == 1) {
    stock_.Unhold(r.parts[0].store, r.lines, log);
  } else {
    stock_.UnholdParts(LinesByPart(r.parts, r.lines), log);
  }
  ForgetDeliveries(r);
  r.seq = seq;
  Finish(shard, order, r, state, now.mono_ms);
  return seq;
}

ReservationBook::Shard& ReservationBook::ShardOf(const OrderKey& order) const {
  return shards_[order.hash % kShards];
}

void ReservationBook::CountDeliveries(const Reservation& r) {
  if (load_ == nullptr) return;
  for (const OrderPart& p : r.parts) {
    if (p.role == PartRole::kDelivery) load_->Restore(p.store, r.slot_ms);
  }
}

void ReservationBook::ForgetDeliveries(const Reservation& r) {
  if (load_ == nullptr) return;
  for (const OrderPart& p : r.parts) {
    if (p.role == PartRole::kDelivery) load_->Remove(p.store, r.slot_ms);
  }
}

ReservationBook::Slot ReservationBook::SlotOf(Shard& shard, const OrderKey& order) {
  // One probe, with the hash the key already has.
  auto [it, fresh] = shard.orders.try_emplace(StoredId(order));
  return {it, fresh};
}

void ReservationBook::DropIfFresh(Shard& shard, const Slot& slot) {
  if (slot.fresh) shard.orders.erase(slot.it);
}

void ReservationBook::Admit(Shard& shard, const Slot& slot, Reservation&& r, Plan& out) {
  CopyPlan(r, out);
  // A released or expired order id may be reserved again: its record is replaced.
  slot.it->second = std::move(r);
  ++shard.held;
  shard.due.emplace(slot.it->second.expires_at_ms, slot.it->first.id);
}

void ReservationBook::CopyPlan(const Reservation& r, Plan& out) {
  out.parts.assign(r.parts.begin(), r.parts.end());
  out.state = r.state;
  out.expires_at_ms = r.expires_at_ms;
  out.seq = r.seq;
  if (out.items.size() < r.lines.size()) out.items.resize(r.lines.size());
  for (size_t i = 0; i < r.lines.size(); ++i) {
    out.items[i].sku.assign(r.skus[i]);
    out.items[i].qty = r.lines[i].qty;
  }
  out.item_count = r.lines.size();
}

bool ReservationBook::CopyIfActiveLocked(const Shard& shard, const OrderKey& order, Plan& out) {
  auto it = shard.orders.find(order);
  return it != shard.orders.end() && CopyIfActive(it->second, out);
}

bool ReservationBook::CopyIfActive(const Reservation& r, Plan& out) {
  if (r.state != OrderState::kHeld && r.state != OrderState::kCommitted) return false;
  CopyPlan(r, out);
  return true;
}

ReservationBook::Reservation ReservationBook::NewHold(std::span<const NamedLine> lines, Now now,
                                                      int64_t ttl_ms, const HoldOptions& options) {
  Reservation r;
  r.lines.reserve(lines.size());
  r.skus.reserve(lines.size());
  for (const NamedLine& l : lines) {
    r.lines.push_back(l.line);
    r.skus.emplace_back(l.sku);
  }
  r.state = OrderState::kHeld;
  r.expires_at_ms = now.mono_ms + ttl_ms;
  r.expires_at_wall_ms = now.wall_ms + ttl_ms;
  r.slot_ms = options.slot_ms;
  r.bound = options.bound;
  return r;
}

bool ReservationBook::FindActive(const OrderKey& order, Plan& out) const {
  Shard& shard = ShardOf(order);
  std::lock_guard lock(shard.mu);
  return CopyIfActiveLocked(shard, order, out);
}

ReservationBook::HoldStatus ReservationBook::Hold(const OrderKey& order,
                                                  std::span<const Candidate> candidates,
                                                  std::span<const NamedLine> lines, Now now,
                                                  int64_t ttl_ms, Plan& out,
                                                  const HoldOptions& options) {
  Shard& shard = ShardOf(order);
  std::lock_guard lock(shard.mu);
  const Slot slot = SlotOf(shard, order);
  if (!slot.fresh && CopyIfActive(slot.it->second, out)) return HoldStatus::kAlready;
  FreshGuard guard{shard, slot};
  Reservation r = NewHold(lines, now, ttl_ms, options);
  r.parts.resize(1);
  OrderPart& part = r.parts[0];
  part.role = options.role;
  part.end_line = static_cast<uint32_t>(r.lines.size());
  const bool counted = load_ != nullptr && options.role == PartRole::kDelivery;
  for (const Candidate& c : candidates) {
    part.store = c.store;
    part.eta_min = c.eta_min;
    part.distance_km = c.distance_km;
    // Capacity first: a slot taken and then not needed is given back.
    if (counted && !load_->TryAdd(c.store, r.slot_ms)) continue;
    if (!stock_.TryHold(
            c.store, r.lines,
            [&] { return r.seq = Log(EventType::kReserved, order.id, r, now.wall_ms); },
            KeepBack{options.line_keep, c.keep_back})) {
      if (counted) load_->Remove(c.store, r.slot_ms);
      continue;
    }
    Admit(shard, slot, std::move(r), out);
    guard.kept = true;
    return HoldStatus::kHeld;
  }
  return HoldStatus::kNoStock;
}

ReservationBook::HoldStatus ReservationBook::HoldParts(const OrderKey& order,
                                                       std::span<const OrderPart> parts,
                                                       std::span<const int32_t> keep_back,
                                                       std::span<const NamedLine> lines, Now now,
                                                       int64_t ttl_ms, Plan& out,
                                                       const HoldOptions& options) {
  Shard& shard = ShardOf(order);
  std::lock_guard lock(shard.mu);
  const Slot slot = SlotOf(shard, order);
  if (!slot.fresh && CopyIfActive(slot.it->second, out)) return HoldStatus::kAlready;
  FreshGuard guard{shard, slot};
  Reservation r = NewHold(lines, now, ttl_ms, options);
  r.parts.assign(parts.begin(), parts.end());
  // Capacity of every delivering store, all or nothing.
  size_t counted = 0;
  if (load_ != nullptr) {
    for (; counted < r.parts.size(); ++counted) {
      const OrderPart& p = r.parts[counted];
      if (p.role == PartRole::kDelivery && !load_->TryAdd(p.store, r.slot_ms)) break;
    }
  }
  const auto undo_capacity = [&] {
    for (size_t k = 0; k < counted && load_ != nullptr; ++k) {
      if (r.parts[k].role == PartRole::kDelivery) load_->Remove(r.parts[k].store, r.slot_ms);
    }
  };
  if (load_ != nullptr && counted < r.parts.size()) {
    undo_capacity();
    return HoldStatus::kNoStock;
  }
  if (!stock_.TryHoldParts(LinesByPart(r.parts, r.lines, options.line_keep, keep_back), [&] {
        return r.seq = Log(EventType::kReserved, order.id, r, now.wall_ms);
      })) {
    undo_capacity();
    return HoldStatus::kNoStock;
  }
  Admit(shard, slot, std::move(r), out);
  guard.kept = true;
  return HoldStatus::kHeld;
}

void ReservationBook::Finish(Shard& shard, const std::string& order, Reservation& r,
                             OrderState state, int64_t now_ms) {
  // Only a held order finishes.
  --shard.held;
  r.state = state;
  r.forget_at_ms = now_ms + finished_retention_ms_;
  shard.due.emplace(r.forget_at_ms, order);
}

FinishResult ReservationBook::Commit(std::string_view id, Now now) {
  const OrderKey order(id);
  Shard& shard = ShardOf(order);
  std::lock_guard lock(shard.mu);
  auto it = shard.orders.find(order);
  if (it == shard.orders.end()) return {FinishStatus::kUnknownOrder, OrderState::kHeld, 0};
  Reservation& r = it->second;
  if (r.state == OrderState::kHeld && now.mono_ms >= r.expires_at_ms) {
    // Time is up but the sweeper has not run yet: expire now, as it would.
    const uint64_t seq = Unhold(shard, it->first.id, r, OrderState::kExpired, now);
    return {FinishStatus::kOrderExpired, r.state, seq};
  }
  switch (r.state) {
    case OrderState::kHeld: {
      uint64_t seq = 0;
      const auto log = [&] {
        return seq = Log(EventType::kCommitted, it->first.id, r, now.wall_ms);
      };
      if (r.parts.size() == 1) {
        stock_.Consume(r.parts[0].store, r.lines, log);
      } else {
        stock_.ConsumeParts(LinesByPart(r.parts, r.lines), log);
      }
      r.seq = seq;
      Finish(shard, it->first.id, r, OrderState::kCommitted, now.mono_ms);
      return {FinishStatus::kDone, r.state, seq};
    }
    case OrderState::kCommitted:
      return {FinishStatus::kAlready, r.state, r.seq};
    case OrderState::kReleased:
      return {FinishStatus::kOrderReleased, r.state, r.seq};
    case OrderState::kExpired:
      return {FinishStatus::kOrderExpired, r.state, r.seq};
  }
  return {FinishStatus::kUnknownOrder, r.state, 0};
}

FinishResult ReservationBook::Release(std::string_view id, Now now) {
  const OrderKey order(id);
  Shard& shard = ShardOf(order);
  std::lock_guard lock(shard.mu);
  auto it = shard.orders.find(order);
  if (it == shard.orders.end()) return {FinishStatus::kUnknownOrder, OrderState::kHeld, 0};
  Reservation& r = it->second;
  switch (r.state) {
    case OrderState::kHeld: {
      // Past its time the units would have gone back anyway; record it as the
      // expiry it was, so the answer is the same whether or not the sweeper ran.
      const bool late = now.mono_ms >= r.expires_at_ms;
      const uint64_t seq =
          Unhold(shard, it->first.id, r, late ? OrderState::kExpired : OrderState::kReleased, now);
      return {late ? FinishStatus::kAlready : FinishStatus::kDone, r.state, seq};
    }
    case OrderState::kReleased:
    case OrderState::kExpired:
      // The units are back in stock: what the caller wanted has happened.
      return {FinishStatus::kAlready, r.state, r.seq};
    case OrderState::kCommitted:
      return {FinishStatus::kOrderCommitted, r.state, r.seq};
  }
  return {FinishStatus::kUnknownOrder, r.state, 0};
}

size_t ReservationBook::ExpireDue(Now now) {
  const int64_t now_ms = now.mono_ms;
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
        Unhold(shard, it->first.id, r, OrderState::kExpired, now);
        ++expired;
      } else if (r.forget_at_ms <= now_ms) {
        shard.orders.erase(it);
      }
    }
  }
  return expired;
}

void ReservationBook::Replay(const ReservationEvent& e, Now now) {
  Shard& shard = ShardOf(OrderKey(e.order));
  std::lock_guard lock(shard.mu);
  if (e.type == EventType::kReserved) {
    Reservation r;
    r.parts.assign(e.parts.begin(), e.parts.end());
    r.lines.assign(e.lines.begin(), e.lines.end());
    r.skus.assign(e.skus.begin(), e.skus.end());
    r.state = OrderState::kHeld;
    // The hold keeps the time it had left on the wall clock.
    r.expires_at_wall_ms = e.expires_at_wall_ms;
    r.expires_at_ms = now.mono_ms + (e.expires_at_wall_ms - now.wall_ms);
    r.slot_ms = e.slot_wall_ms;
    r.bound = e.bound;
    for (const auto& p : LinesByPart(r.parts, r.lines)) stock_.ForceHold(p.store, p.lines);
    CountDeliveries(r);
    const Slot slot = SlotOf(shard, OrderKey(e.order));
    if (slot.fresh || slot.it->second.state != OrderState::kHeld) ++shard.held;
    slot.it->second = std::move(r);
    shard.due.emplace(slot.it->second.expires_at_ms, slot.it->first.id);
    return;
  }
  auto it = shard.orders.find(e.order);
  // A finish of an order the log never held would be corruption; the journal
  // reader checks for that before replaying, so here it cannot happen.
  if (it == shard.orders.end() || it->second.state != OrderState::kHeld) return;
  Reservation& r = it->second;
  if (e.type == EventType::kCommitted) {
    stock_.ConsumeParts(LinesByPart(r.parts, r.lines), [&] { return e.seq; });
    Finish(shard, it->first.id, r, OrderState::kCommitted, now.mono_ms);
  } else {
    stock_.UnholdParts(LinesByPart(r.parts, r.lines));
    ForgetDeliveries(r);
    Finish(shard, it->first.id, r,
           e.type == EventType::kExpired ? OrderState::kExpired : OrderState::kReleased,
           now.mono_ms);
  }
}

std::vector<std::unique_lock<std::mutex>> ReservationBook::LockAll() const {
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(kShards);
  for (const Shard& shard : shards_) locks.emplace_back(shard.mu);
  return locks;
}

size_t ReservationBook::Size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.orders.size();
  }
  return n;
}

void ReservationBook::CopyOrdersLocked(Now now, std::vector<OrderImage>& out) const {
  // `out` may come pre-sized (memory touched before the locks): fill it in
  // place, then cut it to the count.
  size_t i = 0;
  for (const Shard& shard : shards_) {
    for (const auto& [order, r] : shard.orders) {
      if (i == out.size()) out.emplace_back();
      OrderImage& o = out[i++];
      o.order = order.id;
      o.parts.assign(r.parts.begin(), r.parts.end());
      o.lines.assign(r.lines.begin(), r.lines.end());
      o.skus.assign(r.skus.begin(), r.skus.end());
      o.state = r.state;
      o.expires_at_wall_ms = r.expires_at_wall_ms;
      o.forget_at_wall_ms = now.wall_ms + (r.forget_at_ms - now.mono_ms);
      o.seq = r.seq;
      o.slot_wall_ms = r.slot_ms;
      o.bound = r.bound;
    }
  }
  out.resize(i);
}

void ReservationBook::Restore(const OrderImage& o, Now now) {
  Shard& shard = ShardOf(OrderKey(o.order));
  std::lock_guard lock(shard.mu);
  Reservation r;
  r.parts.assign(o.parts.begin(), o.parts.end());
  r.lines = o.lines;
  r.skus = o.skus;
  r.state = o.state;
  r.expires_at_wall_ms = o.expires_at_wall_ms;
  r.expires_at_ms = now.mono_ms + (o.expires_at_wall_ms - now.wall_ms);
  r.forget_at_ms = now.mono_ms + (o.forget_at_wall_ms - now.wall_ms);
  r.seq = o.seq;
  r.slot_ms = o.slot_wall_ms;
  r.bound = o.bound;
  // Held and committed deliveries still take their hour's capacity.
  if (r.state == OrderState::kHeld || r.state == OrderState::kCommitted) CountDeliveries(r);
  // The stock table's snapshot already counts held units: nothing to hold here.
  auto [it, fresh] = shard.orders.try_emplace(StoredId(OrderKey(o.order)));
  if (!fresh && it->second.state == OrderState::kHeld) --shard.held;
  if (r.state == OrderState::kHeld) ++shard.held;
  it->second = std::move(r);
  shard.due.emplace(
      it->second.state == OrderState::kHeld ? it->second.expires_at_ms : it->second.forget_at_ms,
      it->first.id);
}

BookCounts ReservationBook::Counts() const {
  BookCounts c;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    c.held += shard.held;
    c.finished += shard.orders.size() - shard.held;
  }
  return c;
}

}  // namespace hourglass::alloc
