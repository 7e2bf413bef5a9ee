// Reads a store's delivery zone from a GeoJSON file (RFC 7946), as exported
// by isochrone services. Called at start-up and config load only; any problem
// throws LoadError "path: where: what is wrong and what was expected", where
// `where` is a JSON path into the file ("features[2].geometry.coordinates[0]:
// ring 1 (a hole) is not closed: ...").
//
// Accepted top levels: a Polygon, a MultiPolygon, a Feature whose geometry is
// one of these, or a FeatureCollection. In a collection every Polygon and
// MultiPolygon feature is merged into the one zone; features without an area
// (Point, LineString, ... or a null geometry) are skipped, and a collection
// with no area at all is an error. Positions are [longitude, latitude]; a
// third number (altitude) is ignored. "bbox", "properties" and foreign
// members are ignored. Polygons are checked as geo::DeliveryZone::Make
// documents (closed rings, no self-crossing, ...).
#ifndef HOURGLASS_IO_ZONE_LOADER_H_
#define HOURGLASS_IO_ZONE_LOADER_H_

#include <cstdint>
#include <filesystem>

#include "geo/delivery_zone.h"

namespace hourglass::io {

// Largest zone file accepted: an isochrone at the geo::kMaxZonePositions
// limit with generous properties takes a few MiB.
inline constexpr uintmax_t kMaxZoneFileBytes = 16u << 20;

geo::DeliveryZone LoadZoneFile(const std::filesystem::path& path);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_ZONE_LOADER_H_
