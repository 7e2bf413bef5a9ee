#include "io/journal.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "io/event_codec.h"
#include "io/load_error.h"
#include "io/log.h"

namespace hourglass::io {
namespace {

namespace fs = std::filesystem;

constexpr size_t kHeaderBytes = 16;
// No event comes near this; a larger length field is damage, not data.
constexpr uint32_t kMaxRecordBytes = 1u << 24;
// How every event's text starts when encoded with seq 0 (see AppendEvent).
constexpr std::string_view kSeqPlaceholder = "{\"seq\":0";

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// CRC-32 (the IEEE polynomial, as zlib and boost::crc_32_type compute it) of
// the seq's 8 bytes followed by the payload. zlib's word-at-a-time code is
// about 3.5x faster than a byte-wise table on a record of ~350 bytes.
uint32_t Crc(uint64_t seq, const char* payload, size_t len) {
  unsigned char seq_bytes[8];
  for (int i = 0; i < 8; ++i) seq_bytes[i] = static_cast<unsigned char>(seq >> (8 * i));
  uLong crc = crc32(0L, seq_bytes, sizeof seq_bytes);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(payload), len);
  return static_cast<uint32_t>(crc);
}

void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string SegmentName(uint64_t first_seq) {
  char name[64];
  std::snprintf(name, sizeof name, "journal-%020llu.log",
                static_cast<unsigned long long>(first_seq));
  return name;
}

std::string ReadWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw LoadError(path.string() + ": cannot open the journal segment");
  std::string data(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  return data;
}

void SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// This thread's open WakeBatch scopes, and the journal whose writer it owes a
// wake-up (at most one: a thread that appends to a second journal wakes the
// first one's writer at once).
thread_local int t_wake_batches = 0;
thread_local Journal* t_owed_wake = nullptr;

// A number no other Journal of this process had: keys the per-thread store view
// cache (an address could be reused by the next journal).
uint64_t NextInstance() {
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace

Journal::WakeBatch::WakeBatch() { ++t_wake_batches; }

Journal::WakeBatch::~WakeBatch() {
  if (--t_wake_batches > 0 || t_owed_wake == nullptr) return;
  Journal* owed = t_owed_wake;
  t_owed_wake = nullptr;
  owed->wake_.notify_one();
}

void Journal::WakeWriter() {
  if (t_wake_batches == 0) {
    wake_.notify_one();
    return;
  }
  if (t_owed_wake != nullptr && t_owed_wake != this) t_owed_wake->wake_.notify_one();
  t_owed_wake = this;
}

std::optional<SyncMode> ParseSyncMode(std::string_view text) {
  if (text == "always") return SyncMode::kAlways;
  if (text == "batch") return SyncMode::kBatch;
  if (text == "none") return SyncMode::kNone;
  return std::nullopt;
}

Journal::Journal(JournalOptions options, const alloc::Published<alloc::StoreView>& stores)
    : options_(std::move(options)), stores_(stores), instance_(NextInstance()) {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) {
    throw LoadError(options_.dir.string() +
                    ": cannot create the journal directory: " + ec.message());
  }
  for (const auto& entry : fs::directory_iterator(options_.dir)) {
    const std::string name = entry.path().filename().string();
    unsigned long long first = 0;
    if (std::sscanf(name.c_str(), "journal-%20llu.log", &first) == 1 &&
        name == SegmentName(first)) {
      segments_.push_back({first, entry.path()});
    }
  }
  std::sort(
      segments_.begin(), segments_.end(),
      [](const JournalSegment& a, const JournalSegment& b) { return a.first_seq < b.first_seq; });
}

Journal::~Journal() {
  Stop();
  if (fd_ >= 0) ::close(fd_);
}

void Journal::Recover(uint64_t after_seq, RecordFn fn, std::string& notes) {
  uint64_t expected = 0;  // next seq; 0 until the first record is seen
  for (size_t s = 0; s < segments_.size(); ++s) {
    const JournalSegment& seg = segments_[s];
    const bool last_segment = s + 1 == segments_.size();
    // Segments kept only for subscribers hold nothing recovery needs.
    if (!last_segment && segments_[s + 1].first_seq <= after_seq + 1) continue;
    const std::string data = ReadWhole(seg.path);
    size_t off = 0;
    if (expected == 0) {
      expected = seg.first_seq;
      if (expected > after_seq + 1) {
        throw LoadError(seg.path.string() + ": the journal starts at seq " +
                        std::to_string(expected) + " but the snapshot ends at seq " +
                        std::to_string(after_seq) + ": records in between are missing");
      }
    }
    // A later segment may start past a gap only where the snapshot covers it.
    if (seg.first_seq != expected && seg.first_seq <= after_seq + 1) expected = seg.first_seq;
    if (seg.first_seq != expected) {
      throw LoadError(seg.path.string() + ": starts at seq " + std::to_string(seg.first_seq) +
                      " but the journal so far ends before seq " + std::to_string(expected) +
                      " (a segment is missing)");
    }
    while (off < data.size()) {
      const size_t left = data.size() - off;
      const uint32_t len = left >= kHeaderBytes ? GetU32(data.data() + off) : 0;
      const bool fits =
          left >= kHeaderBytes && len <= kMaxRecordBytes && kHeaderBytes + len <= left;
      const uint64_t seq = left >= kHeaderBytes ? GetU64(data.data() + off + 8) : 0;
      const bool sound =
          fits && GetU32(data.data() + off + 4) == Crc(seq, data.data() + off + kHeaderBytes, len);
      if (!sound) {
        // The last record of the last segment may be torn by a crash while it
        // was written: it was never acknowledged, so it is dropped. The same
        // holds for a zero-filled tail some file systems leave after a crash.
        const bool rest_is_zero = std::all_of(data.begin() + static_cast<long>(off), data.end(),
                                              [](char c) { return c == 0; });
        if (last_segment && (!fits || kHeaderBytes + len == left || rest_is_zero)) {
          notes += seg.path.filename().string() + ": dropped a torn final record at offset " +
                   std::to_string(off) + " (" + std::to_string(left) +
                   " bytes; a write cut short by a crash, never acknowledged)";
          if (::truncate(seg.path.c_str(), static_cast<off_t>(off)) != 0) {
            throw LoadError(seg.path.string() + ": cannot cut off the torn final record");
          }
          break;
        }
        throw LoadError(seg.path.string() + ": damaged record at offset " + std::to_string(off) +
                        ": expected a record of seq " + std::to_string(expected) +
                        " with a matching checksum; " +
                        (fits ? "the checksum does not match" : "the length field is invalid") +
                        ". Confirmed history cannot be skipped: restore the file or move it "
                        "aside knowing what it held");
      }
      if (seq != expected) {
        throw LoadError(seg.path.string() + ": record at offset " + std::to_string(off) +
                        " has seq " + std::to_string(seq) + ", expected " +
                        std::to_string(expected));
      }
      if (seq > after_seq) {
        fn(seq, std::string_view(data.data() + off + kHeaderBytes, len),
           seg.path.filename().string() + " offset " + std::to_string(off));
      }
      off += kHeaderBytes + len;
      ++expected;
    }
    if (last_segment) segment_size_ = off;
  }
  const uint64_t journal_last = expected == 0 ? 0 : expected - 1;
  const uint64_t last = std::max(after_seq, journal_last);
  // The snapshot may be ahead of a journal that lost its unsynced tail (those
  // changes were never acknowledged): new records then start a new segment,
  // so seqs stay contiguous within every file.
  new_segment_ = journal_last < after_seq;
  last_seq_ = written_seq_ = synced_seq_ = last;
  pending_last_ = last;
  if (!segments_.empty()) {
    fd_ = ::open(segments_.back().path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) throw LoadError(segments_.back().path.string() + ": cannot open for appending");
    std::lock_guard sync_lock(sync_mu_);
    sync_fd_ = fd_;
  }
}

void Journal::Start() {
  writer_ = std::thread([this] { WriterLoop(); });
  if (options_.sync == SyncMode::kBatch) syncer_ = std::thread([this] { SyncerLoop(); });
}

void Journal::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();  // it syncs everything written on its way out
  {
    std::lock_guard sync_lock(sync_mu_);
    sync_stopping_ = true;
  }
  sync_wake_.notify_one();
  if (syncer_.joinable()) syncer_.join();
}

