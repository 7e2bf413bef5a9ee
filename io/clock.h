// The daemon's clocks, read at the edge and handed to the pure layers:
// monotonic milliseconds for deadlines in memory (a wall-clock jump never
// expires or extends a hold), wall-clock milliseconds for instants written to
// the journal and the event stream.
#ifndef HOURGLASS_IO_CLOCK_H_
#define HOURGLASS_IO_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "alloc/event_log.h"

namespace hourglass::io {

inline int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Fault injection for tests: added to every wall-clock reading, as if the
// system clock had been set forward (or back). 0 in production.
inline std::atomic<int64_t> wall_skew_ms{0};

inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         wall_skew_ms.load(std::memory_order_relaxed);
}

inline alloc::Now ClockNow() { return alloc::Now(MonotonicMs(), WallMs()); }

// "2026-11-24T10:15:00.123Z" for Unix milliseconds; writes 24 characters.
void FormatIsoUtc(int64_t unix_ms, char out[25]);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_CLOCK_H_
