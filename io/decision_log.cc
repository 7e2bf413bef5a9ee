#include "io/decision_log.h"

#include <algorithm>

namespace hourglass::io {

DecisionLog::DecisionLog(size_t rings, size_t per_ring)
    : rings_(std::make_unique<Ring[]>(std::max<size_t>(rings, 1))),
      ring_count_(std::max<size_t>(rings, 1)) {
  for (size_t i = 0; i < ring_count_; ++i) rings_[i].slots.resize(std::max<size_t>(per_ring, 1));
}

void DecisionLog::Record(size_t ring, const Decision& decision) {
  Ring& r = rings_[ring % ring_count_];
  std::lock_guard lock(r.mu);
  r.slots[r.written % r.slots.size()] = decision;
  ++r.written;
}

std::vector<Decision> DecisionLog::Recent(size_t max) const {
  std::vector<Decision> out;
  for (size_t i = 0; i < ring_count_; ++i) {
    const Ring& r = rings_[i];
    std::lock_guard lock(r.mu);
    const uint64_t n = std::min<uint64_t>(r.written, r.slots.size());
    for (uint64_t k = 0; k < n; ++k) out.push_back(r.slots[(r.written - 1 - k) % r.slots.size()]);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Decision& a, const Decision& b) { return a.wall_ms > b.wall_ms; });
  if (out.size() > max) out.resize(max);
  return out;
}

}  // namespace hourglass::io
