#include "geo/store_index.h"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <utility>

#include "geo/distance.h"

namespace hourglass::geo {
namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using Point3 = bg::model::point<double, 3, bg::cs::cartesian>;
using Box3 = bg::model::box<Point3>;
using Entry = std::pair<Point3, uint32_t>;

// Slack on the chord so rounding in UnitVector never loses a boundary store;
// the exact haversine test below decides.
constexpr double kChordSlack = 1e-9;

Point3 ToPoint(LatLon p) {
  const auto v = UnitVector(p);
  return Point3(v[0], v[1], v[2]);
}

// Hands every entry in the query box whose chord to the centre is within
// [min_chord, max_chord] to `emit`. The box holds a sphere of the reach's
// chord and almost as much again in its corners: the chord test drops those
// cheaply, so only stores that may be in reach are emitted. Appends to
// caller-owned vectors, so a query allocates nothing.
template <typename Emit>
struct ChordFilter {
  std::array<double, 3> c;  // center on the unit sphere
  double max_chord2;        // squared chord of the reach, with slack
  double min_chord2;        // squared chord surely within the inner ring (-1: none)
  Emit emit;

  ChordFilter& operator=(const Entry& e) {
    const double dx = bg::get<0>(e.first) - c[0];
    const double dy = bg::get<1>(e.first) - c[1];
    const double dz = bg::get<2>(e.first) - c[2];
    const double chord2 = dx * dx + dy * dy + dz * dz;
    if (chord2 <= max_chord2 && chord2 >= min_chord2) emit(e.second);
    return *this;
  }
  ChordFilter& operator*() { return *this; }
  ChordFilter& operator++() { return *this; }
  ChordFilter& operator++(int) { return *this; }
};

}  // namespace

struct StoreIndex::Tree {
  bgi::rtree<Entry, bgi::rstar<16>> rtree;
};

StoreIndex::StoreIndex(std::span<const LatLon> stores)
    : positions_(stores.begin(), stores.end()), tree_(std::make_unique<Tree>()) {
  cos_lat_.reserve(positions_.size());
  for (const LatLon& p : positions_) cos_lat_.push_back(CosLat(p));
  std::vector<Entry> entries;
  entries.reserve(positions_.size());
  for (uint32_t i = 0; i < positions_.size(); ++i) entries.emplace_back(ToPoint(positions_[i]), i);
  // The range constructor bulk-loads (packing), which gives a better tree than inserts.
  tree_->rtree = bgi::rtree<Entry, bgi::rstar<16>>(entries);
}

StoreIndex::~StoreIndex() = default;

template <typename Emit>
void StoreIndex::Query(LatLon center, double reach_km, double inner_km, Emit emit) const {
  if (reach_km < 0) return;
  // Shrunk by the slack, so a store at the inner edge is never skipped here.
  const double inner = inner_km >= 0 ? ChordForArcKm(inner_km) - kChordSlack : -1;
  const double min_chord2 = inner > 0 ? inner * inner : -1;
  const auto c = UnitVector(center);
  const double h = ChordForArcKm(reach_km) + kChordSlack;
  const Box3 box(Point3(c[0] - h, c[1] - h, c[2] - h), Point3(c[0] + h, c[1] + h, c[2] + h));
  tree_->rtree.query(bgi::intersects(box), ChordFilter<Emit>{c, h * h, min_chord2, emit});
}

void StoreIndex::Within(LatLon center, double reach_km, std::vector<NearbyStore>& out,
                        double inner_km) const {
  const double center_cos_lat = CosLat(center);
  Query(center, reach_km, inner_km, [&](uint32_t store) {
    const double d = DistanceKm(center, center_cos_lat, store);
    if (d <= reach_km) out.push_back({store, d});
  });
}

void StoreIndex::MayBeWithin(LatLon center, double reach_km, std::vector<uint32_t>& out,
                             double inner_km) const {
  Query(center, reach_km, inner_km, [&](uint32_t store) { out.push_back(store); });
}

}  // namespace hourglass::geo
