// What the admin listener answers, path by path: /healthz, /readyz, /metrics
// (Prometheus text), the live map's page and its JSON feeds under /api/.
// Runs on the admin listener's thread only.
//
// The listener starts before the data is loaded (so /healthz and /readyz
// answer during a long start); the daemon's parts are attached once they
// exist, and detached before they go. Until then /readyz answers 503 and the
// feeds 503 too.
#ifndef HOURGLASS_IO_ADMIN_API_H_
#define HOURGLASS_IO_ADMIN_API_H_

#include <mutex>
#include <string>

#include "alloc/allocator.h"
#include "io/admin_server.h"
#include "io/daemon_stats.h"
#include "io/decision_log.h"
#include "io/line_handler.h"
#include "io/metrics.h"

namespace hourglass::io {

// The running daemon's parts the admin pages read.
struct AdminParts {
  const DaemonStats* stats = nullptr;
  alloc::Allocator* allocator = nullptr;
  const DecisionLog* decisions = nullptr;  // may be null
  // Answers the map's explain queries (a RequestHandler of the admin
  // thread's own: its parser and buffers are not shared with an I/O thread).
  LineHandler* quoter = nullptr;
  std::function<int64_t()> wall_ms;
};

class AdminApi {
 public:
  explicit AdminApi(const Metrics& metrics) : metrics_(metrics) {}

  void Attach(AdminParts parts);
  // Waits for a request in progress; afterwards the parts may go.
  void Detach();

  AdminResponse Handle(const AdminRequest& request);

 private:
  AdminResponse Metrics() const;
  AdminResponse Stats() const;
  AdminResponse Stores() const;
  AdminResponse StoreDetail(std::string_view query) const;
  AdminResponse Decisions(std::string_view query) const;
  AdminResponse Route(std::string_view query);

  const io::Metrics& metrics_;
  std::mutex mu_;     // held while a request reads the parts
  AdminParts parts_;  // guarded by mu_; empty until attached
  Session session_;   // the quoter's session
  std::string line_;  // the quoter's request and answer buffers
  std::string answer_;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_ADMIN_API_H_