uint64_t Journal::AckedSeq() const {
  switch (options_.sync) {
    case SyncMode::kAlways:
      return synced_seq_.load(std::memory_order_acquire);
    case SyncMode::kBatch:
      return written_seq_.load(std::memory_order_acquire);
    case SyncMode::kNone:
      return last_seq_.load(std::memory_order_acquire);
  }
  return 0;
}

void Journal::SetWrittenListener(std::function<void(uint64_t)> listener) {
  listener_ = std::move(listener);
}

size_t Journal::DropSegmentsThrough(uint64_t seq) {
  std::vector<fs::path> doomed;
  {
    std::lock_guard lock(mu_);
    size_t n = 0;
    while (n + 1 < segments_.size() && segments_[n + 1].first_seq - 1 <= seq) ++n;
    for (size_t i = 0; i < n; ++i) doomed.push_back(segments_[i].path);
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<long>(n));
  }
  std::error_code ec;
  for (const auto& p : doomed) fs::remove(p, ec);
  return doomed.size();
}

uint64_t Journal::RetainedBytes() const {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& s : Segments()) bytes += fs::file_size(s.path, ec);
  return bytes;
}

std::vector<JournalSegment> Journal::Segments() const {
  std::lock_guard lock(mu_);
  return segments_;
}

uint64_t Journal::Append(const alloc::ReservationEvent& event) { return AppendEvent(event); }
uint64_t Journal::Append(const alloc::StockSetEvent& event) { return AppendEvent(event); }
uint64_t Journal::Append(const alloc::StoreEvent& event) { return AppendEvent(event); }

