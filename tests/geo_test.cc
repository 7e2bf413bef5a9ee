#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "geo/distance.h"
#include "geo/eta.h"
#include "geo/store_index.h"
#include "tests/test_world.h"

namespace hourglass::geo {
namespace {

TEST(Haversine, OneDegreeOfLatitudeIsAnArcOfTheContractRadius) {
  // pi / 180 * 6371.0088
  EXPECT_NEAR(HaversineKm({30, 120}, {31, 120}), 111.19508, 1e-4);
  EXPECT_DOUBLE_EQ(HaversineKm({31.2, 121.4}, {31.2, 121.4}), 0.0);
}

TEST(Haversine, ShanghaiToBeijing) {
  // The GeoNames city centres; 1068.259 km by the spherical law of cosines
  // (an independent formula) on the same radius.
  EXPECT_NEAR(HaversineKm({31.22222, 121.45806}, {39.9075, 116.39723}), 1068.259, 1e-3);
}

TEST(Haversine, SymmetricAndAntipodalSafe) {
  EXPECT_DOUBLE_EQ(HaversineKm({10, 20}, {-5, 40}), HaversineKm({-5, 40}, {10, 20}));
  EXPECT_NEAR(HaversineKm({0, 0}, {0, 180}), M_PI * kEarthRadiusKm, 1e-6);
}

TEST(LatLon, RejectsOutOfRangeAndNonFinite) {
  EXPECT_TRUE(MakeLatLon(90, 180));
  EXPECT_TRUE(MakeLatLon(-90, -180));
  EXPECT_FALSE(MakeLatLon(90.0001, 0));
  EXPECT_FALSE(MakeLatLon(0, -180.5));
  EXPECT_FALSE(MakeLatLon(std::nan(""), 0));
  EXPECT_FALSE(MakeLatLon(0, INFINITY));
}

TEST(Eta, MatchesTheContractFormula) {
  const EtaModel eta{20.0, 1.3};
  // 10 + 5 km * 1.3 / 20 km/h * 60
  EXPECT_DOUBLE_EQ(eta.EtaMin(10, 5), 10 + 5 * 1.3 / 20 * 60);
  EXPECT_NEAR(eta.TravelMin(eta.ReachKm(50)), 50, 1e-9);
}

// 3,000 stores spread over 30 km around each of the test cities.
std::vector<LatLon> StoresAroundTheTestCities(std::mt19937_64& rng) {
  std::vector<LatLon> points;
  for (int i = 0; i < 3000; ++i) {
    points.push_back(testing::Around(rng, testing::TestCities()[i % 3], 30));
  }
  return points;
}

// The index must return exactly the stores a linear scan finds, distances included.
TEST(StoreIndex, AgreesWithLinearScan) {
  std::mt19937_64 rng(7);
  const std::vector<LatLon> points = StoresAroundTheTestCities(rng);
  const StoreIndex index(points);
  std::vector<NearbyStore> got;
  for (int q = 0; q < 500; ++q) {
    const LatLon center = testing::Around(rng, testing::TestCities()[q % 3], 35);
    const double reach = 0.5 + 15 * testing::Uniform(rng);
    got.clear();
    index.Within(center, reach, got);
    std::vector<uint32_t> want;
    for (uint32_t i = 0; i < points.size(); ++i) {
      if (HaversineKm(center, points[i]) <= reach) want.push_back(i);
    }
    std::vector<uint32_t> got_ids;
    for (const auto& n : got) {
      got_ids.push_back(n.store);
      EXPECT_DOUBLE_EQ(n.distance_km, HaversineKm(center, points[n.store]));
    }
    std::sort(got_ids.begin(), got_ids.end());
    ASSERT_EQ(got_ids, want) << "query " << q;
  }
}

// MayBeWithin hands out the stores before their distances: it must miss none
// that Within keeps (an inner ring included), and DistanceKm must give
// Within's distance exactly, so that filtering afterwards chooses the same.
TEST(StoreIndex, MayBeWithinKeepsEveryStoreWithinAndDistancesMatch) {
  std::mt19937_64 rng(11);
  const std::vector<LatLon> points = StoresAroundTheTestCities(rng);
  const StoreIndex index(points);
  std::vector<NearbyStore> within;
  std::vector<uint32_t> maybe;
  size_t extra = 0, kept = 0;
  for (int q = 0; q < 500; ++q) {
    const LatLon center = testing::Around(rng, testing::TestCities()[q % 3], 35);
    const double reach = 0.5 + 15 * testing::Uniform(rng);
    const double inner = q % 2 == 0 ? -1 : reach * testing::Uniform(rng);
    within.clear();
    maybe.clear();
    index.Within(center, reach, within, inner);
    index.MayBeWithin(center, reach, maybe, inner);
    std::vector<uint32_t> filtered;
    for (const uint32_t s : maybe) {
      const double d = index.DistanceKm(center, CosLat(center), s);
      EXPECT_DOUBLE_EQ(d, HaversineKm(center, points[s]));
      if (d <= reach) filtered.push_back(s);
    }
    std::vector<uint32_t> want;
    for (const auto& n : within) want.push_back(n.store);
    std::sort(want.begin(), want.end());
    std::sort(filtered.begin(), filtered.end());
    ASSERT_EQ(filtered, want) << "query " << q;
    extra += maybe.size() - filtered.size();
    kept += filtered.size();
  }
  // The chord test's slack lets through only a sliver beyond the reach.
  EXPECT_LT(extra, kept / 100 + 10);
}

TEST(StoreIndex, BoundaryStoreIsKept) {
  const std::vector<LatLon> points = {{31, 121}, {31.1, 121}};
  const StoreIndex index(points);
  std::vector<NearbyStore> got;
  index.Within({31, 121}, HaversineKm({31, 121}, {31.1, 121}), got);
  EXPECT_EQ(got.size(), 2u);
}

}  // namespace
}  // namespace hourglass::geo
