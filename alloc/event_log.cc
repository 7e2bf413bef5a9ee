#include "alloc/event_log.h"

namespace hourglass::alloc {

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
  }
  return "unknown";
}

}  // namespace hourglass::alloc
