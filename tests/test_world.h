// A small deterministic world for unit tests: stores scattered around a few
// city centres, a SKU catalogue, and stock — built in memory, no files.
#ifndef HOURGLASS_TESTS_TEST_WORLD_H_
#define HOURGLASS_TESTS_TEST_WORLD_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "alloc/inventory.h"

namespace hourglass::testing {

// Uniform double in [0, 1) from the engine's bits (std distributions are
// implementation-defined; these tests want the same data everywhere).
inline double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

struct City {
  double lat;
  double lon;
};

inline geo::LatLon Around(std::mt19937_64& rng, City c, double spread_km) {
  const double r = spread_km * std::sqrt(Uniform(rng));
  const double th = 2 * M_PI * Uniform(rng);
  return {c.lat + r * std::cos(th) / 111.32,
          c.lon + r * std::sin(th) / (111.32 * std::cos(c.lat * M_PI / 180))};
}

inline const std::vector<City>& TestCities() {
  static const std::vector<City> cities = {
      {31.2222, 121.4581}, {39.9075, 116.3972}, {30.5833, 114.2667}};
  return cities;
}

inline std::string SkuName(int i) { return "SKU-" + std::to_string(i); }

struct WorldSpec {
  uint64_t seed = 1;
  int stores = 300;
  int skus = 60;
  double stock_probability = 0.5;  // chance a store stocks a given SKU
  int max_on_hand = 4;
  double spread_km = 12;
};

// Stores get varied radius and prep time so every term of the ranking matters.
inline std::unique_ptr<alloc::Inventory> MakeWorld(const WorldSpec& spec) {
  std::mt19937_64 rng(spec.seed);
  std::vector<alloc::Store> stores;
  for (int i = 0; i < spec.stores; ++i) {
    const City& c = TestCities()[static_cast<size_t>(i) % TestCities().size()];
    alloc::Store s;
    s.id = "S-" + std::to_string(1000 + i);
    s.at = Around(rng, c, spec.spread_km);
    s.radius_km = 2 + 6 * Uniform(rng);
    s.prep_min = (i % 4 == 0) ? 10 : 5 + 20 * Uniform(rng);
    stores.push_back(s);
  }
  // Two stores at the very same spot with the same parameters: ties must
  // fall to the store id.
  stores.push_back(stores[0]);
  stores.back().id = "S-0999";
  auto inv = std::make_unique<alloc::Inventory>(std::move(stores));
  for (int k = 0; k < spec.skus; ++k) inv->skus.Intern(SkuName(k));
  for (uint32_t s = 0; s < inv->Stores()->stores.size(); ++s) {
    for (int k = 0; k < spec.skus; ++k) {
      if (Uniform(rng) >= spec.stock_probability) continue;
      const auto on_hand =
          static_cast<int32_t>(rng() % static_cast<uint64_t>(spec.max_on_hand + 1));
      inv->stock.LoadRow(alloc::StoreIdx{s}, *inv->skus.Find(SkuName(k)), on_hand);
    }
  }
  (void)inv->stock.Seal();
  return inv;
}

}  // namespace hourglass::testing

#endif  // HOURGLASS_TESTS_TEST_WORLD_H_
