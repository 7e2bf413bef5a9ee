// Checkpoints: a snapshot of the allocator state every N journal records
// (on a background thread) and at a clean stop, then the cleanup it allows —
// older snapshots, and journal segments that neither recovery nor any named
// subscription still needs (up to [journal] max_retained_bytes).
#ifndef HOURGLASS_IO_CHECKPOINTER_H_
#define HOURGLASS_IO_CHECKPOINTER_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <thread>

#include "alloc/allocator.h"
#include "io/journal.h"
#include "io/subscription.h"

namespace hourglass::io {

class Checkpointer {
 public:
  Checkpointer(alloc::Allocator& allocator, Journal& journal, Subscriptions& subscriptions,
               std::filesystem::path dir, uint64_t every_records, uint64_t max_retained_bytes,
               uint64_t last_snapshot_seq);
  ~Checkpointer();

  // Starts a checkpoint in the background when enough records accumulated
  // and none is running. Call periodically.
  void MaybeStart();
  // Takes a checkpoint now, on this thread (at a clean stop, after the
  // journal stopped). Returns false and logs when it fails.
  bool RunNow();

 private:
  bool Checkpoint();

  alloc::Allocator& allocator_;
  Journal& journal_;
  Subscriptions& subscriptions_;
  const std::filesystem::path dir_;
  const uint64_t every_records_;
  const uint64_t max_retained_bytes_;
  std::atomic<uint64_t> last_seq_;
  std::atomic<bool> running_{false};
  std::thread worker_;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_CHECKPOINTER_H_
