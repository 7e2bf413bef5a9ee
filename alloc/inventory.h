// Everything the daemon knows about stores and stock, built once at start-up
// by the loader and then shared by every thread for the daemon's lifetime.
#ifndef HOURGLASS_ALLOC_INVENTORY_H_
#define HOURGLASS_ALLOC_INVENTORY_H_

#include <vector>

#include "alloc/sku_catalog.h"
#include "alloc/stock_table.h"
#include "alloc/store_set.h"
#include "geo/store_index.h"

namespace hourglass::alloc {

struct Inventory {
  explicit Inventory(std::vector<Store> store_list)
      : stores(std::move(store_list)), index(Positions(stores)), stock(stores.size()) {}

  StoreSet stores;
  geo::StoreIndex index;
  SkuCatalog skus;
  StockTable stock;

 private:
  static std::vector<geo::LatLon> Positions(const StoreSet& s) {
    std::vector<geo::LatLon> out;
    out.reserve(s.size());
    for (const Store& store : s.all()) out.push_back(store.at);
    return out;
  }
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_INVENTORY_H_
