// A store's delivery zone: the area it delivers to, as one or more polygons
// in WGS84 degrees (typically an isochrone exported from OSRM, Valhalla or
// GraphHopper). It replaces the circle of radius_km around the store.
//
// Geometry is planar in (longitude, latitude): edges are straight lines in
// degrees, not great circles. At city scale (a zone spans a few tens of km)
// a point's side of an edge differs between the two by centimetres to metres,
// below the accuracy of any isochrone. kMaxZoneSpanDeg keeps zones at that
// scale, and also refuses a ring that crosses the antimeridian (in planar
// lon/lat it would wrap the wrong way round the earth).
//
// Built and validated once by Make, then immutable: any number of threads may
// call Contains and MaxDistanceKm at once. Copies share the same geometry.
// Pure logic: no files (io/zone_loader.h reads GeoJSON).
#ifndef HOURGLASS_GEO_DELIVERY_ZONE_H_
#define HOURGLASS_GEO_DELIVERY_ZONE_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "geo/lat_lon.h"

namespace hourglass::geo {

// Positions in one zone, over all its rings. Contains is linear in the vertex
// count; real isochrones have hundreds to a few thousand.
inline constexpr size_t kMaxZonePositions = 100'000;

// Widest latitude or longitude extent of a zone, in degrees (10 degrees of
// latitude is about 1,100 km): beyond that the planar model above no longer
// holds, and such a box usually means an antimeridian crossing or swapped
// coordinates.
inline constexpr double kMaxZoneSpanDeg = 10.0;

// One ring: positions in order, closed (the last equals the first exactly).
using ZoneRing = std::vector<LatLon>;
// One polygon: the outer ring first, then any holes.
using ZonePolygon = std::vector<ZoneRing>;

// Why `polygon` cannot be part of a zone, or "" when it can. Checks, in this
// order: at least one ring; each ring has at least 4 positions (3 corners and
// the first repeated) and is closed; every position is a valid LatLon; the
// polygon is valid in the OGC sense once its orientation is corrected (no
// ring crosses itself or another, holes lie inside the outer ring and do not
// nest or cut the interior apart). Rings are numbered from 0 as in a GeoJSON
// coordinates array ("ring 1 (a hole), position 3: ..."), so a caller can
// prefix where the polygon came from.
std::string ZonePolygonProblem(const ZonePolygon& polygon);

class DeliveryZone {
 public:
  // The zone covering the union of `polygons`. Each polygon must pass
  // ZonePolygonProblem; rings are never closed for the caller (GeoJSON
  // requires closed rings, and an open one may be a truncated export). Either
  // orientation is accepted: outer rings and holes are reoriented here.
  // Polygons may overlap or touch and are merged, so a collection of nested
  // contours (10, 20, 30 min) becomes the largest of them. On failure returns
  // nullopt and sets `why` ("polygon 2: ring 0 (the outer ring) is not closed: ...").
  static std::optional<DeliveryZone> Make(std::vector<ZonePolygon> polygons, std::string& why);

  // True when `p` is inside the zone or on its boundary (a hole's edge
  // counts as inside, the hole itself does not). A bounding-box test rejects
  // far points before the polygon test.
  bool Contains(LatLon p) const;

  // Largest haversine distance from `from` to any vertex of the zone: an
  // upper bound of the distance to any point of it (the farthest point of a
  // straight edge is one of its ends), for bounding a search around a store.
  double MaxDistanceKm(LatLon from) const;

  // Disjoint polygons left after merging (for logs and tests).
  size_t polygon_count() const;
  // The merged polygons' outer rings (for drawing the zone on a map).
  std::vector<ZoneRing> OuterRings() const;

 private:
  struct Shape;
  explicit DeliveryZone(std::shared_ptr<const Shape> shape);

  std::shared_ptr<const Shape> shape_;  // never null
  // Bounding box, here rather than in Shape so a reject reads no more memory.
  double min_lat_ = 0, max_lat_ = 0, min_lon_ = 0, max_lon_ = 0;
};

}  // namespace hourglass::geo

#endif  // HOURGLASS_GEO_DELIVERY_ZONE_H_
