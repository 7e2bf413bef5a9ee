// Great-circle distance on a spherical earth, and the 3-D unit vectors the
// store index uses (chord length grows monotonically with arc length, so a
// box in 3-D is a cheap, exact-enough pre-filter before haversine).
#ifndef HOURGLASS_GEO_DISTANCE_H_
#define HOURGLASS_GEO_DISTANCE_H_

#include <array>

#include "geo/lat_lon.h"

namespace hourglass::geo {

// IUGG mean earth radius; pinned by the routing contract.
inline constexpr double kEarthRadiusKm = 6371.0088;

// Haversine distance in kilometres.
double HaversineKm(LatLon a, LatLon b);
// The same, bit for bit, with cos(latitude) of each point given (CosLat):
// an index that keeps them for its stores saves two cosines per distance.
double HaversineKm(LatLon a, LatLon b, double cos_lat_a, double cos_lat_b);
double CosLat(LatLon p);

// Point on the unit sphere for `p`.
std::array<double, 3> UnitVector(LatLon p);

// Straight-line (chord) length on the unit sphere for an arc of `arc_km`.
double ChordForArcKm(double arc_km);

}  // namespace hourglass::geo

#endif  // HOURGLASS_GEO_DISTANCE_H_
