// What the TCP server calls for each request line. One instance per I/O
// thread: it may keep per-thread buffers and need not be thread-safe.
#ifndef HOURGLASS_IO_LINE_HANDLER_H_
#define HOURGLASS_IO_LINE_HANDLER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hourglass::io {

// A connection turned into a one-way stream of lines (an event
// subscription). Lives on the connection's I/O thread.
class Stream {
 public:
  virtual ~Stream() = default;
  // Appends the lines available now, up to about `max_bytes`; appends
  // nothing when the subscriber is caught up (the server calls again after
  // Server::NotifyDurable).
  virtual void Fill(std::string& out, size_t max_bytes) = 0;
  // A line the subscriber sent (an ack); may append an answer to `out`.
  virtual void OnLine(std::string_view line, std::string& out) = 0;
};

// What a connection may do, once it authenticated (see [security] tokens).
// Without tokens configured every connection may do everything.
enum class Role : uint8_t {
  kNone,   // tokens are configured and this connection has not authenticated
  kOrder,  // route, commit, release, stock
  kOps,    // stock.set, store.upsert, store.remove, reload, subscribe, stats
  kAll,    // no tokens configured
};

// Per-connection state the handler keeps between lines.
struct Session {
  Role role = Role::kAll;
};

struct HandleResult {
  // The answer may only be sent once the journal acknowledges this seq (0:
  // at once). Answers still leave in request order.
  uint64_t wait_seq = 0;
  // Set by a subscribe: the connection streams from now on.
  std::unique_ptr<Stream> stream;
};

class LineHandler {
 public:
  virtual ~LineHandler() = default;
  // Appends exactly one answer line (ending in '\n') to `out`. `line` has no
  // newline, and at least simdjson::SIMDJSON_PADDING readable bytes follow it.
  virtual HandleResult Handle(std::string_view line, std::string& out, Session& session) = 0;
  // The lines handled between BeginBatch and EndBatch arrived together (one
  // read): the handler may read its clocks once for all of them.
  virtual void BeginBatch() {}
  virtual void EndBatch() {}
  // The state a new connection starts in.
  virtual Session NewSession() const { return {}; }
  // The answer for a line over the size limit (the server closes afterwards).
  virtual void TooLarge(size_t limit_bytes, std::string& out) = 0;
  // The line sent to a connection beyond the limit (the server closes it).
  virtual void TooManyConnections(size_t limit, std::string& out) = 0;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_LINE_HANDLER_H_
