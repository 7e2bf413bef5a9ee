// What the allocator reports after each change it confirms, so the change can
// be made durable and streamed to the system of record.
//
// Ordering contract: the allocator calls Append while it still holds the
// locks that ordered the change (the order's shard and the store), so the
// log sees the changes to one store, and to one order, in the order they
// happened; replaying the log in sequence order rebuilds the same state.
// Implementations must be quick and must not call back into the allocator.
#ifndef HOURGLASS_ALLOC_EVENT_LOG_H_
#define HOURGLASS_ALLOC_EVENT_LOG_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "alloc/ids.h"

namespace hourglass::alloc {

enum class EventType : uint8_t {
  kReserved,
  kCommitted,
  kReleased,
  kExpired,
  kStockSet,
  kStoreUpserted,
  kStoreRemoved,
};
const char* EventTypeName(EventType type);

// What one store does for an order. Stable: the wire names come from RoleName().
enum class PartRole : uint8_t {
  kDelivery,  // a courier takes its lines to the customer
  kPickup,    // the customer collects the order here
  kTransfer,  // it sends its lines to the pickup store
  kShip,      // a warehouse ships its lines
};
const char* RoleName(PartRole role);

// One store's share of an order: the lines [previous part's end_line,
// end_line) of the order's (grouped) lines.
struct OrderPart {
  StoreIdx store{};
  double eta_min = 0;  // delivery: at the customer; pickup: ready; transfer: at the pickup store
  double distance_km = 0;
  PartRole role = PartRole::kDelivery;
  uint32_t end_line = 0;
};

struct ReservationEvent {
  EventType type = EventType::kReserved;
  std::string_view order;
  std::span<const OrderPart> parts;   // one per store, in plan order (the plan, for retries)
  std::span<const Line> lines;        // grouped by part
  std::span<const std::string> skus;  // names of lines[i].sku
  int64_t expires_at_wall_ms = 0;     // kReserved: when the hold ends (Unix ms)
  int64_t wall_ms = 0;                // when the change happened (Unix ms)
  int64_t slot_wall_ms = 0;           // the delivery's slot: its `at`, or when it was routed
  StoreIdx bound = kNoStore;          // the prefer_store the order asked for (attribution)
  uint64_t seq = 0;                   // set when replaying a logged event
};

struct StockSetEvent {
  StoreIdx store{};
  std::string_view sku;
  int32_t on_hand = 0;           // the level now in effect
  int32_t reported_on_hand = 0;  // the level the system of record sent
  uint64_t as_of_seq = 0;        // 0: the level is as of now
  int64_t wall_ms = 0;
};

struct Store;  // store_set.h

// store.upsert / store.remove: the whole record as it is after the change.
struct StoreEvent {
  EventType type = EventType::kStoreUpserted;
  const Store* store = nullptr;
  int64_t wall_ms = 0;
};

class EventLog {
 public:
  virtual ~EventLog() = default;
  // Returns the event's sequence number (1, 2, 3, ...).
  virtual uint64_t Append(const ReservationEvent& event) = 0;
  virtual uint64_t Append(const StockSetEvent& event) = 0;
  virtual uint64_t Append(const StoreEvent& event) = 0;
};

// Both clocks, handed in by the caller: monotonic for deadlines in memory,
// wall for the instants written to the log.
struct Now {
  int64_t mono_ms = 0;
  int64_t wall_ms = 0;
  Now() = default;
  Now(int64_t mono, int64_t wall) : mono_ms(mono), wall_ms(wall) {}
  // Tests drive one clock for both.
  Now(int64_t both) : mono_ms(both), wall_ms(both) {}  // NOLINT(google-explicit-constructor)
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_EVENT_LOG_H_
