// Fuzzes the stock file loader (CsvReader + LoadStock) against a fixed
// stores file of three stores: each input is a stock.csv. It must load or
// fail with a LoadError naming the file; loaded levels are within
// [0, kMaxOnHand].
#include <cstdint>
#include <memory>

#include "io/config.h"
#include "io/data_loader.h"
#include "io/load_error.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hourglass;
  static const auto stores_csv = fuzz::WriteScratch(
      "stores.csv",
      "store_id,lat,lon\nS-1,31.2304,121.4737\nS-2,31.2400,121.4900\nS-3,39.9042,116.4074\n");
  static const auto stores = io::LoadStores(stores_csv, io::Rules{});
  const auto path = fuzz::WriteScratch("stock.csv", fuzz::AsText(data, size));
  alloc::Inventory inventory(stores);
  try {
    io::LoadStock(path, stores_csv, inventory);
  } catch (const io::LoadError&) {
    return 0;
  }
  for (uint32_t s = 0; s < inventory.slots; ++s) {
    for (uint32_t k = 0; k < inventory.skus.size(); ++k) {
      const auto level = inventory.stock.Level(alloc::StoreIdx{s}, alloc::SkuIdx{k});
      if (level.on_hand < 0 || level.on_hand > io::kMaxOnHand || level.reserved != 0) {
        fuzz::Broken("a stock level out of range was loaded");
      }
    }
  }
  return 0;
}
