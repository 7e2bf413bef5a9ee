#include "io/metrics.h"

#include <algorithm>

namespace hourglass::io {

size_t MetricOpIndex(std::string_view op) {
  const auto it = std::find(kMetricOps.begin(), kMetricOps.end() - 2, op);
  return it == kMetricOps.end() - 2 ? kMetricOps.size() - 1
                                    : static_cast<size_t>(it - kMetricOps.begin());
}

size_t MetricOutcomeIndex(std::string_view code) {
  const auto it = std::find(kMetricOutcomes.begin(), kMetricOutcomes.end() - 1, code);
  return static_cast<size_t>(it - kMetricOutcomes.begin());
}

ThreadMetrics& Metrics::AddThread() {
  std::lock_guard lock(mu_);
  return threads_.emplace_back();
}

namespace {

template <typename Fn>
uint64_t SumOver(const std::deque<ThreadMetrics>& threads, Fn fn) {
  uint64_t sum = 0;
  for (const ThreadMetrics& t : threads) sum += fn(t);
  return sum;
}

}  // namespace

uint64_t Metrics::Requests(size_t op, size_t outcome) const {
  std::lock_guard lock(mu_);
  return SumOver(threads_, [&](const ThreadMetrics& t) { return t.requests[op][outcome].Get(); });
}

uint64_t Metrics::LatencyBucket(size_t op, size_t bucket) const {
  std::lock_guard lock(mu_);
  return SumOver(threads_, [&](const ThreadMetrics& t) { return t.latency[op].Bucket(bucket); });
}

uint64_t Metrics::LatencySumNs(size_t op) const {
  std::lock_guard lock(mu_);
  return SumOver(threads_, [&](const ThreadMetrics& t) { return t.latency[op].SumNs(); });
}

uint64_t Metrics::RoutesFound() const {
  std::lock_guard lock(mu_);
  return SumOver(threads_, [](const ThreadMetrics& t) { return t.routes_found.Get(); });
}

uint64_t Metrics::RoutesNotFound(size_t reason) const {
  std::lock_guard lock(mu_);
  return SumOver(threads_,
                 [&](const ThreadMetrics& t) { return t.routes_not_found[reason].Get(); });
}

}  // namespace hourglass::io
