// The world the request and journal fuzzers run over: the committed sample
// stores with every routing rule of configs/rules-example.toml, and a small
// synthetic stock (SKU-00001 .. SKU-00024, 0 to 7 units, some rows missing).
#ifndef HOURGLASS_TESTS_FUZZ_FUZZ_WORLD_H_
#define HOURGLASS_TESTS_FUZZ_FUZZ_WORLD_H_

#include <memory>
#include <vector>

#include "alloc/inventory.h"
#include "io/config.h"

namespace hourglass::fuzz {

struct World {
  io::Config config;
  std::vector<alloc::Store> stores;
};

// Loaded once per process.
const World& SampleWorld();

// A fresh inventory, so each input runs from the same state and a finding
// reproduces from its input alone. `spare_stores`: room for stores added at runtime.
std::unique_ptr<alloc::Inventory> MakeInventory(const World& world, size_t spare_stores);

// Reports a finding (Broken) unless every stock level is >= 0 (the stock table's invariant).
void CheckStockLevels(const alloc::Inventory& inventory);

}  // namespace hourglass::fuzz

#endif  // HOURGLASS_TESTS_FUZZ_FUZZ_WORLD_H_
