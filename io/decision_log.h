// The last route decisions, for the live map: where each order was, which
// store took it (the primary one), or why none could.
//
// One ring of fixed-size records per I/O thread, each under its own mutex,
// which only a reader (the admin listener) ever contends for: recording is a
// small copy with no allocation and no shared lock. Order ids are cut to
// kOrderChars bytes (the map shows them, nothing relies on them).
#ifndef HOURGLASS_IO_DECISION_LOG_H_
#define HOURGLASS_IO_DECISION_LOG_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "alloc/ids.h"
#include "alloc/router.h"

namespace hourglass::io {

struct Decision {
  static constexpr size_t kOrderChars = 40;
  int64_t wall_ms = 0;
  double lat = 0, lon = 0;
  bool located = false;  // lat/lon were given (a pickup at a named store has none)
  bool found = false;
  bool reserved = false;
  alloc::NoRouteReason reason = alloc::NoRouteReason::kNone;
  alloc::StoreIdx store = alloc::kNoStore;  // found: the primary store
  uint8_t parts = 0;                        // stores in the plan
  float eta_min = 0;
  uint8_t order_len = 0;
  char order[kOrderChars] = {};

  std::string_view order_id() const { return {order, order_len}; }
};

class DecisionLog {
 public:
  // `per_ring` decisions kept in each of `rings` rings.
  DecisionLog(size_t rings, size_t per_ring);

  void Record(size_t ring, const Decision& decision);
  // Up to `max` decisions, newest first (merged over the rings by time).
  std::vector<Decision> Recent(size_t max) const;

 private:
  struct Ring {
    mutable std::mutex mu;
    std::vector<Decision> slots;  // fixed size; guarded by mu
    uint64_t written = 0;         // guarded by mu
  };
  std::unique_ptr<Ring[]> rings_;
  size_t ring_count_;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_DECISION_LOG_H_
