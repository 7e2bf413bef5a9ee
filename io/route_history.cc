#include "io/route_history.h"

#include <algorithm>

namespace hourglass::io {

RouteHistory::RouteHistory(size_t rings, size_t capacity)
    : per_ring_(rings == 0 ? 0 : (capacity + rings - 1) / rings),
      rings_(std::make_unique<Ring[]>(std::max<size_t>(rings, 1))),
      ring_count_(std::max<size_t>(rings, 1)) {}

void RouteHistory::Record(size_t ring, std::string_view line) {
  if (per_ring_ == 0) return;
  Ring& r = rings_[ring % ring_count_];
  std::lock_guard lock(r.mu);
  if (r.lines.size() < per_ring_) {
    r.lines.emplace_back(line);
    return;
  }
  r.lines[r.next].assign(line);
  r.next = (r.next + 1) % per_ring_;
  r.wrapped = true;
}

std::vector<std::string> RouteHistory::Lines() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < ring_count_; ++i) {
    const Ring& r = rings_[i];
    std::lock_guard lock(r.mu);
    const size_t n = r.lines.size();
    const size_t start = r.wrapped ? r.next : 0;
    for (size_t k = 0; k < n; ++k) out.push_back(r.lines[(start + k) % n]);
  }
  return out;
}

}  // namespace hourglass::io
