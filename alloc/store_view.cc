#include "alloc/store_view.h"

#include <algorithm>

namespace hourglass::alloc {
namespace {

std::vector<geo::LatLon> Positions(const std::vector<Store>& stores) {
  std::vector<geo::LatLon> out;
  out.reserve(stores.size());
  for (const Store& s : stores) out.push_back(s.at);
  return out;
}

}  // namespace

StoreView::StoreView(std::vector<Store> list) : index(Positions(list)), stores(std::move(list)) {
  bool any_store = false;
  for (uint32_t i = 0; i < stores.size(); ++i) {
    const Store& s = stores[StoreIdx{i}];
    if (s.removed) continue;
    if (s.kind == SiteKind::kWarehouse) {
      warehouses.push_back(StoreIdx{i});
    } else {
      max_reach_km = std::max(max_reach_km, s.ReachKm());
      min_prep_min = any_store ? std::min(min_prep_min, s.prep_min) : s.prep_min;
      any_store = true;
    }
  }
}

StoreEdit EditStores(const StoreView& view, Store store, bool remove, size_t slots,
                     std::vector<Store>& out, StoreIdx& at) {
  const auto idx = view.stores.Find(store.id);
  if (idx && view.stores[*idx].kind == SiteKind::kWarehouse) return StoreEdit::kWarehouse;
  if (!idx && remove) return StoreEdit::kUnknownStore;
  if (!idx && view.stores.size() >= slots) return StoreEdit::kNoRoom;
  out = view.stores.all();
  at = idx ? *idx : StoreIdx{static_cast<uint32_t>(out.size())};
  if (!idx) out.emplace_back();
  Store& stored = out[Raw(at)];
  if (remove) {
    stored.removed = true;
  } else {
    stored = std::move(store);
    stored.removed = false;
  }
  stored.dynamic = true;
  return idx ? StoreEdit::kChanged : StoreEdit::kCreated;
}

}  // namespace hourglass::alloc
