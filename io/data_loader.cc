#include "io/data_loader.h"

#include <string>
#include <unordered_map>

#include "io/csv_reader.h"
#include "io/load_error.h"
#include "io/zone_loader.h"

namespace hourglass::io {
namespace {}  // namespace

std::vector<alloc::Store> LoadStores(const std::filesystem::path& path, const Rules& rules,
                                     const std::vector<WarehouseConfig>& warehouses) {
  CsvReader csv(path);
  const size_t id_col = csv.RequireColumn("store_id");
  const size_t lat_col = csv.RequireColumn("lat");
  const size_t lon_col = csv.RequireColumn("lon");
  const auto radius_col = csv.Column("radius_km");
  const auto prep_col = csv.Column("prep_min");
  const auto city_col = csv.Column("city");
  const auto tier_col = csv.Column("tier");
  const auto dealer_col = csv.Column("dealer");
  const auto open_col = csv.Column("open");
  const auto paused_col = csv.Column("paused");
  const auto capacity_col = csv.Column("capacity_per_hour");
  const auto zone_col = csv.Column("zone");
  const auto text = [&f = csv.fields()](std::optional<size_t> col) {
    return col && *col < f.size() ? f[*col] : std::string_view{};
  };

  std::vector<alloc::Store> stores;
  std::unordered_map<std::string_view, size_t> first_line;  // views into `stores`
  while (csv.Next()) {
    const auto& f = csv.fields();
    alloc::Store s;
    s.id = std::string(f[id_col]);
    if (s.id.empty()) csv.Fail("store_id", "must not be empty");
    s.at.lat_deg = csv.Double(lat_col, "lat");
    s.at.lon_deg = csv.Double(lon_col, "lon");
    if (!geo::IsValidLatitude(s.at.lat_deg)) csv.Fail("lat", "must be within [-90, 90]");
    if (!geo::IsValidLongitude(s.at.lon_deg)) csv.Fail("lon", "must be within [-180, 180]");
    s.radius_km = rules.radius_km;
    if (radius_col && !f[*radius_col].empty()) {
      s.radius_km = csv.Double(*radius_col, "radius_km");
      if (s.radius_km <= 0 || s.radius_km > 500) csv.Fail("radius_km", "must be within (0, 500]");
    }
    s.prep_min = rules.prep_min;
    if (prep_col && !f[*prep_col].empty()) {
      s.prep_min = csv.Double(*prep_col, "prep_min");
      if (s.prep_min < 0 || s.prep_min > 1440) csv.Fail("prep_min", "must be within [0, 1440]");
    }
    s.city = std::string(text(city_col));
    s.dealer = std::string(text(dealer_col));
    if (const auto tier = text(tier_col); !tier.empty()) {
      if (tier == "direct") {
        s.tier = alloc::StoreTier::kDirect;
      } else if (tier == "franchise") {
        s.tier = alloc::StoreTier::kFranchise;
      } else {
        csv.Fail("tier", "\"" + std::string(tier) + "\" must be direct or franchise (or empty)");
      }
    }
    if (const auto open = text(open_col); !open.empty()) {
      std::string why;
      const auto hours = alloc::OpeningHours::Parse(open, why);
      if (!hours) csv.Fail("open", why);
      s.hours = *hours;
    }
    if (capacity_col && !text(capacity_col).empty()) {
      s.capacity_per_hour =
          static_cast<int32_t>(csv.Int(*capacity_col, "capacity_per_hour", 0, 1'000'000));
    }
    if (const auto paused = text(paused_col); !paused.empty()) {
      if (paused != "true" && paused != "false" && paused != "1" && paused != "0") {
        csv.Fail("paused", "must be true, false, 1 or 0");
      }
      s.paused = paused == "true" || paused == "1";
    }
    if (const auto zone = text(zone_col); !zone.empty()) {
      try {
        s.zone = std::make_shared<const geo::DeliveryZone>(LoadZoneFile(path.parent_path() / zone));
      } catch (const LoadError& e) {
        csv.Fail("zone", e.what());
      }
    }
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
      const auto found = inventory->stores.Find(f[store_col]);
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
    FailDuplicate(stock_csv, inventory->stores[dup->first].id, inventory->skus.NameOf(dup->second));
  }
}

}  // namespace hourglass::io
