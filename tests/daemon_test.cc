// The real hourglassd over real TCP: protocol, reservations, bad input,
// limits, races and shutdown.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "tests/daemon_harness.h"

namespace hourglass::testing {
namespace {

constexpr const char* kStores =
    "store_id,lat,lon,radius_km,prep_min,city\n"
    "S-1,31.2304,121.4737,8,,Shanghai\n"
    "S-2,31.2400,121.4800,,,Shanghai\n"
    "S-3,31.1000,121.3000,5,15,Shanghai\n"
    "S-FAR,39.9075,116.3972,,,Beijing\n";
constexpr const char* kStock =
    "store_id,sku,on_hand\n"
    "S-1,A,2\nS-1,B,5\nS-1,R,5\n"
    "S-2,A,10\nS-2,C,3\nS-2,R,5\n"
    "S-3,A,1\n"
    "S-FAR,A,100\n";
constexpr const char* kConfig =
    "[server]\nlisten = \"127.0.0.1:7878\"\n"
    "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
    "[rules]\npromise_min = 60\nspeed_kmh = 20.0\ndetour = 1.3\nprep_min = 10.0\n"
    "radius_km = 8.0\nreservation_ttl_s = 900\n";

// An order placed right at S-1.
std::string Route(const std::string& items, const std::string& extra = "") {
  return R"({"op":"route","lat":31.2304,"lon":121.4737,"items":)" + items + extra + "}";
}
std::string Reserve(const std::string& order, const std::string& items,
                    const std::string& extra = "") {
  return Route(items, R"(,"order":")" + order + R"(","reserve":true)" + extra);
}
std::string StockOf(const std::string& store, const std::string& sku) {
  return R"({"op":"stock","store":")" + store + R"(","sku":")" + sku + R"("})";
}
std::string PlanStore(const Answer& a) {
  return std::string(a.root["plan"].at(0)["store"].get_string().value());
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("stores.csv", kStores);
    dir_.Write("stock.csv", kStock);
    daemon_ = std::make_unique<Daemon>(dir_.Write("hourglass.toml", kConfig));
    client_ = std::make_unique<Client>(daemon_->port());
  }

