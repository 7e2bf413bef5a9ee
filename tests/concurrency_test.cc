// Many threads racing for scarce stock through the Allocator: never more
// units held than there were, and the books balance afterwards.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "alloc/allocator.h"
#include "tests/test_world.h"

namespace hourglass::alloc {
namespace {

TEST(Concurrency, RacingReservationsNeverOversell) {
  testing::WorldSpec spec;
  spec.stores = 30;
  spec.skus = 3;
  spec.stock_probability = 1.1;  // every store stocks every SKU ...
  spec.max_on_hand = 0;          // ... but nothing yet
  spec.spread_km = 2;
  auto inv = testing::MakeWorld(spec);
  // Scarce stock: a few units of the one SKU at a few stores.
  const SkuIdx sku = *inv->skus.Find("SKU-0");
  int32_t total = 0;
  for (uint32_t s = 0; s < inv->Stores()->stores.size(); s += 3) {
    inv->stock.Set(StoreIdx{s}, sku, 7);
    total += 7;
  }
  Allocator allocator(*inv, geo::EtaModel{20, 1.3}, RouteDefaults{120, 900}, 3'600'000);

  constexpr int kThreads = 8;
  constexpr int kOrdersPerThread = 400;
  std::atomic<int> reserved{0};
  std::atomic<int> committed_units{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      AllocScratch scratch;
      const std::vector<OrderItem> items = {{"SKU-0", 1}};
      for (int i = 0; i < kOrdersPerThread; ++i) {
        const std::string order = "T" + std::to_string(t) + "-" + std::to_string(i);
        RouteRequest req;
        req.order = order;
        req.at = {testing::TestCities()[0].lat, testing::TestCities()[0].lon};
        req.items = items;
        req.reserve = true;
        // Every other order retries itself once, as a client after a timeout would.
        for (int attempt = 0; attempt < 1 + (i % 2); ++attempt) {
          const RouteResult& r = allocator.Route(req, 0, scratch);
          if (r.found && !r.already) reserved.fetch_add(1);
        }
        // Some orders cancel and free their unit for others; some pay.
        if (i % 4 == 0) {
          if (allocator.Release(order, 0).status == FinishStatus::kDone) reserved.fetch_sub(1);
        } else if (i % 4 == 1) {
          if (allocator.Commit(order, 0).status == FinishStatus::kDone) {
            committed_units.fetch_add(1);
            reserved.fetch_sub(1);
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();

  int32_t on_hand = 0;
  int32_t held = 0;
  for (uint32_t s = 0; s < inv->Stores()->stores.size(); ++s) {
    const StockLevel l = inv->stock.Level(StoreIdx{s}, sku);
    ASSERT_GE(l.on_hand, l.reserved) << "store " << s << " is oversold";
    on_hand += l.on_hand;
    held += l.reserved;
  }
  EXPECT_EQ(held, reserved.load());
  EXPECT_EQ(on_hand + committed_units.load(), total);
  EXPECT_EQ(static_cast<size_t>(held), allocator.book().Counts().held);
  // Demand (3,200 orders) far exceeds supply, so the race really happened.
  EXPECT_GT(committed_units.load(), 0);
  EXPECT_GT(held, 0);
}

}  // namespace
}  // namespace hourglass::alloc
