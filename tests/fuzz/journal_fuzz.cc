// Fuzzes journal recovery: each input is the content of a journal segment
// (journal-00000000000000000001.log), recovered into an allocator over the
// fuzz world (fuzz_world.h) the way hourglassd starts. Recovery must succeed
// or throw a LoadError; it must never crash or leave a stock level below zero.
//
// Each input runs twice: as it is (the framing: lengths, checksums, seqs,
// torn tails), and with every record's checksum recomputed, so that damaged
// payloads reach the event decoder (EventReplayer) instead of stopping at
// the checksum.
#include <boost/crc.hpp>
#include <cstdint>
#include <filesystem>
#include <string>

#include "alloc/allocator.h"
#include "io/event_codec.h"
#include "io/journal.h"
#include "io/load_error.h"
#include "tests/fuzz/fuzz_files.h"
#include "tests/fuzz/fuzz_world.h"

namespace hourglass::fuzz {
namespace {

constexpr size_t kHeaderBytes = 16;  // u32 length | u32 CRC-32 of (seq, payload) | u64 seq

uint64_t LittleEndian(const std::string& data, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(data[at + i]);
  return v;
}

// Rewrites the checksum of each whole record, as the journal would have written it.
void Reseal(std::string& segment) {
  size_t off = 0;
  while (off + kHeaderBytes <= segment.size()) {
    const uint64_t len = LittleEndian(segment, off, 4);
    if (len > segment.size() - off - kHeaderBytes) break;
    boost::crc_32_type crc;
    crc.process_bytes(segment.data() + off + 8, 8);  // the seq, little-endian as stored
    crc.process_bytes(segment.data() + off + kHeaderBytes, len);
    const uint32_t sum = crc.checksum();
    for (int i = 0; i < 4; ++i) segment[off + 4 + i] = static_cast<char>(sum >> (8 * i));
    off += kHeaderBytes + len;
  }
}

void Recover(const std::string& segment) {
  const std::filesystem::path dir = ScratchDir() / "journal";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  WriteScratch("journal/journal-00000000000000000001.log", segment);
  const World& world = SampleWorld();
  auto inventory = MakeInventory(world, 4);
  io::JournalOptions options;
  options.dir = dir;
  io::Journal journal(options, inventory->sites);
  alloc::Allocator allocator(*inventory, world.config.rules.routing, 3'600'000, &journal);
  io::EventReplayer replayer(allocator, alloc::Now(1'795'515'300'000),
                             world.config.stores_csv.parent_path());
  std::string notes;
  try {
    journal.Recover(
        0,
        [&](uint64_t seq, std::string_view json, const std::string& where) {
          replayer.Apply(seq, json, where);
        },
        notes);
  } catch (const io::LoadError&) {
    // Damage recovery refuses to skip: the expected outcome for most inputs.
  }
  CheckStockLevels(*inventory);
}

}  // namespace
}  // namespace hourglass::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string segment(hourglass::fuzz::AsText(data, size));
  hourglass::fuzz::Recover(segment);
  hourglass::fuzz::Reseal(segment);
  hourglass::fuzz::Recover(segment);
  return 0;
}
