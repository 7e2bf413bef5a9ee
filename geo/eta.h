// The courier ETA model pinned by the routing contract:
//   eta_min = prep_min + distance_km * detour / speed_kmh * 60
// `detour` turns straight-line distance into road distance.
#ifndef HOURGLASS_GEO_ETA_H_
#define HOURGLASS_GEO_ETA_H_

namespace hourglass::geo {

struct EtaModel {
  double speed_kmh = 20.0;
  double detour = 1.3;

  double TravelMin(double distance_km) const { return distance_km * detour / speed_kmh * 60.0; }
  double EtaMin(double prep_min, double distance_km) const {
    return prep_min + TravelMin(distance_km);
  }
  // The longest straight-line distance a courier covers in `minutes`.
  double ReachKm(double minutes) const {
    return minutes <= 0 ? 0 : minutes / 60.0 * speed_kmh / detour;
  }
};

}  // namespace hourglass::geo

#endif  // HOURGLASS_GEO_ETA_H_
