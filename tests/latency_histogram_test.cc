#include "io/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace hourglass::io {
namespace {

TEST(LatencyHistogram, BucketsTileTheRangeWithinOnePercent) {
  uint64_t next_low = 0;
  for (size_t i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
    const uint64_t low = LatencyHistogram::LowestInBucket(i);
    const uint64_t high = LatencyHistogram::HighestInBucket(i);
    ASSERT_EQ(low, next_low) << "bucket " << i;
    ASSERT_LE(low, high);
    ASSERT_EQ(LatencyHistogram::Index(low), i);
    ASSERT_EQ(LatencyHistogram::Index(high), i);
    ASSERT_LE(static_cast<double>(high - low), static_cast<double>(low) / 128.0) << "bucket " << i;
    next_low = high + 1;
  }
  EXPECT_EQ(next_low, uint64_t{1} << LatencyHistogram::kMaxBits);
  EXPECT_EQ(LatencyHistogram::Index(next_low), LatencyHistogram::kBuckets - 1);
  EXPECT_EQ(LatencyHistogram::Index(UINT64_MAX), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogram, EmptyReportsZero) {
  const LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Quantile(0.5), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(LatencyHistogram, QuantilesMatchSortedSamplesWithinOnePercent) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(11.5, 1.2);  // ~100 us median, long tail, in ns
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (const double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * values.size())));
    const uint64_t exact = values[rank - 1];
    const uint64_t got = h.Quantile(q);
    EXPECT_GE(got, exact) << "q " << q;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * 1.01) << "q " << q;
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.Quantile(1.0), values.back());
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (uint64_t v = 1; v < 5000000; v = v * 3 / 2 + 1) {
    ((v & 1) != 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (const double q : {0.1, 0.5, 0.9, 0.99}) EXPECT_EQ(a.Quantile(q), all.Quantile(q));
}

TEST(LatencyHistogram, HugeValuesStayExactInMax) {
  LatencyHistogram h;
  h.Record(5);
  h.Record(uint64_t{1} << 50);
  EXPECT_EQ(h.Quantile(1.0), uint64_t{1} << 50);
  EXPECT_EQ(h.Quantile(0.5), 5u);
}

}  // namespace
}  // namespace hourglass::io
