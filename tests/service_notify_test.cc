// systemd's notify protocol with the real daemon: the test owns the
// NOTIFY_SOCKET (a unix datagram socket, as systemd does) and checks that
// READY=1 comes only once the daemon serves — the listening line is out, the
// data loaded and the journal replayed — that WATCHDOG=1 pings arrive when
// asked for, that STOPPING=1 comes at SIGTERM, and that a daemon that fails
// to start never says READY.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/daemon_harness.h"

namespace hourglass::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStores = "store_id,lat,lon\nS-1,31.2304,121.4737\n";
constexpr const char* kStock = "store_id,sku,on_hand\nS-1,A,10\n";

// The socket systemd would listen on.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot bind " + path.string());
    }
  }
  ~NotifySocket() { ::close(fd_); }

  // The next message, or "" when none comes within `timeout`.
  std::string Next(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
  // The next message that is not a watchdog ping.
  std::string NextState(std::chrono::milliseconds timeout) {
    std::string m;
    while ((m = Next(timeout)) == "WATCHDOG=1") {
    }
    return m;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  int fd_ = -1;
};

// hourglassd started the way systemd starts it: NOTIFY_SOCKET (and, when
// asked, WATCHDOG_USEC / WATCHDOG_PID) in its environment; stdout to a pipe
// the test reads only after READY.
struct Service {
  pid_t pid = -1;
  int stdout_fd = -1;

  Service(const fs::path& config, const fs::path& socket, const fs::path& stderr_path,
          bool watchdog) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    pid = ::fork();
    if (pid == 0) {
      ::dup2(fds[1], 1);
      const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(err, 2);
      ::setenv("NOTIFY_SOCKET", socket.c_str(), 1);
      if (watchdog) {
        ::setenv("WATCHDOG_USEC", "400000", 1);
        ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
      }
      ::execl(HOURGLASSD_PATH, "hourglassd", "--config", config.c_str(), "--listen", "127.0.0.1:0",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    stdout_fd = fds[0];
    ::fcntl(stdout_fd, F_SETFL, O_NONBLOCK);
  }
  ~Service() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    ::close(stdout_fd);
  }
  // What the daemon has written to stdout so far (without waiting).
  std::string StdoutSoFar() const {
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = ::read(stdout_fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  int Wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

class ServiceNotifyTest : public ::testing::Test {
 protected:
  fs::path Config(const std::string& stock = kStock) {
    dir_.Write("stores.csv", kStores);
    dir_.Write("stock.csv", stock);
    return dir_.Write("h.toml",
                      "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n");
  }
  TempDir dir_;
};

TEST_F(ServiceNotifyTest, ReadyOnlyOnceServingThenStoppingAtSigterm) {
  const fs::path config = Config();
  // A first run leaves a hold in the journal, then dies without a snapshot:
  // the next start must replay it before it says READY.
  {
    Daemon first(config);
    Client c(first.port());
    ASSERT_TRUE(c.Call(R"({"op":"route","order":"O-1","reserve":true,"lat":31.2304,)"
                       R"("lon":121.4737,"items":[{"sku":"A","qty":3}]})")
                    .Flag("reserved"));
    ASSERT_EQ(first.Stop(SIGKILL), 128 + SIGKILL);
  }
  NotifySocket socket(dir_.path() / "notify.sock");
  Service service(config, socket.path(), dir_.path() / "stderr.txt", /*watchdog=*/true);

  const std::string ready = socket.NextState(std::chrono::seconds(60));
  ASSERT_EQ(ready.rfind("READY=1", 0), 0u) << ready;
  EXPECT_NE(ready.find("STATUS=serving on 127.0.0.1:"), std::string::npos) << ready;
  // By the time READY arrives the listening line is out...
  const std::string out = service.StdoutSoFar();
  const size_t at = out.find("hourglassd: listening on 127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << "READY before the listening line; stdout so far: " << out;
  const int port = std::stoi(out.substr(out.rfind(':') + 1));
  // ...and the daemon answers with the replayed state.
  {
    Client c(static_cast<uint16_t>(port));
    const Answer stock = c.Call(R"({"op":"stock","store":"S-1","sku":"A"})");
    EXPECT_EQ(stock.Int("on_hand"), 10) << stock.line;
    EXPECT_EQ(stock.Int("reserved"), 3) << stock.line;
  }
  // The watchdog is pinged while it runs (every half WATCHDOG_USEC).
  EXPECT_EQ(socket.Next(std::chrono::seconds(30)), "WATCHDOG=1");
  // Nothing else is said until the stop.
  ::kill(service.pid, SIGTERM);
  const std::string stopping = socket.NextState(std::chrono::seconds(30));
  EXPECT_EQ(stopping.rfind("STOPPING=1", 0), 0u) << stopping;
  EXPECT_EQ(service.Wait(), 0);
}

TEST_F(ServiceNotifyTest, AFailedStartNeverSaysReady) {
  const fs::path config = Config("store_id,sku,on_hand\nS-1,A,lots\n");
  NotifySocket socket(dir_.path() / "notify.sock");
  Service service(config, socket.path(), dir_.path() / "stderr.txt", /*watchdog=*/false);
  EXPECT_EQ(service.Wait(), 2);
  // The daemon is gone: whatever it sent is queued on the socket already.
  EXPECT_EQ(socket.Next(std::chrono::milliseconds(0)), "");
}

}  // namespace
}  // namespace hourglass::testing
