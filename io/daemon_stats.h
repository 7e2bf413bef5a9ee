// Everything an operator reads about the running daemon, gathered from the
// counters (Metrics), the allocator, the journal, the subscriptions and the
// server, and written two ways: Prometheus text (/metrics on the admin
// listener) and one JSON object (the `stats` op). Both show the same figures
// under the same names (README "Operations" lists them).
//
// Cheap figures are read at each call. The ones that walk all stock or all
// orders (rows with nothing available, orders held now) are recounted by
// Refresh(), which the daemon's housekeeping thread calls every few seconds,
// so a scrape or a `stats` op never walks millions of rows on an I/O thread.
//
// Thread-safety: every method may be called from any thread.
#ifndef HOURGLASS_IO_DAEMON_STATS_H_
#define HOURGLASS_IO_DAEMON_STATS_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "alloc/allocator.h"
#include "io/json_writer.h"
#include "io/metrics.h"

namespace hourglass::io {

class Journal;
class Subscriptions;
class RulesReloader;

struct StatsSources {
  const Metrics* metrics = nullptr;
  alloc::Allocator* allocator = nullptr;
  const Journal* journal = nullptr;              // may be null
  const Subscriptions* subscriptions = nullptr;  // may be null
  const RulesReloader* reloader = nullptr;       // may be null
  std::function<size_t()> open_connections;      // may be empty
  std::function<int64_t()> wall_ms;              // the wall clock (Unix ms)
};

// Stores listed by capacity saturation, at most.
inline constexpr size_t kSaturationTop = 10;

// One store's share of its hourly capacity taken in the current hour.
struct StoreSaturation {
  alloc::StoreIdx store{};
  int32_t used = 0;
  int32_t capacity = 0;
  double share() const { return capacity > 0 ? static_cast<double>(used) / capacity : 0; }
};

class DaemonStats {
 public:
  explicit DaemonStats(StatsSources sources);

  // Recounts the slow figures (walks every store's stock under its own lock,
  // a few microseconds each, and every order shard).
  void Refresh();

  void WriteJson(JsonWriter& w) const;
  void WritePrometheus(std::string& out) const;

  // Per store (by index): rows with nothing available, as of the last Refresh.
  std::vector<uint32_t> RowsOutByStore() const;
  // Stores with a capacity_per_hour, fullest first (all of them).
  std::vector<StoreSaturation> Saturation() const;

 private:
  struct Slow {
    uint64_t rows_out = 0;
    uint64_t stores_with_stockouts = 0;
    uint64_t held_now = 0;
    int64_t refreshed_wall_ms = 0;
    std::vector<uint32_t> rows_out_by_store;
  };
  Slow SlowFigures() const;

  StatsSources src_;
  int64_t start_wall_ms_;
  mutable std::mutex mu_;
  Slow slow_;  // guarded by mu_
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_DAEMON_STATS_H_