  Answer Call(const std::string& line) { return client_->Call(line); }
  int64_t Reserved(const std::string& store, const std::string& sku) {
    return Call(StockOf(store, sku)).Int("reserved");
  }

  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(DaemonTest, PingEchoesAnyId) {
  EXPECT_TRUE(Call(R"({"op":"ping"})").ok());
  EXPECT_EQ(Call(R"({"op":"ping","id":7})").line, R"({"id":7,"ok":true})");
  EXPECT_EQ(Call(R"({"id":"a\"b","op":"ping"})").line, R"({"id":"a\"b","ok":true})");
  EXPECT_EQ(Call(R"({"op":"ping","id":{"k":[1,null,true,-2.5]}})").line,
            R"({"id":{"k":[1,null,true,-2.5]},"ok":true})");
  // The id comes back on errors too.
  const Answer bad = Call(R"({"op":"nope","id":42})");
  EXPECT_EQ(bad.Int("id"), 42);
  EXPECT_EQ(bad.code(), "unknown_op");
}

TEST_F(DaemonTest, QuotePicksFastestStoreWithEveryItemAndHoldsNothing) {
  Answer a = Call(Route(R"([{"sku":"A","qty":2}])"));
  ASSERT_TRUE(a.ok()) << a.line;
  ASSERT_TRUE(a.Flag("found")) << a.line;
  EXPECT_EQ(PlanStore(a), "S-1");
  EXPECT_DOUBLE_EQ(a.root["plan"].at(0)["eta_min"].get_double().value(), 10.0);
  EXPECT_FALSE(a.Flag("reserved"));
  EXPECT_EQ(Reserved("S-1", "A"), 0);
  // S-1 has no C: the next store by ETA that has both wins.
  a = Call(Route(R"([{"sku":"A","qty":1},{"sku":"C","qty":1}])"));
  EXPECT_EQ(PlanStore(a), "S-2");
  // Quantity counts: 3 units of A are not at S-1.
  a = Call(Route(R"([{"sku":"A","qty":3}])"));
  EXPECT_EQ(PlanStore(a), "S-2");
}

TEST_F(DaemonTest, NoPlanSaysWhy) {
  Answer a = Call(Route(R"([{"sku":"B","qty":1},{"sku":"C","qty":1}])"));
  EXPECT_TRUE(a.ok());
  EXPECT_FALSE(a.Flag("found"));
  EXPECT_EQ(a.Str("reason"), "out_of_stock");
  a = Call(R"({"op":"route","lat":30.0,"lon":125.0,"items":[{"sku":"A","qty":1}]})");
  EXPECT_EQ(a.Str("reason"), "no_store_in_range");
  a = Call(Route(R"([{"sku":"A","qty":1}])", R"(,"within_min":5)"));
  EXPECT_EQ(a.Str("reason"), "beyond_promise");
  a = Call(Route(R"([{"sku":"NOPE","qty":1}])"));
  EXPECT_EQ(a.Str("reason"), "unknown_sku");
  EXPECT_EQ(a.Str("sku"), "NOPE");
}

TEST_F(DaemonTest, ReservationIsAllOrNothing) {
  const Answer a = Call(Reserve("O-1", R"([{"sku":"B","qty":1},{"sku":"C","qty":1}])"));
  EXPECT_FALSE(a.Flag("found"));
  for (const auto& [store, sku] : {std::pair{"S-1", "B"}, {"S-2", "C"}}) {
    EXPECT_EQ(Reserved(store, sku), 0) << store << " " << sku;
  }
  EXPECT_EQ(Call(R"({"op":"commit","order":"O-1"})").code(), "unknown_order");
}

TEST_F(DaemonTest, ReserveCommitAndRetries) {
  Answer a = Call(Reserve("O-1", R"([{"sku":"A","qty":2},{"sku":"B","qty":1}])"));
  ASSERT_TRUE(a.Flag("found")) << a.line;
  EXPECT_TRUE(a.Flag("reserved"));
  EXPECT_EQ(a.Str("state"), "held");
  EXPECT_EQ(a.Int("expires_in_s"), 900);
  EXPECT_EQ(PlanStore(a), "S-1");
  EXPECT_EQ(Reserved("S-1", "A"), 2);

  // A retry returns the same plan although S-1 has no A left to give now.
  a = Call(Reserve("O-1", R"([{"sku":"A","qty":2},{"sku":"B","qty":1}])"));
  EXPECT_EQ(PlanStore(a), "S-1");
  EXPECT_TRUE(a.Flag("already"));
  EXPECT_EQ(Reserved("S-1", "A"), 2);
  Answer s = Call(StockOf("S-1", "A"));
  EXPECT_EQ(s.Int("available"), 0);

  a = Call(R"({"op":"commit","order":"O-1"})");
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(a.Str("state"), "committed");
  EXPECT_FALSE(a.Flag("already"));
  s = Call(StockOf("S-1", "A"));
  EXPECT_EQ(s.Int("on_hand"), 0);
  EXPECT_EQ(s.Int("reserved"), 0);
  a = Call(R"({"op":"commit","order":"O-1"})");
  EXPECT_TRUE(a.ok());
  EXPECT_TRUE(a.Flag("already"));
  EXPECT_EQ(Call(StockOf("S-1", "A")).Int("on_hand"), 0);  // not deducted twice
  a = Call(R"({"op":"release","order":"O-1"})");
  EXPECT_FALSE(a.ok());
  EXPECT_EQ(a.code(), "order_committed");
  // Retrying the route of a paid order still answers its plan, holds nothing.
  a = Call(Reserve("O-1", R"([{"sku":"A","qty":2}])"));
  EXPECT_EQ(a.Str("state"), "committed");
  EXPECT_EQ(Reserved("S-2", "A"), 0);
}

TEST_F(DaemonTest, ReleaseReturnsUnitsOnce) {
  ASSERT_TRUE(Call(Reserve("O-2", R"([{"sku":"B","qty":4}])")).Flag("found"));
  EXPECT_EQ(Reserved("S-1", "B"), 4);
  Answer a = Call(R"({"op":"release","order":"O-2"})");
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(a.Str("state"), "released");
  EXPECT_EQ(Reserved("S-1", "B"), 0);
  a = Call(R"({"op":"release","order":"O-2"})");
  EXPECT_TRUE(a.Flag("already"));
  EXPECT_EQ(Call(StockOf("S-1", "B")).Int("available"), 5);
  EXPECT_EQ(Call(R"({"op":"commit","order":"O-2"})").code(), "order_released");
  EXPECT_EQ(Call(R"({"op":"release","order":"O-404"})").code(), "unknown_order");
}

TEST_F(DaemonTest, HeldUnitsExpireAfterTtl) {
  Answer a = Call(Reserve("O-3", R"([{"sku":"B","qty":5}])", R"(,"ttl_s":1)"));
  ASSERT_TRUE(a.Flag("found")) << a.line;
  EXPECT_EQ(a.Int("expires_in_s"), 1);
  EXPECT_EQ(Reserved("S-1", "B"), 5);
  // Poll (bounded) until the sweeper returns the units; no timing is asserted.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (Reserved("S-1", "B") != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Reserved("S-1", "B"), 0);
  EXPECT_EQ(Call(R"({"op":"commit","order":"O-3"})").code(), "order_expired");
  a = Call(R"({"op":"release","order":"O-3"})");
  EXPECT_TRUE(a.Flag("already"));
  EXPECT_EQ(a.Str("state"), "expired");
}

TEST_F(DaemonTest, StockSetIsAbsoluteAndAddsNewSkus) {
  ASSERT_TRUE(Call(Reserve("O-4", R"([{"sku":"A","qty":1}])")).Flag("found"));
  Answer a = Call(R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":7})");
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(a.Int("on_hand"), 7);
  EXPECT_EQ(a.Int("reserved"), 1);  // holds survive a new level
  EXPECT_EQ(a.Int("available"), 6);
  a = Call(R"({"op":"stock.set","store":"S-3","sku":"NEW","on_hand":2})");
  EXPECT_TRUE(a.ok());
  a = Call(R"({"op":"route","lat":31.1,"lon":121.3,"items":[{"sku":"NEW","qty":2}]})");
  EXPECT_EQ(PlanStore(a), "S-3");
  // Refused: unknown store, negative or fractional levels. Nothing changes.
  EXPECT_EQ(Call(R"({"op":"stock.set","store":"S-9","sku":"A","on_hand":1})").code(),
            "unknown_store");
  EXPECT_EQ(Call(R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":-1})").code(),
            "bad_request");
  EXPECT_EQ(Call(R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":2.5})").code(),
            "bad_request");
  EXPECT_EQ(Call(R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":"3"})").code(),
            "bad_request");
  EXPECT_EQ(Call(StockOf("S-1", "A")).Int("on_hand"), 7);
  EXPECT_EQ(Call(StockOf("S-9", "A")).code(), "unknown_store");
}

// Every kind of bad input: a clear error with a stable code, no change to
// stock, and the connection keeps working.
TEST_F(DaemonTest, BadInputIsRefusedAndChangesNothing) {
  const std::string before = Call(StockOf("S-1", "A")).line;
  const std::string big_items = [] {
    std::string s = "[";
    for (int i = 0; i < 101; ++i) s += std::string(i ? "," : "") + R"({"sku":"A","qty":1})";
    return s + "]";
  }();
  const std::string long_sku(200, 'x');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "bad_json"},
      {"not json", "bad_json"},
      {R"({"op":"route","lat":NaN})", "bad_json"},
      {R"({"op":"route","lat":1e999,"lon":0})", "bad_json"},
      {"{\"op\":\"ping\",\"x\":\"\xff\xfe\"}", "bad_json"},
      {R"({"op":"ping"} trailing)", "bad_json"},
      {"[1,2]", "bad_request"},
      {"42", "bad_request"},
      {R"({"id":1})", "bad_request"},
      {R"({"op":7})", "bad_request"},
      {R"({"op":"fly"})", "unknown_op"},
      {Reserve("O-B1", R"([{"sku":"A","qty":1}])", R"(,"lat":31.23)"), "bad_request"},
      {R"({"op":"route","lat":"31","lon":121,"items":[{"sku":"A","qty":1}]})", "bad_request"},
      {Reserve("O-B14", R"([{"sku":"A","qty":1,"qty":2}])"), "bad_request"},
      {R"({"op":"route","lon":121,"items":[{"sku":"A","qty":1}]})", "bad_request"},
      {R"({"op":"route","lat":91,"lon":121,"items":[{"sku":"A","qty":1}]})", "bad_request"},
      {R"({"op":"route","lat":31,"lon":-180.5,"items":[{"sku":"A","qty":1}]})", "bad_request"},
      {R"({"op":"route","lat":31,"lon":121,"items":[]})", "bad_request"},
      {R"({"op":"route","lat":31,"lon":121,"items":{"sku":"A"}})", "bad_request"},
      {R"({"op":"route","lat":31,"lon":121})", "bad_request"},
      {R"({"op":"route","lat":31,"lon":121,"items":["A"]})", "bad_request"},
      {Reserve("O-B2", R"([{"sku":"A","qty":0}])"), "bad_request"},
      {Reserve("O-B3", R"([{"sku":"A","qty":-1}])"), "bad_request"},
      {Reserve("O-B4", R"([{"sku":"A","qty":1.5}])"), "bad_request"},
      {Reserve("O-B5", R"([{"sku":"A","qty":"2"}])"), "bad_request"},
      {Reserve("O-B6", R"([{"sku":"A"}])"), "bad_request"},
      {Reserve("O-B7", R"([{"sku":"","qty":1}])"), "bad_request"},
      {Reserve("O-B8", R"([{"sku":")" + long_sku + R"(","qty":1}])"), "bad_request"},
      {Reserve("O-B9", R"([{"sku":"A","qty":1},{"sku":"B","qty":0}])"), "bad_request"},
      {Reserve("O-B10", big_items), "bad_request"},
      {Route(R"([{"sku":"A","qty":1}])", R"(,"reserve":true)"), "bad_request"},
      {Reserve("O-B11", R"([{"sku":"A","qty":1}])", R"(,"ttl_s":0)"), "bad_request"},
      {Reserve("O-B12", R"([{"sku":"A","qty":1}])", R"(,"within_min":-5)"), "bad_request"},
      {Route(R"([{"sku":"A","qty":1}])", R"(,"reserve":"yes","order":"O-B13")"), "bad_request"},
      {R"({"op":"commit"})", "bad_request"},
      {R"({"op":"commit","order":5})", "bad_request"},
      {R"({"op":"release","order":""})", "bad_request"},
      {R"({"op":"stock","store":"S-1"})", "bad_request"},
  };
  for (const auto& [line, code] : cases) {
    const Answer a = Call(line);
    EXPECT_FALSE(a.ok()) << line;
    EXPECT_EQ(a.code(), code) << line << " -> " << a.line;
    std::string_view message;
    EXPECT_EQ(a.root["error"]["message"].get(message), simdjson::SUCCESS);
    EXPECT_GT(message.size(), 10u) << a.line;
  }
  // Messages say what to fix.
  EXPECT_EQ(Call(Reserve("O-B2", R"([{"sku":"A","qty":0}])"))
                .root["error"]["message"]
                .get_string()
                .value(),
            "items[0].qty must be a whole number within [1, 100000]");
  EXPECT_EQ(Call(R"({"op":"route","lat":91,"lon":0,"items":[]})")
                .root["error"]["message"]
                .get_string()
                .value(),
            "lat must be within [-90, 90]");
  EXPECT_EQ(Call(StockOf("S-1", "A")).line, before);
  for (const char* order : {"O-B1", "O-B2", "O-B10", "O-B13", "O-B14"}) {
    EXPECT_EQ(Call(std::string(R"({"op":"release","order":")") + order + "\"}").code(),
              "unknown_order");
  }
  EXPECT_TRUE(Call(R"({"op":"ping"})").ok());
}

