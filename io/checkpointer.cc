#include "io/checkpointer.h"

#include <chrono>
#include <cstdio>

#include "io/clock.h"
#include "io/load_error.h"
#include "io/log.h"
#include "io/snapshot.h"

namespace hourglass::io {

Checkpointer::Checkpointer(alloc::Allocator& allocator, Journal& journal,
                           Subscriptions& subscriptions, std::filesystem::path dir,
                           uint64_t every_records, uint64_t max_retained_bytes,
                           uint64_t last_snapshot_seq)
    : allocator_(allocator),
      journal_(journal),
      subscriptions_(subscriptions),
      dir_(std::move(dir)),
      every_records_(every_records),
      max_retained_bytes_(max_retained_bytes),
      last_seq_(last_snapshot_seq) {}

Checkpointer::~Checkpointer() {
  if (worker_.joinable()) worker_.join();
}

void Checkpointer::MaybeStart() {
  if (journal_.last_seq() - last_seq_.load() < every_records_ || running_.exchange(true)) return;
  if (worker_.joinable()) worker_.join();
  worker_ = std::thread([this] {
    Checkpoint();
    running_ = false;
  });
}

bool Checkpointer::RunNow() {
  if (worker_.joinable()) worker_.join();
  if (journal_.last_seq() == last_seq_.load()) return true;  // nothing new
  return Checkpoint();
}

bool Checkpointer::Checkpoint() {
  const auto t0 = std::chrono::steady_clock::now();
  const alloc::StateImage image =
      allocator_.Capture([this] { return journal_.last_seq(); }, ClockNow());
  const auto pause_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  // The snapshot must not run ahead of the journal on disk.
  while (journal_.written_seq() < image.seq) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  try {
    const auto path = WriteSnapshot(dir_, image);
    RemoveSnapshotsBefore(dir_, image.seq);
    last_seq_ = image.seq;
    // Recovery needs nothing up to image.seq now; subscribers may still.
    uint64_t keep_after = std::min(image.seq, subscriptions_.MinAcked());
    if (journal_.RetainedBytes() > max_retained_bytes_ && keep_after < image.seq) {
      Log(LogLevel::kWarn, "checkpoint",
          "checkpoint: journal over [journal] max_retained_bytes; dropping segments a subscriber "
          "has not acked (it must resync)");
      keep_after = image.seq;
    }
    const size_t dropped = journal_.DropSegmentsThrough(keep_after);
    const long long total_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    char text[256];
    std::snprintf(text, sizeof text,
                  "checkpoint: %s at seq %llu (%zu orders; state copied in %lld ms, %lld ms in "
                  "all); %zu journal segments dropped",
                  path.filename().c_str(), static_cast<unsigned long long>(image.seq),
                  image.orders.size(), static_cast<long long>(pause_ms), total_ms, dropped);
    Log(LogLevel::kInfo, "checkpoint", text,
        {LogField::Str("snapshot", path.filename().native()),
         LogField::Int("seq", static_cast<int64_t>(image.seq)),
         LogField::Int("orders", static_cast<int64_t>(image.orders.size())),
         LogField::Int("pause_ms", static_cast<int64_t>(pause_ms)),
         LogField::Int("total_ms", total_ms),
         LogField::Int("segments_dropped", static_cast<int64_t>(dropped))});
    return true;
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "checkpoint",
        std::string("checkpoint failed (the journal still has everything): ") + e.what());
    return false;
  }
}

}  // namespace hourglass::io
