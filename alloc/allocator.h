// The order path: turns a route request into a plan, holds stock for it, and
// commits or releases it later. This is the one entry point the protocol
// layer calls; it owns no thread and reads no clock (times are handed in).
//
// Thread-safety: every method may be called from any number of threads at
// once; each calling thread passes its own AllocScratch.
#ifndef HOURGLASS_ALLOC_ALLOCATOR_H_
#define HOURGLASS_ALLOC_ALLOCATOR_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "alloc/inventory.h"
#include "alloc/reservation_book.h"
#include "alloc/router.h"
#include "alloc/routing_rules.h"
#include "alloc/state_image.h"
#include "geo/eta.h"

namespace hourglass::alloc {

// The [rules] defaults a request falls back on (the simple form of RoutingRules).
struct RouteDefaults {
  double promise_min = 60;
  int64_t reservation_ttl_s = 900;
};

// How the customer gets the order.
enum class FulfilMode : uint8_t {
  kDelivery,  // a courier from the best store within the promise
  kPickup,    // the customer collects it at a store
  kShip,      // a warehouse ships it (standard promise, days)
};
const char* ModeName(FulfilMode mode);

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
  FulfilMode mode = FulfilMode::kDelivery;
  std::string_view pickup_store;  // kPickup: collect here ("" : the nearest options)
  std::string_view prefer_store;  // the customer's own store / guide's store
  std::string_view dealer;        // the order's dealer, for dealer scope
  bool fallback_ship = false;     // kDelivery: ship from a warehouse if no store can
  int64_t at_wall_ms = 0;         // a scheduled slot (Unix ms); 0: now
  bool explain = false;           // report every candidate looked at
  bool located = true;            // lat/lon were given (a named pickup store needs none)
  bool allow_split = false;       // kDelivery: several stores when no single one can
  int max_parts = 2;              // with allow_split: at most this many stores (2 or 3)
};

// Whether a prefer_store was honoured.
enum class BoundOutcome : uint8_t { kNotAsked, kChosen, kNotChosen };

// One store looked at, for explain.
struct ExplainEntry {
  Candidate candidate;
  bool eligible = false;         // could serve the order (the chosen one is first)
  std::string_view missing_sku;  // with Reject::kMissing: the first short line
  int32_t missing_qty = 0;       // units short of it
};

struct RouteResult {
  bool found = false;
  NoRouteReason reason = NoRouteReason::kNone;
  std::string_view unknown_sku;  // with kUnknownSku: the first one
  bool reserved = false;         // the plan's units are held for the order
  bool already = false;          // a retry: the order was already active
  Plan plan;
  uint64_t rules_version = 0;               // the rules that made the decision
  FulfilMode mode = FulfilMode::kDelivery;  // how it is fulfilled (kShip after a fallback)
  BoundOutcome bound = BoundOutcome::kNotAsked;
  Reject bound_reject = Reject::kNone;  // kNotChosen: why ("none": slower than the slack)
  std::vector<Candidate> options;       // pickup by location: the best few, best first
  std::vector<ExplainEntry> explain;    // with explain
  const StoreView* view = nullptr;      // the stores it was decided on (ids, attributes)
};

// Per-thread buffers, so a decision allocates nothing once warm.
struct AllocScratch {
  RouteScratch route;
  std::vector<NamedLine> lines;
  std::vector<Line> plain;
  std::vector<int32_t> line_keep;   // safety stock per line
  std::vector<Candidate> servable;  // candidates that have every item
  // A plan over several stores (split, pickup with transfers).
  std::vector<OrderPart> parts;
  std::vector<NamedLine> grouped;             // the lines, grouped by part
  std::vector<int32_t> grouped_keep;          // their safety stock per line
  std::vector<int32_t> part_keep;             // each part's store's safety stock
  std::vector<uint64_t> masks;                // per candidate: the lines it has (bit i: line i)
  std::vector<Candidate> sources;             // stores that may send a pickup store what it lacks
  std::shared_ptr<const RoutingRules> rules;  // this thread's copy (see RulesHolder)
  std::shared_ptr<const StoreView> stores;    // this thread's copy (see Published)
  const StoreView* view = nullptr;            // the stores of the decision in progress
  RouteResult result;
};