template <typename Event>
uint64_t Journal::AppendEvent(const Event& event) {
  // The text is made before the lock, with seq 0 as a placeholder (the real
  // seq is only known under it), so that the lock orders records and copies
  // bytes, nothing more; the writer thread fills in the checksums. The
  // caller still holds the store's lock, so records of one store keep the
  // order of their changes.
  thread_local std::string text;
  thread_local std::shared_ptr<const alloc::StoreView> view;  // this thread's, of journal view_of
  thread_local uint64_t view_of = 0;
  if (view_of != instance_) {
    view.reset();
    view_of = instance_;
  }
  text.clear();
  EncodeEvent(0, event, stores_.Get(view).stores, text);
  if (!text.starts_with(kSeqPlaceholder)) {
    throw std::logic_error("journal: an encoded event does not start with its seq");
  }
  const std::string_view rest = std::string_view(text).substr(kSeqPlaceholder.size());
  const int64_t now = options_.sync != SyncMode::kNone ? SteadyNs() : 0;

  std::unique_lock lock(mu_);
  const uint64_t seq = pending_last_ + 1;
  const size_t start = pending_.size();
  char digits[24];
  const size_t seq_len =
      static_cast<size_t>(std::to_chars(digits, digits + sizeof digits, seq).ptr - digits);
  const size_t len = kSeqPlaceholder.size() - 1 + seq_len + rest.size();
  pending_.resize(start + kHeaderBytes + len);
  char* record = pending_.data() + start;
  PutU32(record, static_cast<uint32_t>(len));
  PutU64(record + 8, seq);  // the CRC at +4 is the writer's (see WriteBatch)
  char* payload = record + kHeaderBytes;
  std::memcpy(payload, kSeqPlaceholder.data(), kSeqPlaceholder.size() - 1);
  std::memcpy(payload + kSeqPlaceholder.size() - 1, digits, seq_len);
  std::memcpy(payload + kSeqPlaceholder.size() - 1 + seq_len, rest.data(), rest.size());
  pending_last_ = seq;
  if (options_.sync != SyncMode::kNone) {
    pending_at_ns_.push_back(now);
    if (oldest_unacked_ns_.load(std::memory_order_relaxed) == 0) {
      oldest_unacked_ns_.store(now, std::memory_order_relaxed);
    }
  }
  last_seq_.store(seq, std::memory_order_release);
  const bool first = start == 0;
  lock.unlock();
  // The writer sleeps only when there was nothing pending; one wake-up per batch.
  if (first) WakeWriter();
  return seq;
}

