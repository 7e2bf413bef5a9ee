#include "tests/fuzz/fuzz_files.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>

namespace hourglass::fuzz {

namespace {

struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    // Memory-backed where there is one: the harnesses write a file per input.
    const std::filesystem::path shm = "/dev/shm";
    const std::filesystem::path base =
        std::filesystem::is_directory(shm) && ::access(shm.c_str(), W_OK) == 0
            ? shm
            : std::filesystem::temp_directory_path();
    std::string pattern = base / "hourglass-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) Broken("cannot make a scratch folder");
    dir = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

const std::filesystem::path& ScratchDir() {
  static const Scratch scratch;
  return scratch.dir;
}

std::filesystem::path WriteScratch(std::string_view name, std::string_view data) {
  const std::filesystem::path path = ScratchDir() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.flush()) Broken("cannot write " + path.string());
  return path;
}

void Broken(std::string_view what) {
  std::fprintf(stderr, "fuzz: invariant broken: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::abort();
}

}  // namespace hourglass::fuzz