TEST_F(DaemonTest, OversizedLineIsRefusedThenConnectionCloses) {
  std::string line = R"({"op":"ping","pad":")" + std::string(70 * 1024, 'x') + "\"}";
  client_->Send(line);
  const Answer a = Client::Parse(client_->ReadLine());
  EXPECT_EQ(a.code(), "too_large");
  EXPECT_TRUE(client_->ClosedByServer());
  // Also when no newline ever comes.
  Client endless(daemon_->port());
  endless.SendRaw(std::string(100 * 1024, 'y'));
  EXPECT_EQ(Client::Parse(endless.ReadLine()).code(), "too_large");
  EXPECT_TRUE(endless.ClosedByServer());
  // The daemon serves everyone else as before.
  Client fresh(daemon_->port());
  EXPECT_TRUE(fresh.Call(R"({"op":"ping"})").ok());
  // A line just under the limit is fine.
  std::string fits = R"({"op":"ping","pad":")" + std::string(60 * 1024, 'x') + "\"}";
  EXPECT_TRUE(fresh.Call(fits).ok());
}

TEST_F(DaemonTest, PipelinedAnswersComeInRequestOrder) {
  std::string batch;
  for (int i = 0; i < 2000; ++i) {
    batch += (i % 3 == 0) ? R"({"op":"ping","id":)" + std::to_string(i) + "}\n"
             : (i % 3 == 1)
                 ? R"({"op":"stock","store":"S-1","sku":"A","id":)" + std::to_string(i) + "}\n"
                 : R"({"op":"bogus","id":)" + std::to_string(i) + "}\n";
  }
  client_->SendRaw(batch);
  for (int i = 0; i < 2000; ++i) {
    const Answer a = Client::Parse(client_->ReadLine());
    ASSERT_EQ(a.Int("id"), i);
  }
}

