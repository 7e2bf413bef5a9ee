// Everything the daemon knows about stores and stock, shared by every thread
// for the daemon's lifetime. The stores are a published snapshot (store
// changes swap it whole); the stock table has a slot for every store the
// daemon may come to know: those loaded plus `spare_slots` added at runtime.
#ifndef HOURGLASS_ALLOC_INVENTORY_H_
#define HOURGLASS_ALLOC_INVENTORY_H_

#include <memory>
#include <vector>

#include "alloc/published.h"
#include "alloc/sku_catalog.h"
#include "alloc/stock_table.h"
#include "alloc/store_set.h"
#include "alloc/store_view.h"

namespace hourglass::alloc {

struct Inventory {
  explicit Inventory(std::vector<Store> store_list, size_t spare_slots = 0)
      : slots(store_list.size() + spare_slots),
        sites(std::make_shared<StoreView>(std::move(store_list))),
        stock(slots) {}

  // The stores in force (a cold path: takes a lock; hot paths use Get).
  std::shared_ptr<const StoreView> Stores() const { return sites.Current(); }

  const size_t slots;  // stores the stock table can hold
  Published<StoreView> sites;
  SkuCatalog skus;
  StockTable stock;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_INVENTORY_H_
