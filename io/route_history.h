// The last route requests, kept as their request lines so a reload can be
// tried first: `{"op":"reload","dry_run":true}` replays them under the old
// and the new rules and counts the decisions that would change.
//
// One ring per I/O thread: a thread records into its own ring under that
// ring's mutex, which only a dry run ever contends for, so routing takes no
// shared lock. A ring's strings keep their capacity, so once warm a record
// is a copy, not an allocation (for lines no longer than earlier ones there).
#ifndef HOURGLASS_IO_ROUTE_HISTORY_H_
#define HOURGLASS_IO_ROUTE_HISTORY_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::io {

class RouteHistory {
 public:
  // `capacity` lines in all, shared evenly by `rings` rings.
  RouteHistory(size_t rings, size_t capacity);

  // Keeps `line` in ring `ring` (one per I/O thread), dropping the oldest.
  void Record(size_t ring, std::string_view line);

  // A copy of every kept line (each ring oldest first).
  std::vector<std::string> Lines() const;

 private:
  struct Ring {
    mutable std::mutex mu;
    std::vector<std::string> lines;  // guarded by mu
    size_t next = 0;                 // guarded by mu
    bool wrapped = false;            // guarded by mu
  };
  size_t per_ring_;
  std::unique_ptr<Ring[]> rings_;
  size_t ring_count_;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_ROUTE_HISTORY_H_
