// The compact per-store layout against a std::map oracle: every SKU a store
// has must be found with its own units, and no other SKU may be, whatever the
// spread of the store's SKUs (dense, sparse over a million, clustered, at the
// top of the 32-bit range) and however many rows it has.
#include "alloc/store_rows.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "alloc/stock_table.h"

namespace hourglass::alloc {
namespace {

struct Built {
  std::unique_ptr<std::byte[]> block;
  StoreRows rows;
};

Built Build(const std::map<uint32_t, RowUnits>& want) {
  std::vector<StockRow> sorted;
  for (const auto& [sku, units] : want) sorted.push_back({SkuIdx{sku}, units});
  Built b;
  const size_t bytes = StoreRows::BlockBytes(sorted);
  b.block = std::make_unique<std::byte[]>(bytes);
  b.rows.BuildIn(sorted, b.block.get());
  return b;
}

void ExpectSame(const std::map<uint32_t, RowUnits>& want, const StoreRows& rows,
                std::span<const uint32_t> absent) {
  ASSERT_EQ(rows.size(), want.size());
  for (const auto& [sku, units] : want) {
    const RowUnits* got = rows.Find(SkuIdx{sku});
    ASSERT_NE(got, nullptr) << "sku " << sku;
    EXPECT_EQ(got->on_hand, units.on_hand) << "sku " << sku;
    EXPECT_EQ(got->reserved, units.reserved) << "sku " << sku;
  }
  for (const uint32_t sku : absent) {
    if (!want.contains(sku)) {
      EXPECT_EQ(rows.Find(SkuIdx{sku}), nullptr) << "sku " << sku;
    }
  }
  // The walk yields every row once, in SKU order, with its units.
  auto it = want.begin();
  rows.ForEach([&](SkuIdx sku, const RowUnits& units) {
    ASSERT_NE(it, want.end());
    EXPECT_EQ(Raw(sku), it->first);
    EXPECT_EQ(units.on_hand, it->second.on_hand);
    ++it;
  });
  EXPECT_EQ(it, want.end());
}

TEST(StoreRows, MatchesAMapForEverySpread) {
  std::mt19937 rng(7);
  struct Case {
    uint32_t rows;
    uint32_t lo, hi;  // SKUs drawn from [lo, hi]
  };
  const uint32_t top = std::numeric_limits<uint32_t>::max();
  const std::vector<Case> cases = {
      {1, 0, 0},           {1, top, top},          {2, 0, top},
      {17, 0, 40},         {1000, 0, 20'000},      {2000, 0, 2000},
      {300, 0, 1'000'000}, {10, 0, 1'000'000'000}, {5000, top - 100'000, top},
      {70'000, 0, 80'000}, {3, 65'535, 65'537},    {64, 1'000'000, 1'000'063}};
  for (const Case& c : cases) {
    std::uniform_int_distribution<uint32_t> sku(c.lo, c.hi);
    std::map<uint32_t, RowUnits> want;
    while (want.size() < c.rows) {
      const uint32_t k = sku(rng);
      want[k] = {static_cast<int32_t>(k % 1000), static_cast<int32_t>(k % 7)};
    }
    const Built b = Build(want);
    std::vector<uint32_t> absent;
    for (int i = 0; i < 5000; ++i) absent.push_back(sku(rng));
    for (const auto& [k, units] : want) {  // the neighbours of every row
      absent.push_back(k - 1);
      absent.push_back(k + 1);
    }
    absent.push_back(0);
    absent.push_back(top);
    SCOPED_TRACE(testing::Message() << c.rows << " rows in [" << c.lo << ", " << c.hi << "]");
    ExpectSame(want, b.rows, absent);
  }
}

TEST(StoreRows, ClusteredSkusStillFitTheirBuckets) {
  // A store whose SKUs crowd into a few places (a chain's own brands, say):
  // buckets are uneven, lookups must not care.
  std::map<uint32_t, RowUnits> want;
  for (uint32_t k = 500; k < 900; ++k) want[k] = {1, 0};
  for (uint32_t k = 900'000; k < 900'003; ++k) want[k] = {2, 0};
  want[4'000'000] = {3, 0};
  const Built b = Build(want);
  const std::vector<uint32_t> absent = {0, 499, 900, 899'999, 900'003, 3'999'999, 4'000'001};
  ExpectSame(want, b.rows, absent);
}

TEST(StoreRows, NoRowsNeedNoBlock) {
  EXPECT_EQ(StoreRows::BlockBytes({}), 0u);
  StoreRows rows;
  rows.BuildIn({}, nullptr);
  EXPECT_EQ(rows.Find(SkuIdx{0}), nullptr);
  EXPECT_EQ(rows.Find(SkuIdx{12345}), nullptr);
  int seen = 0;
  rows.ForEach([&](SkuIdx, const RowUnits&) { ++seen; });
  EXPECT_EQ(seen, 0);
}

// Rows added after Seal (stock.set of a new SKU, a replayed hold) move the
// store out of the arena; every other row must keep its units, holds included.
TEST(StockTableRows, RowsAddedAfterSealKeepEveryOtherRow) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint32_t> sku(0, 50'000);
  StockTable t(3);
  std::map<uint32_t, int32_t> want;  // store 1's on_hand
  while (want.size() < 800) {
    const uint32_t k = sku(rng);
    if (want.emplace(k, static_cast<int32_t>(k % 50 + 1)).second)
      t.LoadRow(StoreIdx{1}, SkuIdx{k}, want[k]);
  }
  t.LoadRow(StoreIdx{0}, SkuIdx{5}, 9);
  ASSERT_FALSE(t.Seal().has_value());
  const uint32_t first = want.begin()->first;
  ASSERT_TRUE(t.TryHold(StoreIdx{1}, std::vector<Line>{{SkuIdx{first}, 1}}));
  for (int i = 0; i < 200; ++i) {
    const uint32_t k =
        i % 2 ? sku(rng) : 60'000 + static_cast<uint32_t>(i);  // inside and past the range
    t.Set(StoreIdx{1}, SkuIdx{k}, 3);
    want[k] = 3;
  }
  t.ForceHold(StoreIdx{2}, std::vector<Line>{{SkuIdx{77}, 2}});  // a store with no rows gains one
  EXPECT_EQ(t.RowCount(StoreIdx{1}), want.size());
  for (const auto& [k, on_hand] : want) {
    const StockLevel l = t.Level(StoreIdx{1}, SkuIdx{k});
    ASSERT_TRUE(l.known) << k;
    EXPECT_EQ(l.on_hand, on_hand) << k;
    EXPECT_EQ(l.reserved, k == first ? 1 : 0) << k;
  }
  EXPECT_EQ(t.Level(StoreIdx{0}, SkuIdx{5}).on_hand, 9);
  EXPECT_EQ(t.Level(StoreIdx{2}, SkuIdx{77}).reserved, 2);
  EXPECT_FALSE(t.Level(StoreIdx{0}, SkuIdx{77}).known);
  EXPECT_EQ(t.rows(), want.size() + 2);
}

}  // namespace
}  // namespace hourglass::alloc
