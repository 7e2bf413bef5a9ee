// Named subscriptions to the journal: the event stream to the system of
// record. A subscriber reads records in seq order (only ones the journal has
// acknowledged, so it never hears of a change the daemon could still lose)
// and acks what it has applied; the acked position of each name is kept in
// <dir>/subscriptions.json so a subscriber resumes where it left off after
// either side restarts.
//
// Thread-safety: Subscriptions may be used from any thread. A JournalStream
// lives on its connection's I/O thread.
#ifndef HOURGLASS_IO_SUBSCRIPTION_H_
#define HOURGLASS_IO_SUBSCRIPTION_H_

#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "io/journal.h"
#include "io/line_handler.h"

namespace hourglass::io {

class Subscriptions {
 public:
  // Loads <dir>/subscriptions.json if it exists (throws LoadError if bad).
  Subscriptions(std::filesystem::path dir, Journal& journal);

  // The last seq `name` acked (0 if none).
  uint64_t Acked(const std::string& name) const;
  void Ack(const std::string& name, uint64_t seq);
  // Every name's acked position.
  std::map<std::string, uint64_t> AckedAll() const;
  // The smallest acked position over all names (UINT64_MAX without names).
  uint64_t MinAcked() const;
  // Writes the file if anything changed since the last save (atomic rename).
  void Save();

  // A stream of records from `from` on; nullptr and `error` when `from` is
  // older than the oldest record kept.
  std::unique_ptr<Stream> Open(const std::string& name, uint64_t from, std::string& error);

  Journal& journal() { return journal_; }

 private:
  const std::filesystem::path path_;
  Journal& journal_;
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> acked_;  // guarded by mu_
  bool dirty_ = false;                     // guarded by mu_
};

// Reads journal records in order across segment files.
class JournalReader {
 public:
  JournalReader(const Journal& journal, uint64_t from);
  ~JournalReader();
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;

  // Appends the JSON text of the next record if its seq <= up_to. False when
  // there is none yet.
  bool Next(uint64_t up_to, std::string& json);
  uint64_t next_seq() const { return next_seq_; }

 private:
  bool OpenSegmentFor(uint64_t seq);

  const Journal& journal_;
  uint64_t next_seq_;
  std::FILE* file_ = nullptr;
  uint64_t segment_first_ = 0;
  std::string scratch_;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_SUBSCRIPTION_H_
