// 10,000 slowloris connections through the real daemon: each sends part of a
// request line, then a byte now and then, never the newline. Meanwhile normal
// clients must keep getting correct answers, and the daemon's memory must stay
// within a fixed budget per connection.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/daemon_harness.h"

namespace hourglass::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kSlowConnections = 10000;
constexpr int kNormalClients = 4;
// Rounds of one more byte per slow connection, a second apart.
constexpr int kTrickleRounds = 8;
// What the daemon may spend per open connection (buffers, socket state, its
// share of the event loop), at most. It reads a slow line into a 4 KiB buffer
// that grows only with the line, so a trickle never costs more.
constexpr int64_t kBudgetPerConnectionKiB = 16;
// Under a sanitizer the allocator's redzones and shadow memory are part of
// RSS: the figure is printed, not judged.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kJudgeRss = false;
#else
constexpr bool kJudgeRss = true;
#endif

int64_t RssKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

size_t OpenFiles(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// Raises this process's descriptor limit to the hard limit; returns it.
rlim_t RaiseOwnFileLimit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// Connects non-blocking sockets in batches (the listen backlog is finite) and
// sends each the start of a line. Returns the sockets that connected.
std::vector<int> ConnectSlow(uint16_t port, int count) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string start = R"({"op":"route","lat":31.2)";
  std::vector<int> fds;
  constexpr int kBatch = 500;
  for (int done = 0; done < count; done += kBatch) {
    std::vector<pollfd> pending;
    for (int i = done; i < std::min(count, done + kBatch); ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) break;
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
          errno != EINPROGRESS) {
        ::close(fd);
        continue;
      }
      pending.push_back({fd, POLLOUT, 0});
    }
    // Wait until each connect finished (or failed).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    size_t left = pending.size();
    while (left > 0 && std::chrono::steady_clock::now() < until) {
      if (::poll(pending.data(), pending.size(), 1000) <= 0) continue;
      for (pollfd& p : pending) {
        if (p.fd < 0 || p.revents == 0) continue;
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0 && ::send(p.fd, start.data(), start.size(), MSG_NOSIGNAL) > 0) {
          fds.push_back(p.fd);
        } else {
          ::close(p.fd);
        }
        p.fd = -1;
        --left;
      }
    }
    for (const pollfd& p : pending) {
      if (p.fd >= 0) ::close(p.fd);
    }
  }
  return fds;
}

TEST(SlowlorisTest, TenThousandTricklingConnectionsDoNotStarveNormalClients) {
  const rlim_t own = RaiseOwnFileLimit();
  if (own < static_cast<rlim_t>(kSlowConnections + 256)) {
    GTEST_SKIP() << "this process may open only " << own
                 << " files; the test needs 10,256 (raise ulimit -Hn)";
  }
  TempDir dir;
  dir.Write("stores.csv", "store_id,lat,lon\nS-1,31.2304,121.4737\nS-2,39.9042,116.4074\n");
  dir.Write("stock.csv", "store_id,sku,on_hand\nS-1,A,1000000\nS-2,A,1000000\n");
  // Room for the slow crowd and the normal clients; the default is 10,000.
  const auto config =
      dir.Write("h.toml",
                "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
                "[limits]\nmax_connections = 10100\n[journal]\nsync = \"batch\"\n");
  Daemon d(config);
  EXPECT_NE(d.Stderr().find("open files: limit"), std::string::npos) << d.Stderr();
  const int64_t rss_before = RssKiB(d.pid());

  std::vector<int> slow = ConnectSlow(d.port(), kSlowConnections);
  ASSERT_EQ(slow.size(), static_cast<size_t>(kSlowConnections));

  // Normal clients keep routing through the trickle (quotes: they leave
  // nothing in memory behind them, so the RSS below is the connections').
  std::atomic<bool> stop{false};
  std::atomic<int64_t> answered{0}, wrong{0};
  std::vector<std::vector<double>> latencies_us(kNormalClients);
  std::vector<std::string> first_wrong(kNormalClients);
  std::vector<std::thread> clients;
  for (int t = 0; t < kNormalClients; ++t) {
    clients.emplace_back([&, t] {
      try {
        Client c(d.port());
        for (int i = 0; !stop.load(); ++i) {
          // Alternately Shanghai and Beijing: the answer must name the right store.
          const bool north = i % 2 == 1;
          const std::string where =
              north ? R"("lat":39.9042,"lon":116.4074)" : R"("lat":31.2304,"lon":121.4737)";
          const auto t0 = std::chrono::steady_clock::now();
          const Answer a =
              c.Call(R"({"op":"route",)" + where + R"(,"items":[{"sku":"A","qty":1}]})");
          latencies_us[t].push_back(
              std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                  .count());
          const bool right =
              a.Flag("found") &&
              a.root["plan"].at(0)["store"].get_string().value() == (north ? "S-2" : "S-1");
          if (!right && wrong.fetch_add(1) == 0) first_wrong[t] = a.line;
          answered.fetch_add(1);
        }
      } catch (const std::exception& e) {
        wrong.fetch_add(1);
        first_wrong[t] = e.what();
      }
    });
  }

  // The trickle: one more byte per connection per round, never a newline.
  int64_t rss_peak = 0;
  size_t daemon_files = 0;
  for (int round = 0; round < kTrickleRounds; ++round) {
    for (const int fd : slow) ::send(fd, "3", 1, MSG_NOSIGNAL);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rss_peak = std::max(rss_peak, RssKiB(d.pid()));
    daemon_files = std::max(daemon_files, OpenFiles(d.pid()));
  }
  stop.store(true);
  for (auto& c : clients) c.join();

  // The slow connections were all held open, and none was sent anything.
  EXPECT_GE(daemon_files, static_cast<size_t>(kSlowConnections));
  size_t spoken_to = 0;
  for (const int fd : slow) {
    char byte = 0;
    if (::recv(fd, &byte, 1, MSG_DONTWAIT) >= 0) ++spoken_to;  // data, or closed (0)
  }
  EXPECT_EQ(spoken_to, 0u) << "slow connections were answered or closed";
  for (const int fd : slow) ::close(fd);

  EXPECT_EQ(wrong.load(), 0) << first_wrong[0] << first_wrong[1] << first_wrong[2]
                             << first_wrong[3];
  EXPECT_GT(answered.load(), 0);
  const int64_t growth = rss_peak - rss_before;
  if (kJudgeRss) {
    EXPECT_LT(growth, kSlowConnections * kBudgetPerConnectionKiB)
        << "RSS grew by " << growth << " KiB for " << kSlowConnections << " connections";
  }

  std::vector<double> all;
  for (const auto& l : latencies_us) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  if (!all.empty()) {
    std::printf(
        "slowloris: %d slow connections, %zu normal route answers; normal latency p50 "
        "%.0f us, p99 %.0f us; daemon RSS %lld KiB before, %lld KiB peak (%.1f KiB per "
        "connection); daemon open files %zu\n",
        kSlowConnections, all.size(), all[all.size() / 2], all[all.size() * 99 / 100],
        static_cast<long long>(rss_before), static_cast<long long>(rss_peak),
        static_cast<double>(growth) / kSlowConnections, daemon_files);
  }
  EXPECT_EQ(d.Stop(SIGTERM), 0) << d.Stderr();
}

}  // namespace
}  // namespace hourglass::testing
