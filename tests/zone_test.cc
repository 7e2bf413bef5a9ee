// Delivery zones: containment, the search bound, the checks of Make, and the
// GeoJSON loader (each accepted shape, each error by its message).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "geo/delivery_zone.h"
#include "geo/distance.h"
#include "io/load_error.h"
#include "io/zone_loader.h"

namespace hourglass {
namespace {

namespace fs = std::filesystem;
using geo::DeliveryZone;
using geo::LatLon;
using geo::ZonePolygon;
using geo::ZoneRing;

// A closed ring from (lon, lat) corners, in GeoJSON order; the first corner
// is repeated at the end.
ZoneRing Ring(std::initializer_list<std::pair<double, double>> lon_lat) {
  ZoneRing ring;
  for (auto [lon, lat] : lon_lat) ring.push_back({lat, lon});
  ring.push_back(ring.front());
  return ring;
}

ZoneRing Square(double lon0, double lat0, double side) {
  return Ring({{lon0, lat0}, {lon0 + side, lat0}, {lon0 + side, lat0 + side}, {lon0, lat0 + side}});
}

// The L of a 2x2 square without its top-right quarter [1, 2] x [1, 2].
ZoneRing LShape() { return Ring({{0, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 2}, {0, 2}}); }

DeliveryZone MakeOrDie(std::vector<ZonePolygon> polygons) {
  std::string why;
  auto zone = DeliveryZone::Make(std::move(polygons), why);
  EXPECT_TRUE(zone) << why;
  if (!zone) throw std::runtime_error(why);
  return std::move(*zone);
}

// Make's `why`, or "" when the zone is accepted.
std::string WhyNot(std::vector<ZonePolygon> polygons) {
  std::string why;
  return DeliveryZone::Make(std::move(polygons), why) ? "" : why;
}

::testing::AssertionResult Says(const std::string& message, const std::string& part) {
  if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << message << "\" does not say \"" << part << "\"";
}

bool In(const DeliveryZone& zone, double lon, double lat) { return zone.Contains({lat, lon}); }

// Great-circle distance from (0, 0) to (lat a, lon b) in degrees by Napier's
// rule for a right spherical triangle, cos c = cos a cos b: a formula
// independent of the haversine under test.
double NapierKm(double a_deg, double b_deg) {
  const double k = std::numbers::pi / 180;
  return std::acos(std::cos(a_deg * k) * std::cos(b_deg * k)) * geo::kEarthRadiusKm;
}

TEST(DeliveryZone, SquareWithAHole) {
  const DeliveryZone zone = MakeOrDie({{Square(0, 0, 4), Square(1, 1, 1)}});
  EXPECT_EQ(zone.polygon_count(), 1u);
  EXPECT_TRUE(In(zone, 3, 3));
  EXPECT_TRUE(In(zone, 0.5, 1.5));   // beside the hole
  EXPECT_FALSE(In(zone, 5, 2));      // east of the square
  EXPECT_FALSE(In(zone, 2, -0.1));   // south of it
  EXPECT_FALSE(In(zone, 1.5, 1.5));  // in the hole
  EXPECT_FALSE(In(zone, 1.5, 1.0 + 1e-9));
  // The boundary, outer and hole edges and corners alike, is inside.
  EXPECT_TRUE(In(zone, 0, 2));
  EXPECT_TRUE(In(zone, 4, 4));
  EXPECT_TRUE(In(zone, 1.5, 1));
  EXPECT_TRUE(In(zone, 2, 2));
  EXPECT_FALSE(In(zone, -1e-9, 2));
  EXPECT_FALSE(In(zone, std::nan(""), 2));
}

TEST(DeliveryZone, ConcaveShapeRejectsPointsInItsBoundingBox) {
  const DeliveryZone zone = MakeOrDie({{LShape()}});
  EXPECT_FALSE(In(zone, 1.5, 1.5));  // inside the 2x2 box, outside the L
  EXPECT_FALSE(In(zone, 1.9, 1.9));
  EXPECT_TRUE(In(zone, 0.5, 1.5));
  EXPECT_TRUE(In(zone, 1.5, 0.5));
  EXPECT_TRUE(In(zone, 1, 1));    // the reflex corner
  EXPECT_TRUE(In(zone, 1.5, 1));  // an inner edge
  EXPECT_FALSE(In(zone, 1.5, 1 + 1e-9));
}

TEST(DeliveryZone, EitherRingOrientationIsAccepted) {
  auto reversed = [](ZoneRing ring) {
    std::reverse(ring.begin(), ring.end());
    return ring;
  };
  const DeliveryZone clockwise_l = MakeOrDie({{reversed(LShape())}});
  EXPECT_FALSE(In(clockwise_l, 1.5, 1.5));
  EXPECT_TRUE(In(clockwise_l, 0.5, 1.5));
  EXPECT_TRUE(In(clockwise_l, 1.5, 0.5));
  // Square() winds counter-clockwise: holes wound like their outer ring, and
  // both rings wound against the GeoJSON rule.
  for (const ZonePolygon& p :
       {ZonePolygon{Square(0, 0, 1), Square(0.25, 0.25, 0.5)},
        ZonePolygon{reversed(Square(0, 0, 1)), Square(0.25, 0.25, 0.5)},
        ZonePolygon{reversed(Square(0, 0, 1)), reversed(Square(0.25, 0.25, 0.5))}}) {
    const DeliveryZone zone = MakeOrDie({p});
    EXPECT_TRUE(In(zone, 0.1, 0.1));
    EXPECT_FALSE(In(zone, 0.5, 0.5));
    EXPECT_FALSE(In(zone, 1.1, 0.5));
  }
}

TEST(DeliveryZone, MaxDistanceIsToTheFarthestVertexNotTheBoundingBox) {
  const DeliveryZone zone = MakeOrDie({{LShape()}});
  // From the corner (0, 0) the farthest vertices are (lon 2, lat 1) and
  // (lon 1, lat 2); the box corner (2, 2) is not part of the L.
  EXPECT_NEAR(zone.MaxDistanceKm({0, 0}), 248.629658, 1e-6);
  EXPECT_NEAR(zone.MaxDistanceKm({0, 0}), NapierKm(1, 2), 1e-6);
  EXPECT_LT(zone.MaxDistanceKm({0, 0}), NapierKm(2, 2) - 60);
  // From (lat 0, lon -1), outside: the vertex (lon 2, lat 1) is 3 degrees east, 1 north.
  EXPECT_NEAR(zone.MaxDistanceKm({0, -1}), NapierKm(1, 3), 1e-6);
  EXPECT_NEAR(zone.MaxDistanceKm({0, -1}), 351.613648, 1e-6);
}

TEST(DeliveryZone, MaxDistanceAtCityScale) {
  // A 0.02-degree square centred on a store. The southern corners are the
  // farthest: a degree of longitude is longer nearer the equator.
  const LatLon store{31.25, 121.5};
  const DeliveryZone zone = MakeOrDie({{Square(121.49, 31.24, 0.02)}});
  EXPECT_DOUBLE_EQ(zone.MaxDistanceKm(store), geo::HaversineKm(store, {31.24, 121.51}));
  EXPECT_GT(zone.MaxDistanceKm(store), geo::HaversineKm(store, {31.26, 121.51}) + 6e-5);
  // 0.01 degree of latitude is 1.111951 km; of longitude at 31.24 degrees, 0.950721 km.
  EXPECT_NEAR(zone.MaxDistanceKm(store), std::hypot(1.111951, 0.950721), 1e-4);
}

TEST(DeliveryZone, OverlappingPolygonsAreMerged) {
  const DeliveryZone zone = MakeOrDie({{Square(0, 0, 2)}, {Square(1, 1, 2)}});
  EXPECT_EQ(zone.polygon_count(), 1u);
  EXPECT_TRUE(In(zone, 0.5, 0.5));
  EXPECT_TRUE(In(zone, 1.5, 1.5));
  EXPECT_TRUE(In(zone, 2.5, 2.5));
  EXPECT_FALSE(In(zone, 2.5, 0.5));
  EXPECT_FALSE(In(zone, 0.5, 2.5));
  EXPECT_NEAR(zone.MaxDistanceKm({0, 0}), NapierKm(3, 3), 1e-6);
}

TEST(DeliveryZone, NestedContoursBecomeTheLargest) {
  const DeliveryZone big = MakeOrDie({{Square(0, 0, 3)}});
  const DeliveryZone nested = MakeOrDie({{Square(1, 1, 1)}, {Square(0, 0, 3)}, {Square(0, 0, 2)}});
  EXPECT_EQ(nested.polygon_count(), 1u);
  EXPECT_DOUBLE_EQ(nested.MaxDistanceKm({0.5, 0.5}), big.MaxDistanceKm({0.5, 0.5}));
  EXPECT_TRUE(In(nested, 2.9, 2.9));
  EXPECT_FALSE(In(nested, 3.1, 1));
}

TEST(DeliveryZone, DisjointPolygonsStayApart) {
  const DeliveryZone zone = MakeOrDie({{Square(0, 0, 1)}, {Square(2, 0, 1)}});
  EXPECT_EQ(zone.polygon_count(), 2u);
  EXPECT_TRUE(In(zone, 0.5, 0.5));
  EXPECT_TRUE(In(zone, 2.5, 0.5));
  EXPECT_FALSE(In(zone, 1.5, 0.5));  // the gap, inside the common bounding box
  // The farthest vertex from (0, 0) is on the second square: (lon 3, lat 1).
  EXPECT_NEAR(zone.MaxDistanceKm({0, 0}), NapierKm(1, 3), 1e-6);
}

TEST(DeliveryZone, RejectsBadRingsWithWhereAndWhat) {
  EXPECT_EQ(WhyNot({}), "no polygons; a zone needs at least one");
  EXPECT_EQ(WhyNot({{}}), "polygon 0: has no rings; expected an outer ring, then any holes");
  EXPECT_EQ(WhyNot({{Square(0, 0, 1)}, {Ring({{0, 0}, {1, 0}})}}),
            "polygon 1: ring 0 (the outer ring) has 3 positions; a ring needs at least 4 (3 "
            "corners, then the first repeated to close it)");
  ZoneRing open = Square(0, 0, 1);
  open.pop_back();
  EXPECT_EQ(WhyNot({{open}}),
            "polygon 0: ring 0 (the outer ring) is not closed: its last position (lat 1, lon 0) "
            "must repeat its first (lat 0, lon 0)");
  ZoneRing bad_hole = Square(1, 1, 1);
  bad_hole[2].lat_deg = 95;
  EXPECT_EQ(WhyNot({{Square(0, 0, 1)}, {Square(0, 0, 4), bad_hole}}),
            "polygon 1: ring 1 (a hole), position 2: latitude 95 is outside [-90, 90]");
  ZoneRing nan_lon = Square(0, 0, 1);
  nan_lon[1].lon_deg = std::nan("");
  EXPECT_TRUE(
      Says(WhyNot({{nan_lon}}), "polygon 0: ring 0 (the outer ring), position 1: longitude"));
  EXPECT_TRUE(Says(WhyNot({{nan_lon}}), "is outside [-180, 180]"));
}

TEST(DeliveryZone, RejectsInvalidPolygonsSayingWhere) {
  // A lopsided bow-tie: the edges (0,0)-(2,2) and (2,0)-(0,3) cross at (1.2, 1.2).
  EXPECT_TRUE(Says(WhyNot({{Ring({{0, 0}, {2, 2}, {2, 0}, {0, 3}})}}),
                   "polygon 0: the boundary crosses itself near lat 1.2, lon 1.2 (a ring crosses "
                   "itself, or a hole crosses the outer ring or another hole)"));
  // A symmetric one: its two loops cancel out.
  EXPECT_EQ(WhyNot({{Ring({{0, 0}, {2, 2}, {2, 0}, {0, 2}})}}),
            "polygon 0: a ring encloses no area: its corners lie on one line, or it crosses itself "
            "so that its loops cancel out (a figure eight)");
  EXPECT_TRUE(Says(WhyNot({{Square(0, 0, 1), Square(5, 5, 1)}}),
                   "polygon 0: a hole is not inside the outer ring"));
  EXPECT_TRUE(Says(WhyNot({{Square(0, 0, 10), Square(1, 1, 8), Square(2, 2, 6)}}),
                   "polygon 0: a hole lies inside another hole"));
  EXPECT_TRUE(Says(WhyNot({{Ring({{0, 0}, {1, 1}, {2, 2}})}}), "polygon 0: "));
  EXPECT_NE(WhyNot({{Ring({{0, 0}, {1, 1}, {2, 2}})}}), "");
  // A hole crossing the outer ring.
  EXPECT_TRUE(Says(WhyNot({{Square(0, 0, 2), Square(1, 0.5, 2)}}),
                   "polygon 0: the boundary crosses itself near"));
}

TEST(DeliveryZone, PolygonProblemNamesOnlyThePolygonsOwnParts) {
  EXPECT_EQ(geo::ZonePolygonProblem({Square(0, 0, 4), Square(1, 1, 1)}), "");
  EXPECT_EQ(geo::ZonePolygonProblem({Square(0, 0, 4), Ring({{1, 1}, {2, 1}})}),
            "ring 1 (a hole) has 3 positions; a ring needs at least 4 (3 corners, then the first "
            "repeated to close it)");
}

TEST(DeliveryZone, EnforcesItsLimits) {
  EXPECT_TRUE(Says(WhyNot({{Square(0, 0, 10.5)}}),
                   "the zone spans 10.5 degrees of latitude and 10.5 of longitude; at most 10"));
  EXPECT_EQ(WhyNot({{Square(0, 0, 9.5)}}), "");
  // Across the antimeridian a ring reads as a band round the world.
  EXPECT_TRUE(Says(WhyNot({{Ring({{179.9, 0}, {-179.9, 0}, {-179.9, 1}, {179.9, 1}})}}),
                   "degrees of latitude and 359.8 of longitude"));
  // Two polygons, each under the limit, over it together.
  auto circle = [](double lon0, size_t n) {
    ZoneRing ring;
    for (size_t i = 0; i < n; ++i) {
      const double a = 2 * std::numbers::pi * double(i) / double(n);
      ring.push_back({std::sin(a), lon0 + std::cos(a)});
    }
    ring.push_back(ring.front());
    return ring;
  };
  const size_t half = geo::kMaxZonePositions / 2;
  EXPECT_EQ(WhyNot({{circle(0, half)}, {circle(3, half)}}),
            "the zone has 100002 positions; it may have at most 100000 (simplify the isochrone, "
            "e.g. to 10-50 m)");
}

// ---- GeoJSON ----

class ZoneFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hourglass-zone-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& text) {
    std::ofstream(dir_ / "z.geojson") << text;
    return dir_ / "z.geojson";
  }

