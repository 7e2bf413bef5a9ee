// The journal: every change the daemon confirms, appended as a checksummed
// record with a rising sequence number to segment files in [data] dir.
//
// Record: u32 payload length | u32 CRC-32 of (seq, payload) | u64 seq |
// payload (the event's JSON text, see event_codec.h). Little-endian.
// Segments are named journal-<first seq, 20 digits>.log.
//
// Threads: Append may be called from any thread (it encodes the record on
// its own, then takes one short mutex to number it and copy it into the
// pending buffer; the writer computes the checksums). One writer thread
// writes pending records in batches — group commit: everything appended
// while the previous batch was being synced goes out in the next write and
// shares its fdatasync. Answers wait for AckedSeq() (see SyncMode). With
// sync = batch a second thread runs the periodic fdatasync, so writes (and
// the answers waiting for them) go on while the disk syncs.
//
// Faults: a write or sync that fails (ENOSPC, EIO, ...) is undone — the file
// is cut back to the end of the last whole batch — and the batch is retried
// every 100 ms until it succeeds; nothing is acknowledged meanwhile, and
// Health() says kFailing so that callers refuse new changes instead of
// piling up ones that cannot be confirmed. Once a write succeeds everything
// pending goes out and Health() is kOk again: no restart needed.
#ifndef HOURGLASS_IO_JOURNAL_H_
#define HOURGLASS_IO_JOURNAL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alloc/event_log.h"
#include "alloc/function_ref.h"
#include "alloc/published.h"
#include "alloc/store_set.h"
#include "alloc/store_view.h"
#include "io/latency_histogram.h"
#include "io/metrics.h"

