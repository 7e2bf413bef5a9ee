// A WGS84 position in degrees. Validated once at the edge (MakeLatLon) so the
// rest of the code can trust it: finite, latitude in [-90, 90], longitude in
// [-180, 180].
#ifndef HOURGLASS_GEO_LAT_LON_H_
#define HOURGLASS_GEO_LAT_LON_H_

#include <cmath>
#include <optional>

namespace hourglass::geo {

struct LatLon {
  double lat_deg = 0;
  double lon_deg = 0;
};

inline bool IsValidLatitude(double lat_deg) {
  return std::isfinite(lat_deg) && lat_deg >= -90.0 && lat_deg <= 90.0;
}

inline bool IsValidLongitude(double lon_deg) {
  return std::isfinite(lon_deg) && lon_deg >= -180.0 && lon_deg <= 180.0;
}

inline std::optional<LatLon> MakeLatLon(double lat_deg, double lon_deg) {
  if (!IsValidLatitude(lat_deg) || !IsValidLongitude(lon_deg)) return std::nullopt;
  return LatLon{lat_deg, lon_deg};
}

}  // namespace hourglass::geo

#endif  // HOURGLASS_GEO_LAT_LON_H_