  DeliveryZone Load(const std::string& text) { return io::LoadZoneFile(Write(text)); }

  // The LoadError message with the directory cut off ("z.geojson: ..."), or
  // "" when the file loads.
  std::string ErrorOfFile(const fs::path& path) {
    try {
      io::LoadZoneFile(path);
    } catch (const io::LoadError& e) {
      std::string message = e.what();
      const std::string dir = dir_.string() + "/";
      if (message.rfind(dir, 0) == 0) message.erase(0, dir.size());
      return message;
    }
    return "";
  }
  std::string Error(const std::string& text) { return ErrorOfFile(Write(text)); }

  fs::path dir_;
};

// GeoJSON texts of a unit square at (lon, lat) and of rings.
std::string SquareRing(double lon, double lat) {
  auto pos = [](double x, double y) {
    return "[" + std::to_string(x) + "," + std::to_string(y) + "]";
  };
  return "[" + pos(lon, lat) + "," + pos(lon + 1, lat) + "," + pos(lon + 1, lat + 1) + "," +
         pos(lon, lat + 1) + "," + pos(lon, lat) + "]";
}
std::string PolygonJson(double lon, double lat) {
  return R"({"type":"Polygon","coordinates":[)" + SquareRing(lon, lat) + "]}";
}
std::string FeatureJson(const std::string& geometry) {
  return R"({"type":"Feature","properties":{"contour":30},"geometry":)" + geometry + "}";
}
std::string CollectionJson(const std::vector<std::string>& features) {
  std::string s = R"({"type":"FeatureCollection","features":[)";
  for (size_t i = 0; i < features.size(); ++i) s += (i ? "," : "") + features[i];
  return s + "]}";
}