TEST_F(DaemonTest, BlankLinesAndCrLfAreAccepted) {
  client_->SendRaw("\n  \r\n{\"op\":\"ping\",\"id\":1}\r\n");
  EXPECT_EQ(client_->ReadLine(), R"({"id":1,"ok":true})");
}

TEST_F(DaemonTest, RacingClientsNeverOversell) {
  // 10 units of R in range (5 at S-1, 5 at S-2); 8 clients want 240.
  constexpr int kClients = 8;
  constexpr int kOrders = 30;
  std::atomic<int> won{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      try {
        Client client(daemon_->port());
        for (int i = 0; i < kOrders; ++i) {
          const std::string order = "RACE-" + std::to_string(c) + "-" + std::to_string(i);
          const Answer a = client.Call(Reserve(order, R"([{"sku":"R","qty":1}])"));
          if (!a.ok()) ++failures;
          if (a.Flag("found")) ++won;
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(won.load(), 10);
  EXPECT_EQ(Reserved("S-1", "R") + Reserved("S-2", "R"), 10);
  EXPECT_EQ(Call(StockOf("S-1", "R")).Int("available"), 0);
}

TEST_F(DaemonTest, SigtermFinishesAnsweredWorkAndExitsZero) {
  Client other(daemon_->port());
  EXPECT_TRUE(other.Call(R"({"op":"ping"})").ok());
  // Requests already answered stay answered; the daemon exits cleanly.
  ASSERT_TRUE(Call(Reserve("O-T", R"([{"sku":"A","qty":1}])")).Flag("found"));
  EXPECT_EQ(daemon_->Stop(SIGTERM), 0);
  EXPECT_TRUE(client_->ClosedByServer());
  EXPECT_TRUE(other.ClosedByServer());
}

TEST_F(DaemonTest, SigtermWithPipelinedRequestsInFlight) {
  std::string batch;
  for (int i = 0; i < 5000; ++i) batch += R"({"op":"ping","id":)" + std::to_string(i) + "}\n";
  client_->SendRaw(batch);
  EXPECT_EQ(Client::Parse(client_->ReadLine()).Int("id"), 0);  // it is being served
  EXPECT_EQ(daemon_->Stop(SIGTERM), 0);
  // Whatever was answered arrives whole and in order; then the close.
  int next = 1;
  try {
    while (true) ASSERT_EQ(Client::Parse(client_->ReadLine()).Int("id"), next++);
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
  }
}

// hourglass-gen output served by the daemon: every generated order gets a
// well-formed answer, and most are fulfilled (the data is realistic).
TEST(GeneratedData, DemoOrdersRouteEndToEnd) {
  TempDir dir;
  const std::string cmd = std::string(HOURGLASS_GEN_PATH) +
                          " --seed 3 --stores 400 --cities 30 --skus 2000 --per-store 400"
                          " --orders 3000 --cities-csv " HOURGLASS_CITIES_CSV " --out " +
                          dir.path().string() + " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  Daemon daemon(dir.Write("hourglass.toml", kConfig));
  Client client(daemon.port());
  std::ifstream orders(dir.path() / "orders.ndjson");
  int total = 0;
  int found = 0;
  std::string batch;
  for (std::string line; std::getline(orders, line);) batch += line + "\n";
  client.SendRaw(batch);  // pipelined, as a busy order system would
  for (std::string_view rest = batch; !rest.empty(); rest.remove_prefix(rest.find('\n') + 1)) {
    const Answer a = Client::Parse(client.ReadLine());
    ASSERT_TRUE(a.ok()) << a.line;
    ++total;
    found += a.Flag("found");
  }
  EXPECT_EQ(total, 3000);
  EXPECT_GT(found, total / 3);
}

// The committed sample config and data start as shipped.
TEST(ShippedConfig, SampleDataServesItsOrders) {
  TempDir state;  // not the repository's var/: tests run side by side
  Daemon daemon(HOURGLASS_SOURCE_DIR "/configs/sample.toml", "127.0.0.1:0",
                (state.path() / "var").string());
  Client client(daemon.port());
  std::ifstream orders(HOURGLASS_SOURCE_DIR "/configs/sample/orders.ndjson");
  int found = 0;
  int total = 0;
  for (std::string line; std::getline(orders, line); ++total) {
    const Answer a = client.Call(line);
    ASSERT_TRUE(a.ok()) << a.line;
    found += a.Flag("found");
  }
  EXPECT_EQ(total, 200);
  EXPECT_GT(found, 100);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
}

// The fixture's stores and stock in `dir`, and a config with `extra` appended.
std::filesystem::path WriteWorld(const TempDir& dir, const std::string& extra = "") {
  dir.Write("stores.csv", kStores);
  dir.Write("stock.csv", kStock);
  return dir.Write("hourglass.toml", std::string(kConfig) + extra);
}

// [limits] max_connections: one more gets an error line and is closed; the
// ones inside the limit keep working, and a freed slot can be taken again.
TEST(Limits, ConnectionsBeyondTheLimitAreRefused) {
  TempDir dir;
  Daemon d(WriteWorld(dir, "[limits]\nmax_connections = 3\n"));
  std::vector<std::unique_ptr<Client>> in;
  for (int i = 0; i < 3; ++i) {
    in.push_back(std::make_unique<Client>(d.port()));
    ASSERT_TRUE(in.back()->Call(R"({"op":"ping"})").ok());
  }
  Client over(d.port());
  const Answer refused = Client::Parse(over.ReadLine());
  EXPECT_EQ(refused.code(), "too_many_connections");
  EXPECT_TRUE(over.ClosedByServer());
  for (auto& c : in) EXPECT_TRUE(c->Call(R"({"op":"ping"})").ok());
  in.pop_back();  // frees a slot (the server notices the close)
  bool accepted = false;
  for (int attempt = 0; attempt < 100 && !accepted; ++attempt) {
    Client again(d.port());
    again.Send(R"({"op":"ping"})");
    accepted = Client::Parse(again.ReadLine()).ok();
    if (!accepted) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(accepted);
}

// [limits] idle_timeout_s: a silent connection is closed; an active one is not.
TEST(Limits, IdleConnectionsAreClosed) {
  TempDir dir;
  Daemon d(WriteWorld(dir, "[limits]\nidle_timeout_s = 1\n"));
  Client silent(d.port());
  Client busy(d.port());
  ASSERT_TRUE(silent.Call(R"({"op":"ping"})").ok());
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(busy.Call(R"({"op":"ping"})").ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(silent.ClosedByServer(std::chrono::seconds(10)));
  EXPECT_TRUE(busy.Call(R"({"op":"ping"})").ok());
}

// A client that sends requests but never reads its answers: the daemon stops
// reading from it once its answers back up (bounded memory), and closes it
// after idle_timeout_s without progress; other clients are not held up.
TEST(Limits, ClientThatNeverReadsIsCutOff) {
  TempDir dir;
  Daemon d(WriteWorld(dir, "[limits]\nidle_timeout_s = 1\n"));
  Client hog(d.port());
  const std::string ping = std::string(R"({"op":"stock","store":"S-1","sku":"A","id":")") +
                           std::string(900, 'x') + "\"}\n";
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += ping;
  // ~2 MB per burst; the daemon's answers (~1 KB each) fill the socket
  // buffers, then its 4 MiB cap; sends start to block: stop after a few.
  std::atomic<bool> done{false};
  std::thread writer([&] {
    try {
      for (int i = 0; i < 20 && !done; ++i) hog.SendRaw(burst);
    } catch (const std::exception&) {
    }
  });
  Client other(d.port());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(other.Call(R"({"op":"ping"})").ok());
  EXPECT_TRUE(hog.ClosedByServer(std::chrono::seconds(30)));
  done = true;
  writer.join();
  Client after(d.port());  // `other` itself went idle meanwhile
  EXPECT_TRUE(after.Call(R"({"op":"ping"})").ok());
}

TEST(DataDirectory, SecondDaemonOnTheSameDirectoryRefusesToStart) {
  TempDir dir;
  const auto config = WriteWorld(dir);
  Daemon first(config);
  std::string err;
  EXPECT_EQ(Daemon::RunToExit(config, err), 2);
  EXPECT_NE(err.find("another hourglassd is using this data directory"), std::string::npos) << err;
  Client c(first.port());
  EXPECT_TRUE(c.Call(R"({"op":"ping"})").ok());
}

class StartupTest : public ::testing::Test {
 protected:
  std::string StartupError(const std::string& stores, const std::string& stock,
                           const std::string& config = kConfig) {
    dir_.Write("stores.csv", stores);
    dir_.Write("stock.csv", stock);
    std::string err;
    EXPECT_EQ(Daemon::RunToExit(dir_.Write("hourglass.toml", config), err), 2);
    return err;
  }
  TempDir dir_;
};

// A data directory the daemon cannot use stops start-up with a clear error
// (root ignores permission bits, so a file stands where the journal goes).
TEST_F(StartupTest, UnusableJournalDirectoryStopsStartup) {
  std::filesystem::create_directories(dir_.path() / "var");
  dir_.Write("var/journal", "not a directory");
  const std::string err = StartupError(kStores, "store_id,sku,on_hand\nS-1,A,2\n");
  EXPECT_NE(err.find("cannot create the journal directory"), std::string::npos) << err;
}

TEST_F(StartupTest, BadFilesStopStartupNamingFileLineAndField) {
  EXPECT_NE(StartupError(kStores, "store_id,sku,on_hand\nS-1,A,2\nS-1,B,lots\n")
                .find("stock.csv:3: field on_hand: \"lots\" is not a whole number"),
            std::string::npos);
  EXPECT_NE(StartupError("store_id,lat,lon\nS-1,31,200\n", kStock)
                .find("stores.csv:2: field lon: must be within [-180, 180]"),
            std::string::npos);
  EXPECT_NE(StartupError(kStores, kStock, "[rules]\ndetour = 0.5\n")
                .find("hourglass.toml:2: [rules] detour: must be within [1, 10]"),
            std::string::npos);
}

}  // namespace
}  // namespace hourglass::testing