JournalHealth Journal::Health(int64_t deadline_ms) const {
  if (failing_errno_.load(std::memory_order_relaxed) != 0) return JournalHealth::kFailing;
  if (deadline_ms <= 0) return JournalHealth::kOk;
  const int64_t oldest = oldest_unacked_ns_.load(std::memory_order_relaxed);
  return oldest != 0 && SteadyNs() - oldest > deadline_ms * 1'000'000 ? JournalHealth::kStalled
                                                                      : JournalHealth::kOk;
}

bool Journal::OpenSegment(uint64_t first_seq) {
  if (fd_ >= 0) {
    // The syncer must not sync a closed (or reused) descriptor.
    std::lock_guard sync_lock(sync_mu_);
    SyncFileLocked();
    ::close(fd_);
    fd_ = -1;
    sync_fd_ = -1;
  }
  const fs::path path = options_.dir / SegmentName(first_seq);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return Failed(errno, "create a segment in");
  {
    std::lock_guard sync_lock(sync_mu_);
    sync_fd_ = fd_;
  }
  SyncDirectory(options_.dir);
  segment_size_ = 0;
  std::lock_guard lock(mu_);
  segments_.push_back({first_seq, path});
  return true;
}

bool Journal::Failed(int error, const char* what) {
  // Part of the batch may have reached the file: cut it back to the last
  // whole batch, so the retry appends whole records there (and pages a failed
  // sync may have dropped are written again rather than trusted).
  if (fd_ >= 0 && ::ftruncate(fd_, static_cast<off_t>(segment_size_)) != 0) {
    // The retry's records follow the torn bytes then: recovery would stop on
    // them. Start a new segment instead (seqs stay contiguous within files).
    new_segment_ = true;
  }
  if (failing_errno_.load(std::memory_order_relaxed) == 0) {
    failing_since_ns_ = SteadyNs();
    Log(LogLevel::kError, "journal",
        std::string("journal: cannot ") + what + " " + options_.dir.string() + " (" +
            std::strerror(error) +
            "): changes are refused as unavailable until it works again; retrying every 100 ms");
  }
  failing_errno_.store(error == 0 ? EIO : error, std::memory_order_relaxed);
  return false;
}

void Journal::SealRecords() {
  for (size_t off = 0; off < writing_.size();) {
    char* record = writing_.data() + off;
    const uint32_t len = GetU32(record);
    PutU32(record + 4, Crc(GetU64(record + 8), record + kHeaderBytes, len));
    off += kHeaderBytes + len;
  }
}

