// The stores as one immutable snapshot: their records, the geo index over
// their positions, and what ranking derives from them. A store change
// (store.upsert / store.remove) builds a new view and publishes it whole
// (Inventory::sites), so a request sees the stores before the change or
// after it, never half of it, and queries never pause for it.
//
// A store keeps its index for the daemon's lifetime: a removed store stays in
// the view, marked removed, so held orders and stock rows still name it.
#ifndef HOURGLASS_ALLOC_STORE_VIEW_H_
#define HOURGLASS_ALLOC_STORE_VIEW_H_

#include <cstdint>
#include <vector>

#include "alloc/store_set.h"
#include "geo/store_index.h"

namespace hourglass::alloc {

struct StoreView {
  explicit StoreView(std::vector<Store> list);

  uint64_t version = 1;
  geo::StoreIndex index;  // every store's position, by index (built first, from the list)
  StoreSet stores;
  double max_reach_km = 0;  // the farthest any store delivers: bounds index searches
  double min_prep_min = 0;  // the shortest prep of any store: bounds ETAs from below
  std::vector<StoreIdx> warehouses;
};

// The store list of `view` with `store` upserted, or (when `remove`) the store
// of that id marked removed; the result goes to `out`, the store's index to
// `at`. A new store takes the next index, if there are fewer than `slots`.
enum class StoreEdit { kChanged, kCreated, kUnknownStore, kNoRoom, kWarehouse };
StoreEdit EditStores(const StoreView& view, Store store, bool remove, size_t slots,
                     std::vector<Store>& out, StoreIdx& at);

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_STORE_VIEW_H_
