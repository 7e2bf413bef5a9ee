// The HTTP admin listener (Boost.Beast): GET requests for metrics, health and
// the live map, answered by a handler on the listener's own thread and
// io_context, so nothing it does runs on, or waits for, an I/O thread of the
// order path.
//
// Limits: request headers up to kMaxHeaderBytes, bodies up to kMaxBodyBytes
// (larger: 413, then the connection is closed); a request that is not HTTP:
// 400, then closed; at most kMaxConnections at once (more are closed at
// once); a connection idle for kIdleTimeout is closed. Keep-alive is kept.
//
// With a TLS context (the daemon's [tls]), it speaks only HTTPS: a client that
// does not complete the handshake is closed without an answer.
//
// Thread-safety: construct, Start and Stop from one thread; the handler runs
// on the listener's thread only.
#ifndef HOURGLASS_IO_ADMIN_SERVER_H_
#define HOURGLASS_IO_ADMIN_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio::ssl {
class context;
}

namespace hourglass::io {

struct AdminResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string_view cache_control = "no-store";
};

struct AdminRequest {
  std::string_view method;  // "GET", "HEAD", ...
  std::string_view target;  // path and query, as sent
  std::string_view body;
};

class AdminServer {
 public:
  static constexpr size_t kMaxHeaderBytes = 8 * 1024;
  static constexpr size_t kMaxBodyBytes = 64 * 1024;
  static constexpr size_t kMaxConnections = 64;
  static constexpr std::chrono::seconds kIdleTimeout{30};

  using Handler = std::function<AdminResponse(const AdminRequest&)>;

  // Binds and listens; throws std::system_error when the address is unusable.
  // `tls` (may be null: plain HTTP) must outlive the server.
  AdminServer(const std::string& host, uint16_t port, Handler handler,
              std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  void Start();  // starts the listener's thread
  void Stop();   // closes everything and joins the thread
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_ADMIN_SERVER_H_