bool Journal::WriteBatch() {
  if (fd_ < 0 || new_segment_ || segment_size_ >= options_.segment_bytes) {
    if (!OpenSegment(GetU64(writing_.data() + 8))) return false;
    new_segment_ = false;
  }
  if (!options_.fault_enospc_file.empty() && fs::exists(options_.fault_enospc_file)) {
    return Failed(ENOSPC, "write to");
  }
  size_t done = 0;
  while (done < writing_.size()) {
    const ssize_t n = ::write(fd_, writing_.data() + done, writing_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Failed(errno, "write to");
    done += static_cast<size_t>(n);
  }
  if (options_.sync == SyncMode::kAlways && ::fdatasync(fd_) != 0) return Failed(errno, "sync");
  segment_size_ += writing_.size();
  if (failing_errno_.load(std::memory_order_relaxed) != 0) {
    Log(LogLevel::kWarn, "journal",
        "journal: writing to " + options_.dir.string() + " again after " +
            std::to_string((SteadyNs() - failing_since_ns_) / 1'000'000) + " ms");
    failing_errno_.store(0, std::memory_order_relaxed);
  }
  return true;
}

void Journal::SyncFile() {
  std::lock_guard sync_lock(sync_mu_);
  SyncFileLocked();
}

void Journal::SyncFileLocked() {
  // Read before the sync: every record up to here was written before it began.
  const uint64_t written = written_seq_.load(std::memory_order_acquire);
  if (sync_fd_ >= 0) ::fdatasync(sync_fd_);
  synced_seq_.store(written, std::memory_order_release);
}

void Journal::SyncerLoop() {
  const auto interval = std::chrono::milliseconds(options_.sync_interval_ms);
  std::unique_lock lock(sync_mu_);
  while (!sync_stopping_) {
    if (sync_wake_.wait_for(lock, interval, [&] { return sync_stopping_; })) break;
    if (synced_seq_.load(std::memory_order_relaxed) !=
        written_seq_.load(std::memory_order_acquire)) {
      SyncFileLocked();
    }
  }
}

void Journal::RecordAcks() {
  const int64_t now = SteadyNs();
  for (const int64_t at : writing_at_ns_) {
    ack_ns_.Record(static_cast<uint64_t>(now - at));
    live_ack_ns_.Record(static_cast<uint64_t>(now - at));
  }
  writing_at_ns_.clear();
  std::lock_guard lock(mu_);
  oldest_unacked_ns_.store(pending_at_ns_.empty() ? 0 : pending_at_ns_.front(),
                           std::memory_order_relaxed);
}

void Journal::WriterLoop() {
  constexpr auto kRetry = std::chrono::milliseconds(100);
  while (true) {
    uint64_t batch_last = 0;
    bool stop = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return !pending_.empty() || stopping_; });
      writing_.swap(pending_);
      writing_at_ns_.swap(pending_at_ns_);
      batch_last = pending_last_;
      stop = stopping_ && writing_.empty();
    }
    if (!writing_.empty()) {
      SealRecords();
      if (options_.fault_write_delay_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(options_.fault_write_delay_ms));
      }
      // Nothing of this batch is acknowledged until it is written: keep
      // trying (a full disk may get space back) rather than lose it. Only a
      // stop gives up; those records were never acknowledged.
      bool gave_up = false;
      while (!WriteBatch()) {
        std::unique_lock lock(mu_);
        if (wake_.wait_for(lock, kRetry, [&] { return stopping_; })) {
          gave_up = true;
          break;
        }
      }
      if (gave_up) {
        std::lock_guard lock(mu_);
        Log(LogLevel::kError, "journal",
            "journal: stopping with records " + std::to_string(written_seq_.load() + 1) + " to " +
                std::to_string(pending_last_) + " unwritten (" +
                std::strerror(failing_errno_.load()) +
                (options_.sync == SyncMode::kNone
                     ? "); with sync = none they had been answered: only the snapshot taken at "
                       "this stop can keep them"
                     : "); none of them was acknowledged"));
        return;
      }
      writing_.clear();
      written_seq_.store(batch_last, std::memory_order_release);
      if (options_.sync == SyncMode::kAlways) {
        synced_seq_.store(batch_last, std::memory_order_release);
      }
      RecordAcks();
      if (listener_) listener_(batch_last);
    }
    if (stop) break;
  }
  SyncFile();
  if (listener_) listener_(written_seq_.load());
}

}  // namespace hourglass::io
