// Fuzzes start-up from a snapshot (io/snapshot.h): each input is a snapshot
// file, read into a fresh inventory of the fuzz world's stores (fuzz_world.h)
// with no stock rows yet, and restored into an allocator, the way hourglassd
// starts. Reading must succeed or throw a LoadError naming the file; it must
// never crash, and a restored state must leave no stock level below zero.
//
// Each input runs twice: as it is (the header, the framing, the checksum),
// and with its trailing CRC-32 recomputed, so that damaged contents reach the
// decoder instead of stopping at the checksum.
#include <boost/crc.hpp>
#include <cstdint>
#include <string>

#include "alloc/allocator.h"
#include "alloc/inventory.h"
#include "io/load_error.h"
#include "io/snapshot.h"
#include "tests/fuzz/fuzz_files.h"
#include "tests/fuzz/fuzz_world.h"

namespace hourglass::fuzz {
namespace {

// Rewrites the last four bytes as the CRC-32 of everything before them, as
// WriteSnapshot does.
void Reseal(std::string& file) {
  if (file.size() < 4) return;
  boost::crc_32_type crc;
  crc.process_bytes(file.data(), file.size() - 4);
  const uint32_t sum = crc.checksum();
  for (int i = 0; i < 4; ++i) file[file.size() - 4 + i] = static_cast<char>(sum >> (8 * i));
}

void Start(const std::string& file) {
  const auto path = WriteScratch("snapshot-00000000000000000001.snap", file);
  const World& world = SampleWorld();
  alloc::Inventory inventory(world.stores, 4);
  alloc::StateImage image;
  try {
    image = io::ReadSnapshot(path, inventory, world.config.stores_csv.parent_path());
  } catch (const io::LoadError&) {
    return;  // refused: the expected outcome for most inputs
  }
  alloc::Allocator allocator(inventory, world.config.rules.routing, 3'600'000);
  allocator.Restore(image, alloc::Now(1'795'515'300'000));
  CheckStockLevels(inventory);
}

}  // namespace
}  // namespace hourglass::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string file(hourglass::fuzz::AsText(data, size));
  hourglass::fuzz::Start(file);
  hourglass::fuzz::Reseal(file);
  hourglass::fuzz::Start(file);
  return 0;
}
