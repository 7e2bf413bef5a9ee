// Reservations by order id: hold, commit, release, expire — each exactly once.
//
// Thread-safety: all methods may be called from any thread. Orders are split
// over shards by a hash of the order id; an operation locks one shard, then
// (inside it) one store of the StockTable. That fixed order (shard, then
// store) rules out deadlock, and unrelated orders rarely share a shard, so
// they do not serialize.
//
// Time is handed in (`Now`: monotonic milliseconds for deadlines, wall-clock
// milliseconds for the log): this class never reads a clock, so tests drive
// expiry deterministically.
//
// Every change is reported to the EventLog (if one is given) while the
// order's shard and the store are locked; the log's sequence number comes
// back in the result so the caller can wait for it to be durable.
#ifndef HOURGLASS_ALLOC_RESERVATION_BOOK_H_
#define HOURGLASS_ALLOC_RESERVATION_BOOK_H_

#include <array>
#include <boost/container/small_vector.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/delivery_load.h"
#include "alloc/event_log.h"
#include "alloc/ids.h"
#include "alloc/router.h"
#include "alloc/stock_table.h"
#include "alloc/store_set.h"

namespace hourglass::alloc {

enum class OrderState { kHeld, kCommitted, kReleased, kExpired };
struct OrderImage;  // state_image.h
const char* StateName(OrderState state);

// A plan as the client sees it: the stores and the (merged) lines each serves.
struct PlanItem {
  std::string sku;
  int32_t qty = 0;
};
struct Plan {
  std::vector<OrderPart> parts;  // at least one; parts[0] is the primary store
  std::vector<PlanItem> items;   // grouped by part; reused between calls: assign, do not shrink
  size_t item_count = 0;
  const OrderPart& primary() const { return parts.front(); }
  OrderState state = OrderState::kHeld;
  int64_t expires_at_ms = 0;  // monotonic; meaningful while held
  uint64_t seq = 0;           // log sequence of the change that made this plan (0: none)
};

// A line to hold, with the SKU name the client used (kept for retries).
struct NamedLine {
  Line line;
  std::string_view sku;
};

enum class FinishStatus {
  kDone,            // took effect now
  kAlready,         // had taken effect before: a retry
  kUnknownOrder,    // never reserved, or forgotten after retention
  kOrderReleased,   // commit after release
  kOrderExpired,    // commit after expiry
  kOrderCommitted,  // release after commit
};

struct FinishResult {
  FinishStatus status = FinishStatus::kUnknownOrder;
  OrderState state = OrderState::kHeld;  // the order's state after the call
  uint64_t seq = 0;                      // log sequence of the change made (0: none)
};

struct BookCounts {
  size_t held = 0;
  size_t finished = 0;
};

class ReservationBook {
 public:
  // An order id with its hash, computed once for a request's retry check and
  // hold (the hash picks the shard and probes the shard's map).
  struct OrderKey {
    explicit OrderKey(std::string_view order) : id(order), hash(StringHash{}(order)) {}
    std::string_view id;
    size_t hash;
  };

  // Finished orders are remembered for `finished_retention_ms` so retries of
  // commit/release stay idempotent; after that they are forgotten.
  // `load` (may be null) counts deliveries per store and hour for capacity.
  ReservationBook(StockTable& stock, int64_t finished_retention_ms, EventLog* log = nullptr,
                  DeliveryLoad* load = nullptr);

  // If `order` is held or committed, copies its plan into `out` and returns true.
  bool FindActive(const OrderKey& order, Plan& out) const;
  bool FindActive(std::string_view order, Plan& out) const {
    return FindActive(OrderKey(order), out);
  }

  enum class HoldStatus { kHeld, kAlready, kNoStock };
  // Holds `lines` at the first candidate (in the given order) that has them
  // all. kAlready: the order was already active; `out` is its existing plan.
  struct HoldOptions {
    std::span<const int32_t> line_keep;   // each candidate keeps back max(its keep_back, this)
    int64_t slot_ms = 0;                  // the delivery's slot, for capacity (Unix ms)
    StoreIdx bound = kNoStore;            // the prefer_store asked for, for attribution
    PartRole role = PartRole::kDelivery;  // what the one store does
  };
  // A candidate at its hourly capacity is passed over like one short of stock.
  HoldStatus Hold(const OrderKey& order, std::span<const Candidate> candidates,
                  std::span<const NamedLine> lines, Now now, int64_t ttl_ms, Plan& out,
                  const HoldOptions& options);
  HoldStatus Hold(const OrderKey& order, std::span<const Candidate> candidates,
                  std::span<const NamedLine> lines, Now now, int64_t ttl_ms, Plan& out) {
    return Hold(order, candidates, lines, now, ttl_ms, out, HoldOptions{});
  }

  // Holds an order served by several stores, all or nothing: `parts` say
  // which of `lines` (grouped by part) each store serves; `keep_back[k]` is
  // part k's store's safety stock. One attempt: kNoStock if any part is short.
  HoldStatus HoldParts(const OrderKey& order, std::span<const OrderPart> parts,
                       std::span<const int32_t> keep_back, std::span<const NamedLine> lines,
                       Now now, int64_t ttl_ms, Plan& out, const HoldOptions& options);

