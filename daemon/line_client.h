// The CLI's connection to hourglassd: one TCP connection speaking the line
// protocol (one JSON object per line each way). Blocking, with a deadline per
// call; one thread. Errors are exceptions of ConnectError (could not connect,
// or the connection broke) so the CLI can map them to one exit code.
#ifndef HOURGLASS_DAEMON_LINE_CLIENT_H_
#define HOURGLASS_DAEMON_LINE_CLIENT_H_

#include <chrono>
#include <stdexcept>
#include <string>

namespace hourglass::cli {

struct ConnectError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class LineClient {
 public:
  // `address` is "host:port" or "[v6]:port". Throws ConnectError.
  LineClient(const std::string& address, std::chrono::milliseconds timeout);
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
  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string address_;
  std::string buffer_;
};

}  // namespace hourglass::cli

#endif  // HOURGLASS_DAEMON_LINE_CLIENT_H_
