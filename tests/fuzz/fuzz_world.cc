#include "tests/fuzz/fuzz_world.h"

#include <cstdio>
#include <string>

#include "io/data_loader.h"
#include "tests/fuzz/fuzz_files.h"

namespace hourglass::fuzz {

namespace {
constexpr int kSkus = 24;
}  // namespace

const World& SampleWorld() {
  static const World world = [] {
    World w;
    w.config = io::LoadConfig(HOURGLASS_SOURCE_DIR "/configs/rules-example.toml");
    w.stores = io::LoadStores(w.config.stores_csv, w.config.rules, w.config.warehouses);
    return w;
  }();
  return world;
}

std::unique_ptr<alloc::Inventory> MakeInventory(const World& world, size_t spare_stores) {
  auto inventory = std::make_unique<alloc::Inventory>(world.stores, spare_stores);
  std::vector<alloc::SkuIdx> skus;
  for (int k = 1; k <= kSkus; ++k) {
    char name[16];
    std::snprintf(name, sizeof name, "SKU-%05d", k);
    skus.push_back(inventory->skus.Intern(name));
  }
  for (uint32_t s = 0; s < world.stores.size(); ++s) {
    for (uint32_t k = 0; k < skus.size(); ++k) {
      const auto on_hand = static_cast<int32_t>((s * 7 + k * 3) % 9);
      if (on_hand != 8) inventory->stock.LoadRow(alloc::StoreIdx{s}, skus[k], on_hand);
    }
  }
  (void)inventory->stock.Seal();
  return inventory;
}

void CheckStockLevels(const alloc::Inventory& inventory) {
  for (uint32_t s = 0; s < inventory.slots; ++s) {
    for (uint32_t k = 0; k < inventory.skus.size(); ++k) {
      const alloc::StockLevel level = inventory.stock.Level(alloc::StoreIdx{s}, alloc::SkuIdx{k});
      if (level.on_hand < 0 || level.reserved < 0) {
        Broken("store slot " + std::to_string(s) + " sku " + std::to_string(k) + ": on_hand " +
               std::to_string(level.on_hand) + ", reserved " + std::to_string(level.reserved));
      }
    }
  }
}

}  // namespace hourglass::fuzz
