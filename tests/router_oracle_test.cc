// The router and allocator against a brute-force reference: for thousands of
// generated orders, the reference scans every store with the contract's
// formulas and its own copy of the stock; the allocator must choose the very
// same store (or give the same reason for none), including while reservations,
// commits and releases change the stock under it.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "alloc/allocator.h"
#include "geo/distance.h"
#include "tests/test_world.h"

namespace hourglass::alloc {
namespace {

using testing::Uniform;

constexpr double kSpeedKmh = 20;
constexpr double kDetour = 1.3;

struct RefItem {
  std::string sku;
  int32_t qty;
};

// The reference's own view of stock, keyed by names, mutated only by the
// reference logic below.
struct RefStock {
  std::map<std::pair<uint32_t, std::string>, std::pair<int32_t, int32_t>> levels;  // on_hand, held

  int32_t Available(uint32_t store, const std::string& sku) const {
    auto it = levels.find({store, sku});
    return it == levels.end() ? 0 : it->second.first - it->second.second;
  }
};

struct RefAnswer {
  bool found = false;
  std::string reason;
  uint32_t store = 0;
};

RefAnswer BruteForce(const Inventory& inv, const RefStock& ref, geo::LatLon at,
                     const std::vector<RefItem>& items, double within_min) {
  std::map<std::string, int32_t> need;
  for (const auto& item : items) need[item.sku] += item.qty;
  struct Cand {
    double eta;
    double dist;
    std::string id;
    uint32_t store;
  };
  std::vector<Cand> cands;
  bool in_range = false;
  for (uint32_t i = 0; i < inv.Stores()->stores.size(); ++i) {
    const Store& s = inv.Stores()->stores[StoreIdx{i}];
    const double d = geo::HaversineKm(at, s.at);
    if (d > s.radius_km) continue;
    in_range = true;
    const double eta = s.prep_min + d * kDetour / kSpeedKmh * 60;
    if (eta > within_min) continue;
    cands.push_back({eta, d, s.id, i});
  }
  RefAnswer a;
  if (cands.empty()) {
    a.reason = in_range ? "beyond_promise" : "no_store_in_range";
    return a;
  }
  std::sort(cands.begin(), cands.end(), [](const Cand& x, const Cand& y) {
    return std::tie(x.eta, x.dist, x.id) < std::tie(y.eta, y.dist, y.id);
  });
  for (const Cand& c : cands) {
    bool all = true;
    for (const auto& [sku, qty] : need) all = all && ref.Available(c.store, sku) >= qty;
    if (all) {
      a.found = true;
      a.store = c.store;
      return a;
    }
  }
  a.reason = "out_of_stock";
  return a;
}

TEST(RouterOracle, ThousandsOfOrdersMatchBruteForce) {
  testing::WorldSpec spec;
  spec.stores = 400;
  spec.skus = 40;
  spec.stock_probability = 0.6;
  spec.max_on_hand = 5;
  auto inv = testing::MakeWorld(spec);
  RefStock ref;
  for (uint32_t s = 0; s < inv->Stores()->stores.size(); ++s) {
    for (int k = 0; k < spec.skus; ++k) {
      const StockLevel l = inv->stock.Level(StoreIdx{s}, *inv->skus.Find(testing::SkuName(k)));
      if (l.known) ref.levels[{s, testing::SkuName(k)}] = {l.on_hand, 0};
    }
  }
  Allocator allocator(*inv, geo::EtaModel{kSpeedKmh, kDetour}, RouteDefaults{60, 900}, 3'600'000);
  AllocScratch scratch;
  std::mt19937_64 rng(2026);
  std::map<std::string, std::pair<uint32_t, std::map<std::string, int32_t>>> held;
  std::map<std::string, int> outcomes;
  const double promises[] = {25, 40, 60, 90};

  for (int n = 0; n < 6000; ++n) {
    const geo::LatLon at = testing::Around(rng, testing::TestCities()[n % 3], 18);
    std::vector<RefItem> items;
    const int lines = 1 + static_cast<int>(rng() % 4);
    for (int l = 0; l < lines; ++l) {
      // Skewed towards popular SKUs, with repeats allowed (they must merge).
      const int k = static_cast<int>(spec.skus * Uniform(rng) * Uniform(rng));
      items.push_back({testing::SkuName(k), 1 + static_cast<int32_t>(rng() % 3)});
    }
    const double within = promises[rng() % 4];
    const bool reserve = n % 3 != 0;
    const std::string order = "O-" + std::to_string(n);

    const RefAnswer want = BruteForce(*inv, ref, at, items, within);
    std::vector<OrderItem> req_items;
    for (const auto& i : items) req_items.push_back({i.sku, i.qty});
    RouteRequest req;
    req.order = order;
    req.at = at;
    req.items = req_items;
    req.reserve = reserve;
    req.within_min = within;
    const RouteResult& got = allocator.Route(req, n, scratch);

    ASSERT_EQ(got.found, want.found) << "order " << n << " want reason " << want.reason;
    if (!want.found) {
      ASSERT_EQ(ReasonName(got.reason), want.reason) << "order " << n;
      ++outcomes[want.reason];
      continue;
    }
    ASSERT_EQ(inv->Stores()->stores[got.plan.primary().store].id,
              inv->Stores()->stores[StoreIdx{want.store}].id)
        << "order " << n;
    ++outcomes[reserve ? "reserved" : "quoted"];
    if (!reserve) continue;
    std::map<std::string, int32_t> need;
    for (const auto& i : items) need[i.sku] += i.qty;
    for (const auto& [sku, qty] : need) ref.levels[{want.store, sku}].second += qty;
    held[order] = {want.store, need};

    // Now and then finish an older order, in both worlds.
    if (n % 5 == 0 && !held.empty()) {
      auto it = held.begin();
      std::advance(it, static_cast<long>(rng() % held.size()));
      const bool commit = rng() % 2 == 0;
      const FinishResult r =
          commit ? allocator.Commit(it->first, n) : allocator.Release(it->first, n);
      ASSERT_EQ(r.status, FinishStatus::kDone);
      for (const auto& [sku, qty] : it->second.second) {
        auto& level = ref.levels[{it->second.first, sku}];
        level.second -= qty;
        if (commit) level.first -= qty;
      }
      held.erase(it);
    }
  }
  // The data must exercise every outcome, or the comparison proves little.
  EXPECT_GT(outcomes["reserved"], 1000);
  EXPECT_GT(outcomes["quoted"], 500);
  EXPECT_GT(outcomes["out_of_stock"], 100);
  EXPECT_GT(outcomes["no_store_in_range"], 10);
  EXPECT_GT(outcomes["beyond_promise"], 10);

  // Finally the two views of stock agree row by row.
  for (const auto& [key, level] : ref.levels) {
    const StockLevel l = inv->stock.Level(StoreIdx{key.first}, *inv->skus.Find(key.second));
    ASSERT_EQ(l.on_hand, level.first);
    ASSERT_EQ(l.reserved, level.second);
  }
}

TEST(RouterOracle, TieOnEtaAndDistanceFallsToStoreId) {
  testing::WorldSpec spec;
  spec.stores = 1;  // plus the twin "S-0999" at the same spot
  spec.skus = 1;
  spec.stock_probability = 1.1;
  auto inv = testing::MakeWorld(spec);
  inv->stock.Set(StoreIdx{0}, *inv->skus.Find("SKU-0"), 5);
  inv->stock.Set(StoreIdx{1}, *inv->skus.Find("SKU-0"), 5);
  Allocator allocator(*inv, geo::EtaModel{kSpeedKmh, kDetour}, RouteDefaults{60, 900}, 1000);
  AllocScratch scratch;
  const std::vector<OrderItem> items = {{"SKU-0", 1}};
  RouteRequest req;
  req.at = inv->Stores()->stores[StoreIdx{0}].at;
  req.items = items;
  const RouteResult& r = allocator.Route(req, 0, scratch);
  ASSERT_TRUE(r.found);
  EXPECT_EQ(inv->Stores()->stores[r.plan.primary().store].id, "S-0999");
}

// Without explain the allocator ranks lazily (nearest stores first, stopping
// at the first that has everything); with explain it ranks every store. Both
// must choose the same store for the same reason, also with per-city courier
// models and speed bands that make far stores fast and near ones slow.
TEST(RouterOracle, LazyRankingChoosesWhatFullRankingChooses) {
  testing::WorldSpec spec;
  spec.stores = 900;
  spec.skus = 40;
  spec.stock_probability = 0.3;
  spec.max_on_hand = 3;
  auto inv = testing::MakeWorld(spec);
  RoutingRules rules;
  rules.eta = geo::EtaModel{kSpeedKmh, kDetour};
  rules.city_eta["fast"] = geo::EtaModel{45, 1.1};
  rules.city_eta["slow"] = geo::EtaModel{9, 1.6};
  rules.speed_bands = {{17 * 60, 19 * 60, 0.6}, {22 * 60, 6 * 60, 1.5}};
  Allocator allocator(*inv, rules, 3'600'000);
  // A third of the stores get each city's couriers.
  const char* cities[] = {"", "fast", "slow"};
  for (uint32_t i = 0; i < inv->Stores()->stores.size(); ++i) {
    Store s = inv->Stores()->stores[StoreIdx{i}];
    s.city = cities[i % 3];
    // Some stores take no orders, so that the stock filters' skipping meets
    // stores that are rejected for other reasons (the reason must not change).
    s.paused = i % 7 < 3;
    ASSERT_EQ(allocator.ChangeStore(std::move(s), false, 0).status,
              Allocator::StoreChangeStatus::kDone);
  }
  AllocScratch lazy_scratch, full_scratch;
  std::mt19937_64 rng(7);
  std::map<std::string, int> outcomes;
  for (int n = 0; n < 4000; ++n) {
    const geo::LatLon at = testing::Around(rng, testing::TestCities()[n % 3], 16);
    std::vector<OrderItem> items;
    const std::string skus[] = {testing::SkuName(static_cast<int>(rng() % 40)),
                                testing::SkuName(static_cast<int>(rng() % 40))};
    for (int l = 0; l < 1 + static_cast<int>(rng() % 2); ++l) items.push_back({skus[l], 1});
    RouteRequest req;
    req.at = at;
    req.items = items;
    req.within_min = 20 + static_cast<double>(rng() % 60);
    const Now now(n, static_cast<int64_t>(rng() % 86'400'000));  // any time of day
    const RouteResult& lazy = allocator.Route(req, now, lazy_scratch);
    req.explain = true;
    const RouteResult& full = allocator.Route(req, now, full_scratch);
    ASSERT_EQ(lazy.found, full.found) << "order " << n;
    ASSERT_EQ(ReasonName(lazy.reason), ReasonName(full.reason)) << "order " << n;
    if (lazy.found) {
      ASSERT_EQ(lazy.plan.primary().store, full.plan.primary().store) << "order " << n;
      ASSERT_EQ(lazy.plan.primary().eta_min, full.plan.primary().eta_min) << "order " << n;
    }
    ++outcomes[lazy.found ? "found" : ReasonName(lazy.reason)];
  }
  EXPECT_GT(outcomes["found"], 1000);
  EXPECT_GT(outcomes["out_of_stock"], 100);
  EXPECT_GT(outcomes["no_store_in_range"] + outcomes["beyond_promise"], 20);
  EXPECT_GT(outcomes["stores_unavailable"], 20);
}

}  // namespace
}  // namespace hourglass::alloc
