// The order path: turns a route request into a plan, holds stock for it, and
// commits or releases it later. This is the one entry point the protocol
// layer calls; it owns no thread and reads no clock (times are handed in).
//
// Thread-safety: every method may be called from any number of threads at
// once; each calling thread passes its own AllocScratch.
#ifndef HOURGLASS_ALLOC_ALLOCATOR_H_
#define HOURGLASS_ALLOC_ALLOCATOR_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "alloc/inventory.h"
#include "alloc/reservation_book.h"
#include "alloc/router.h"
#include "alloc/state_image.h"
#include "geo/eta.h"

namespace hourglass::alloc {

// The [rules] defaults a request falls back on.
struct RouteDefaults {
  double promise_min = 60;
  int64_t reservation_ttl_s = 900;
};

// One requested line, as the client wrote it.
struct OrderItem {
  std::string_view sku;
  int32_t qty = 0;
};

struct RouteRequest {
  std::string_view order;  // required when reserve is set
  geo::LatLon at;
  std::span<const OrderItem> items;
  bool reserve = false;
  int64_t ttl_s = 0;      // 0: the rules' reservation_ttl_s
  double within_min = 0;  // 0: the rules' promise_min
};

struct RouteResult {
  bool found = false;
  NoRouteReason reason = NoRouteReason::kNone;
  std::string_view unknown_sku;  // with kUnknownSku: the first one
  bool reserved = false;         // the plan's units are held for the order
  bool already = false;          // a retry: the order was already active
  Plan plan;
};

// Per-thread buffers, so a decision allocates nothing once warm.
struct AllocScratch {
  RouteScratch route;
  std::vector<NamedLine> lines;
  std::vector<Line> plain;
  RouteResult result;
};

class Allocator {
 public:
  // `log` (may be null) hears of every change; it must outlive the allocator.
  Allocator(Inventory& inventory, geo::EtaModel eta, RouteDefaults defaults,
            int64_t finished_retention_ms, EventLog* log = nullptr);

  // Fills scratch.result. Never fails: the protocol layer validated the request.
  const RouteResult& Route(const RouteRequest& request, Now now, AllocScratch& scratch);

  FinishResult Commit(std::string_view order, Now now) { return book_.Commit(order, now); }
  FinishResult Release(std::string_view order, Now now) { return book_.Release(order, now); }
  size_t ExpireDue(Now now) { return book_.ExpireDue(now); }

  struct StockSetResult {
    StockTable::SetOutcome outcome;
    uint64_t seq = 0;  // log sequence of the change
  };
  // Sets the absolute on-hand level of `sku` (added to the catalog if new).
  StockSetResult SetStock(StoreIdx store, std::string_view sku, int32_t on_hand, uint64_t as_of_seq,
                          Now now);

  // A consistent copy of all state. Holds every lock while copying (tens of
  // milliseconds for millions of rows); `current_seq` is read under them.
  StateImage Capture(FunctionRef<uint64_t()> current_seq, Now now) const;
  // Recovery from a snapshot, before serving (the stock rows were loaded
  // into the inventory already).
  void Restore(const StateImage& image, Now now);

  // Recovery, before serving: re-applies logged events without logging them.
  void Replay(const ReservationEvent& event, Now now) { book_.Replay(event, now); }
  void Replay(const StockSetEvent& event);

  Inventory& inventory() { return inventory_; }
  const ReservationBook& book() const { return book_; }
  const RouteDefaults& defaults() const { return defaults_; }

 private:
  // Interns and merges the request's items (a SKU listed twice counts once,
  // with the quantities added). False when a SKU is unknown.
  bool NormalizeItems(const RouteRequest& request, AllocScratch& scratch) const;

  Inventory& inventory_;
  Router router_;
  RouteDefaults defaults_;
  EventLog* const log_;
  ReservationBook book_;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_ALLOCATOR_H_