TEST_F(ZoneFileTest, LoadsAPolygonWithAHoleInLonLatOrder) {
  const DeliveryZone zone = Load(R"({"type":"Polygon","coordinates":[
      [[121.0, 31.0], [122.0, 31.0], [122.0, 32.0], [121.0, 32.0], [121.0, 31.0]],
      [[121.4, 31.4], [121.4, 31.6], [121.6, 31.6], [121.6, 31.4], [121.4, 31.4]]]})");
  EXPECT_TRUE(zone.Contains({31.2, 121.2}));
  EXPECT_FALSE(zone.Contains({31.5, 121.5}));  // the hole
  EXPECT_FALSE(zone.Contains({121.2, 31.2}));  // swapped: not a valid point, not inside
  EXPECT_FALSE(zone.Contains({32.2, 121.2}));
}

TEST_F(ZoneFileTest, LoadsAMultiPolygon) {
  const DeliveryZone zone = Load(R"({"type":"MultiPolygon","coordinates":[[)" + SquareRing(0, 0) +
                                 "],[" + SquareRing(3, 0) + "]]}");
  EXPECT_EQ(zone.polygon_count(), 2u);
  EXPECT_TRUE(In(zone, 0.5, 0.5));
  EXPECT_TRUE(In(zone, 3.5, 0.5));
  EXPECT_FALSE(In(zone, 2, 0.5));
}