namespace hourglass::io {

enum class SyncMode {
  kAlways,  // answer after fdatasync: nothing acknowledged is lost, even on power loss
  kBatch,   // answer after write(); fdatasync every sync_interval_ms: a daemon crash
            // loses nothing acknowledged, a power loss up to the last interval
  kNone,    // answer at once; written within milliseconds, never synced: a crash may
            // lose the last few milliseconds, a power loss whatever the OS had not flushed
};

struct JournalOptions {
  std::filesystem::path dir;
  SyncMode sync = SyncMode::kAlways;
  uint64_t segment_bytes = 64ull << 20;
  int sync_interval_ms = 50;  // kBatch
  // Fault injection for tests: the writer sleeps this long before each
  // write, widening the window in which a crash finds records not yet on
  // disk (set from HOURGLASS_FAULT_JOURNAL_DELAY_MS; 0 in production).
  int fault_write_delay_ms = 0;
  // Fault injection for tests: while this file exists every journal write
  // fails with ENOSPC, as on a full disk (HOURGLASS_FAULT_JOURNAL_ENOSPC_FILE;
  // empty in production).
  std::filesystem::path fault_enospc_file;
};

// Whether a change made now could be confirmed in time (see Journal::Health).
enum class JournalHealth {
  kOk,
  kStalled,  // a record has waited longer than the deadline to be acknowledged
  kFailing,  // the last write or sync failed (a full disk, an I/O error)
};

struct JournalSegment {
  uint64_t first_seq = 0;
  std::filesystem::path path;
};

class Journal : public alloc::EventLog {
 public:
  // `stores`: the stores in force, for the ids and attribution events carry.
  Journal(JournalOptions options, const alloc::Published<alloc::StoreView>& stores);
  ~Journal() override;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Reads every record with seq > after_seq (a snapshot covers the rest; the
  // journal may start after seq 1 once old segments were dropped), in order, passing its seq, JSON
  // text and location. A torn final record (a crash mid-write: it was never
  // acknowledged) is cut off and reported in `notes`; damage anywhere else
  // throws LoadError naming the file, the offset and what was expected.
  // Call once, before Start().
  using RecordFn =
      alloc::FunctionRef<void(uint64_t seq, std::string_view json, const std::string& where)>;
  void Recover(uint64_t after_seq, RecordFn fn, std::string& notes);

  // Starts the writer thread; Append may be called from then on.
  void Start();
  // Writes and syncs everything appended so far, then stops the writer.
  void Stop();

  // While one is alive on a thread, that thread's appends do not wake the
  // writer one by one: the first wake-up it owes is given when it ends. The
  // I/O threads hold one around the requests of each read, so a pipelined
  // batch is handed to the writer (and written) together instead of waking
  // it for the first record and leaving the rest to the next write.
  class WakeBatch {
   public:
    WakeBatch();
    ~WakeBatch();
    WakeBatch(const WakeBatch&) = delete;
    WakeBatch& operator=(const WakeBatch&) = delete;
  };

  uint64_t Append(const alloc::ReservationEvent& event) override;
  uint64_t Append(const alloc::StockSetEvent& event) override;
  uint64_t Append(const alloc::StoreEvent& event) override;

  uint64_t last_seq() const { return last_seq_.load(std::memory_order_acquire); }
  // Records up to here are in the files (readable by subscribers).
  uint64_t written_seq() const { return written_seq_.load(std::memory_order_acquire); }
  // Records up to here are on the disk (fdatasync'd): with sync = batch every
  // sync_interval_ms, with always at each write, with none only at a stop.
  uint64_t synced_seq() const { return synced_seq_.load(std::memory_order_acquire); }
  // Answers about changes up to here may be sent (depends on the sync mode).
  uint64_t AckedSeq() const;

  // kFailing while writes fail; kStalled when the oldest record not yet
  // acknowledged was appended more than `deadline_ms` ago (0: never stalled;
  // with sync = none nothing waits, so never stalled). Any thread, lock-free.
  JournalHealth Health(int64_t deadline_ms) const;
  // The errno of the failing write or sync (0 when writes succeed).
  int failing_errno() const { return failing_errno_.load(std::memory_order_relaxed); }

  // Called on the writer thread each time written_seq advances.
  void SetWrittenListener(std::function<void(uint64_t)> listener);

  std::vector<JournalSegment> Segments() const;
  // Deletes whole segments whose records all have seq <= `seq` (never the
  // one being written). Returns how many went.
  size_t DropSegmentsThrough(uint64_t seq);
  uint64_t RetainedBytes() const;
  const JournalOptions& options() const { return options_; }

  // Per record, nanoseconds from Append to the moment answers about it may
  // go (written for batch, fsynced for always; none is not measured): the
  // latency the sync mode adds. Call after Stop().
  const LatencyHistogram& AckLatency() const { return ack_ns_; }
  // The same, in fixed buckets readable while the journal runs (metrics).
  const DurationHistogram& AckLatencyLive() const { return live_ack_ns_; }

 private:
  template <typename Event>
  uint64_t AppendEvent(const Event& event);
  void WriterLoop();
  // Wakes the writer now, or at the end of this thread's WakeBatch.
  void WakeWriter();
  bool OpenSegment(uint64_t first_seq);
  // Fills in the checksum of every record in writing_.
  void SealRecords();
  bool WriteBatch();
  bool Failed(int error, const char* what);
  // fdatasync of the segment being written; synced_seq_ then covers what
  // was written before it. SyncFileLocked: with sync_mu_ held.
  void SyncFile();
  void SyncFileLocked();
  // sync = batch: syncs every sync_interval_ms on a thread of its own, so
  // the writer (and the answers waiting for it) never stall on the disk.
  void SyncerLoop();
  void RecordAcks();

  const JournalOptions options_;
  const alloc::Published<alloc::StoreView>& stores_;
  const uint64_t instance_;  // unique in the process (see AppendEvent)

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::string pending_;        // encoded records not yet handed to the writer; guarded by mu_
  uint64_t pending_last_ = 0;  // seq of the last record in pending_; guarded by mu_
  std::vector<int64_t> pending_at_ns_;    // Append time of each record in pending_; guarded by mu_
  bool stopping_ = false;                 // guarded by mu_
  std::vector<JournalSegment> segments_;  // guarded by mu_

  std::atomic<uint64_t> last_seq_{0};
  std::atomic<uint64_t> written_seq_{0};
  std::atomic<uint64_t> synced_seq_{0};
  // Steady-clock ns at which the oldest record not yet acknowledged was
  // appended; 0 when every record is. Written under mu_.
  std::atomic<int64_t> oldest_unacked_ns_{0};
  std::atomic<int> failing_errno_{0};
  std::function<void(uint64_t)> listener_;

  // Writer thread only.
  int fd_ = -1;
  uint64_t segment_size_ = 0;
  std::string writing_;
  std::vector<int64_t> writing_at_ns_;
  LatencyHistogram ack_ns_;
  DurationHistogram live_ack_ns_;
  bool new_segment_ = false;  // the next write starts a segment (set by Recover)
  int64_t failing_since_ns_ = 0;
  std::thread writer_;

  // The periodic sync (batch). The writer holds sync_mu_ only to sync and
  // swap segments, so a sync in progress never delays a write.
  std::mutex sync_mu_;
  std::condition_variable sync_wake_;
  int sync_fd_ = -1;            // fd_, as the syncer may use it; guarded by sync_mu_
  bool sync_stopping_ = false;  // guarded by sync_mu_
  std::thread syncer_;
};

// "always" | "batch" | "none"; nullopt for anything else.
std::optional<SyncMode> ParseSyncMode(std::string_view text);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_JOURNAL_H_
