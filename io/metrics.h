// The daemon's counters for operators: requests by op and outcome, their
// latency, route outcomes, and the changes the journal confirmed. Read by the
// admin listener (/metrics) and the `stats` op; written on the order path.
//
// Cost on the order path: each I/O thread writes only its own ThreadMetrics
// (one writer per counter: a relaxed load and store, no read-modify-write, no
// shared cache line, no lock, no allocation). Changes are counted by
// CountingEventLog with one relaxed fetch_add next to the journal append,
// which already takes the journal's lock. Readers sum the threads at any time;
// a figure may lag a request being handled, never go backwards.
#ifndef HOURGLASS_IO_METRICS_H_
#define HOURGLASS_IO_METRICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string_view>

#include "alloc/event_log.h"
#include "alloc/router.h"

namespace hourglass::io {

// The ops counted, in the order metrics list them; anything else is "other".
inline constexpr std::array<std::string_view, 15> kMetricOps = {
    "route", "commit", "release", "stock", "stock.set", "store.upsert", "store.remove", "subscribe",
    "ack",   "reload", "auth",    "ping",  "stats",     "invalid",      "other"};
// An answer's outcome: "ok" or its error code; codes not listed count as "other".
inline constexpr std::array<std::string_view, 21> kMetricOutcomes = {"ok",
                                                                     "bad_json",
                                                                     "bad_request",
                                                                     "unknown_op",
                                                                     "too_large",
                                                                     "too_many_connections",
                                                                     "unknown_order",
                                                                     "order_released",
                                                                     "order_expired",
                                                                     "order_committed",
                                                                     "unknown_store",
                                                                     "store_limit",
                                                                     "stale_level",
                                                                     "gap",
                                                                     "not_subscribed",
                                                                     "unavailable",
                                                                     "unauthorized",
                                                                     "forbidden",
                                                                     "reload_failed",
                                                                     "deadline_exceeded",
                                                                     "other"};
// Route answers with found:false, by reason (indexed by alloc::NoRouteReason).
inline constexpr size_t kNoRouteReasons = 8;
// Journal events (indexed by alloc::EventType).
inline constexpr size_t kEventTypes = 7;

size_t MetricOpIndex(std::string_view op);         // kMetricOps index; "other" if unknown
size_t MetricOutcomeIndex(std::string_view code);  // kMetricOutcomes index
inline constexpr size_t kOpInvalid = 13;           // the line had no readable op
inline constexpr size_t kOutcomeOk = 0;

// A counter with one writing thread: a relaxed load and store, which compiles
// to a plain increment (no lock prefix); any thread may read it.
class OwnedCounter {
 public:
  void Add(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A Prometheus-style histogram of nanosecond durations with fixed bucket
// bounds (1 µs to 10 s). `Writer` is OwnedCounter for one writing thread.
inline constexpr std::array<uint64_t, 16> kLatencyBoundsNs = {
    1'000,      2'500,       5'000,         10'000,        25'000,    50'000,
    100'000,    250'000,     500'000,       1'000'000,     2'500'000, 5'000'000,
    10'000'000, 100'000'000, 1'000'000'000, 10'000'000'000};

class DurationHistogram {
 public:
  void Record(uint64_t ns) {
    size_t i = 0;
    while (i < kLatencyBoundsNs.size() && ns > kLatencyBoundsNs[i]) ++i;
    buckets_[i].Add();  // buckets_[size]: above the last bound
    sum_ns_.Add(ns);
  }
  // Non-cumulative count of bucket i (i == kLatencyBoundsNs.size(): +Inf).
  uint64_t Bucket(size_t i) const { return buckets_[i].Get(); }
  uint64_t SumNs() const { return sum_ns_.Get(); }

 private:
  std::array<OwnedCounter, kLatencyBoundsNs.size() + 1> buckets_{};
  OwnedCounter sum_ns_;
};

// One I/O thread's request counters (it is their only writer).
struct ThreadMetrics {
  std::array<std::array<OwnedCounter, kMetricOutcomes.size()>, kMetricOps.size()> requests{};
  std::array<DurationHistogram, kMetricOps.size()> latency{};
  OwnedCounter routes_found;
  std::array<OwnedCounter, kNoRouteReasons> routes_not_found{};
};

// Every counter of the daemon, summed over the threads when read.
class Metrics {
 public:
  // A counter set for one more writing thread (at setup; the set lives as
  // long as the Metrics).
  ThreadMetrics& AddThread();

  // Sum over threads (call from any thread).
  uint64_t Requests(size_t op, size_t outcome) const;
  uint64_t LatencyBucket(size_t op, size_t bucket) const;
  uint64_t LatencySumNs(size_t op) const;
  uint64_t RoutesFound() const;
  uint64_t RoutesNotFound(size_t reason) const;

  // Journal events confirmed since start (CountingEventLog), by type.
  void CountEvent(alloc::EventType type) {
    events_[static_cast<size_t>(type)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t Events(alloc::EventType type) const {
    return events_[static_cast<size_t>(type)].load(std::memory_order_relaxed);
  }

  // Data loaded and the journal replayed: /readyz answers 200 from then on.
  void SetReady() { ready_.store(true, std::memory_order_release); }
  bool ready() const { return ready_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;              // guards the list only, never a counter
  std::deque<ThreadMetrics> threads_;  // deque: elements never move
  std::array<std::atomic<uint64_t>, kEventTypes> events_{};
  std::atomic<bool> ready_{false};
};

// Forwards every event to `inner` and counts it by type.
class CountingEventLog : public alloc::EventLog {
 public:
  CountingEventLog(alloc::EventLog& inner, Metrics& metrics) : inner_(inner), metrics_(metrics) {}
  uint64_t Append(const alloc::ReservationEvent& event) override {
    metrics_.CountEvent(event.type);
    return inner_.Append(event);
  }
  uint64_t Append(const alloc::StockSetEvent& event) override {
    metrics_.CountEvent(alloc::EventType::kStockSet);
    return inner_.Append(event);
  }
  uint64_t Append(const alloc::StoreEvent& event) override {
    metrics_.CountEvent(event.type);
    return inner_.Append(event);
  }

 private:
  alloc::EventLog& inner_;
  Metrics& metrics_;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_METRICS_H_
