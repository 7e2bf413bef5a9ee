#include "alloc/event_log.h"

namespace hourglass::alloc {

const char* RoleName(PartRole role) {
  switch (role) {
    case PartRole::kDelivery:
      return "delivery";
    case PartRole::kPickup:
      return "pickup";
    case PartRole::kTransfer:
      return "transfer";
    case PartRole::kShip:
      return "ship";
  }
  return "unknown";
}

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kReserved:
      return "reserved";
    case EventType::kCommitted:
      return "committed";
    case EventType::kReleased:
      return "released";
    case EventType::kExpired:
      return "expired";
    case EventType::kStockSet:
      return "stock_set";
    case EventType::kStoreUpserted:
      return "store_upserted";
    case EventType::kStoreRemoved:
      return "store_removed";
  }
  return "unknown";
}

}  // namespace hourglass::alloc
