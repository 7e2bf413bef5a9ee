// Builds the Inventory from the stores and stock CSV files named in the
// config. Any bad row stops the load with a LoadError naming file, line and
// field: the daemon never starts on data it only half understood.
//
// stores.csv: header with store_id, lat, lon (required) and radius_km,
//   prep_min (optional; default from [rules]), city, tier (direct |
//   franchise), dealer, open ("09:00-22:00"), capacity_per_hour, paused
//   (true/false), zone (a GeoJSON file, relative to the stores file, that
//   replaces the radius); other columns are ignored.
// stock.csv:  store_id, sku, on_hand — one row per (store, SKU).
#ifndef HOURGLASS_IO_DATA_LOADER_H_
#define HOURGLASS_IO_DATA_LOADER_H_

#include <filesystem>
#include <memory>

#include "alloc/inventory.h"
#include "io/config.h"

namespace hourglass::io {

// Largest on_hand accepted anywhere (CSV or stock.set): fits int32 with room
// for holds, and far above any real shelf.
inline constexpr int64_t kMaxOnHand = 1'000'000'000;

std::unique_ptr<alloc::Inventory> LoadInventory(const std::filesystem::path& stores_csv,
                                                const std::filesystem::path& stock_csv,
                                                const Rules& rules);

// The two halves of LoadInventory, for a start from a snapshot (which
// replaces the stock file).
// [[warehouses]] are appended after the file's stores.
std::vector<alloc::Store> LoadStores(const std::filesystem::path& stores_csv, const Rules& rules,
                                     const std::vector<WarehouseConfig>& warehouses = {});
void LoadStock(const std::filesystem::path& stock_csv, const std::filesystem::path& stores_csv,
               alloc::Inventory& inventory);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_DATA_LOADER_H_