TEST_F(ZoneFileTest, LoadsAFeatureOfEitherGeometry) {
  EXPECT_TRUE(In(Load(FeatureJson(PolygonJson(5, 5))), 5.5, 5.5));
  const DeliveryZone multi =
      Load(FeatureJson(R"({"type":"MultiPolygon","coordinates":[[)" + SquareRing(5, 5) + "]]}"));
  EXPECT_TRUE(In(multi, 5.5, 5.5));
  EXPECT_FALSE(In(multi, 4.5, 5.5));
}

TEST_F(ZoneFileTest, MergesEveryAreaOfAFeatureCollectionAndSkipsTheRest) {
  const DeliveryZone zone = Load(CollectionJson({
      FeatureJson(R"({"type":"Point","coordinates":[0.5,0.5]})"),
      FeatureJson(PolygonJson(0, 0)),
      FeatureJson("null"),
      FeatureJson(R"({"type":"MultiPolygon","coordinates":[[)" + SquareRing(0.5, 0) + "],[" +
                  SquareRing(4, 4) + "]]}"),
      FeatureJson(R"({"type":"LineString","coordinates":[[9,9],[9.5,9.5]]})"),
  }));
  EXPECT_EQ(zone.polygon_count(), 2u);  // the two overlapping squares became one
  EXPECT_TRUE(In(zone, 0.2, 0.5));
  EXPECT_TRUE(In(zone, 1.3, 0.5));
  EXPECT_TRUE(In(zone, 4.5, 4.5));
  EXPECT_FALSE(In(zone, 2, 0.5));
  EXPECT_FALSE(In(zone, 9.2, 9.2));
}

