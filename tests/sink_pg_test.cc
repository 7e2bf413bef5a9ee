// Integration tests of hourglass-sink-pg: the real binary, a private
// PostgreSQL server per test (tests/pg_harness.h) and a fake hourglassd
// journal stream (tests/fake_daemon.h). Every test checks the database
// against an oracle that applies the same events one at a time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "tests/fake_daemon.h"
#include "tests/pg_harness.h"

namespace hourglass::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// ------------------------------------------------------------ the stream

std::string Json(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// "2026-11-24T10:00:00.000Z" plus `ms` (less than a day).
std::string Ts(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "2026-11-24T%02d:%02d:%02d.%03dZ",
                static_cast<int>(10 + ms / 3'600'000), static_cast<int>(ms / 60'000 % 60),
                static_cast<int>(ms / 1000 % 60), static_cast<int>(ms % 1000));
  return buf;
}

// What the tables must hold: one '|'-joined line per row, as Rows() reads them.
struct Expected {
  std::map<std::string, std::string> reservations;  // by order|sku
  std::map<std::string, std::string> stock;         // by store|sku
  std::vector<std::string> types;                   // by seq - 1
};

struct Stream {
  std::vector<std::string> lines;  // seq i + 1
  Expected expected;
};

// A seeded mix of reservations and their ends, re-reservations of released
// order ids, stock levels and (every `unknown_every`) an unknown event type.
// SKU names include the characters PostgreSQL array literals must quote.
Stream Generate(int64_t n, uint64_t seed, int64_t unknown_every = 0) {
  struct Order {
    std::string id, store;
    std::vector<std::pair<std::string, int>> items;
  };
  const std::vector<std::string> skus = {
      "A",  "B",       "C",           "D",       "E",      "F",      "G",
      "H",  "q\"uote", "back\\slash", "NULL",    "a,b{c}", "sp ace", "\xC3\xA9t\xC3\xA9",
      "{}", "",        "K-12345",     "L-99999", "M",      "N"};
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t size) { return static_cast<size_t>(rng() % size); };
  Stream s;
  std::vector<Order> held, reusable;
  int64_t next_order = 1;
  for (int64_t seq = 1; seq <= n; ++seq) {
    const std::string ts = Ts(seq * 7);
    const std::string head = "{\"seq\":" + std::to_string(seq);
    const int r = static_cast<int>(rng() % 100);
    if (unknown_every > 0 && seq % unknown_every == 0) {
      s.lines.push_back(head +
                        ",\"type\":\"zone_changed\",\"zone\":{\"id\":\"Z-1\",\"poly\":[[1,2],[3," +
                        std::to_string(seq) + "]]},\"ts\":\"" + ts + "\"}");
      s.expected.types.push_back("zone_changed");
    } else if (r < 35 || (r < 65 && held.empty())) {
      Order o;
      if (!reusable.empty() && r % 4 == 0) {
        o.id = reusable.back().id;
        reusable.pop_back();
      } else {
        o.id = "O-" + std::to_string(next_order++);
      }
      o.store = "S-" + std::to_string(pick(20));
      const size_t count = 1 + pick(3);
      for (size_t i = 0; i < count; ++i) {
        o.items.push_back({skus[pick(skus.size())], 1 + static_cast<int>(pick(5))});
      }
      if (r % 10 == 0) o.items.push_back({o.items[0].first, 2});  // a SKU listed twice
      const std::string expires = Ts(seq * 7 + 900'000);
      std::string items;
      for (const auto& [sku, qty] : o.items) {
        items += std::string(items.empty() ? "" : ",") + "{\"sku\":" + Json(sku) +
                 ",\"qty\":" + std::to_string(qty) + "}";
      }
      s.lines.push_back(head + ",\"type\":\"reserved\",\"order\":" + Json(o.id) +
                        ",\"store\":" + Json(o.store) + ",\"items\":[" + items +
                        "],\"expires_at\":\"" + expires + "\",\"ts\":\"" + ts + "\"}");
      s.expected.types.push_back("reserved");
      std::map<std::string, int> qty;
      for (const auto& [sku, q] : o.items) qty[sku] += q;
      for (const auto& [sku, q] : qty) {
        s.expected.reservations[o.id + "|" + sku] = o.id + "|" + sku + "|" + o.store + "|" +
                                                    std::to_string(q) + "|held|" + ts + "|" +
                                                    expires + "|" + ts + "|" + std::to_string(seq);
      }
      held.push_back(std::move(o));
    } else if (r < 65) {
      const size_t i = pick(held.size());
      Order o = std::move(held[i]);
      held[i] = std::move(held.back());
      held.pop_back();
      const char* type = r < 50 ? "committed" : r < 60 ? "released" : "expired";
      std::string items;
      for (const auto& [sku, qty] : o.items) {
        items += std::string(items.empty() ? "" : ",") + "{\"sku\":" + Json(sku) +
                 ",\"qty\":" + std::to_string(qty) + "}";
      }
      s.lines.push_back(head + ",\"type\":\"" + type + "\",\"order\":" + Json(o.id) +
                        ",\"store\":" + Json(o.store) + ",\"items\":[" + items + "],\"ts\":\"" +
                        ts + "\"}");
      s.expected.types.push_back(type);
      for (const auto& [sku, q] : o.items) {
        std::string& row = s.expected.reservations[o.id + "|" + sku];
        // order|sku|store|qty|state|reserved_at|expires_at|updated_at|last_seq
        std::vector<std::string> f;
        std::stringstream in(row);
        for (std::string part; std::getline(in, part, '|');) f.push_back(part);
        row = f[0] + "|" + f[1] + "|" + o.store + "|" + f[3] + "|" + type + "|" + f[5] + "|" +
              f[6] + "|" + ts + "|" + std::to_string(seq);
      }
      if (std::string(type) != "committed") reusable.push_back(std::move(o));
    } else {
      const std::string store = "S-" + std::to_string(pick(20));
      const std::string& sku = skus[pick(skus.size())];
      const int64_t on_hand = static_cast<int64_t>(pick(1000));
      const int64_t as_of = r % 3 == 0 ? std::max<int64_t>(0, seq - 5) : seq;
      s.lines.push_back(head + ",\"type\":\"stock_set\",\"store\":" + Json(store) +
                        ",\"sku\":" + Json(sku) + ",\"on_hand\":" + std::to_string(on_hand) +
                        (as_of != seq ? ",\"as_of_seq\":" + std::to_string(as_of) : "") +
                        ",\"ts\":\"" + ts + "\"}");
      s.expected.types.push_back("stock_set");
      s.expected.stock[store + "|" + sku] = store + "|" + sku + "|" + std::to_string(on_hand) +
                                            "|" + std::to_string(as_of) + "|" + std::to_string(seq);
    }
  }
  return s;
}

// ------------------------------------------------------------ the process

class SinkProcess {
 public:
  SinkProcess(const std::vector<std::string>& args, const fs::path& stderr_path) {
    std::vector<std::string> argv = {HOURGLASS_SINK_PG_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(err, 2);
      ::dup2(::open("/dev/null", O_WRONLY), 1);
      std::vector<char*> c;
      for (std::string& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      ::execv(c[0], c.data());
      ::_exit(127);
    }
  }
  ~SinkProcess() {
    if (pid_ > 0) {
      Signal(SIGKILL);
      Wait(milliseconds(10'000));
    }
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  // The exit code (128 + signal when killed), or -1 when still running after
  // `timeout` (it is then killed).
  int Wait(milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > until) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

TEST(SinkPgFlags, BadFlagsExitTwoWithTheReason) {
  const fs::path err = fs::temp_directory_path() /
                       ("hourglass-sink-flags-" + std::to_string(::getpid()) + ".stderr");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--batch", "0"},
                                             {"--batch-ms", "x"},
                                             {"--daemon", "localhost"},
                                             {"--name", "a b"},
                                             {"--frobnicate", "1"},
                                             {"--pg"}}) {
    SinkProcess sink(args, err);
    EXPECT_EQ(sink.Wait(milliseconds(5'000)), 2) << args[0];
  }
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("--batch must be a whole number within [1, 100000]"), std::string::npos)
      << text.str();
  fs::remove(err);
}

// ------------------------------------------------------------ the fixture

constexpr const char* kTimestamp = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

class SinkPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PgServer::BinDir().empty()) {
      GTEST_SKIP() << "the PostgreSQL server is not installed (no /usr/lib/postgresql/*/bin/initdb"
                      "; setup.sh installs the postgresql package)";
    }
    pg_ = std::make_unique<PgServer>();
    stderr_path_ =
        fs::temp_directory_path() / ("hourglass-sink-" + std::to_string(::getpid()) + "-" +
                                     std::to_string(std::random_device{}()) + ".stderr");
  }
  void TearDown() override {
    if (HasFailure()) std::fprintf(stderr, "--- sink stderr ---\n%s", SinkStderr().c_str());
    std::error_code ec;
    fs::remove(stderr_path_, ec);
  }

  // The sink exits after 3 s without a new event: long enough that a busy
  // machine starving the fake daemon's thread does not end a run early.
  std::unique_ptr<SinkProcess> StartSink(const FakeDaemon& daemon,
                                         std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--daemon",       "127.0.0.1:" + std::to_string(daemon.port()),
                                     "--pg",           pg_->conninfo(),
                                     "--name",         "pg",
                                     "--once-idle-ms", "3000"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<SinkProcess>(args, stderr_path_);
  }

  std::string SinkStderr() const {
    std::ifstream in(stderr_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  int64_t Cursor() const {
    const auto rows = pg_->Query("SELECT seq FROM hourglass_cursor WHERE name = 'pg'");
    return rows.empty() ? 0 : std::stoll(rows[0]);
  }

  void WaitForSinkBackendsGone() const {
    for (int i = 0; i < 500; ++i) {
      if (pg_->QueryInt("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'hourglass-sink-pg'") == 0) {
        return;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    ADD_FAILURE() << "the killed sink's PostgreSQL backend is still there";
  }

  // For FakeDaemon: every ack must name a seq already committed. It runs on
  // the fake daemon's thread, so it must not wait: while PostgreSQL is down
  // (the restart test) an ack cannot be checked and is only counted.
  std::function<void(int64_t)> AckChecker() {
    return [this](int64_t seq) {
      try {
        if (Cursor() < seq) bad_acks_++;
      } catch (const std::exception&) {
        unchecked_acks_++;
      }
    };
  }

  // reservation_events holds seqs 1..n exactly, with their types; the other
  // tables equal the oracle; the cursor is n; acks were never ahead of PG.
  // `max_unchecked`: acks that arrived while PostgreSQL was down could not be
  // checked against the cursor (the check itself needs the server).
  void ExpectAppliedOnce(const Stream& s, const FakeDaemon& daemon, int max_unchecked = 2) {
    const auto n = static_cast<int64_t>(s.lines.size());
    EXPECT_EQ(pg_->Query("SELECT count(*), min(seq), max(seq) FROM reservation_events")[0],
              std::to_string(n) + "|1|" + std::to_string(n));
    const auto types = pg_->Query("SELECT type FROM reservation_events ORDER BY seq");
    EXPECT_TRUE(types == s.expected.types) << "event types differ from the stream";
    EXPECT_EQ(Cursor(), n);
    ExpectRows(
        "SELECT order_id, sku, store_id, qty, state, to_char(reserved_at AT TIME ZONE "
        "'UTC', " +
            std::string(kTimestamp) + "), to_char(expires_at AT TIME ZONE 'UTC', " + kTimestamp +
            "), to_char(updated_at AT TIME ZONE 'UTC', " + kTimestamp +
            "), last_seq FROM reservations",
        s.expected.reservations);
    ExpectRows("SELECT store_id, sku, on_hand, as_of_seq, updated_seq FROM stock_levels",
               s.expected.stock);
    const std::vector<int64_t> acks = daemon.acks();
    ASSERT_FALSE(acks.empty());
    EXPECT_EQ(acks.back(), n);
    EXPECT_TRUE(std::is_sorted(acks.begin(), acks.end()));
    EXPECT_EQ(bad_acks_.load(), 0) << "an ack named a seq not yet committed";
    EXPECT_LE(unchecked_acks_.load(), max_unchecked);
  }

  void ExpectRows(const std::string& sql, const std::map<std::string, std::string>& expected) {
    std::vector<std::string> got = pg_->Query(sql);
    std::vector<std::string> want;
    for (const auto& [key, row] : expected) want.push_back(row);
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    ASSERT_EQ(got.size(), want.size()) << sql;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << sql;
  }

  std::unique_ptr<PgServer> pg_;
  fs::path stderr_path_;
  std::atomic<int> bad_acks_{0};
  std::atomic<int> unchecked_acks_{0};
};

TEST_F(SinkPgTest, AppliesEveryEventExactlyOnce) {
  const Stream s = Generate(3000, 1, /*unknown_every=*/97);
  FakeDaemon daemon(s.lines, {}, AckChecker());
  auto sink = StartSink(daemon, {"--batch", "500"});
  ASSERT_EQ(sink->Wait(milliseconds(20'000)), 0);
  ExpectAppliedOnce(s, daemon);
  EXPECT_EQ(daemon.froms(), std::vector<int64_t>{1});
}

TEST_F(SinkPgTest, KilledMidStreamLosesAndRepeatsNothing) {
  const Stream s = Generate(20'000, 2, 501);
  FakeDaemonOptions paced;
  paced.chunk = 100;
  paced.pause = std::chrono::microseconds(2'000);
  FakeDaemon daemon(s.lines, paced, AckChecker());
  std::vector<int64_t> cursors_at_kill;
  for (const int64_t target : {3'000, 9'000, 15'000}) {
    auto sink = StartSink(daemon, {"--batch", "300", "--batch-ms", "5"});
    ASSERT_TRUE(daemon.WaitForAck(target, milliseconds(20'000)));
    sink->Signal(SIGKILL);
    EXPECT_EQ(sink->Wait(milliseconds(5'000)), 128 + SIGKILL);
    // A COMMIT sent just before the kill may still be running in its
    // backend: read the cursor once that backend is gone.
    WaitForSinkBackendsGone();
    cursors_at_kill.push_back(Cursor());
  }
  auto sink = StartSink(daemon);
  ASSERT_EQ(sink->Wait(milliseconds(20'000)), 0);
  ExpectAppliedOnce(s, daemon);
  // Each restart resumed right after what PostgreSQL had committed.
  const std::vector<int64_t> froms = daemon.froms();
  ASSERT_EQ(froms.size(), 4u);
  EXPECT_EQ(froms[0], 1);
  for (size_t i = 0; i < cursors_at_kill.size(); ++i) {
    EXPECT_EQ(froms[i + 1], cursors_at_kill[i] + 1);
  }
}

TEST_F(SinkPgTest, ResumesFromItsCursorWhenTheDaemonDropsTheConnection) {
  const Stream s = Generate(5'000, 3);
  FakeDaemonOptions options;
  options.drop_after = 1'234;
  FakeDaemon daemon(s.lines, options, AckChecker());
  auto sink = StartSink(daemon, {"--batch", "200"});
  ASSERT_EQ(sink->Wait(milliseconds(20'000)), 0);
  ExpectAppliedOnce(s, daemon);
  // Everything received before the drop was applied, then it resumed.
  EXPECT_EQ(daemon.froms(), (std::vector<int64_t>{1, 1'235}));
  EXPECT_NE(SinkStderr().find("daemon closed the subscription"), std::string::npos);
}

TEST_F(SinkPgTest, ReconnectsWhenPostgresRestarts) {
  const Stream s = Generate(10'000, 4, 333);
  FakeDaemonOptions paced;
  paced.chunk = 100;
  paced.pause = std::chrono::microseconds(5'000);
  FakeDaemon daemon(s.lines, paced, AckChecker());
  auto sink = StartSink(daemon, {"--batch", "200", "--batch-ms", "5"});
  ASSERT_TRUE(daemon.WaitForAck(1'000, milliseconds(20'000)));
  pg_->Stop();
  std::this_thread::sleep_for(milliseconds(500));
  pg_->Start();
  ASSERT_EQ(sink->Wait(milliseconds(30'000)), 0);
  // Acks sent just before the stop are checked while the server is down.
  ExpectAppliedOnce(s, daemon, /*max_unchecked=*/10);
  EXPECT_GE(daemon.froms().size(), 2u);
  const std::string log = SinkStderr();
  EXPECT_NE(log.find("batch rolled back"), std::string::npos) << log;
  EXPECT_NE(log.find("PostgreSQL: "), std::string::npos) << log;  // a backoff line
}

TEST_F(SinkPgTest, StoresUnknownAndMalformedEventsAndKeepsGoing) {
  const std::string ts = "\"ts\":\"2026-11-24T10:00:00.000Z\"";
  const std::string exp = "\"expires_at\":\"2026-11-24T10:15:00.000Z\"";
  const std::vector<std::string> lines = {
      R"({"seq":1,"type":"reserved","order":"O-1","store":"S-1","items":[{"sku":"A","qty":2}],)" +
          exp + "," + ts + "}",
      R"({"seq":2,"type":"zone_changed","order":"O-1","store":"S-1","zone":{"poly":[[1,2]]},)" +
          ts + "}",
      // Malformed known events: stored, not applied.
      R"({"seq":3,"type":"reserved","order":"O-3","store":"S-1","items":[{"sku":"A","qty":1}],)" +
          exp + R"(,"ts":"2026-02-30T10:00:00.000Z"})",
      R"({"seq":4,"type":"committed","order":"O-1","store":"S-1",)" + ts + "}",
      R"({"seq":5,"type":"reserved","order":"O-\u00005","store":"S-1","items":[{"sku":"A","qty":1}],)" +
          exp + "," + ts + "}",
      R"({"seq":6,"type":"stock_set","store":"S-1","sku":"B","on_hand":4,"as_of_seq":3,)" + ts +
          "}",
      R"({"seq":7,"type":"committed","order":"O-1","store":"S-1","items":[{"sku":"A","qty":2}],)" +
          ts + "}",
      R"({"seq":8,"type":"reserved","order":"O-8","store":"S-1","store":"S-2","items":[{"sku":"A","qty":1}],)" +
          exp + "," + ts + "}",
      R"({"seq":9,"type":"stock_set","store":"S-1","sku":"C","on_hand":-1,)" + ts + "}",
      // A release of an order never seen: a row without reserved_at.
      R"({"seq":10,"type":"released","order":"O-10","store":"S-1","items":[{"sku":"X","qty":3}],)" +
          ts + "}",
      R"({"seq":11,"type":"stock_set","store":"S-1","sku":"A","on_hand":5,)" + ts + "}",
  };
  FakeDaemon daemon(lines, {}, AckChecker());
  auto sink = StartSink(daemon, {"--batch", "4"});
  ASSERT_EQ(sink->Wait(milliseconds(20'000)), 0);
  EXPECT_EQ(Cursor(), 11);
  EXPECT_EQ(pg_->Query("SELECT seq || ' ' || type || ' ' || coalesce(order_id, '-') || ' ' || "
                       "(ts IS NULL) FROM reservation_events ORDER BY seq"),
            (std::vector<std::string>{"1 reserved O-1 false", "2 zone_changed O-1 false",
                                      "3 reserved O-3 true", "4 committed O-1 false",
                                      "5 reserved O-\xEF\xBF\xBD"
                                      "5 false",
                                      "6 stock_set - false", "7 committed O-1 false",
                                      "8 reserved O-8 false", "9 stock_set - false",
                                      "10 released O-10 false", "11 stock_set - false"}));
  EXPECT_EQ(pg_->Query("SELECT event->'zone'->'poly' FROM reservation_events WHERE seq = 2"),
            std::vector<std::string>{"[[1, 2]]"});
  EXPECT_EQ(pg_->Query("SELECT event->>'order' FROM reservation_events WHERE seq = 5"),
            std::vector<std::string>{"O-\xEF\xBF\xBD"
                                     "5"});
  EXPECT_EQ(pg_->Query("SELECT order_id || ' ' || sku || ' ' || qty || ' ' || state || ' ' || "
                       "(reserved_at IS NULL) || ' ' || last_seq FROM reservations ORDER BY 1"),
            (std::vector<std::string>{"O-1 A 2 committed false 7", "O-10 X 3 released true 10",
                                      "O-\xEF\xBF\xBD"
                                      "5 A 1 held false 5"}));
  EXPECT_EQ(pg_->Query("SELECT store_id || ' ' || sku || ' ' || on_hand || ' ' || as_of_seq || "
                       "' ' || updated_seq FROM stock_levels ORDER BY sku"),
            (std::vector<std::string>{"S-1 A 5 11 11", "S-1 B 4 3 6"}));
  EXPECT_EQ(daemon.acks().back(), 11);
  EXPECT_EQ(bad_acks_.load(), 0);
  const std::string log = SinkStderr();
  EXPECT_NE(log.find("unknown event type \"zone_changed\""), std::string::npos) << log;
  EXPECT_NE(log.find("seq 9 (stock_set) stored but not applied"), std::string::npos) << log;
}

// An order served by several stores (a split delivery, a pickup with
// transfers): each item's row names the store that serves it.
TEST_F(SinkPgTest, SeveralStoreOrdersKeepEachItemsStore) {
  const std::string ts = "\"ts\":\"2026-11-24T10:00:00.000Z\"";
  const std::vector<std::string> lines = {
      R"({"seq":1,"type":"reserved","order":"O-1","store":"B","items":[{"sku":"V","qty":1,)"
      R"("store":"B"},{"sku":"Y","qty":2,"store":"C"}],"eta_min":13.9,"distance_km":1.0,)"
      R"("parts":[{"store":"B","role":"delivery","eta_min":13.9,"distance_km":1.0},)"
      R"({"store":"C","role":"delivery","eta_min":21.7,"distance_km":3.0}],)"
      R"("expires_at":"2026-11-24T10:15:00.000Z",)" +
          ts + "}",
      R"({"seq":2,"type":"committed","order":"O-1","store":"B","items":[{"sku":"V","qty":1,)"
      R"("store":"B"},{"sku":"Y","qty":2,"store":"C"}],)" +
          ts + "}",
  };
  FakeDaemon daemon(lines, {}, AckChecker());
  auto sink = StartSink(daemon);
  ASSERT_EQ(sink->Wait(milliseconds(20'000)), 0);
  EXPECT_EQ(pg_->Query("SELECT order_id || ' ' || sku || ' ' || store_id || ' ' || qty || ' ' || "
                       "state FROM reservations ORDER BY sku"),
            (std::vector<std::string>{"O-1 V B 1 committed", "O-1 Y C 2 committed"}));
}

TEST_F(SinkPgTest, SigtermFinishesTheBatchAndExitsZero) {
  const Stream s = Generate(20'000, 5);
  FakeDaemonOptions paced;
  paced.chunk = 100;
  paced.pause = std::chrono::microseconds(10'000);
  FakeDaemon daemon(s.lines, paced, AckChecker());
  auto sink = StartSink(daemon, {"--batch", "300", "--batch-ms", "50"});
  ASSERT_TRUE(daemon.WaitForAck(1'000, milliseconds(20'000)));
  sink->Signal(SIGTERM);
  ASSERT_EQ(sink->Wait(milliseconds(5'000)), 0);
  const int64_t cursor = Cursor();
  EXPECT_LT(cursor, 20'000);
  EXPECT_EQ(pg_->Query("SELECT count(*), max(seq) FROM reservation_events")[0],
            std::to_string(cursor) + "|" + std::to_string(cursor));
  const std::vector<int64_t> acks = daemon.acks();
  EXPECT_LE(acks.back(), cursor);
  EXPECT_EQ(bad_acks_.load(), 0);
  EXPECT_NE(SinkStderr().find("stopping at cursor " + std::to_string(cursor)), std::string::npos);
}

// Prints events/s into PostgreSQL (fsync on, default server settings).
// HOURGLASS_SINK_BENCH_EVENTS sets the stream length (default 50,000),
// HOURGLASS_SINK_BENCH_BATCH the --batch (default 1000).
TEST_F(SinkPgTest, Throughput) {
  const char* events = std::getenv("HOURGLASS_SINK_BENCH_EVENTS");
  const char* batch = std::getenv("HOURGLASS_SINK_BENCH_BATCH");
  const int64_t n = events != nullptr ? std::atoll(events) : 50'000;
  const std::string batch_size = batch != nullptr ? batch : "1000";
  const Stream s = Generate(n, 6, 1'000);
  FakeDaemon daemon(s.lines, {});
  const auto t0 = std::chrono::steady_clock::now();
  auto sink = StartSink(daemon, {"--batch", batch_size});
  ASSERT_TRUE(daemon.WaitForAck(n, milliseconds(60'000)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(sink->Wait(milliseconds(10'000)), 0);
  std::printf("hourglass-sink-pg: %lld events in %.2f s = %.0f events/s (--batch %s)\n",
              static_cast<long long>(n), seconds, static_cast<double>(n) / seconds,
              batch_size.c_str());
  ExpectAppliedOnce(s, daemon);
}

}  // namespace
}  // namespace hourglass::testing
