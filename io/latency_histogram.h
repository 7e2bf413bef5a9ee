// LatencyHistogram: a log-bucketed histogram of non-negative integer values (hourglass-bench
// and the server record nanoseconds), laid out like HdrHistogram with 7 bits kept below the leading
// one:
//   * values below 256 each have their own bucket (exact);
//   * every power of two [2^k, 2^(k+1)) above is split into 128 equal sub-buckets, so a bucket is
//     at most 1/128 of its lowest value wide.
// A quantile is reported as the highest value of its bucket (never above the exact maximum), so
// it is at most 0.8 % above the true one and never below it.
//
// Values from 2^kMaxBits up (about 18 minutes in nanoseconds) share the last bucket; count, min,
// max and sum stay exact for every value.
//
// Fixed size (4,353 counters, 34 KiB), no allocation, O(1) Record. Not thread-safe: give each
// connection (or I/O thread) its own and Merge them when the run is over.
#ifndef HOURGLASS_IO_LATENCY_HISTOGRAM_H_
#define HOURGLASS_IO_LATENCY_HISTOGRAM_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace hourglass::io {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;  // 128
  static constexpr int kMaxBits = 40;  // values >= 2^40 land in the last bucket
  // Every value below 2^kMaxBits has its bucket, plus one overflow bucket that starts at
  // 2^kMaxBits.
  static constexpr size_t kBuckets = (kMaxBits - kSubBucketBits + 1) * kSubBuckets + 1;

  void Record(uint64_t value) {
    ++counts_[Index(value)];
    ++count_;
    sum_ += value;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }

  // The smallest bucket-top value v such that at least `fraction` (in [0, 1]) of the recorded
  // values are <= v; 0 when empty.
  uint64_t Quantile(double fraction) const {
    if (count_ == 0) return 0;
    const double wanted = std::ceil(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count_));
    const uint64_t rank = std::clamp<uint64_t>(static_cast<uint64_t>(wanted), 1, count_);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(HighestInBucket(i), min(), max_);
    }
    return max_;
  }

  // Bucket geometry, public for tests.
  static size_t Index(uint64_t value) {
    if (value >= (uint64_t{1} << kMaxBits)) return kBuckets - 1;
    if (value < 2 * kSubBuckets) return static_cast<size_t>(value);
    // Keep the leading one and the 7 bits below it: value >> shift is in [128, 255].
    const int shift = std::bit_width(value) - 1 - kSubBucketBits;
    return static_cast<size_t>(shift) * kSubBuckets + static_cast<size_t>(value >> shift);
  }
  static uint64_t LowestInBucket(size_t index) {
    const int shift = index < 2 * kSubBuckets ? 0 : static_cast<int>(index / kSubBuckets) - 1;
    return (index - static_cast<size_t>(shift) * kSubBuckets) << shift;
  }
  static uint64_t HighestInBucket(size_t index) {
    if (index == kBuckets - 1) return std::numeric_limits<uint64_t>::max();
    return LowestInBucket(index + 1) - 1;
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_LATENCY_HISTOGRAM_H_