TEST_F(ZoneFileTest, AcceptsIntegersAltitudeClockwiseRingsAndForeignMembers) {
  const DeliveryZone zone = Load(R"({"type":"Feature","id":7,"bbox":[0,0,2,2],"properties":null,
      "geometry":{"type":"Polygon","coordinates":[[[0,0,12.5],[0,2,12],[2,2,11],[2,0,10],[0,0,12.5]]]}})");
  EXPECT_TRUE(In(zone, 1, 1));
  EXPECT_TRUE(In(zone, 2, 2));
  EXPECT_FALSE(In(zone, 2.1, 1));
}

TEST_F(ZoneFileTest, FileErrors) {
  EXPECT_EQ(ErrorOfFile(dir_ / "missing.geojson"),
            "missing.geojson: cannot read the zone file (No such file or directory)");
  EXPECT_TRUE(Says(Error("{\"type\": \"Polygon\", "), "z.geojson: is not valid JSON ("));
  EXPECT_EQ(Error(std::string(io::kMaxZoneFileBytes + 1, ' ')),
            "z.geojson: is 16777217 bytes; a zone file may be at most 16777216 (simplify the "
            "isochrone)");
}

TEST_F(ZoneFileTest, WrongTypes) {
  EXPECT_EQ(Error("[1, 2]"),
            "z.geojson: must be a JSON object with a \"type\" (Polygon, MultiPolygon, Feature or "
            "FeatureCollection)");
  EXPECT_EQ(Error(R"({"coordinates": []})"),
            "z.geojson: has no \"type\" string; expected Polygon, MultiPolygon, Feature or "
            "FeatureCollection");
  EXPECT_EQ(Error(R"({"type":"LineString","coordinates":[[0,0],[1,1]]})"),
            "z.geojson: type \"LineString\" is not a zone; expected Polygon, MultiPolygon, Feature "
            "or FeatureCollection");
  EXPECT_EQ(Error(FeatureJson(R"({"type":"Point","coordinates":[0,0]})")),
            "z.geojson: geometry: a Point has no area; expected a Polygon or MultiPolygon");
  EXPECT_EQ(Error(FeatureJson("null")),
            "z.geojson: geometry: is null; expected a Polygon or MultiPolygon");
  EXPECT_EQ(Error(R"({"type":"Feature","properties":{}})"),
            "z.geojson: has no \"geometry\"; expected a Polygon or MultiPolygon");
  EXPECT_EQ(Error(CollectionJson({FeatureJson(PolygonJson(0, 0)), PolygonJson(0, 0)})),
            "z.geojson: features[1]: type is \"Polygon\"; expected \"Feature\"");
  EXPECT_EQ(
      Error(CollectionJson({FeatureJson(R"({"type":"GeometryCollection","geometries":[]})")})),
      "z.geojson: features[0].geometry: type \"GeometryCollection\" is not supported; "
      "expected a Polygon or MultiPolygon");
  EXPECT_EQ(Error(R"({"type":"FeatureCollection","features":{}})"),
            "z.geojson: features: must be an array of Feature objects");
  EXPECT_EQ(Error(R"({"type":"FeatureCollection"})"),
            "z.geojson: the FeatureCollection has no \"features\" array");
}

