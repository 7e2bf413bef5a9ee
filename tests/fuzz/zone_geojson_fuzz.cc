// Fuzzes the GeoJSON delivery-zone loader (io/zone_loader.h): each input is
// a zone file. It must load or fail with a LoadError; it must never crash. A
// zone that loads must answer Contains and MaxDistanceKm for any point, with
// a distance that is a finite number of kilometres.
#include <cmath>
#include <cstdint>

#include "geo/lat_lon.h"
#include "io/load_error.h"
#include "io/zone_loader.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hourglass;
  const auto path = fuzz::WriteScratch("zone.geojson", fuzz::AsText(data, size));
  try {
    const geo::DeliveryZone zone = io::LoadZoneFile(path);
    // A few points: the sample's city, the antimeridian, both poles.
    const geo::LatLon probes[] = {{31.2304, 121.4737}, {0, 180}, {0, -180}, {90, 0}, {-90, 0}};
    for (const geo::LatLon& p : probes) {
      (void)zone.Contains(p);
      const double km = zone.MaxDistanceKm(p);
      if (!std::isfinite(km) || km < 0 || km > 20'100) {
        fuzz::Broken("a loaded zone gave a distance that is not a distance on Earth");
      }
    }
  } catch (const io::LoadError&) {
  }
  return 0;
}
