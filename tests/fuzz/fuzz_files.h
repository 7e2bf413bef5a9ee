// Shared by the fuzz harnesses: the loaders under test read files, so each
// input is written to a file in a private scratch folder first, and a broken
// invariant stops the run the way libFuzzer counts as a crash.
#ifndef HOURGLASS_TESTS_FUZZ_FUZZ_FILES_H_
#define HOURGLASS_TESTS_FUZZ_FUZZ_FILES_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

namespace hourglass::fuzz {

// A folder of this process's own (made on first use, removed at exit), so
// two fuzzers running at once never share a file.
const std::filesystem::path& ScratchDir();

// Writes `data` to ScratchDir()/name, replacing it; returns the path.
std::filesystem::path WriteScratch(std::string_view name, std::string_view data);

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Prints `what` and aborts: a finding, with the input saved by libFuzzer.
[[noreturn]] void Broken(std::string_view what);

}  // namespace hourglass::fuzz

#endif  // HOURGLASS_TESTS_FUZZ_FUZZ_FILES_H_
