// The whole system-of-record path with real processes: hourglassd, the
// hourglass-sink-pg connector and a real PostgreSQL. Both the daemon and
// the sink are killed with SIGKILL and restarted while orders flow;
// afterwards PostgreSQL holds every journal event exactly once, and every
// reservation a client saw acknowledged is there in its final state.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "io/tls_context.h"
#include "tests/daemon_harness.h"
#include "tests/pg_harness.h"
#include "tests/tls_harness.h"

namespace hourglass::testing {
namespace {

using std::chrono::milliseconds;

constexpr const char* kStores = "store_id,lat,lon\nS-1,31.2304,121.4737\nS-2,31.2350,121.4800\n";
constexpr const char* kStock = "store_id,sku,on_hand\nS-1,H,1000000\nS-2,H,1000000\n";
constexpr const char* kConfig =
    "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
    "[journal]\nsync = \"always\"\nsnapshot_every_records = 500\n";

class Sink {
 public:
  // `extra`: more flags (--tls-ca FILE).
  Sink(uint16_t daemon_port, const std::string& conninfo, const std::filesystem::path& log,
       const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"hourglass-sink-pg",
                                     "--daemon",
                                     "127.0.0.1:" + std::to_string(daemon_port),
                                     "--pg",
                                     conninfo,
                                     "--name",
                                     "pg",
                                     "--batch",
                                     "200"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(err, 2);
      ::execv(HOURGLASS_SINK_PG_PATH, argv.data());
      ::_exit(127);
    }
  }
  ~Sink() { Kill(SIGKILL); }
  int Kill(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

std::string Reserve(const std::string& order) {
  return R"({"op":"route","order":")" + order +
         R"(","lat":31.2304,"lon":121.4737,"reserve":true,"items":[{"sku":"H","qty":1}]})";
}

TEST(SystemOfRecord, DaemonAndSinkKilledRepeatedlyPostgresHasEachEventOnce) {
  if (PgServer::BinDir().empty()) GTEST_SKIP() << "the PostgreSQL server is not installed";
  PgServer pg;
  TempDir dir;
  dir.Write("stores.csv", kStores);
  dir.Write("stock.csv", kStock);
  const auto config = dir.Write("hourglass.toml", kConfig);
  const uint16_t port = FreePort();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const auto sink_log = dir.path() / "sink.log";

  std::map<std::string, std::string> acked;  // order -> state the client was told
  int next = 0;
  auto daemon = std::make_unique<Daemon>(config, listen);
  auto sink = std::make_unique<Sink>(port, pg.conninfo(), sink_log);
  for (int round = 0; round < 8; ++round) {
    try {
      Client c(port);
      for (int i = 0; i < 150; ++i) {
        const std::string order = "P-" + std::to_string(next++);
        if (!c.Call(Reserve(order)).Flag("found")) continue;
        acked[order] = "held";
        if (i % 3 == 1) {
          if (c.Call(R"({"op":"commit","order":")" + order + "\"}").ok())
            acked[order] = "committed";
        } else if (i % 3 == 2) {
          if (c.Call(R"({"op":"release","order":")" + order + "\"}").ok())
            acked[order] = "released";
        }
      }
    } catch (const std::exception&) {
    }
    // Alternate: kill the daemon (the sink reconnects), or kill the sink.
    if (round % 2 == 0) {
      daemon->Stop(SIGKILL);
      daemon = std::make_unique<Daemon>(config, listen);
    } else {
      sink->Kill(SIGKILL);
      sink = std::make_unique<Sink>(port, pg.conninfo(), sink_log);
    }
  }
  // Let the sink catch up with the daemon's journal, then compare.
  Client probe(port);
  const int64_t last = probe.Call(R"({"op":"subscribe","name":"probe"})").Int("last_seq");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int64_t cursor = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      cursor = pg.QueryInt("SELECT coalesce(max(seq), 0) FROM hourglass_cursor WHERE name = 'pg'");
    } catch (const std::exception&) {
      cursor = 0;  // the schema may not exist yet
    }
    if (cursor >= last) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_EQ(cursor, last);
  EXPECT_GT(acked.size(), 300u);
  EXPECT_EQ(pg.QueryInt("SELECT count(*) FROM reservation_events"), last);
  EXPECT_EQ(pg.QueryInt("SELECT count(DISTINCT seq) FROM reservation_events"), last);
  EXPECT_EQ(pg.QueryInt("SELECT min(seq) FROM reservation_events"), 1);
  EXPECT_EQ(pg.QueryInt("SELECT max(seq) FROM reservation_events"), last);
  // Each order reserved once and finished at most once.
  EXPECT_EQ(pg.QueryInt("SELECT count(*) FROM (SELECT order_id FROM reservation_events WHERE "
                        "type = 'reserved' GROUP BY order_id HAVING count(*) > 1) d"),
            0);
  std::map<std::string, std::string> states;
  for (const std::string& row : pg.Query("SELECT order_id, state FROM reservations")) {
    const auto bar = row.find('|');
    states[row.substr(0, bar)] = row.substr(bar + 1);
  }
  for (const auto& [order, told] : acked) {
    ASSERT_TRUE(states.count(order)) << "acknowledged reservation missing in PostgreSQL: " << order;
    // The client may not have heard a later finish that did happen, but
    // never one that did not.
    if (told != "held") {
      EXPECT_EQ(states[order], told) << order;
    }
  }
  EXPECT_EQ(sink->Kill(SIGTERM), 0);
}

// With [tls] on, the sink subscribes over TLS (--tls-ca) and PostgreSQL gets
// every event, as over plain TCP.
TEST(SystemOfRecord, SinkStreamsFromATlsListener) {
  if (PgServer::BinDir().empty()) GTEST_SKIP() << "the PostgreSQL server is not installed";
  TempDir dir;
  if (!MakeTestCertificates(dir.path())) GTEST_SKIP() << "the openssl command is not available";
  PgServer pg;
  dir.Write("stores.csv", kStores);
  dir.Write("stock.csv", kStock);
  Daemon daemon(dir.Write("hourglass.toml", std::string(kConfig) + TlsTable(dir.path())));
  auto ctx = io::MakeClientTlsContext(dir.path() / "ca.pem");
  TlsClient c(daemon.port(), *ctx);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(c.Call(Reserve("TLS-" + std::to_string(i))).Flag("reserved"));
  }
  ASSERT_EQ(c.Call(R"({"op":"commit","order":"TLS-0"})").Str("state"), "committed");
  Sink sink(daemon.port(), pg.conninfo(), dir.path() / "sink.log",
            {"--tls-ca", (dir.path() / "ca.pem").string()});
  const int64_t last = 31;
  int64_t cursor = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (cursor < last && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    try {
      cursor = pg.QueryInt("SELECT coalesce(max(seq), 0) FROM hourglass_cursor WHERE name = 'pg'");
    } catch (const std::exception&) {
      cursor = 0;  // the schema may not exist yet
    }
  }
  ASSERT_EQ(cursor, last);
  EXPECT_EQ(pg.QueryInt("SELECT count(DISTINCT seq) FROM reservation_events"), last);
  EXPECT_EQ(pg.QueryInt("SELECT count(*) FROM reservations WHERE state = 'committed'"), 1);
  EXPECT_EQ(sink.Kill(SIGTERM), 0);
}

}  // namespace
}  // namespace hourglass::testing