TEST_F(ZoneFileTest, NoPolygonFound) {
  EXPECT_EQ(Error(CollectionJson({})),
            "z.geojson: the FeatureCollection has no features; expected at least one with a "
            "Polygon or MultiPolygon geometry");
  EXPECT_EQ(Error(CollectionJson({
                FeatureJson(R"({"type":"LineString","coordinates":[[0,0],[1,1]]})"),
                FeatureJson(R"({"type":"Point","coordinates":[0,0]})"),
                FeatureJson(R"({"type":"LineString","coordinates":[[0,0],[2,2]]})"),
            })),
            "z.geojson: none of its 3 features has a Polygon or MultiPolygon geometry (skipped: "
            "LineString, Point); a zone needs an area: export the isochrone as polygons, not "
            "contour lines");
  EXPECT_EQ(Error(R"({"type":"MultiPolygon","coordinates":[]})"),
            "z.geojson: no polygons; a zone needs at least one");
}

TEST_F(ZoneFileTest, BadCoordinates) {
  EXPECT_EQ(Error(R"({"type":"Polygon"})"),
            "z.geojson: coordinates: missing or not an array; a Polygon needs an array of rings");
  EXPECT_EQ(Error(R"({"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]], 5]})"),
            "z.geojson: coordinates[1]: must be a polygon: an array of rings");
  EXPECT_EQ(Error(R"({"type":"Polygon","coordinates":[{"lon":0,"lat":0}]})"),
            "z.geojson: coordinates[0]: must be a ring: an array of [longitude, latitude] "
            "positions");
  EXPECT_EQ(Error(R"({"type":"Polygon","coordinates":[[[0,0],[1,"0"],[1,1],[0,0]]]})"),
            "z.geojson: coordinates[0][1]: must be a position: [longitude, latitude], or with "
            "altitude third");
  EXPECT_EQ(Error(R"({"type":"Polygon","coordinates":[[[0,0],[1],[1,1],[0,0]]]})"),
            "z.geojson: coordinates[0][1]: must be a position: [longitude, latitude], or with "
            "altitude third");
  EXPECT_EQ(Error(R"({"type":"Polygon","coordinates":[[[121.5,31.2],[121.6,31.2],
                      [31.3,121.6],[121.5,31.2]]]})"),
            "z.geojson: coordinates[0][2]: [31.3, 121.6] is not a [longitude, latitude] position "
            "(longitude within [-180, 180], latitude within [-90, 90]); the two look swapped: "
            "GeoJSON puts longitude first");
  EXPECT_EQ(Error(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,-181],[0,0]]]})"),
            "z.geojson: coordinates[0][2]: [1, -181] is not a [longitude, latitude] position "
            "(longitude within [-180, 180], latitude within [-90, 90])");
}

