// The CLI's connection to hourglassd: one TCP connection speaking the line
// protocol (one JSON object per line each way), over TLS when given a client
// context ([tls] on the daemon). Blocking, with a deadline per call; one
// thread. Errors are exceptions of ConnectError (could not connect, the TLS
// handshake failed, or the connection broke) so the CLI can map them to one
// exit code.
#ifndef HOURGLASS_DAEMON_LINE_CLIENT_H_
#define HOURGLASS_DAEMON_LINE_CLIENT_H_

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <stdexcept>
#include <string>

namespace hourglass::cli {

struct ConnectError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class LineClient {
 public:
  // `address` is "host:port" or "[v6]:port". With `tls`, the handshake
  // verifies the daemon's certificate for that host. Throws ConnectError.
  LineClient(const std::string& address, std::chrono::milliseconds timeout,
             boost::asio::ssl::context* tls = nullptr);
  ~LineClient();
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;

  // Sends `line` and a newline. Throws ConnectError.
  void Send(const std::string& line);
  // The next line without its newline; waits up to the timeout, or forever
  // when `forever`. Throws ConnectError when the daemon closes or the time
  // is up.
  std::string ReadLine(bool forever = false);
  // Says "no more requests" and waits (up to the timeout) until the daemon
  // closes: it has then handled every line sent, an ack too, which has no
  // answer to wait for. What still arrives is dropped. Never throws.
  void Finish();
  // True when a whole line is already buffered (no read needed).
  bool HasLine() const { return buffer_.find('\n') != std::string::npos; }

 private:
  void Handshake(boost::asio::ssl::context& tls, const std::string& host);
  // recv / send through TLS when it is on; -1 with errno EAGAIN when TLS
  // must wait for more bytes.
  ssize_t Receive(char* data, size_t size);
  ssize_t Transmit(const char* data, size_t size);
  bool Buffered() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }

  int fd_ = -1;
  SSL* ssl_ = nullptr;  // set while the connection speaks TLS
  std::chrono::milliseconds timeout_;
  std::string address_;
  std::string buffer_;
};

}  // namespace hourglass::cli

#endif  // HOURGLASS_DAEMON_LINE_CLIENT_H_
