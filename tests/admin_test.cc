// The admin listener of the real hourglassd over real HTTP: /metrics scraped
// and parsed while requests go through the protocol port, /healthz and
// /readyz across a held start-up, the `stats` op, and bad HTTP refused
// without changing anything.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/daemon_harness.h"
#include "tests/http_client.h"

namespace hourglass::testing {
namespace {

constexpr const char* kStores =
    "store_id,lat,lon,radius_km,prep_min,city,capacity_per_hour\n"
    "S-1,31.2304,121.4737,8,,Shanghai,4\n"
    "S-2,31.2400,121.4800,,,Shanghai,\n"
    "S-FAR,39.9075,116.3972,,,Beijing,\n";
constexpr const char* kStock =
    "store_id,sku,on_hand\n"
    "S-1,A,50\nS-1,B,1\n"
    "S-2,A,10\nS-2,C,0\n"
    "S-FAR,A,100\n";

std::string Config(const std::string& admin_listen = "127.0.0.1:0", const std::string& extra = "") {
  return "[server]\nlisten = \"127.0.0.1:7878\"\n"
         "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
         "[admin]\nlisten = \"" +
         admin_listen + "\"\n" + extra;
}

// An order placed right at S-1.
std::string Route(const std::string& items, const std::string& extra = "") {
  return R"({"op":"route","lat":31.2304,"lon":121.4737,"items":)" + items + extra + "}";
}

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("stores.csv", kStores);
    dir_.Write("stock.csv", kStock);
  }
  void Start(const std::string& config = Config()) {
    daemon_ = std::make_unique<Daemon>(dir_.Write("hourglass.toml", config));
    ASSERT_NE(daemon_->admin_port(), 0);
    client_ = std::make_unique<Client>(daemon_->port());
  }
  std::map<std::string, double> Scrape() {
    const HttpResult r = HttpGet(daemon_->admin_port(), "/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.headers.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
    return ParsePrometheus(r.body);
  }
  Answer Call(const std::string& line) { return client_->Call(line); }

  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

double Get(const std::map<std::string, double>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? 0.0 : it->second;
}

TEST_F(AdminTest, MetricsCountEveryRequestByOpOutcomeAndResult) {
  Start();
  const auto before = Scrape();
  EXPECT_EQ(Get(before, "hourglass_ready"), 1);
  EXPECT_EQ(Get(before, "hourglass_stores"), 3);

  constexpr int kFound = 5;
  for (int i = 0; i < kFound; ++i) {
    ASSERT_TRUE(Call(Route(R"([{"sku":"A","qty":1}])",
                           R"(,"order":"O-)" + std::to_string(i) + R"(","reserve":true)"))
                    .Flag("found"));
  }
  ASSERT_EQ(Call(Route(R"([{"sku":"C","qty":1}])")).Str("reason"), "out_of_stock");
  ASSERT_EQ(Call(Route(R"([{"sku":"NOPE","qty":1}])")).Str("reason"), "unknown_sku");
  ASSERT_EQ(Call(R"({"op":"route","lat":0,"lon":0,"items":[{"sku":"A","qty":1}]})").Str("reason"),
            "no_store_in_range");
  ASSERT_TRUE(Call(R"({"op":"commit","order":"O-0"})").ok());
  ASSERT_TRUE(Call(R"({"op":"release","order":"O-1"})").ok());
  ASSERT_EQ(Call(R"({"op":"commit","order":"O-1"})").code(), "order_released");
  ASSERT_EQ(Call(R"({"op":"route","lat":91,"lon":0,"items":[]})").code(), "bad_request");
  ASSERT_EQ(Call("not json").code(), "bad_json");
  ASSERT_EQ(Call(R"({"op":"nope"})").code(), "unknown_op");
  ASSERT_TRUE(Call(R"({"op":"ping"})").ok());

  const auto after = Scrape();
  const auto delta = [&](const std::string& key) { return Get(after, key) - Get(before, key); };
  EXPECT_EQ(delta(R"(hourglass_requests_total{op="route",outcome="ok"})"), kFound + 3);
  EXPECT_EQ(delta(R"(hourglass_requests_total{op="route",outcome="bad_request"})"), 1);
  EXPECT_EQ(delta(R"(hourglass_requests_total{op="commit",outcome="ok"})"), 1);
  EXPECT_EQ(delta(R"(hourglass_requests_total{op="commit",outcome="order_released"})"), 1);
  EXPECT_EQ(delta(R"(hourglass_requests_total{op="release",outcome="ok"})"), 1);
  EXPECT_EQ(delta(R"(hourglass_requests_total{op="invalid",outcome="bad_json"})"), 1);
  EXPECT_EQ(delta(R"(hourglass_requests_total{op="other",outcome="unknown_op"})"), 1);
  EXPECT_EQ(delta(R"(hourglass_requests_total{op="ping",outcome="ok"})"), 1);
  // Every answered route is in its latency histogram, including the refused one.
  EXPECT_EQ(delta(R"(hourglass_request_duration_seconds_count{op="route"})"), kFound + 4);
  EXPECT_EQ(delta(R"(hourglass_request_duration_seconds_bucket{op="route",le="+Inf"})"),
            kFound + 4);
  EXPECT_EQ(delta("hourglass_routes_found_total"), kFound);
  EXPECT_EQ(delta(R"(hourglass_routes_not_found_total{reason="out_of_stock"})"), 1);
  EXPECT_EQ(delta(R"(hourglass_routes_not_found_total{reason="unknown_sku"})"), 1);
  EXPECT_EQ(delta(R"(hourglass_routes_not_found_total{reason="no_store_in_range"})"), 1);
  EXPECT_EQ(delta(R"(hourglass_reservations_total{event="held"})"), kFound);
  EXPECT_EQ(delta(R"(hourglass_reservations_total{event="committed"})"), 1);
  EXPECT_EQ(delta(R"(hourglass_reservations_total{event="released"})"), 1);
  // S-1 (capacity 4 an hour) took four holds, the fifth went to S-2; releasing
  // O-1 gave its slot back: 3 of 4.
  EXPECT_EQ(Get(after, R"(hourglass_store_capacity_saturation{store="S-1"})"), 0.75);
  EXPECT_EQ(Get(after, "hourglass_journal_last_seq"), kFound + 2);
  EXPECT_EQ(Get(after, "hourglass_connections_open"), 1);
  EXPECT_EQ(Get(after, "hourglass_rules_version"), 1);
}

TEST_F(AdminTest, JournalAckLatencyAndSubscriberLagAreExported) {
  Start();
  ASSERT_TRUE(
      Call(Route(R"([{"sku":"A","qty":1}])", R"(,"order":"J-1","reserve":true)")).Flag("reserved"));
  Client sub(daemon_->port());
  ASSERT_TRUE(sub.Call(R"({"op":"subscribe","name":"erp","from":1})").ok());
  sub.ReadLine();  // the event; not acked
  sub.Send(R"({"op":"ack","seq":1})");
  ASSERT_TRUE(
      Call(Route(R"([{"sku":"A","qty":1}])", R"(,"order":"J-2","reserve":true)")).Flag("reserved"));
  sub.ReadLine();  // seq 2, not acked
  // The ack is kept in memory at once; scrape until the figures settle.
  std::map<std::string, double> m;
  for (int i = 0; i < 100; ++i) {
    m = Scrape();
    if (Get(m, R"(hourglass_subscriber_acked_seq{name="erp"})") == 1) break;
    ::usleep(20'000);
  }
  EXPECT_EQ(Get(m, R"(hourglass_subscriber_acked_seq{name="erp"})"), 1);
  EXPECT_EQ(Get(m, R"(hourglass_subscriber_lag_records{name="erp"})"), 1);
  EXPECT_EQ(Get(m, "hourglass_journal_ack_duration_seconds_count"), 2);
  EXPECT_EQ(Get(m, R"(hourglass_journal_ack_duration_seconds_bucket{le="+Inf"})"), 2);
  EXPECT_GT(Get(m, "hourglass_journal_ack_duration_seconds_sum"), 0);
}

// sync = batch answers once a record is written and syncs on a timer of its
// own: without any stop or further write, the synced seq catches up. With
// sync = none nothing syncs while the daemon runs, so the figure is not just
// the written one.
TEST_F(AdminTest, BatchSyncReachesTheDiskOnItsTimer) {
  for (const std::string sync : {"batch", "none"}) {
    SCOPED_TRACE(sync);
    daemon_.reset();
    std::filesystem::remove_all(dir_.path() / "var");
    Start(Config("127.0.0.1:0", "[journal]\nsync = \"" + sync + "\"\nsync_interval_ms = 20\n"));
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(Call(Route(R"([{"sku":"A","qty":1}])",
                             R"(,"order":"B-)" + std::to_string(i) + R"(","reserve":true)"))
                      .Flag("reserved"));
    }
    std::map<std::string, double> m;
    // batch: up to 5 s, room for a slow disk; none: 15 of batch's intervals.
    for (int i = 0; i < (sync == "batch" ? 250 : 15); ++i) {
      m = Scrape();
      if (Get(m, "hourglass_journal_synced_seq") == 3) break;
      ::usleep(20'000);
    }
    EXPECT_EQ(Get(m, "hourglass_journal_last_seq"), 3);
    EXPECT_EQ(Get(m, "hourglass_journal_synced_seq"), sync == "batch" ? 3 : 0);
    EXPECT_EQ(Call(R"({"op":"stats"})").root["journal"]["synced_seq"].get_int64().value(),
              sync == "batch" ? 3 : 0);
  }
}

TEST_F(AdminTest, StatsOpAnswersTheSameFiguresAsMetrics) {
  Start();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Call(Route(R"([{"sku":"A","qty":1}])")).ok());
  ASSERT_EQ(Call(Route(R"([{"sku":"C","qty":1}])")).Str("reason"), "out_of_stock");
  ASSERT_TRUE(Call(R"({"op":"reload"})").ok());
  const Answer stats = Call(R"({"op":"stats","id":9})");
  ASSERT_TRUE(stats.ok()) << stats.line;
  EXPECT_EQ(stats.Int("id"), 9);
  EXPECT_TRUE(stats.Flag("ready"));
  EXPECT_EQ(stats.root["requests"]["route"]["ok"].get_int64().value(), 4);
  EXPECT_EQ(stats.root["routes"]["found"].get_int64().value(), 3);
  EXPECT_EQ(stats.root["routes"]["not_found"]["out_of_stock"].get_int64().value(), 1);
  EXPECT_EQ(stats.root["latency"]["route"]["count"].get_int64().value(), 4);
  EXPECT_EQ(stats.Int("rules_version"), 2);
  EXPECT_EQ(stats.Int("connections_open"), 1);
  EXPECT_EQ(stats.root["capacity"]["stores_with_capacity"].get_int64().value(), 1);
  EXPECT_EQ(stats.root["journal"]["last_seq"].get_int64().value(), 0);

  const auto m = Scrape();
  EXPECT_EQ(Get(m, R"(hourglass_requests_total{op="route",outcome="ok"})"), 4);
  EXPECT_EQ(Get(m, R"(hourglass_requests_total{op="stats",outcome="ok"})"), 1);
  EXPECT_EQ(Get(m, "hourglass_rules_version"), 2);

  // The same figures as JSON over HTTP, for the map.
  const HttpResult api = HttpGet(daemon_->admin_port(), "/api/stats");
  EXPECT_EQ(api.status, 200);
  const Answer parsed = Client::Parse(api.body.substr(0, api.body.find('\n')));
  EXPECT_EQ(parsed.root["routes"]["found"].get_int64().value(), 3);
}

TEST_F(AdminTest, StatsIsAnOpsOp) {
  const std::string tokens =
      "[[security.tokens]]\ntoken = \"order-token-0123456789\"\nrole = \"order\"\n"
      "[[security.tokens]]\ntoken = \"ops-token-0123456789ab\"\nrole = \"ops\"\n";
  Start(Config("127.0.0.1:0", tokens));
  EXPECT_EQ(Call(R"({"op":"stats"})").code(), "unauthorized");
  ASSERT_TRUE(Call(R"({"op":"auth","token":"order-token-0123456789"})").ok());
  EXPECT_EQ(Call(R"({"op":"stats"})").code(), "forbidden");
  Client ops(daemon_->port());
  ASSERT_TRUE(ops.Call(R"({"op":"auth","token":"ops-token-0123456789ab"})").ok());
  const Answer stats = ops.Call(R"({"op":"stats"})");
  EXPECT_TRUE(stats.ok()) << stats.line;
  EXPECT_EQ(stats.root["requests"]["stats"]["unauthorized"].get_int64().value(), 1);
  EXPECT_EQ(stats.root["requests"]["stats"]["forbidden"].get_int64().value(), 1);
}

TEST_F(AdminTest, ReadyOnlyOnceDataIsLoadedHealthyThroughout) {
  const std::filesystem::path gate = dir_.path() / "gate";
  std::ofstream(gate) << "hold";
  ::setenv("HOURGLASS_FAULT_START_GATE_FILE", gate.c_str(), 1);
  Daemon daemon(dir_.Write("hourglass.toml", Config()), "127.0.0.1:0", "", /*until_admin=*/true);
  ::unsetenv("HOURGLASS_FAULT_START_GATE_FILE");
  const uint16_t admin = daemon.admin_port();
  EXPECT_EQ(HttpGet(admin, "/healthz").status, 200);
  const HttpResult waiting = HttpGet(admin, "/readyz");
  EXPECT_EQ(waiting.status, 503);
  EXPECT_NE(waiting.body.find("not ready"), std::string::npos);
  EXPECT_EQ(Get(ParsePrometheus(HttpGet(admin, "/metrics").body), "hourglass_ready"), 0);
  EXPECT_EQ(HttpGet(admin, "/api/stores").status, 503);

  std::filesystem::remove(gate);
  daemon.WaitListening();
  EXPECT_EQ(HttpGet(admin, "/readyz").status, 200);
  EXPECT_EQ(HttpGet(admin, "/healthz").status, 200);
  EXPECT_EQ(Get(ParsePrometheus(HttpGet(admin, "/metrics").body), "hourglass_ready"), 1);
  Client client(daemon.port());
  EXPECT_TRUE(client.Call(R"({"op":"ping"})").ok());
  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
}

TEST_F(AdminTest, BadHttpIsRefusedAndChangesNothing) {
  Start();
  ASSERT_TRUE(Call(Route(R"([{"sku":"A","qty":1}])")).ok());
  const auto requests_only = [](const std::map<std::string, double>& m) {
    std::map<std::string, double> out;
    for (const auto& [k, v] : m) {
      if (k.starts_with("hourglass_requests_total") || k.starts_with("hourglass_routes") ||
          k.starts_with("hourglass_reservations_total") || k == "hourglass_journal_last_seq") {
        out[k] = v;
      }
    }
    return out;
  };
  const auto before = requests_only(Scrape());
  const uint16_t admin = daemon_->admin_port();

  const HttpResult unknown = HttpGet(admin, "/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("/metrics"), std::string::npos);  // says where to go
  EXPECT_EQ(HttpGet(admin, "/api/nope").status, 404);
  EXPECT_EQ(
      HttpRaw(admin, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}").status,
      405);
  const HttpResult huge = HttpRaw(
      admin, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(huge.status, 413);
  const HttpResult big_body = HttpRaw(
      admin, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(1 << 20) +
                 "\r\n\r\n" + std::string(100000, 'b'));
  EXPECT_EQ(big_body.status, 413);
  EXPECT_EQ(HttpRaw(admin, "HELLO THERE\r\n\r\n").status, 400);
  EXPECT_EQ(HttpGet(admin, "/api/route?lat=x&lon=1&items=A").status, 400);
  EXPECT_EQ(HttpGet(admin, "/api/decisions?limit=0").status, 400);
  EXPECT_EQ(HttpGet(admin, "/api/store?id=S-NONE").status, 404);
  // The map's explain queries are quotes: no hold, no count as an order.
  const HttpResult quote = HttpGet(admin, "/api/route?lat=31.2304&lon=121.4737&items=A:1");
  EXPECT_EQ(quote.status, 200);
  EXPECT_NE(quote.body.find("\"candidates\""), std::string::npos);
  EXPECT_NE(quote.body.find("\"reserved\":false"), std::string::npos);

  EXPECT_EQ(requests_only(Scrape()), before);
  EXPECT_EQ(HttpGet(admin, "/healthz").status, 200);
  EXPECT_TRUE(Call(R"({"op":"ping"})").ok());
}

TEST_F(AdminTest, GrafanaDashboardUsesOnlyExportedMetrics) {
  Start();
  // Per-subscription series exist once a subscription does.
  Client sub(daemon_->port());
  ASSERT_TRUE(sub.Call(R"({"op":"subscribe","name":"grafana","from":1})").ok());
  std::set<std::string> exported;
  for (const auto& [sample, value] : Scrape()) {
    std::string name = sample.substr(0, sample.find('{'));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (name.ends_with(suffix)) exported.insert(name.substr(0, name.size() - strlen(suffix)));
    }
    exported.insert(name);
  }
  std::ifstream in(HOURGLASS_SOURCE_DIR "/configs/grafana/hourglass.json");
  std::stringstream text;
  text << in.rdbuf();
  const std::string dashboard = text.str();
  const std::regex metric("hourglass_[a-z_]+");
  size_t used = 0;
  for (auto it = std::sregex_iterator(dashboard.begin(), dashboard.end(), metric);
       it != std::sregex_iterator(); ++it) {
    ++used;
    EXPECT_TRUE(exported.contains(it->str())) << it->str() << " is not exported";
  }
  EXPECT_GT(used, 15u);
}

TEST_F(AdminTest, AdminListenConfig) {
  // "" turns the listener off: no admin line, the daemon serves as before.
  {
    Daemon off(dir_.Write("hourglass.toml", Config("")));
    EXPECT_EQ(off.admin_port(), 0);
    Client c(off.port());
    EXPECT_TRUE(c.Call(R"({"op":"ping"})").ok());
  }
  std::string err;
  EXPECT_EQ(Daemon::RunToExit(dir_.Write("bad.toml", Config("127.0.0.1:99999")), err), 2);
  EXPECT_NE(err.find("[admin]"), std::string::npos) << err;
  EXPECT_EQ(Daemon::RunToExit(dir_.Write("bad2.toml", Config("nowhere")), err), 2);
  EXPECT_NE(err.find("host:port"), std::string::npos) << err;
  // The admin port taken by another process: a clear start-up error.
  Start();
  const std::string taken = "127.0.0.1:" + std::to_string(daemon_->admin_port());
  TempDir other;
  other.Write("stores.csv", kStores);
  other.Write("stock.csv", kStock);
  EXPECT_EQ(Daemon::RunToExit(other.Write("hourglass.toml", Config(taken)), err), 2);
  EXPECT_NE(err.find("[admin] listen " + taken + ": cannot listen"), std::string::npos) << err;
}

}  // namespace
}  // namespace hourglass::testing
