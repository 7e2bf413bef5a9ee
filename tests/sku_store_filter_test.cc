#include "alloc/sku_store_filter.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "alloc/stock_table.h"

namespace hourglass::alloc {
namespace {

// SKU s is stocked by `stores_per_sku[s]` stores, drawn at random from 0..stores-1.
std::vector<std::set<uint32_t>> RandomStocking(const std::vector<uint32_t>& stores_per_sku,
                                               uint32_t stores, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::set<uint32_t>> stocking(stores_per_sku.size());
  for (size_t s = 0; s < stores_per_sku.size(); ++s) {
    while (stocking[s].size() < stores_per_sku[s]) stocking[s].insert(rng() % stores);
  }
  return stocking;
}

TEST(SkuStoreFilter, NeverHidesAStoreThatStocksTheSkuAndHidesMostThatDoNot) {
  const uint32_t stores = 4000;
  const std::vector<uint32_t> counts = {1, 3, 16, 111, 235, 1000, 4000};
  const auto stocking = RandomStocking(counts, stores, 7);
  SkuStoreFilter filter;
  filter.Build(counts, 4);
  for (size_t s = 0; s < counts.size(); ++s) {
    for (const uint32_t store : stocking[s]) filter.Add(SkuIdx{uint32_t(s)}, StoreIdx{store});
  }
  size_t absent = 0;
  size_t let_through = 0;
  for (size_t s = 0; s < counts.size(); ++s) {
    for (uint32_t store = 0; store < stores; ++store) {
      const bool may = filter.MayStock(SkuIdx{uint32_t(s)}, StoreIdx{store});
      if (stocking[s].count(store) != 0) {
        ASSERT_TRUE(may) << "sku " << s << " store " << store;
      } else {
        ++absent;
        let_through += may ? 1 : 0;
      }
    }
  }
  // 4 bits per row, two bits per store in one word: about 15 % expected.
  EXPECT_LT(double(let_through) / double(absent), 0.25);
  EXPECT_GT(let_through,
            0u);  // a filter, not an exact set: the test would not see a regression to one
}

TEST(SkuStoreFilter, OffOrUnknownSkusLetEveryStoreThrough) {
  SkuStoreFilter off;
  off.Build(std::vector<uint32_t>{10, 10}, 0);
  EXPECT_TRUE(off.MayStock(SkuIdx{0}, StoreIdx{3}));
  EXPECT_EQ(off.bytes(), 3 * sizeof(uint32_t));

  SkuStoreFilter filter;
  filter.Build(std::vector<uint32_t>{0, 5}, 4);
  // SKU 0 had no store at Build, so it has no words: a row added later must still be found.
  filter.Add(SkuIdx{0}, StoreIdx{9});
  EXPECT_TRUE(filter.MayStock(SkuIdx{0}, StoreIdx{9}));
  EXPECT_TRUE(filter.MayStock(SkuIdx{0}, StoreIdx{10}));
  // A SKU interned after Build.
  EXPECT_TRUE(filter.MayStock(SkuIdx{2}, StoreIdx{1}));
}

// Covers, Spare and TryHold with the filters on answer what the rows say, for
// rows loaded at start and rows added after (stock.set, a replayed hold).
TEST(SkuStoreFilter, StockTableAnswersMatchTheRowsWithFiltersOnOrOff) {
  const uint32_t stores = 300;
  const uint32_t skus = 60;
  std::mt19937 rng(11);
  for (const uint32_t bits : {0u, 1u, 4u, 32u}) {
    SCOPED_TRACE(bits);
    StockTable t(stores);
    t.set_filter_bits_per_row(bits);
    std::map<std::pair<uint32_t, uint32_t>, int32_t> oracle;  // (store, sku) -> on hand
    for (uint32_t sku = 0; sku < skus; ++sku) {
      const uint32_t stocked_by = 1 + rng() % 40;
      for (uint32_t i = 0; i < stocked_by; ++i) {
        const uint32_t store = rng() % stores;
        if (oracle.count({store, sku}) != 0) continue;
        const int32_t on_hand = int32_t(rng() % 3);
        oracle[{store, sku}] = on_hand;
        t.LoadRow(StoreIdx{store}, SkuIdx{sku}, on_hand);
      }
    }
    ASSERT_FALSE(t.Seal().has_value());
    // Rows after Seal: a level from the system of record for SKUs known and new.
    for (int i = 0; i < 200; ++i) {
      const uint32_t store = rng() % stores;
      const uint32_t sku = rng() % (skus + 5);
      oracle[{store, sku}] = 2;
      t.Set(StoreIdx{store}, SkuIdx{sku}, 2);
    }
    const uint32_t replayed_store = 5;
    const uint32_t replayed_sku = skus + 6;
    t.ForceHold(StoreIdx{replayed_store}, std::vector<Line>{{SkuIdx{replayed_sku}, 1}});
    EXPECT_FALSE(t.Covers(StoreIdx{replayed_store}, std::vector<Line>{{SkuIdx{replayed_sku}, 1}}));
    t.Set(StoreIdx{replayed_store}, SkuIdx{replayed_sku}, 3);
    oracle[{replayed_store, replayed_sku}] = 2;  // 3 on hand, 1 held

    for (int i = 0; i < 5000; ++i) {
      const uint32_t store = rng() % stores;
      std::vector<Line> lines;
      std::set<uint32_t> used;
      const size_t n = 1 + rng() % 3;
      while (lines.size() < n) {
        const uint32_t sku = rng() % (skus + 7);
        if (used.insert(sku).second) lines.push_back({SkuIdx{sku}, 1});
      }
      bool want = true;
      int32_t fewest = INT32_MAX;
      for (const Line& l : lines) {
        const auto it = oracle.find({store, Raw(l.sku)});
        const int32_t left = it == oracle.end() ? -1 : it->second - 1;
        want = want && left >= 0;
        fewest = std::min(fewest, left);
      }
      ASSERT_EQ(t.Covers(StoreIdx{store}, lines), want) << "store " << store;
      ASSERT_EQ(t.Spare(StoreIdx{store}, lines), want ? fewest : -1);
      if (want && rng() % 4 == 0) {
        ASSERT_TRUE(t.TryHold(StoreIdx{store}, lines));
        for (const Line& l : lines) --oracle[{store, Raw(l.sku)}];
      } else if (!want) {
        ASSERT_FALSE(t.TryHold(StoreIdx{store}, lines));
      }
    }
  }
}

}  // namespace
}  // namespace hourglass::alloc
