// The TCP front end: newline-delimited requests in, one answer line per
// request out, in request order, pipelining allowed.
//
// Threads: `io_threads` workers, each running its own io_context with its own
// LineHandler (shared-nothing). The acceptor hands each new connection to the
// next worker in turn; a connection then lives on that one thread, so its
// buffers need no locks. Answers to every request found in one read are
// written back together (one write for a pipelined batch).
//
// Limits: a line longer than max_line_bytes gets `too_large` and the
// connection is closed. A client that stops reading its answers is not read
// from while more than kMaxPendingOutputBytes of answers wait for it, so its
// memory stays bounded, and it is closed after idle_timeout_s without progress.
//
// Durability: an answer whose change must be in the journal first waits in
// its connection's buffer (later answers wait behind it, keeping the order)
// until NotifyDurable() says the journal got that far. The I/O thread never
// blocks on the disk; it goes on reading and handling requests.
//
// TLS: with ServerOptions::tls every connection starts with a TLS handshake;
// the rest is the same code over an SSL stream.
//
// Stop(): stop accepting, answer every request already read, flush, close.
#ifndef HOURGLASS_IO_SERVER_H_
#define HOURGLASS_IO_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "io/latency_histogram.h"
#include "io/line_handler.h"

namespace boost::asio::ssl {
class context;
}

namespace hourglass::io {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7878;  // 0: any free port (see Server::port())
  int io_threads = 2;
  size_t max_line_bytes = 64 * 1024;
  // Connections beyond this get a too_many_connections line and are closed.
  size_t max_connections = 10000;
  // A connection on which nothing moves for this long — no request read, no
  // answer taken — is closed (0: never). A caught-up stream is exempt.
  int idle_timeout_s = 600;
  // The journal position answers may be sent up to (see HandleResult).
  // Unset: no answer waits.
  std::function<uint64_t()> acked_seq;
  // Set: the listener speaks only TLS with this context (see io/tls_context.h);
  // a client that does not is closed after its failed handshake.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

class Server {
 public:
  using HandlerFactory = std::function<std::unique_ptr<LineHandler>()>;

  // Binds and listens; throws std::system_error when the address is unusable.
  Server(const ServerOptions& options, const HandlerFactory& make_handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the worker threads; returns at once.
  void Start();
  // Graceful stop; waits at most `grace_ms` for clients to take their
  // answers, then closes what is left. Returns once every thread has exited.
  void Stop(int grace_ms = 5000);

  uint16_t port() const;
  // Client connections open now (any thread).
  size_t open_connections() const;

  // How long answers waited for the journal (nanoseconds, one value per
  // answer that carried a change): the latency the sync mode adds, measured
  // inside the daemon. Call after Stop().
  LatencyHistogram JournalHold() const;

  // The journal acknowledged more: send the answers that waited for it and
  // feed caught-up streams. Any thread.
  void NotifyDurable();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_SERVER_H_