  FinishResult Commit(std::string_view order, Now now);
  FinishResult Release(std::string_view order, Now now);

  // Expires held orders whose time is up and forgets finished ones past
  // retention. Returns how many orders expired.
  size_t ExpireDue(Now now);

  // Recovery, single-threaded, before serving: re-applies one logged event
  // (the stock effect and the order's record) without logging it again.
  void Replay(const ReservationEvent& event, Now now);

  BookCounts Counts() const;

  // Snapshots: lock every shard (before the stores, as every operation
  // does), then copy the orders out / restore one order from a snapshot.
  std::vector<std::unique_lock<std::mutex>> LockAll() const;
  size_t Size() const;  // orders remembered, held or finished
  void CopyOrdersLocked(Now now, std::vector<OrderImage>& out) const;
  void Restore(const OrderImage& image, Now now);

 private:
  struct Reservation {
    boost::container::small_vector<OrderPart, 1> parts;
    std::vector<Line> lines;  // grouped by part
    std::vector<std::string> skus;
    OrderState state = OrderState::kHeld;
    int64_t expires_at_ms = 0;       // while held (monotonic)
    int64_t expires_at_wall_ms = 0;  // the same instant on the wall clock, for the log
    int64_t forget_at_ms = 0;        // once finished
    uint64_t seq = 0;                // the log record of the last change
    int64_t slot_ms = 0;             // the delivery's slot (Unix ms): its capacity hour
    StoreIdx bound = kNoStore;       // the prefer_store the order asked for
  };
  // (when to look at the order again, order id)
  using Due = std::pair<int64_t, std::string>;
  // The map's key: the id with its hash, so that growing the map (which
  // rehashes every key) never hashes an id again.
  struct StoredId {
    explicit StoredId(const OrderKey& key) : id(key.id), hash(key.hash) {}
    std::string id;
    size_t hash;
  };
  // Looks up by a string or by an OrderKey (its hash already made).
  struct OrderHash {
    using is_transparent = void;
    size_t operator()(std::string_view order) const { return StringHash{}(order); }
    size_t operator()(const OrderKey& key) const { return key.hash; }
    size_t operator()(const StoredId& key) const { return key.hash; }
  };
  struct OrderEqual {
    using is_transparent = void;
    static std::string_view Id(std::string_view id) { return id; }
    static std::string_view Id(const OrderKey& key) { return key.id; }
    static std::string_view Id(const StoredId& key) { return key.id; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Id(a) == Id(b);
    }
  };
  // Open addressing: a lookup is one probe of a metadata group, not a walk
  // of bucket nodes (the book holds every order of the last hour, far more
  // than the caches). Records move on growth: nothing keeps a reference to
  // one past the call that found it.
  using Orders = boost::unordered_flat_map<StoredId, Reservation, OrderHash, OrderEqual>;
  struct Shard {
    mutable std::mutex mu;
    Orders orders;
    size_t held = 0;  // orders in state kHeld, kept so Counts() need not walk them all
    std::priority_queue<Due, std::vector<Due>, std::greater<>> due;
  };
  static constexpr size_t kShards = 64;

  Shard& ShardOf(const OrderKey& order) const;
  static void CopyPlan(const Reservation& r, Plan& out);
  // With the shard locked: copies the order's plan if it is held or committed.
  static bool CopyIfActiveLocked(const Shard& shard, const OrderKey& order, Plan& out);
  // A held record of `lines` (parts still to be set).
  static Reservation NewHold(std::span<const NamedLine> lines, Now now, int64_t ttl_ms,
                             const HoldOptions& options);
  // Counts / uncounts `r`'s delivering stores for capacity.
  void CountDeliveries(const Reservation& r);
  void ForgetDeliveries(const Reservation& r);
  // The order's record, made empty if it had none (`fresh`) — one lookup for
  // both the retry check and the insertion. A fresh record that does not
  // become a hold must be dropped (DropIfFresh) before the shard is unlocked.
  struct Slot {
    Orders::iterator it;
    bool fresh = false;
  };
  static Slot SlotOf(Shard& shard, const OrderKey& order);
  static void DropIfFresh(Shard& shard, const Slot& slot);
  struct FreshGuard;
  // Copies `r`'s plan if it is held or committed.
  static bool CopyIfActive(const Reservation& r, Plan& out);
  // Records `r` as the new hold in `slot`.
  void Admit(Shard& shard, const Slot& slot, Reservation&& r, Plan& out);
  void Finish(Shard& shard, const std::string& order, Reservation& r, OrderState state,
              int64_t now_ms);
  // Logs a change of `r` (call while the store is locked); returns its seq.
  uint64_t Log(EventType type, std::string_view order, const Reservation& r, int64_t wall_ms);
  // Returns the units of a held order and records it finished as `state`.
  uint64_t Unhold(Shard& shard, const std::string& order, Reservation& r, OrderState state,
                  Now now);

  StockTable& stock_;
  const int64_t finished_retention_ms_;
  EventLog* const log_;
  DeliveryLoad* const load_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_RESERVATION_BOOK_H_
