#include "geo/delivery_zone.h"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>

#include "geo/distance.h"

// g++ 12 at -O2 reports -Wmaybe-uninitialized inside Boost.Geometry's union_
// (overlay/sort_by_side.hpp: a Point filled on every path through a loop it
// cannot follow), which would fail the -Werror build. Clang has no such
// warning and would reject the pragma.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/geometry.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace hourglass::geo {
namespace {

namespace bg = boost::geometry;
// x = longitude, y = latitude; clockwise outer rings, closed (Boost's defaults).
using Point = bg::model::d2::point_xy<double>;
using Polygon = bg::model::polygon<Point>;
using MultiPolygon = bg::model::multi_polygon<Polygon>;
using Box = bg::model::box<Point>;

std::string Num(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string Where(LatLon p) { return "lat " + Num(p.lat_deg) + ", lon " + Num(p.lon_deg); }

std::string RingName(size_t r) {
  return "ring " + std::to_string(r) + (r == 0 ? " (the outer ring)" : " (a hole)");
}

// Boost's validity message carries the offending point for spikes and
// self-intersections ("... found at (121.5, 31.2); ..."); a person fixing a
// 500-vertex isochrone needs it. Its format is not an API, hence optional.
std::optional<LatLon> PointInMessage(const std::string& message) {
  static constexpr std::string_view kAt = " at (";
  const size_t at = message.find(kAt);
  if (at == std::string::npos) return std::nullopt;
  const char* p = message.data() + at + kAt.size();
  const char* end = message.data() + message.size();
  LatLon ll;
  auto r = std::from_chars(p, end, ll.lon_deg);
  if (r.ec != std::errc() || end - r.ptr < 2 || r.ptr[0] != ',' || r.ptr[1] != ' ') {
    return std::nullopt;
  }
  r = std::from_chars(r.ptr + 2, end, ll.lat_deg);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != ')') return std::nullopt;
  return ll;
}

std::string Invalidity(bg::validity_failure_type failure, const std::string& boost_message) {
  const auto at = PointInMessage(boost_message);
  const std::string near = at ? " near " + Where(*at) : "";
  switch (failure) {
    case bg::failure_few_points:
      return "a ring has fewer than 3 distinct corners";
    case bg::failure_wrong_topological_dimension:
      return "a ring has no area (its corners lie on one line)";
    case bg::failure_wrong_orientation:
      // Left after correct() only by a ring whose signed area is zero.
      return "a ring encloses no area: its corners lie on one line, or it crosses itself so that "
             "its loops cancel out (a figure eight)";
    case bg::failure_spikes:
      return "the boundary runs out and straight back along itself (a spike)" + near +
             "; remove the spike's apex";
    case bg::failure_self_intersections:
      return "the boundary crosses itself" + near +
             " (a ring crosses itself, or a hole crosses the outer ring or another hole); repair "
             "it, e.g. with QGIS \"Fix geometries\" or shapely make_valid";
    case bg::failure_interior_rings_outside:
      return "a hole is not inside the outer ring (ring 0 must be the outer boundary, then the "
             "holes)";
    case bg::failure_nested_interior_rings:
      return "a hole lies inside another hole; an island in a hole must be a polygon of its own";
    case bg::failure_disconnected_interior:
      return "its holes cut the interior into separate pieces; make each piece a polygon of its "
             "own";
    default:
      return "is not a valid polygon: " + boost_message;
  }
}

Point ToPoint(LatLon p) { return Point(p.lon_deg, p.lat_deg); }

Polygon ToPolygon(const ZonePolygon& rings) {
  Polygon poly;
  for (const LatLon& p : rings[0]) poly.outer().push_back(ToPoint(p));
  poly.inners().resize(rings.size() - 1);
  for (size_t r = 1; r < rings.size(); ++r) {
    for (const LatLon& p : rings[r]) poly.inners()[r - 1].push_back(ToPoint(p));
  }
  bg::correct(poly);  // orientation only: rings are already closed
  return poly;
}

// ZonePolygonProblem's validity part, on a polygon already converted.
std::string ValidityProblem(const Polygon& poly) {
  bg::validity_failure_type failure = bg::no_failure;
  if (bg::is_valid(poly, failure)) return "";
  std::string message;
  bg::is_valid(poly, message);
  return Invalidity(failure, message);
}

// Checks everything ZonePolygonProblem does except validity, which needs the
// Boost polygon.
std::string ShapeProblem(const ZonePolygon& rings) {
  if (rings.empty()) return "has no rings; expected an outer ring, then any holes";
  size_t positions = 0;
  for (size_t r = 0; r < rings.size(); ++r) {
    const ZoneRing& ring = rings[r];
    if (ring.size() < 4) {
      return RingName(r) + " has " + std::to_string(ring.size()) +
             " positions; a ring needs at least 4 (3 corners, then the first repeated to close "
             "it)";
    }
    for (size_t i = 0; i < ring.size(); ++i) {
      if (!IsValidLatitude(ring[i].lat_deg)) {
        return RingName(r) + ", position " + std::to_string(i) + ": latitude " +
               Num(ring[i].lat_deg) + " is outside [-90, 90]";
      }
      if (!IsValidLongitude(ring[i].lon_deg)) {
        return RingName(r) + ", position " + std::to_string(i) + ": longitude " +
               Num(ring[i].lon_deg) + " is outside [-180, 180]";
      }
    }
    if (ring.front().lat_deg != ring.back().lat_deg ||
        ring.front().lon_deg != ring.back().lon_deg) {
      return RingName(r) + " is not closed: its last position (" + Where(ring.back()) +
             ") must repeat its first (" + Where(ring.front()) + ")";
    }
    positions += ring.size();
  }
  if (positions > kMaxZonePositions) {
    return "has " + std::to_string(positions) + " positions; a zone may have at most " +
           std::to_string(kMaxZonePositions) + " (simplify the isochrone, e.g. to 10-50 m)";
  }
  return "";
}

}  // namespace

