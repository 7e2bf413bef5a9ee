// Test support: a stand-in for hourglassd's journal subscription. It listens
// on 127.0.0.1 (free port), serves one connection at a time on its own
// thread: reads {"op":"subscribe",...,"from":F}, answers the header line,
// streams the canned events from seq F on, and records every ack.
#ifndef HOURGLASS_TESTS_FAKE_DAEMON_H_
#define HOURGLASS_TESTS_FAKE_DAEMON_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hourglass::testing {

struct FakeDaemonOptions {
  // Close the first connection after sending this many events (-1: never).
  int64_t drop_after = -1;
  // Pacing: after every `chunk` events, wait `pause` (0: as fast as possible).
  int64_t chunk = 256;
  std::chrono::microseconds pause{0};
};

class FakeDaemon {
 public:
  // events[i] is the line (no '\n') of seq i + 1. `on_ack` runs on the
  // daemon's thread for every ack, before the next line is read.
  FakeDaemon(std::vector<std::string> events, FakeDaemonOptions options,
             std::function<void(int64_t)> on_ack = {});
  ~FakeDaemon();
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;

  uint16_t port() const { return port_; }
  std::vector<int64_t> acks() const;
  std::vector<int64_t> froms() const;  // the "from" of each subscribe, in order
  // Waits until an ack >= seq arrives; false on timeout.
  bool WaitForAck(int64_t seq, std::chrono::milliseconds timeout) const;

 private:
  void Serve();
  void Session(int fd, bool first);
  void OnLine(const std::string& line, int64_t& from);

  std::vector<std::string> events_;
  FakeDaemonOptions options_;
  std::function<void(int64_t)> on_ack_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<int64_t> acks_;
  std::vector<int64_t> froms_;
  std::thread thread_;
};

}  // namespace hourglass::testing

#endif  // HOURGLASS_TESTS_FAKE_DAEMON_H_
