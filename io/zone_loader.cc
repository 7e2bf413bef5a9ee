#include "io/zone_loader.h"

#include <simdjson.h>

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "io/load_error.h"

namespace hourglass::io {
namespace {

namespace dom = simdjson::dom;
namespace fs = std::filesystem;

constexpr std::string_view kTopLevelTypes = "Polygon, MultiPolygon, Feature or FeatureCollection";
constexpr std::string_view kAreaTypes = "Polygon or MultiPolygon";

std::string Num(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string Member(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

std::string Index(const std::string& where, size_t i) {
  return where + "[" + std::to_string(i) + "]";
}

bool IsValidPosition(double lon, double lat) {
  return geo::IsValidLongitude(lon) && geo::IsValidLatitude(lat);
}

// [lat, lon] written for [lon, lat]: the invalid pair is valid the other way
// round (the latitude slot holds what can only be a longitude).
bool LooksSwapped(double lon, double lat) { return IsValidPosition(lat, lon); }

// One file's parse: collects the polygons of every accepted geometry, then
// hands them to DeliveryZone::Make. Each step names its place in the file.
class ZoneReader {
 public:
  explicit ZoneReader(const fs::path& path) : path_(path) {}

  geo::DeliveryZone Read() {
    std::error_code ec;
    const uintmax_t bytes = fs::file_size(path_, ec);
    if (ec) Fail("", "cannot read the zone file (" + ec.message() + ")");
    if (bytes > kMaxZoneFileBytes) {
      Fail("", "is " + std::to_string(bytes) + " bytes; a zone file may be at most " +
                   std::to_string(kMaxZoneFileBytes) + " (simplify the isochrone)");
    }
    simdjson::padded_string json;
    if (auto err = simdjson::padded_string::load(path_.string()).get(json)) {
      Fail("", std::string("cannot read the zone file (") + simdjson::error_message(err) + ")");
    }
    dom::parser parser;
    dom::element root;
    if (auto err = parser.parse(json).get(root)) {
      Fail("", std::string("is not valid JSON (") + simdjson::error_message(err) + ")");
    }

    const std::string_view type = TypeOf(root, "", kTopLevelTypes);
    if (type == "FeatureCollection") {
      Collection(root);
    } else if (type == "Feature") {
      Feature(root, "", /*in_collection=*/false);
    } else if (type == "Polygon" || type == "MultiPolygon") {
      Geometry(root, "", /*in_collection=*/false);
    } else {
      Fail("", "type \"" + std::string(type) + "\" is not a zone; expected " +
                   std::string(kTopLevelTypes));
    }

    std::string why;
    std::optional<geo::DeliveryZone> zone = geo::DeliveryZone::Make(std::move(polygons_), why);
    if (!zone) Fail("", why);
    return std::move(*zone);
  }

 private:
  [[noreturn]] void Fail(const std::string& where, const std::string& what) const {
    throw LoadError(path_.string() + ": " + (where.empty() ? "" : where + ": ") + what);
  }

  // The "type" of an object that must have one.
  std::string_view TypeOf(dom::element e, const std::string& where, std::string_view expected) {
    dom::object obj;
    std::string_view type;
    if (e.get_object().get(obj) != simdjson::SUCCESS) {
      Fail(where, "must be a JSON object with a \"type\" (" + std::string(expected) + ")");
    }
    if (obj["type"].get_string().get(type) != simdjson::SUCCESS) {
      Fail(where, "has no \"type\" string; expected " + std::string(expected));
    }
    return type;
  }

  void Collection(dom::element root) {
    dom::element features_el;
    dom::array features;
    if (root["features"].get(features_el) != simdjson::SUCCESS) {
      Fail("", "the FeatureCollection has no \"features\" array");
    }
    if (features_el.get_array().get(features) != simdjson::SUCCESS) {
      Fail("features", "must be an array of Feature objects");
    }
    size_t count = 0;
    for (dom::element feature : features) Feature(feature, Index("features", count++), true);
    if (!polygons_.empty()) return;
    if (count == 0) {
      Fail("", "the FeatureCollection has no features; expected at least one with a " +
                   std::string(kAreaTypes) + " geometry");
    }
    std::string skipped;
    for (const std::string& t : skipped_) skipped += (skipped.empty() ? "" : ", ") + t;
    Fail("", "none of its " + std::to_string(count) + " features has a " + std::string(kAreaTypes) +
                 " geometry (skipped: " + skipped +
                 "); a zone needs an area: export the isochrone as polygons, not contour lines");
  }

  void Feature(dom::element feature, const std::string& where, bool in_collection) {
    const std::string_view type = TypeOf(feature, where, "Feature");
    if (type != "Feature") {
      Fail(where, "type is \"" + std::string(type) + "\"; expected \"Feature\"");
    }
    dom::element geometry;
    if (feature["geometry"].get(geometry) != simdjson::SUCCESS) {
      Fail(where, "has no \"geometry\"; expected a " + std::string(kAreaTypes));
    }
    if (geometry.is_null()) {
      if (!in_collection) {
        Fail(Member(where, "geometry"), "is null; expected a " + std::string(kAreaTypes));
      }
      Skipped("null geometry");
      return;
    }
    Geometry(geometry, Member(where, "geometry"), in_collection);
  }

  void Geometry(dom::element geometry, const std::string& where, bool in_collection) {
    const std::string_view type = TypeOf(geometry, where, kAreaTypes);
    if (type == "Polygon" || type == "MultiPolygon") {
      const std::string at = Member(where, "coordinates");
      dom::array coordinates;
      if (geometry["coordinates"].get_array().get(coordinates) != simdjson::SUCCESS) {
        Fail(at, "missing or not an array; a " + std::string(type) +
                     (type == "Polygon" ? " needs an array of rings"
                                        : " needs an array of polygons (each an array of rings)"));
      }
      if (type == "Polygon") {
        Polygon(coordinates, at);
      } else {
        size_t p = 0;
        for (dom::element polygon : coordinates) {
          const std::string polygon_at = Index(at, p++);
          dom::array rings;
          if (polygon.get_array().get(rings) != simdjson::SUCCESS) {
            Fail(polygon_at, "must be a polygon: an array of rings");
          }
          Polygon(rings, polygon_at);
        }
      }
      return;
    }
    const bool no_area = type == "Point" || type == "MultiPoint" || type == "LineString" ||
                         type == "MultiLineString";
    if (no_area && in_collection) {
      Skipped(std::string(type));
      return;
    }
    if (no_area) {
      Fail(where, "a " + std::string(type) + " has no area; expected a " + std::string(kAreaTypes));
    }
    Fail(where, "type \"" + std::string(type) + "\" is not supported; expected a " +
                    std::string(kAreaTypes));
  }

  void Polygon(dom::array rings, const std::string& where) {
    geo::ZonePolygon polygon;
    size_t r = 0;
    for (dom::element ring_el : rings) {
      const std::string ring_at = Index(where, r++);
      dom::array positions;
      if (ring_el.get_array().get(positions) != simdjson::SUCCESS) {
        Fail(ring_at, "must be a ring: an array of [longitude, latitude] positions");
      }
      geo::ZoneRing& ring = polygon.emplace_back();
      size_t i = 0;
      for (dom::element position : positions) ring.push_back(Position(position, ring_at, i++));
    }
    if (std::string problem = geo::ZonePolygonProblem(polygon); !problem.empty()) {
      Fail(where, problem);
    }
    polygons_.push_back(std::move(polygon));
  }

  geo::LatLon Position(dom::element position, const std::string& ring_at, size_t i) {
    dom::array numbers;
    double lon = 0, lat = 0;
    size_t n = 0;
    bool numeric = position.get_array().get(numbers) == simdjson::SUCCESS;
    if (numeric) {
      for (dom::element number : numbers) {
        if (n == 0) numeric = number.get_double().get(lon) == simdjson::SUCCESS;
        if (n == 1) numeric = numeric && number.get_double().get(lat) == simdjson::SUCCESS;
        ++n;
      }
    }
    if (!numeric || n < 2 || n > 3) {
      Fail(Index(ring_at, i), "must be a position: [longitude, latitude], or with altitude third");
    }
    if (!IsValidPosition(lon, lat)) {
      Fail(Index(ring_at, i),
           "[" + Num(lon) + ", " + Num(lat) +
               "] is not a [longitude, latitude] position (longitude within [-180, 180], "
               "latitude within [-90, 90])" +
               (LooksSwapped(lon, lat) ? "; the two look swapped: GeoJSON puts longitude first"
                                       : ""));
    }
    return geo::LatLon{lat, lon};
  }

  void Skipped(std::string type) {
    for (const std::string& t : skipped_) {
      if (t == type) return;
    }
    skipped_.push_back(std::move(type));
  }

  const fs::path& path_;
  std::vector<geo::ZonePolygon> polygons_;
  std::vector<std::string> skipped_;  // types without an area, first seen first
};

}  // namespace

geo::DeliveryZone LoadZoneFile(const std::filesystem::path& path) {
  return ZoneReader(path).Read();
}

}  // namespace hourglass::io
