// Fuzzes the config loader: each input is a hourglassd.toml. It must load or
// fail with a LoadError (which names file, line and key); anything else —
// another exception, a crash, a sanitizer report — is a finding. A config
// that loads must hold values within the bounds config.cc declares.
#include <cstdint>
#include <string>

#include "io/config.h"
#include "io/load_error.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hourglass;
  const auto path = fuzz::WriteScratch("hourglass.toml", fuzz::AsText(data, size));
  try {
    const io::Config config = io::LoadConfig(path);
    if (config.io_threads < 1 || config.limits.max_line_bytes < 1024 ||
        config.limits.max_items < 1 || config.rules.speed_kmh <= 0 || config.rules.detour < 1) {
      fuzz::Broken("a config outside the declared bounds was accepted");
    }
    if (!config.listen_host.empty() && config.listen_host.find('\0') != std::string::npos) {
      fuzz::Broken("a listen host with a NUL byte was accepted");
    }
  } catch (const io::LoadError&) {
    // The expected outcome for a bad file.
  }
  return 0;
}
