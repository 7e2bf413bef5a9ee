// The NDJSON protocol: parses one request line (simdjson DOM, which validates
// the whole line), checks every field at the edge, calls the Allocator, and
// writes one answer line. Bad input becomes an error answer with a stable
// code and changes nothing.
//
// One RequestHandler per I/O thread (it owns that thread's parser and
// buffers); the Allocator behind it is shared and thread-safe.
#ifndef HOURGLASS_IO_REQUEST_HANDLER_H_
#define HOURGLASS_IO_REQUEST_HANDLER_H_

#include <simdjson.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "alloc/allocator.h"
#include "io/config.h"
#include "io/decision_log.h"
#include "io/journal.h"
#include "io/json_writer.h"
#include "io/line_handler.h"
#include "io/metrics.h"
#include "io/route_history.h"
#include "io/rules_reload.h"
#include "io/subscription.h"

namespace hourglass::io {

// Longest order id or SKU name accepted on the wire.
inline constexpr size_t kMaxNameBytes = 128;
// Largest quantity of one line: far above any real order, and small enough
// that 10,000 lines cannot overflow a 32-bit sum.
inline constexpr int64_t kMaxLineQty = 100'000;

// What the ops-side requests reach; each may be null (the op is then refused
// as unavailable, or nothing is recorded).
struct HandlerOps {
  RulesReloader* reloader = nullptr;
  RouteHistory* history = nullptr;  // recent route lines, for reload dry runs
  size_t history_ring = 0;          // this handler's ring in `history`
  // store.upsert: zone files are relative to this folder (the stores file's);
  // a new store without radius_km / prep_min gets these ([rules] defaults).
  std::filesystem::path stores_dir;
  double default_radius_km = 8.0;
  double default_prep_min = 10.0;
  // [security] tokens; empty: every connection may use every op.
  std::vector<SecurityToken> tokens;
  // Changes are refused while it cannot confirm them in time (see
  // [limits] request_deadline_ms); null: never refused.
  const Journal* journal = nullptr;
  // This handler's counters (one writer: its I/O thread); null: not counted.
  ThreadMetrics* metrics = nullptr;
  // Route decisions for the live map; null: not kept.
  DecisionLog* decisions = nullptr;
  size_t decision_ring = 0;
  // Writes the `stats` answer's figures (the same as /metrics); null: the
  // op is refused as unavailable.
  std::function<void(JsonWriter&)> stats = nullptr;
};

class RequestHandler : public LineHandler {
 public:
  using Clock = std::function<alloc::Now()>;

  // `subscriptions` may be null (no journal): subscribe is then refused.
  RequestHandler(alloc::Allocator& allocator, const Limits& limits, Clock clock,
                 Subscriptions* subscriptions = nullptr, HandlerOps ops = {});

  HandleResult Handle(std::string_view line, std::string& out, Session& session) override;
  // Within a batch, `now` is read once (a pipelined batch of 32 routes read
  // the clocks 128 times, 5 % of the daemon's time), and each request's
  // latency runs from the end of the one before.
  void BeginBatch() override;
  void EndBatch() override {
    in_batch_ = false;
    last_end_ = {};
  }
  Session NewSession() const override;
  void TooLarge(size_t limit_bytes, std::string& out) override;
  void TooManyConnections(size_t limit, std::string& out) override;

 private:
  struct Error;
  class Answer;

  // The clock's reading for this request: once per batch.
  alloc::Now Now();
  // Handle without the counting: sets op_index_ and fail_code_.
  HandleResult Dispatch(std::string_view line, std::string& out, Session& session);
  void CountRoute(const alloc::RouteRequest& request, const alloc::RouteResult& r, alloc::Now now);
  // Each returns the journal seq its answer must wait for (0: none).
  bool ParseRoute(const simdjson::dom::object& req, Answer& answer, alloc::RouteRequest& request);
  uint64_t Route(const simdjson::dom::object& req, std::string_view line, Answer& answer);
  void Reload(const simdjson::dom::object& req, Answer& answer);
  void Auth(const simdjson::dom::object& req, Answer& answer, Session& session);
  uint64_t StoreUpsert(const simdjson::dom::object& req, Answer& answer);
  uint64_t StoreRemove(const simdjson::dom::object& req, Answer& answer);
  uint64_t Finish(const simdjson::dom::object& req, bool commit, Answer& answer);
  // False, with the answer saying why, when a change could not be confirmed
  // in time: it is refused before anything is decided, so nothing changes.
  bool CanChange(Answer& answer);
  void Stock(const simdjson::dom::object& req, Answer& answer);
  uint64_t StockSet(const simdjson::dom::object& req, Answer& answer);
  std::unique_ptr<Stream> Subscribe(const simdjson::dom::object& req, Answer& answer);

  alloc::Allocator& allocator_;
  Limits limits_;
  Clock clock_;
  Subscriptions* subscriptions_;
  RulesReloader* reloader_;
  RouteHistory* history_;
  size_t history_ring_;
  HandlerOps ops_;
  simdjson::dom::parser parser_;
  std::unique_ptr<simdjson::dom::parser> what_if_parser_;  // dry runs only
  alloc::AllocScratch scratch_;
  std::vector<alloc::OrderItem> items_;
  // The request being handled, for the metrics.
  size_t op_index_ = 0;
  std::string_view fail_code_;
  bool in_batch_ = false;
  std::optional<alloc::Now> batch_now_;  // read by the batch's first request that needs it
  std::chrono::steady_clock::time_point last_end_{};  // in a batch: the previous request's end
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_REQUEST_HANDLER_H_
