// Spatial index of store positions (Boost.Geometry R-tree over 3-D unit-sphere
// points). Immutable once built: any number of threads may query it at once.
//
// A query returns every store within `reach_km` great-circle distance of a
// point, each with its exact haversine distance. The R-tree box is built from
// the chord length with a small margin, so the pre-filter never drops a store
// that the exact test would keep.
#ifndef HOURGLASS_GEO_STORE_INDEX_H_
#define HOURGLASS_GEO_STORE_INDEX_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "geo/distance.h"
#include "geo/lat_lon.h"

namespace hourglass::geo {

struct NearbyStore {
  uint32_t store = 0;  // position in the span the index was built from
  double distance_km = 0;
};

class StoreIndex {
 public:
  explicit StoreIndex(std::span<const LatLon> stores);
  ~StoreIndex();
  StoreIndex(const StoreIndex&) = delete;
  StoreIndex& operator=(const StoreIndex&) = delete;

  // Appends to `out` (not cleared) every store with distance <= reach_km.
  // Order is unspecified. Allocates only when `out` must grow.
  // With `inner_km` >= 0, stores surely within inner_km (by the cheap chord
  // test) are left out, so a search in growing rings computes each store's
  // distance about once; the caller still drops distance <= inner_km itself.
  void Within(LatLon center, double reach_km, std::vector<NearbyStore>& out,
              double inner_km = -1) const;
  // The same search without the distances: every store the cheap chord test
  // keeps (a few more than Within), for a caller that passes over most of
  // them before it needs a distance. DistanceKm gives a store's distance,
  // exactly Within's; the caller drops the stores beyond reach_km (and
  // within inner_km) itself.
  void MayBeWithin(LatLon center, double reach_km, std::vector<uint32_t>& out,
                   double inner_km = -1) const;
  double DistanceKm(LatLon center, double center_cos_lat, uint32_t store) const {
    return HaversineKm(center, positions_[store], center_cos_lat, cos_lat_[store]);
  }

  size_t size() const { return positions_.size(); }

 private:
  struct Tree;
  // Emits each store the chord test keeps (Within and MayBeWithin).
  template <typename Emit>
  void Query(LatLon center, double reach_km, double inner_km, Emit emit) const;
  std::vector<LatLon> positions_;
  std::vector<double> cos_lat_;  // CosLat of each position, for HaversineKm
  std::unique_ptr<Tree> tree_;
};

}  // namespace hourglass::geo

#endif  // HOURGLASS_GEO_STORE_INDEX_H_
