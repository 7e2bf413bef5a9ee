// Fuzzes the stores file loader (CsvReader + LoadStores): each input is a
// stores.csv. It must load or fail with a LoadError naming the file; a
// loaded store has an id and finite coordinates.
#include <cmath>
#include <cstdint>

#include "io/config.h"
#include "io/data_loader.h"
#include "io/load_error.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hourglass;
  const auto path = fuzz::WriteScratch("stores.csv", fuzz::AsText(data, size));
  try {
    for (const alloc::Store& s : io::LoadStores(path, io::Rules{})) {
      if (s.id.empty() || !std::isfinite(s.at.lat_deg) || !std::isfinite(s.at.lon_deg)) {
        fuzz::Broken("a store without an id or with non-finite coordinates was loaded");
      }
    }
  } catch (const io::LoadError&) {
  }
  return 0;
}
