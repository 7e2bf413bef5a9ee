#include "alloc/stock_table.h"

#include <gtest/gtest.h>

namespace hourglass::alloc {
namespace {

constexpr StoreIdx kStore{0};
constexpr SkuIdx kA{1};
constexpr SkuIdx kB{2};
constexpr SkuIdx kC{3};

StockTable MakeTable() {
  StockTable t(2);
  t.LoadRow(kStore, kB, 1);
  t.LoadRow(kStore, kA, 5);
  EXPECT_FALSE(t.Seal().has_value());
  return t;
}

TEST(StockTable, HoldIsAllOrNothing) {
  StockTable t = MakeTable();
  const std::vector<Line> too_much = {{kA, 2}, {kB, 2}};
  EXPECT_FALSE(t.TryHold(kStore, too_much));
  // The line that would have fitted was not held either.
  EXPECT_EQ(t.Level(kStore, kA).reserved, 0);
  const std::vector<Line> fits = {{kA, 2}, {kB, 1}};
  EXPECT_TRUE(t.TryHold(kStore, fits));
  EXPECT_EQ(t.Level(kStore, kA).available(), 3);
  EXPECT_EQ(t.Level(kStore, kB).available(), 0);
  EXPECT_FALSE(t.Covers(kStore, std::vector<Line>{{kB, 1}}));
}

TEST(StockTable, UnknownSkuOrStoreWithoutRowIsNotCovered) {
  StockTable t = MakeTable();
  EXPECT_FALSE(t.Covers(kStore, std::vector<Line>{{kC, 1}}));
  EXPECT_FALSE(t.Covers(StoreIdx{1}, std::vector<Line>{{kA, 1}}));
  EXPECT_FALSE(t.Level(StoreIdx{1}, kA).known);
}

TEST(StockTable, UnholdAndConsume) {
  StockTable t = MakeTable();
  const std::vector<Line> two = {{kA, 2}};
  ASSERT_TRUE(t.TryHold(kStore, two));
  t.Unhold(kStore, two);
  EXPECT_EQ(t.Level(kStore, kA).on_hand, 5);
  EXPECT_EQ(t.Level(kStore, kA).reserved, 0);
  ASSERT_TRUE(t.TryHold(kStore, two));
  t.Consume(kStore, two);
  EXPECT_EQ(t.Level(kStore, kA).on_hand, 3);
  EXPECT_EQ(t.Level(kStore, kA).reserved, 0);
}

TEST(StockTable, SetKeepsHoldsAndAddsNewSku) {
  StockTable t = MakeTable();
  ASSERT_TRUE(t.TryHold(kStore, std::vector<Line>{{kA, 4}}));
  StockLevel l = t.Set(kStore, kA, 2).level;
  EXPECT_EQ(l.on_hand, 2);
  EXPECT_EQ(l.reserved, 4);
  EXPECT_EQ(l.available(), 0);
  l = t.Set(kStore, kC, 7).level;
  EXPECT_TRUE(l.known);
  EXPECT_TRUE(t.Covers(kStore, std::vector<Line>{{kC, 7}}));
  EXPECT_EQ(t.rows(), 3u);
}

// The system of record reports levels that already include some of our
// commits: only the commits after its as_of_seq are deducted again.
TEST(StockTable, LevelAsOfSeqDeductsOnlyLaterCommits) {
  StockTable t = MakeTable();  // A: 5 on hand
  uint64_t seq = 100;
  auto commit = [&](int32_t qty) {
    const std::vector<Line> lines = {{kA, qty}};
    ASSERT_TRUE(t.TryHold(kStore, lines));
    t.Consume(kStore, lines, [&] { return ++seq; });
  };
  commit(1);  // seq 101
  commit(2);  // seq 102
  EXPECT_EQ(t.Level(kStore, kA).on_hand, 2);
  ASSERT_TRUE(t.TryHold(kStore, std::vector<Line>{{kA, 1}}));  // held, not committed
  // The ERP counted 20 after applying our commit 101 but not 102.
  StockTable::SetOutcome out = t.Set(kStore, kA, 20, 101);
  EXPECT_FALSE(out.stale);
  EXPECT_EQ(out.deducted, 2);
  EXPECT_EQ(out.level.on_hand, 18);
  EXPECT_EQ(out.level.reserved, 1);
  EXPECT_EQ(out.level.available(), 17);
  // As of 102: nothing more to deduct. Without as_of_seq: taken as of now.
  EXPECT_EQ(t.Set(kStore, kA, 20, 102).level.on_hand, 20);
  EXPECT_EQ(t.Set(kStore, kA, 20).level.on_hand, 20);
  // Other SKUs' commits do not count.
  EXPECT_EQ(t.Set(kStore, kB, 4, 100).deducted, 0);
}

TEST(StockTable, LevelAsOfForgottenHistoryIsRefused) {
  StockTable t = MakeTable();
  t.ForgetCommitsUpTo(500);
  const StockTable::SetOutcome out = t.Set(kStore, kA, 9, 499);
  EXPECT_TRUE(out.stale);
  EXPECT_EQ(out.history_from, 500u);
  EXPECT_EQ(t.Level(kStore, kA).on_hand, 5);  // unchanged
  EXPECT_EQ(t.Set(kStore, kA, 9, 500).level.on_hand, 9);
}

// The table keeps the latest 1,024 commits per store: older levels are
// refused, newer ones have exactly the later commits deducted.
TEST(StockTable, CommitHistoryKeepsTheLatestAndForgetsTheOldest) {
  StockTable t = MakeTable();
  t.Set(kStore, kA, 5000);
  uint64_t seq = 100;
  for (int i = 0; i < 1030; ++i) {  // seq 101 .. 1130, one unit each
    const std::vector<Line> lines = {{kA, 1}};
    ASSERT_TRUE(t.TryHold(kStore, lines));
    t.Consume(kStore, lines, [&] { return ++seq; });
  }
  const StockTable::SetOutcome old = t.Set(kStore, kA, 9, 105);
  EXPECT_TRUE(old.stale);
  EXPECT_EQ(old.history_from, 106u);  // 101..106 made way for the last six
  EXPECT_EQ(t.Set(kStore, kA, 5000, 106).deducted, 1024);
  EXPECT_EQ(t.Set(kStore, kA, 5000, 1000).deducted, 130);
  EXPECT_EQ(t.Set(kStore, kA, 5000, 1130).deducted, 0);
}

TEST(StockTable, SealReportsDuplicateRow) {
  StockTable t(1);
  t.LoadRow(kStore, kA, 1);
  t.LoadRow(kStore, kB, 1);
  t.LoadRow(kStore, kA, 2);
  const auto dup = t.Seal();
  ASSERT_TRUE(dup.has_value());
  EXPECT_EQ(dup->second, kA);
}

}  // namespace
}  // namespace hourglass::alloc