class Allocator {
 public:
  // `log` (may be null) hears of every change; it must outlive the allocator.
  Allocator(Inventory& inventory, RoutingRules rules, int64_t finished_retention_ms,
            EventLog* log = nullptr);
  // The core's rules only: one courier model and the defaults.
  Allocator(Inventory& inventory, geo::EtaModel eta, RouteDefaults defaults,
            int64_t finished_retention_ms, EventLog* log = nullptr);

  // Swaps in new rules (a reload): requests from now on see them whole.
  // Returns their version.
  uint64_t PublishRules(RoutingRules rules) { return rules_.Publish(std::move(rules)); }
  std::shared_ptr<const RoutingRules> rules() const { return rules_.Current(); }

  // Fills scratch.result. Never fails: the protocol layer validated the request.
  const RouteResult& Route(const RouteRequest& request, Now now, AllocScratch& scratch);
  // The decision under `rules` (not necessarily those in force), holding
  // nothing: reload dry runs compare old and new rules with it.
  const RouteResult& Quote(const RoutingRules& rules, RouteRequest request, Now now,
                           AllocScratch& scratch);

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

  // store.upsert (`remove` false) or store.remove of `store.id`: builds and
  // publishes a new view of the stores; requests already deciding finish on
  // the old one. A new store takes the next free slot.
  enum class StoreChangeStatus { kDone, kUnknownStore, kNoRoom, kWarehouse };
  struct StoreChange {
    StoreChangeStatus status = StoreChangeStatus::kDone;
    bool created = false;
    uint64_t seq = 0;  // log sequence of the change
  };
  StoreChange ChangeStore(Store store, bool remove, Now now);
  // The store as it is now, if known (for a partial upsert).
  std::optional<Store> FindStore(std::string_view id) const;
  // Recovery: re-applies a logged store change without logging it.
  void ReplayStore(Store store, bool remove) { ApplyStore(std::move(store), remove, {}, false); }
  std::shared_ptr<const StoreView> stores() const { return inventory_.Stores(); }

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
  const DeliveryLoad& load() const { return load_; }

 private:
  // The decision behind Route and Quote. `lazy_ok` false: rank every
  // candidate (after a lazily found store lost its units to a race).
  const RouteResult& Decide(const RoutingRules& rules, const RouteRequest& request, Now now,
                            AllocScratch& scratch, bool lazy_ok = true);
  StoreChange ApplyStore(Store store, bool remove, Now now, bool log);
  // Interns and merges the request's items (a SKU listed twice counts once,
  // with the quantities added). False when a SKU is unknown.
  bool NormalizeItems(const RouteRequest& request, const RoutingRules& rules,
                      AllocScratch& scratch) const;
  // The candidates in scratch.route.candidates that have every item, in the
  // order the rules rank them; the rest go to explain.
  void KeepServable(const RoutingRules& rules, const RouteRequest& request, int64_t slot_ms,
                    AllocScratch& scratch) const;
  void Explain(const std::vector<Candidate>& rejected, AllocScratch& scratch) const;
  void Ship(AllocScratch& scratch) const;
  void ApplyPreference(const RouteRequest& request, const RankContext& ctx,
                       AllocScratch& scratch) const;
  // A quote's plan (nothing held): `lines` grouped as `parts` say.
  static void FillPlan(std::span<const OrderPart> parts, std::span<const NamedLine> lines,
                       Plan& plan);
  // The lines `store` has (bit i: scratch.lines[i]), above its safety stock.
  uint64_t LinesHeld(StoreIdx store, int32_t keep_back, const AllocScratch& scratch) const;
  // Several-store plans into scratch.parts / grouped; false when none fits.
  bool PlanSplit(const RouteRequest& request, AllocScratch& scratch) const;
  bool PlanTransfer(const Candidate& pickup, const RankContext& ctx, AllocScratch& scratch) const;
  // Groups scratch.lines by the part index in `owner`, in part order.
  void GroupLines(std::span<const uint8_t> owner, AllocScratch& scratch) const;

  Inventory& inventory_;
  Router router_;
  RulesHolder rules_;
  DeliveryLoad load_;
  // Store changes one at a time, each logged and published under it; a
  // snapshot takes it too, so its stores and its seq agree.
  mutable std::mutex store_mu_;
  EventLog* const log_;
  ReservationBook book_;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_ALLOCATOR_H_
