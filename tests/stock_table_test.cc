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
  StockLevel l = t.Set(kStore, kA, 2);
  EXPECT_EQ(l.on_hand, 2);
  EXPECT_EQ(l.reserved, 4);
  EXPECT_EQ(l.available(), 0);
  l = t.Set(kStore, kC, 7);
  EXPECT_TRUE(l.known);
  EXPECT_TRUE(t.Covers(kStore, std::vector<Line>{{kC, 7}}));
  EXPECT_EQ(t.rows(), 3u);
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