TEST_F(ZoneFileTest, BadRingsAndPolygonsNameTheirPlace) {
  EXPECT_EQ(Error(CollectionJson(
                {FeatureJson(PolygonJson(0, 0)), FeatureJson(R"({"type":"Polygon","coordinates":[
                                      [[0,0],[1,0],[0,0]]]})")})),
            "z.geojson: features[1].geometry.coordinates: ring 0 (the outer ring) has 3 "
            "positions; a ring needs at least 4 (3 corners, then the first repeated to close it)");
  EXPECT_EQ(Error(R"({"type":"MultiPolygon","coordinates":[[)" + SquareRing(0, 0) +
                  R"(],[[[5,5],[6,5],[6,6],[5,6]]]]})"),
            "z.geojson: coordinates[1]: ring 0 (the outer ring) is not closed: its last position "
            "(lat 6, lon 5) must repeat its first (lat 5, lon 5)");
  EXPECT_TRUE(
      Says(Error(FeatureJson(R"({"type":"Polygon","coordinates":[
                                          [[0,0],[2,2],[2,0],[0,3],[0,0]]]})")),
           "z.geojson: geometry.coordinates: the boundary crosses itself near lat 1.2, lon "
           "1.2 (a ring crosses itself, or a hole crosses the outer ring or another hole)"));
  EXPECT_TRUE(Says(Error(R"({"type":"MultiPolygon","coordinates":[[)" + SquareRing(0, 0) + "],[" +
                         SquareRing(12, 0) + "]]}"),
                   "z.geojson: the zone spans 1 degrees of latitude and 13 of longitude"));
}

TEST(ZoneFileSample, StoreS1ZoneIsAboutSixKilometresAndConcave) {
  const DeliveryZone zone =
      io::LoadZoneFile(fs::path(HOURGLASS_SOURCE_DIR) / "configs/sample/zones/S-1.geojson");
  const LatLon store{31.250119, 121.509653};  // S-0001 in configs/sample/stores.csv
  EXPECT_TRUE(zone.Contains(store));
  EXPECT_NEAR(zone.MaxDistanceKm(store), 6.0, 0.01);
  // 4 km south-east (bearing 150): beyond the notch, inside the bounding box.
  const double k = std::numbers::pi / 180;
  const LatLon se{store.lat_deg + 4 * std::cos(150 * k) / 111.195,
                  store.lon_deg + 4 * std::sin(150 * k) / (111.195 * std::cos(store.lat_deg * k))};
  EXPECT_FALSE(zone.Contains(se));
  const LatLon north{store.lat_deg + 4 / 111.195, store.lon_deg};
  EXPECT_TRUE(zone.Contains(north));
}

}  // namespace
}  // namespace hourglass