std::string ZonePolygonProblem(const ZonePolygon& polygon) {
  if (std::string problem = ShapeProblem(polygon); !problem.empty()) return problem;
  return ValidityProblem(ToPolygon(polygon));
}

struct DeliveryZone::Shape {
  MultiPolygon area;
};

DeliveryZone::DeliveryZone(std::shared_ptr<const Shape> shape) : shape_(std::move(shape)) {
  Box box;
  bg::envelope(shape_->area, box);
  min_lat_ = box.min_corner().y();
  max_lat_ = box.max_corner().y();
  min_lon_ = box.min_corner().x();
  max_lon_ = box.max_corner().x();
}

std::optional<DeliveryZone> DeliveryZone::Make(std::vector<ZonePolygon> polygons,
                                               std::string& why) {
  if (polygons.empty()) {
    why = "no polygons; a zone needs at least one";
    return std::nullopt;
  }
  size_t positions = 0;
  for (const ZonePolygon& rings : polygons) {
    for (const ZoneRing& ring : rings) positions += ring.size();
  }
  if (positions > kMaxZonePositions) {
    why = "the zone has " + std::to_string(positions) + " positions; it may have at most " +
          std::to_string(kMaxZonePositions) + " (simplify the isochrone, e.g. to 10-50 m)";
    return std::nullopt;
  }

  auto shape = std::make_shared<Shape>();
  for (size_t i = 0; i < polygons.size(); ++i) {
    std::string problem = ShapeProblem(polygons[i]);
    Polygon poly;
    if (problem.empty()) {
      poly = ToPolygon(polygons[i]);
      problem = ValidityProblem(poly);
    }
    if (!problem.empty()) {
      why = "polygon " + std::to_string(i) + ": " + problem;
      return std::nullopt;
    }
    // Disjoint parts are appended as they are; overlapping or touching ones
    // go through union_, which also keeps the multi-polygon valid.
    if (!bg::intersects(shape->area, poly)) {
      shape->area.push_back(std::move(poly));
      continue;
    }
    MultiPolygon merged;
    bg::union_(shape->area, poly, merged);
    shape->area = std::move(merged);
  }
  std::string message;
  if (!bg::is_valid(shape->area, message) || shape->area.empty()) {
    why = "the polygons could not be merged into one valid zone (" + message + ")";
    return std::nullopt;
  }

  DeliveryZone zone(std::move(shape));
  const double lat_span = zone.max_lat_ - zone.min_lat_;
  const double lon_span = zone.max_lon_ - zone.min_lon_;
  if (lat_span > kMaxZoneSpanDeg || lon_span > kMaxZoneSpanDeg) {
    why = "the zone spans " + Num(lat_span) + " degrees of latitude and " + Num(lon_span) +
          " of longitude; at most " + Num(kMaxZoneSpanDeg) +
          " are allowed (a delivery zone is city-sized; check for swapped coordinates or a ring "
          "crossing the antimeridian)";
    return std::nullopt;
  }
  return zone;
}

bool DeliveryZone::Contains(LatLon p) const {
  // Written so that a NaN coordinate is rejected too.
  if (!(p.lat_deg >= min_lat_ && p.lat_deg <= max_lat_ && p.lon_deg >= min_lon_ &&
        p.lon_deg <= max_lon_)) {
    return false;
  }
  return bg::covered_by(ToPoint(p), shape_->area);
}

double DeliveryZone::MaxDistanceKm(LatLon from) const {
  double max_km = 0;
  auto visit = [&](const Polygon::ring_type& ring) {
    for (const Point& v : ring) max_km = std::max(max_km, HaversineKm(from, {v.y(), v.x()}));
  };
  for (const Polygon& poly : shape_->area) {
    visit(poly.outer());
    for (const auto& hole : poly.inners()) visit(hole);
  }
  return max_km;
}

size_t DeliveryZone::polygon_count() const { return shape_->area.size(); }

std::vector<ZoneRing> DeliveryZone::OuterRings() const {
  std::vector<ZoneRing> rings;
  for (const auto& polygon : shape_->area) {
    ZoneRing& ring = rings.emplace_back();
    for (const auto& p : polygon.outer()) ring.push_back(LatLon{p.y(), p.x()});
  }
  return rings;
}

}  // namespace hourglass::geo
