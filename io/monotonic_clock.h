// The daemon's one clock for reservation expiry: monotonic milliseconds, so
// a wall-clock jump never expires or extends a hold.
#ifndef HOURGLASS_IO_MONOTONIC_CLOCK_H_
#define HOURGLASS_IO_MONOTONIC_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace hourglass::io {

inline int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_MONOTONIC_CLOCK_H_
