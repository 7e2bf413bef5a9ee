#include "geo/distance.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace hourglass::geo {
namespace {

constexpr double kRadPerDeg = std::numbers::pi / 180.0;

}  // namespace

double CosLat(LatLon p) { return std::cos(p.lat_deg * kRadPerDeg); }

double HaversineKm(LatLon a, LatLon b) { return HaversineKm(a, b, CosLat(a), CosLat(b)); }

double HaversineKm(LatLon a, LatLon b, double cos_lat_a, double cos_lat_b) {
  const double dlat = b.lat_deg * kRadPerDeg - a.lat_deg * kRadPerDeg;
  const double dlon = (b.lon_deg - a.lon_deg) * kRadPerDeg;
  const double s_lat = std::sin(dlat / 2);
  const double s_lon = std::sin(dlon / 2);
  const double h = s_lat * s_lat + cos_lat_a * cos_lat_b * s_lon * s_lon;
  // Clamp: rounding can push h a hair above 1 for antipodal points.
  return 2.0 * kEarthRadiusKm * std::asin(std::sqrt(std::min(1.0, h)));
}

std::array<double, 3> UnitVector(LatLon p) {
  const double lat = p.lat_deg * kRadPerDeg;
  const double lon = p.lon_deg * kRadPerDeg;
  return {std::cos(lat) * std::cos(lon), std::cos(lat) * std::sin(lon), std::sin(lat)};
}

double ChordForArcKm(double arc_km) {
  const double angle = std::min(arc_km / kEarthRadiusKm, std::numbers::pi);
  return 2.0 * std::sin(angle / 2);
}

}  // namespace hourglass::geo
