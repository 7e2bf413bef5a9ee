#include "io/data_loader.h"

#include <string>
#include <unordered_map>

#include "io/csv_reader.h"
#include "io/load_error.h"
#include "io/store_fields.h"

namespace hourglass::io {

std::vector<alloc::Store> LoadStores(const std::filesystem::path& path, const Rules& rules,
                                     const std::vector<WarehouseConfig>& warehouses) {
  CsvReader csv(path);
  const size_t id_col = csv.RequireColumn("store_id");
  const size_t lat_col = csv.RequireColumn("lat");
  const size_t lon_col = csv.RequireColumn("lon");
  // The optional attribute columns present in this file.
  std::vector<std::pair<std::string_view, size_t>> columns;
  for (const std::string_view key : kStoreFields) {
    if (key == "lat" || key == "lon") continue;
    if (const auto col = csv.Column(key)) columns.emplace_back(key, *col);
  }

  std::vector<alloc::Store> stores;
  while (csv.Next()) {
    const auto& f = csv.fields();
    alloc::Store s;
    s.id = std::string(f[id_col]);
    if (s.id.empty()) csv.Fail("store_id", "must not be empty");
    s.radius_km = rules.radius_km;
    s.prep_min = rules.prep_min;
    const auto set = [&](std::string_view key, std::string_view text) {
      if (const std::string why = SetStoreField(s, key, text, path.parent_path()); !why.empty()) {
        csv.Fail(key, why);
      }
    };
    set("lat", f[lat_col]);
    set("lon", f[lon_col]);
    for (const auto& [key, col] : columns) set(key, f[col]);
    stores.push_back(std::move(s));
  }
  for (const WarehouseConfig& w : warehouses) {
    alloc::Store s;
    s.id = w.id;
    s.at = {w.lat, w.lon};
    s.kind = alloc::SiteKind::kWarehouse;
    s.ship_days = static_cast<int32_t>(w.ship_days);
    stores.push_back(std::move(s));
  }
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < stores.size(); ++i) {
    if (!seen.emplace(stores[i].id, i).second) {
      throw LoadError(path.string() + ": store_id \"" + stores[i].id +
                      "\" appears twice (data rows " + std::to_string(seen[stores[i].id] + 1) +
                      " and " + std::to_string(i + 1) + ")");
    }
  }
  if (stores.empty()) throw LoadError(path.string() + ": no stores (the file has only a header)");
  return stores;
}

namespace {

// Finds the lines of a duplicate (store, sku) pair for the error message;
// only runs when loading has already failed, so it may re-read the file.
[[noreturn]] void FailDuplicate(const std::filesystem::path& path, const std::string& store,
                                const std::string& sku) {
  CsvReader csv(path);
  const size_t store_col = csv.RequireColumn("store_id");
  const size_t sku_col = csv.RequireColumn("sku");
  std::string lines;
  while (csv.Next()) {
    if (csv.fields()[store_col] == store && csv.fields()[sku_col] == sku) {
      lines += (lines.empty() ? "" : " and ") + std::to_string(csv.line());
    }
  }
  throw LoadError(path.string() + ": store " + store + " lists sku " + sku +
                  " more than once (lines " + lines + "); keep one row per (store, sku)");
}

}  // namespace

std::unique_ptr<alloc::Inventory> LoadInventory(const std::filesystem::path& stores_csv,
                                                const std::filesystem::path& stock_csv,
                                                const Rules& rules) {
  auto inventory = std::make_unique<alloc::Inventory>(LoadStores(stores_csv, rules));
  LoadStock(stock_csv, stores_csv, *inventory);
  return inventory;
}

void LoadStock(const std::filesystem::path& stock_csv, const std::filesystem::path& stores_csv,
               alloc::Inventory& inventory_ref) {
  alloc::Inventory* inventory = &inventory_ref;
  const auto view = inventory->Stores();
  CsvReader csv(stock_csv);
  const size_t store_col = csv.RequireColumn("store_id");
  const size_t sku_col = csv.RequireColumn("sku");
  const size_t qty_col = csv.RequireColumn("on_hand");
  // Stock files come grouped by store: remember the last lookup.
  std::string last_store;
  alloc::StoreIdx store{};
  while (csv.Next()) {
    const auto& f = csv.fields();
    if (f[store_col] != last_store || last_store.empty()) {
      const auto found = view->stores.Find(f[store_col]);
      if (!found) {
        csv.Fail("store_id", "\"" + std::string(f[store_col]) + "\" is not in " +
                                 stores_csv.filename().string());
      }
      store = *found;
      last_store = std::string(f[store_col]);
    }
    if (f[sku_col].empty()) csv.Fail("sku", "must not be empty");
    const auto on_hand = static_cast<int32_t>(csv.Int(qty_col, "on_hand", 0, kMaxOnHand));
    inventory->stock.LoadRow(store, inventory->skus.Intern(f[sku_col]), on_hand);
  }
  if (const auto dup = inventory->stock.Seal()) {
    FailDuplicate(stock_csv, view->stores[dup->first].id, inventory->skus.NameOf(dup->second));
  }
}

}  // namespace hourglass::io
