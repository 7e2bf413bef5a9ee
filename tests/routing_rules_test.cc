// Fulfilment modes, store attributes and routing rules through the real
// daemon over TCP: each case shows the option changing a decision. Times are
// given with "at", never read from the wall clock.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

#include "tests/daemon_harness.h"

namespace hourglass::testing {
namespace {

namespace fs = std::filesystem;

// Customer at (31.2304, 121.4737). A is on the spot (2 deliveries an hour at
// most), B 1 km north, C 3 km north, P 1 km east but paused, Z 4.75 km east
// with a small delivery zone.
// Default ETAs (20 km/h, detour 1.3, prep 10): A 10.0, B 13.9, C 21.7.
constexpr const char* kStores =
    "store_id,lat,lon,city,tier,dealer,open,paused,zone,capacity_per_hour\n"
    "A,31.2304,121.4737,Shanghai,direct,D1,09:00-22:00,,,2\n"
    "B,31.2394,121.4737,Shanghai,franchise,D2,,,,\n"
    "C,31.2574,121.4737,Shanghai,direct,D1,,false,,\n"
    "P,31.2304,121.4837,Shanghai,direct,D1,,true,,\n"
    "Z,31.2304,121.5237,Shanghai,direct,D3,,,z.geojson,\n";
constexpr const char* kStock =
    "store_id,sku,on_hand\n"
    "A,X,5\nB,X,5\nC,X,5\nP,X,5\nZ,X,5\nC,Y,3\nA,Q,2\nB,V,2\n";
// A square of about 1.9 km around Z.
constexpr const char* kZone =
    R"({"type":"Polygon","coordinates":[[[121.5137,31.2214],[121.5337,31.2214],)"
    R"([121.5337,31.2394],[121.5137,31.2394],[121.5137,31.2214]]]})";
constexpr const char* kBase =
    "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
    "[journal]\nsync = \"batch\"\n"  // kill -9 loses nothing acknowledged
    "[[warehouses]]\nid = \"W\"\nlat = 31.0\nlon = 121.2\nship_days = 2\n";

constexpr const char* kNoon = "2026-11-24T12:00:00+08:00";
constexpr const char* kLate = "2026-11-24T23:00:00+08:00";

std::string Route(const std::string& extra, const std::string& items = R"([{"sku":"X","qty":1}])",
                  const std::string& at = kNoon) {
  return R"({"op":"route","lat":31.2304,"lon":121.4737,"at":")" + at + R"(","items":)" + items +
         (extra.empty() ? "" : "," + extra) + "}";
}

std::string PlanStore(const Answer& a) {
  if (!a.Flag("found")) return "(none: " + a.Str("reason") + ")";
  return std::string(a.root["plan"].at(0)["store"].get_string().value());
}

// explain's verdict on one store: "eligible", or why it was rejected.
std::string Verdict(const Answer& a, const std::string& store) {
  simdjson::dom::array list;
  if (a.root["candidates"].get_array().get(list) != simdjson::SUCCESS) return "(no candidates)";
  for (simdjson::dom::element c : list) {
    if (c["store"].get_string().value() != store) continue;
    if (c["eligible"].get_bool().value()) return "eligible";
    return std::string(c["why"].get_string().value());
  }
  return "(not listed)";
}

class RoutingRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("stores.csv", kStores);
    dir_.Write("stock.csv", kStock);
    dir_.Write("z.geojson", kZone);
  }
  // Starts the daemon with `rules` added to the base config.
  void Start(const std::string& rules = "") {
    config_ = dir_.Write("h.toml", std::string(kBase) + rules);
    daemon_ = std::make_unique<Daemon>(config_);
    client_ = std::make_unique<Client>(daemon_->port());
  }
  Answer Call(const std::string& line) { return client_->Call(line); }
  void Rewrite(const std::string& rules) { dir_.Write("h.toml", std::string(kBase) + rules); }

  // Three clients route flat out (16 pipelined at a time) while `change`
  // runs 20 times, 25 ms apart; every answer must satisfy `right`.
  void UnderLoad(const std::function<bool(const Answer&)>& right,
                 const std::function<void(Client&, int)>& change) {
    std::atomic<bool> stop{false};
    std::atomic<int64_t> answers{0}, wrong{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 3; ++t) {
      clients.emplace_back([&] {
        Client c(daemon_->port());
        while (!stop.load()) {
          for (int i = 0; i < 16; ++i) c.Send(Route(""));
          for (int i = 0; i < 16; ++i) {
            const Answer a = Client::Parse(c.ReadLine(std::chrono::seconds(5)));
            ++answers;
            if (!a.ok() || !right(a)) ++wrong;
          }
        }
      });
    }
    Client ops(daemon_->port());
    for (int i = 0; i < 20; ++i) {
      change(ops, i);
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    stop = true;
    for (auto& c : clients) c.join();
    EXPECT_GT(answers.load(), 500);
    EXPECT_EQ(wrong.load(), 0);
  }

  TempDir dir_;
  fs::path config_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(RoutingRulesTest, DefaultRankingHoldsAndEveryAnswerCarriesRulesVersion) {
  Start();
  const Answer a = Call(Route(""));
  ASSERT_TRUE(a.ok()) << a.line;
  EXPECT_EQ(PlanStore(a), "A");
  EXPECT_EQ(a.Int("rules_version"), 1);
  EXPECT_EQ(a.Str("promise"), "express");
  const auto part = a.root["plan"].at(0);
  EXPECT_EQ(part["role"].get_string().value(), "delivery");
  EXPECT_EQ(part["tier"].get_string().value(), "direct");
  EXPECT_EQ(part["dealer"].get_string().value(), "D1");
}

TEST_F(RoutingRulesTest, ClosedAndPausedStoresAreSkippedAndExplained) {
  Start();
  const Answer late = Call(Route(R"("explain":true)", R"([{"sku":"X","qty":1}])", kLate));
  EXPECT_EQ(PlanStore(late), "B") << late.line;
  EXPECT_EQ(Verdict(late, "A"), "closed");
  EXPECT_EQ(Verdict(late, "P"), "paused");
  EXPECT_EQ(Verdict(late, "B"), "eligible");
  // The same order at noon: A is open again.
  EXPECT_EQ(PlanStore(Call(Route(""))), "A");
}

TEST_F(RoutingRulesTest, ExplainNamesTheMissingUnits) {
  Start();
  const Answer a = Call(Route(R"("explain":true)", R"([{"sku":"Y","qty":5}])"));
  ASSERT_TRUE(a.ok()) << a.line;
  EXPECT_FALSE(a.Flag("found"));
  EXPECT_EQ(a.Str("reason"), "out_of_stock");
  EXPECT_EQ(Verdict(a, "C"), "missing: Y\u00d72");
  EXPECT_EQ(Verdict(a, "A"), "missing: Y\u00d75");
}

TEST_F(RoutingRulesTest, DeliveryZoneReplacesTheRadius) {
  Start();
  // Inside Z's zone: Z (on the spot) wins.
  const Answer in = Call(R"({"op":"route","lat":31.2304,"lon":121.5237,"at":")" +
                         std::string(kNoon) + R"(","items":[{"sku":"X","qty":1}]})");
  EXPECT_EQ(PlanStore(in), "Z") << in.line;
  // 2.9 km east of Z: inside its 8 km radius, outside its zone; A (7.6 km) serves.
  const Answer out =
      Call(R"({"op":"route","lat":31.2304,"lon":121.5537,"at":")" + std::string(kNoon) +
           R"(","explain":true,"items":[{"sku":"X","qty":1}]})");
  EXPECT_EQ(PlanStore(out), "A") << out.line;
  EXPECT_EQ(Verdict(out, "Z"), "out_of_zone");
}

TEST_F(RoutingRulesTest, PreferredStoreWinsWithinTheSlackOnly) {
  Start("[rules]\nbound_store_slack_min = 10\n");
  const Answer b = Call(Route(R"("prefer_store":"B")"));
  EXPECT_EQ(PlanStore(b), "B") << b.line;  // 13.9 min, within 10 of 10.0
  EXPECT_TRUE(b.root["bound_store"]["chosen"].get_bool().value());
  const Answer c = Call(Route(R"("prefer_store":"C")"));
  EXPECT_EQ(PlanStore(c), "A") << c.line;  // 21.7 min is beyond the slack
  EXPECT_FALSE(c.root["bound_store"]["chosen"].get_bool().value());
  EXPECT_EQ(c.root["bound_store"]["why"].get_string().value(), "slower_than_slack");
  const Answer p = Call(Route(R"("prefer_store":"P")"));
  EXPECT_EQ(p.root["bound_store"]["why"].get_string().value(), "paused") << p.line;
  const Answer unknown = Call(Route(R"("prefer_store":"NOPE")"));
  EXPECT_EQ(unknown.Str("reason"), "unknown_store") << unknown.line;
}

TEST_F(RoutingRulesTest, DealerScopeKeepsAnOrderWithItsDealersStores) {
  Start("[rules]\ndealer_scope = true\n");
  EXPECT_EQ(PlanStore(Call(Route(R"("dealer":"D2")"))), "B");
  EXPECT_EQ(PlanStore(Call(Route(""))), "A");  // no dealer named: any store
  const Answer a = Call(Route(R"("dealer":"D2","explain":true)"));
  EXPECT_EQ(Verdict(a, "A"), "dealer_scope");
}

TEST_F(RoutingRulesTest, SafetyStockKeepsUnitsBackForWalkIns) {
  Start("[rules.safety_stock]\ndirect = 5\n");
  // A, C (direct) keep all 5 units back; B (franchise) keeps none.
  const Answer a = Call(Route(R"("explain":true)"));
  EXPECT_EQ(PlanStore(a), "B") << a.line;
  EXPECT_EQ(Verdict(a, "A"), "missing: X\u00d71");
}

TEST_F(RoutingRulesTest, SafetyStockBySkuPrefix) {
  Start("[rules.safety_stock.sku_prefix]\nY = 1\n");
  // C has 3 Y and keeps 1 back: 2 can go, 3 cannot.
  EXPECT_EQ(PlanStore(Call(Route("", R"([{"sku":"Y","qty":2}])"))), "C");
  EXPECT_FALSE(Call(Route("", R"([{"sku":"Y","qty":3}])")).Flag("found"));
}

TEST_F(RoutingRulesTest, ObjectiveReordersCandidates) {
  Start("[rules.score]\neta = 1.0\nfranchise = -10.0\n");
  const Answer a = Call(Route(R"("explain":true)"));
  EXPECT_EQ(PlanStore(a), "B") << a.line;  // 13.9 - 10 beats 10.0
  const auto first = a.root["candidates"].at(0);
  EXPECT_EQ(first["store"].get_string().value(), "B");
  EXPECT_NEAR(first["score"]["total"].get_double().value(), 3.9, 0.05);
}

TEST_F(RoutingRulesTest, ObjectiveAvoidsEmptyingAStore) {
  Start("[rules.score]\neta = 1.0\ndepth = 100.0\n");
  const std::string four = R"([{"sku":"X","qty":4}])";
  // A and B both have 5: taking 4 leaves 1 at either; A is sooner.
  EXPECT_EQ(PlanStore(Call(Route("", four))), "A");
  ASSERT_TRUE(Call(R"({"op":"stock.set","store":"B","sku":"X","on_hand":100})").ok());
  // Now B keeps 96 after the order: 13.9 + 100/97 beats 10.0 + 100/2.
  EXPECT_EQ(PlanStore(Call(Route("", four))), "B");
}

TEST_F(RoutingRulesTest, ObjectiveSpreadsLoadOverCapacity) {
  Start("[rules.score]\neta = 1.0\nload = 20.0\n");  // A takes 2 deliveries an hour
  EXPECT_EQ(PlanStore(Call(Route(R"("order":"L-1","reserve":true)"))), "A");
  // A is half full: 10.0 + 20 x 1/2 = 20.0 loses to B's 13.9.
  const Answer second = Call(Route(R"("explain":true)"));
  EXPECT_EQ(PlanStore(second), "B") << second.line;
  const auto first = second.root["candidates"].at(1);
  EXPECT_EQ(first["store"].get_string().value(), "A");
  EXPECT_NEAR(first["score"]["load"].get_double().value(), 10.0, 0.001);
}

TEST_F(RoutingRulesTest, CitySpeedAndRushHourChangeWhatIsInTime) {
  // Y is only at C (3 km): 21.7 min at 20 km/h, 56.8 min at 5 km/h.
  Start("[rules.city.Shanghai]\nspeed_kmh = 5\n");
  const std::string y = R"([{"sku":"Y","qty":1}])";
  const Answer slow = Call(Route(R"("within_min":30,"explain":true)", y));
  EXPECT_FALSE(slow.Flag("found")) << slow.line;
  EXPECT_EQ(Verdict(slow, "C"), "beyond_promise");
  daemon_.reset();

  TempDir other;
  other.Write("stores.csv", kStores);
  other.Write("stock.csv", kStock);
  other.Write("z.geojson", kZone);
  const auto config = other.Write(
      "h.toml",
      std::string(kBase) +
          "[[rules.speed_bands]]\nfrom = \"11:00\"\nto = \"13:00\"\nspeed_factor = 0.25\n");
  Daemon d(config);
  Client c(d.port());
  EXPECT_FALSE(c.Call(Route(R"("within_min":30)", y, kNoon)).Flag("found"));  // rush hour
  EXPECT_EQ(PlanStore(c.Call(Route(R"("within_min":30)", y, "2026-11-24T15:00:00+08:00"))), "C");
}

TEST_F(RoutingRulesTest, PickupAtAStoreIsReadyAfterOpening) {
  Start();
  const Answer late = Call(R"({"op":"route","mode":"pickup","pickup_store":"A","at":")" +
                           std::string(kLate) + R"(","items":[{"sku":"X","qty":1}]})");
  ASSERT_TRUE(late.Flag("found")) << late.line;
  const auto part = late.root["plan"].at(0);
  EXPECT_EQ(part["role"].get_string().value(), "pickup");
  // Closed at 23:00, opens 09:00 (600 min), then 10 min to pick.
  EXPECT_NEAR(part["eta_min"].get_double().value(), 610.0, 0.05);
  const Answer noon = Call(R"({"op":"route","mode":"pickup","pickup_store":"A","at":")" +
                           std::string(kNoon) + R"(","items":[{"sku":"X","qty":1}]})");
  EXPECT_NEAR(noon.root["plan"].at(0)["eta_min"].get_double().value(), 10.0, 0.05);
  // Another city's customer may pick up here: no location is needed.
  const Answer other = Call(R"({"op":"route","mode":"pickup","pickup_store":"B",)"
                            R"("items":[{"sku":"V","qty":1}]})");
  ASSERT_TRUE(other.Flag("found")) << other.line;
  EXPECT_EQ(other.root["plan"].at(0)["distance_km"].get_double().value(), 0.0);
  // Nobody within the transfer radius has 10 Y.
  const Answer lacks = Call(R"({"op":"route","mode":"pickup","pickup_store":"A",)"
                            R"("items":[{"sku":"Y","qty":10}]})");
  EXPECT_FALSE(lacks.Flag("found")) << lacks.line;
  EXPECT_EQ(lacks.Str("reason"), "out_of_stock");
  const Answer paused = Call(R"({"op":"route","mode":"pickup","pickup_store":"P",)"
                             R"("items":[{"sku":"X","qty":1}]})");
  EXPECT_EQ(paused.Str("reason"), "stores_unavailable") << paused.line;
}

// A pickup store short of an item is sent it by a nearby store: ready when
// the last transfer is in. Held all or nothing, committed once, kept by a crash.
TEST_F(RoutingRulesTest, PickupStoreShortOfAnItemGetsATransfer) {
  Start();
  const std::string line = R"({"op":"route","mode":"pickup","pickup_store":"A","at":")" +
                           std::string(kNoon) +
                           R"(","order":"T-1","reserve":true,)"
                           R"("items":[{"sku":"X","qty":1},{"sku":"Y","qty":2}]})";
  const Answer a = Call(line);
  ASSERT_TRUE(a.Flag("reserved")) << a.line;
  simdjson::dom::array plan = a.root["plan"].get_array().value();
  ASSERT_EQ(plan.size(), 2u) << a.line;
  EXPECT_EQ(plan.at(0)["store"].get_string().value(), "A");
  EXPECT_EQ(plan.at(0)["role"].get_string().value(), "pickup");
  EXPECT_EQ(plan.at(0)["items"].at(0)["sku"].get_string().value(), "X");
  EXPECT_EQ(plan.at(1)["store"].get_string().value(), "C");
  EXPECT_EQ(plan.at(1)["role"].get_string().value(), "transfer");
  EXPECT_EQ(plan.at(1)["items"].at(0)["sku"].get_string().value(), "Y");
  // C: 10 min to pick, 3 km at 20 km/h with detour 1.3 (11.7 min), 20 min to receive.
  EXPECT_NEAR(plan.at(1)["eta_min"].get_double().value(), 41.7, 0.1);
  EXPECT_NEAR(plan.at(0)["eta_min"].get_double().value(), 41.7, 0.1);
  EXPECT_EQ(Call(R"({"op":"stock","store":"A","sku":"X"})").Int("reserved"), 1);
  EXPECT_EQ(Call(R"({"op":"stock","store":"C","sku":"Y"})").Int("reserved"), 2);

  daemon_->Stop(SIGKILL);
  daemon_ = std::make_unique<Daemon>(config_);
  client_ = std::make_unique<Client>(daemon_->port());
  const Answer retry = Call(line);
  EXPECT_TRUE(retry.Flag("already")) << retry.line;
  EXPECT_EQ(retry.root["plan"].get_array().value().size(), 2u);
  EXPECT_EQ(Call(R"({"op":"stock","store":"C","sku":"Y"})").Int("reserved"), 2);
  ASSERT_TRUE(Call(R"({"op":"commit","order":"T-1"})").ok());
  const Answer c = Call(R"({"op":"stock","store":"C","sku":"Y"})");
  EXPECT_EQ(c.Int("reserved"), 0);
  EXPECT_EQ(c.Int("on_hand"), 1);
  EXPECT_EQ(Call(R"({"op":"stock","store":"A","sku":"X"})").Int("on_hand"), 4);

  Client sub(daemon_->port());
  ASSERT_TRUE(sub.Call(R"({"op":"subscribe","name":"erp","from":1})").ok());
  const Answer held = Client::Parse(sub.ReadLine());
  EXPECT_EQ(held.Str("role"), "pickup");
  EXPECT_EQ(held.root["parts"].get_array().value().size(), 2u) << held.line;
  EXPECT_EQ(held.root["items"].at(1)["store"].get_string().value(), "C");
  EXPECT_EQ(Client::Parse(sub.ReadLine()).Str("type"), "committed");
}

TEST_F(RoutingRulesTest, TransfersComeOnlyFromWithinTheTransferRadius) {
  Start("[rules]\ntransfer_radius_km = 2\n");  // C is 3 km from A
  const Answer a = Call(R"({"op":"route","mode":"pickup","pickup_store":"A",)"
                        R"("items":[{"sku":"Y","qty":1}]})");
  EXPECT_FALSE(a.Flag("found")) << a.line;
}

// No single store has V, Y and Q: a split takes the fewest stores that do,
// each within the promise, and holds them all or none.
TEST_F(RoutingRulesTest, SplitUsesTheFewestStoresAllOrNothing) {
  Start();
  const std::string vy = R"([{"sku":"V","qty":1},{"sku":"Y","qty":1}])";
  EXPECT_EQ(Call(Route("", vy)).Str("reason"), "out_of_stock");
  const Answer two = Call(Route(R"("allow_split":true,"order":"S-1","reserve":true)", vy));
  ASSERT_TRUE(two.Flag("reserved")) << two.line;
  simdjson::dom::array plan = two.root["plan"].get_array().value();
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan.at(0)["store"].get_string().value(), "B");  // 13.9 min
  EXPECT_EQ(plan.at(1)["store"].get_string().value(), "C");  // 21.7 min
  EXPECT_EQ(Call(R"({"op":"stock","store":"B","sku":"V"})").Int("reserved"), 1);
  EXPECT_EQ(Call(R"({"op":"stock","store":"C","sku":"Y"})").Int("reserved"), 1);
  ASSERT_TRUE(Call(R"({"op":"release","order":"S-1"})").ok());
  EXPECT_EQ(Call(R"({"op":"stock","store":"B","sku":"V"})").Int("reserved"), 0);
  EXPECT_EQ(Call(R"({"op":"stock","store":"C","sku":"Y"})").Int("reserved"), 0);

  // A held split survives a clean restart (from the snapshot) whole.
  const std::string hold = Route(R"("allow_split":true,"order":"S-2","reserve":true)", vy);
  ASSERT_TRUE(Call(hold).Flag("reserved"));
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  daemon_ = std::make_unique<Daemon>(config_);
  client_ = std::make_unique<Client>(daemon_->port());
  const Answer again = Call(hold);
  EXPECT_TRUE(again.Flag("already")) << again.line;
  EXPECT_EQ(again.root["plan"].get_array().value().size(), 2u);
  EXPECT_EQ(Call(R"({"op":"stock","store":"B","sku":"V"})").Int("reserved"), 1);
  EXPECT_EQ(Call(R"({"op":"stock","store":"C","sku":"Y"})").Int("reserved"), 1);
  ASSERT_TRUE(Call(R"({"op":"release","order":"S-2"})").ok());

  const std::string vyq = R"([{"sku":"V","qty":1},{"sku":"Y","qty":1},{"sku":"Q","qty":1}])";
  EXPECT_FALSE(Call(Route(R"("allow_split":true)", vyq)).Flag("found"));  // 2 parts at most
  const Answer three = Call(Route(R"("allow_split":true,"max_parts":3)", vyq));
  ASSERT_TRUE(three.Flag("found")) << three.line;
  EXPECT_EQ(three.root["plan"].get_array().value().size(), 3u);
  // Beyond the promise nothing is split in: C is 21.7 min away.
  EXPECT_FALSE(Call(Route(R"("allow_split":true,"within_min":20)", vy)).Flag("found"));
  EXPECT_EQ(Call(Route(R"("max_parts":3)", vy)).code(), "bad_request");
}

TEST_F(RoutingRulesTest, PickupByLocationOffersTheNearestOptions) {
  Start("[rules]\npickup_options = 2\n");
  const Answer a = Call(Route(R"("mode":"pickup")"));
  ASSERT_TRUE(a.Flag("found")) << a.line;
  simdjson::dom::array options;
  ASSERT_EQ(a.root["options"].get_array().get(options), simdjson::SUCCESS) << a.line;
  ASSERT_EQ(options.size(), 2u);
  EXPECT_EQ(options.at(0)["store"].get_string().value(), "A");
  EXPECT_EQ(options.at(1)["store"].get_string().value(), "B");  // P is paused
}

TEST_F(RoutingRulesTest, WarehousesShipWhenAskedOrAsAFallback) {
  Start();
  EXPECT_EQ(Call(Route(R"("mode":"ship")")).Str("reason"), "out_of_stock");
  ASSERT_TRUE(Call(R"({"op":"stock.set","store":"W","sku":"Y","on_hand":50})").ok());
  const Answer ship = Call(Route(R"("mode":"ship")", R"([{"sku":"Y","qty":5}])"));
  ASSERT_TRUE(ship.Flag("found")) << ship.line;
  EXPECT_EQ(PlanStore(ship), "W");
  EXPECT_EQ(ship.Str("promise"), "standard");
  EXPECT_EQ(ship.root["plan"].at(0)["ship_days"].get_int64().value(), 2);
  // No store has 5 Y: without the fallback nothing, with it the warehouse.
  EXPECT_FALSE(Call(Route("", R"([{"sku":"Y","qty":5}])")).Flag("found"));
  const Answer fb =
      Call(Route(R"("fallback":"ship","order":"F-1","reserve":true)", R"([{"sku":"Y","qty":5}])"));
  ASSERT_TRUE(fb.Flag("reserved")) << fb.line;
  EXPECT_EQ(fb.root["plan"].at(0)["role"].get_string().value(), "ship");
  const Answer level = Call(R"({"op":"stock","store":"W","sku":"Y"})");
  EXPECT_EQ(level.Int("reserved"), 5);
  // A warehouse never serves a delivery within the hour.
  EXPECT_EQ(
      Call(R"({"op":"route","lat":31.0,"lon":121.2,"items":[{"sku":"Y","qty":1}]})").Str("reason"),
      "no_store_in_range");
}

TEST_F(RoutingRulesTest, ReservationEventsCarryAttribution) {
  Start();
  const Answer a = Call(Route(R"("order":"O-1","reserve":true,"prefer_store":"B")"));
  ASSERT_TRUE(a.Flag("reserved")) << a.line;
  Client sub(daemon_->port());
  const Answer head = sub.Call(R"({"op":"subscribe","name":"erp","from":1})");
  ASSERT_TRUE(head.ok()) << head.line;
  const Answer e = Client::Parse(sub.ReadLine());
  EXPECT_EQ(e.Str("type"), "reserved");
  EXPECT_EQ(e.Str("store"), "B");
  EXPECT_EQ(e.Str("tier"), "franchise");
  EXPECT_EQ(e.Str("dealer"), "D2");
}

TEST_F(RoutingRulesTest, StoreAtItsHourlyCapacityIsSkippedForThatHour) {
  Start();
  const auto reserve = [&](const std::string& order, const std::string& at) {
    return Call(Route(R"("order":")" + order + R"(","reserve":true,"explain":true)",
                      R"([{"sku":"X","qty":1}])", at));
  };
  EXPECT_EQ(PlanStore(reserve("C-1", kNoon)), "A");
  EXPECT_EQ(PlanStore(reserve("C-2", "2026-11-24T12:40:00+08:00")), "A");
  const Answer third = reserve("C-3", "2026-11-24T12:10:00+08:00");
  EXPECT_EQ(PlanStore(third), "B") << third.line;
  EXPECT_EQ(Verdict(third, "A"), "at_capacity");
  // Another hour has its own capacity.
  EXPECT_EQ(PlanStore(reserve("C-4", "2026-11-24T13:05:00+08:00")), "A");
  // A commit keeps its delivery counted; a release gives it back.
  ASSERT_TRUE(Call(R"({"op":"commit","order":"C-1"})").ok());
  EXPECT_EQ(PlanStore(reserve("C-5", kNoon)), "B");
  ASSERT_TRUE(Call(R"({"op":"release","order":"C-2"})").ok());
  EXPECT_EQ(PlanStore(reserve("C-6", kNoon)), "A");
  // The counts survive a crash: they are rebuilt from the journal.
  daemon_->Stop(SIGKILL);
  daemon_ = std::make_unique<Daemon>(config_);
  client_ = std::make_unique<Client>(daemon_->port());
  const Answer after = reserve("C-7", kNoon);
  EXPECT_EQ(PlanStore(after), "B") << after.line;
  EXPECT_EQ(Verdict(after, "A"), "at_capacity");
  // And a clean restart (from the snapshot).
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  daemon_ = std::make_unique<Daemon>(config_);
  client_ = std::make_unique<Client>(daemon_->port());
  EXPECT_EQ(Verdict(reserve("C-8", kNoon), "A"), "at_capacity");
}

TEST_F(RoutingRulesTest, EventsNameTheBoundStoreAndTheSlot) {
  Start();
  const Answer a = Call(Route(R"("order":"O-9","reserve":true,"prefer_store":"C")"));
  ASSERT_TRUE(a.Flag("reserved")) << a.line;
  EXPECT_EQ(PlanStore(a), "A");  // C is slower than the slack, but it was asked for
  Client sub(daemon_->port());
  ASSERT_TRUE(sub.Call(R"({"op":"subscribe","name":"erp","from":1})").ok());
  const Answer e = Client::Parse(sub.ReadLine());
  EXPECT_EQ(e.Str("store"), "A");
  EXPECT_EQ(e.Str("bound_store"), "C");
  EXPECT_EQ(e.Str("at"), "2026-11-24T04:00:00.000Z");
}

// store.upsert / store.remove change stores while the daemon serves: a new
// store routes at once, a partial upsert keeps what it does not name, a
// removed store serves nothing new; all of it survives kill -9 and a snapshot.
TEST_F(RoutingRulesTest, StoresChangeAtRuntimeAndTheChangesSurviveRestarts) {
  Start();
  const std::string upsert_n =
      R"({"op":"store.upsert","store":"N","lat":31.2304,"lon":121.4737,"prep_min":5,)"
      R"("tier":"franchise","dealer":"D9"})";
  const Answer created = Call(upsert_n);
  ASSERT_TRUE(created.ok()) << created.line;
  EXPECT_TRUE(created.Flag("created"));
  ASSERT_TRUE(Call(R"({"op":"stock.set","store":"N","sku":"X","on_hand":3})").ok());
  const Answer to_n = Call(Route(""));
  EXPECT_EQ(PlanStore(to_n), "N") << to_n.line;  // ETA 5.0 beats A's 10.0
  EXPECT_EQ(to_n.root["plan"].at(0)["dealer"].get_string().value(), "D9");

  // Partial: only the hours change; position, prep and tier stay.
  ASSERT_TRUE(Call(R"({"op":"store.upsert","store":"N","open":"00:00-01:00"})").ok());
  const Answer closed = Call(Route(R"("explain":true)"));
  EXPECT_EQ(PlanStore(closed), "A");
  EXPECT_EQ(Verdict(closed, "N"), "closed");
  EXPECT_EQ(PlanStore(Call(Route("", R"([{"sku":"X","qty":1}])", "2026-11-24T00:30:00+08:00"))),
            "N");

  // A hold at N, then N removed: it serves nothing new, the hold can still be paid.
  const Answer held = Call(Route(R"("order":"H-1","reserve":true)", R"([{"sku":"X","qty":1}])",
                                 "2026-11-24T00:30:00+08:00"));
  ASSERT_EQ(PlanStore(held), "N") << held.line;
  ASSERT_TRUE(Call(R"({"op":"store.remove","store":"N"})").ok());
  EXPECT_EQ(Verdict(Call(Route(R"("explain":true)", R"([{"sku":"X","qty":1}])",
                               "2026-11-24T00:30:00+08:00")),
                    "N"),
            "removed");
  ASSERT_TRUE(Call(R"({"op":"commit","order":"H-1"})").ok());
  EXPECT_EQ(Call(R"({"op":"stock","store":"N","sku":"X"})").Int("on_hand"), 2);

  // A crash keeps all of it (the journal), and so does a clean restart (the snapshot).
  daemon_->Stop(SIGKILL);
  daemon_ = std::make_unique<Daemon>(config_);
  client_ = std::make_unique<Client>(daemon_->port());
  EXPECT_EQ(Verdict(Call(Route(R"("explain":true)", R"([{"sku":"X","qty":1}])",
                               "2026-11-24T00:30:00+08:00")),
                    "N"),
            "removed");
  EXPECT_EQ(Call(R"({"op":"stock","store":"N","sku":"X"})").Int("on_hand"), 2);
  ASSERT_TRUE(Call(R"({"op":"store.upsert","store":"N","open":"24h"})").ok());  // back
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  daemon_ = std::make_unique<Daemon>(config_);
  client_ = std::make_unique<Client>(daemon_->port());
  EXPECT_EQ(PlanStore(Call(Route(""))), "N");
  EXPECT_EQ(Call(R"({"op":"stock","store":"N","sku":"X"})").Int("on_hand"), 2);

  // The system of record hears of every change.
  Client sub(daemon_->port());
  ASSERT_TRUE(sub.Call(R"({"op":"subscribe","name":"erp","from":1})").ok());
  const Answer first = Client::Parse(sub.ReadLine());
  EXPECT_EQ(first.Str("type"), "store_upserted");
  EXPECT_EQ(first.Str("store"), "N");
  EXPECT_EQ(first.Str("tier"), "franchise");
}

TEST_F(RoutingRulesTest, BadStoreChangesAreRefusedAndChangeNothing) {
  Start("[limits]\nmax_added_stores = 1\n");
  const char* bad[] = {
      R"({"op":"store.upsert","store":"M"})",  // a new store needs a position
      R"({"op":"store.upsert","store":"M","lat":31.2,"lon":121.4,"tier":"boss"})",
      R"({"op":"store.upsert","store":"M","lat":"north","lon":121.4})",
      R"({"op":"store.upsert","store":"M","lat":91,"lon":121.4})",
      R"({"op":"store.upsert","store":"A","open":"25:00-26:00"})",
      R"({"op":"store.upsert","store":"A","paused":"yes"})",
      R"({"op":"store.upsert","store":"W","paused":true})",  // a warehouse
      R"({"op":"store.remove","store":"W"})",
  };
  for (const char* line : bad) {
    const Answer a = Call(line);
    EXPECT_EQ(a.code(), "bad_request") << line << " -> " << a.line;
  }
  const Answer tier = Call(bad[1]);
  EXPECT_EQ(tier.root["error"]["message"].get_string().value(),
            "tier \"boss\" must be direct or franchise (or empty)")
      << tier.line;
  EXPECT_EQ(Call(R"({"op":"store.remove","store":"NOPE"})").code(), "unknown_store");
  EXPECT_EQ(PlanStore(Call(Route(""))), "A");  // A unchanged
  EXPECT_EQ(Call(R"({"op":"stock","store":"M","sku":"X"})").code(), "unknown_store");
  ASSERT_TRUE(Call(R"({"op":"store.upsert","store":"M","lat":31.2,"lon":121.4})").ok());
  EXPECT_EQ(Call(R"({"op":"store.upsert","store":"M2","lat":31.2,"lon":121.4})").code(),
            "store_limit");
}

// Store changes while clients route flat out: no request fails, each sees A
// paused or not, never anything else.
TEST_F(RoutingRulesTest, StoreChangesUnderLoadFailNothing) {
  Start();
  UnderLoad([](const Answer& a) { return PlanStore(a) == "A" || PlanStore(a) == "B"; },
            [](Client& ops, int i) {
              const Answer r =
                  ops.Call(std::string(R"({"op":"store.upsert","store":"A","paused":)") +
                           (i % 2 == 0 ? "true" : "false") + "}");
              ASSERT_TRUE(r.ok()) << r.line;
            });
}

TEST_F(RoutingRulesTest, BadRouteOptionsAreRefusedAndChangeNothing) {
  Start();
  const char* bad[] = {
      R"({"op":"route","mode":"teleport","lat":31,"lon":121,"items":[{"sku":"X","qty":1}]})",
      R"({"op":"route","pickup_store":"A","items":[{"sku":"X","qty":1}]})",
      R"({"op":"route","lat":31,"lon":121,"at":"tomorrow","items":[{"sku":"X","qty":1}]})",
      R"({"op":"route","lat":31,"lon":121,"fallback":"drone","items":[{"sku":"X","qty":1}]})",
      R"({"op":"route","lat":31,"items":[{"sku":"X","qty":1}]})",
  };
  for (const char* line : bad) {
    const Answer a = Call(line);
    EXPECT_EQ(a.code(), "bad_request") << line << " -> " << a.line;
  }
  EXPECT_EQ(Call(R"({"op":"stock","store":"A","sku":"X"})").Int("available"), 5);
}

TEST_F(RoutingRulesTest, ReloadSwapsRulesAndAFailedOneKeepsTheOld) {
  Start();
  EXPECT_EQ(PlanStore(Call(Route(""))), "A");
  Rewrite("[rules.safety_stock]\ndirect = 5\n");
  const Answer ok = Call(R"({"op":"reload"})");
  ASSERT_TRUE(ok.ok()) << ok.line;
  EXPECT_EQ(ok.Int("rules_version"), 2);
  const Answer after = Call(Route(""));
  EXPECT_EQ(PlanStore(after), "B");
  EXPECT_EQ(after.Int("rules_version"), 2);

  Rewrite("[rules]\nspeed_kmh = -3\n");
  const Answer bad = Call(R"({"op":"reload"})");
  EXPECT_EQ(bad.code(), "reload_failed") << bad.line;
  const std::string message(bad.root["error"]["message"].get_string().value());
  EXPECT_NE(message.find("h.toml:"), std::string::npos) << message;
  EXPECT_NE(message.find("[rules] speed_kmh"), std::string::npos) << message;
  const Answer still = Call(Route(""));
  EXPECT_EQ(PlanStore(still), "B");
  EXPECT_EQ(still.Int("rules_version"), 2);

  // Keys that shape the running daemon are reported, not applied.
  Rewrite("[limits]\nmax_items = 7\n");
  const Answer restart = Call(R"({"op":"reload"})");
  ASSERT_TRUE(restart.ok()) << restart.line;
  EXPECT_EQ(restart.root["restart_needed"].at(0).get_string().value(), "limits.max_items");
  EXPECT_EQ(PlanStore(Call(Route(""))), "A");
  // Each reload says in the log what it did.
  const std::string log = daemon_->Stderr();
  EXPECT_NE(log.find("reload (reload op): rules version 2 in force"), std::string::npos) << log;
  EXPECT_NE(log.find("reload (reload op) failed, rules version 2 keeps serving"), std::string::npos)
      << log;
}

TEST_F(RoutingRulesTest, SighupReloads) {
  Start();
  Rewrite("[rules.safety_stock]\ndirect = 5\n");
  ::kill(daemon_->pid(), SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  Answer a = Call(Route(""));
  while (a.Int("rules_version") == 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    a = Call(Route(""));
  }
  EXPECT_EQ(a.Int("rules_version"), 2);
  EXPECT_EQ(PlanStore(a), "B");
}

TEST_F(RoutingRulesTest, DryRunCountsChangedDecisionsAndSwapsNothing) {
  Start();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(PlanStore(Call(Route(""))), "A");
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(Call(Route("", R"([{"sku":"Y","qty":4}])")).Flag("found"));
  }
  // Safety stock moves the X orders from A to B; a warehouse-free change
  // cannot make the Y orders fulfillable, so they stay unchanged.
  Rewrite("[rules.safety_stock]\ndirect = 5\n");
  const Answer dry = Call(R"({"op":"reload","dry_run":true})");
  ASSERT_TRUE(dry.ok()) << dry.line;
  EXPECT_EQ(dry.Int("orders_replayed"), 13);
  EXPECT_EQ(dry.Int("changed_store"), 10);
  EXPECT_EQ(dry.Int("became_unfulfillable"), 0);
  EXPECT_EQ(dry.Int("unchanged"), 3);
  EXPECT_EQ(dry.Int("rules_version"), 1);
  const auto example = dry.root["examples"].at(0);
  EXPECT_EQ(example["before"].get_string().value(), "A");
  EXPECT_EQ(example["after"].get_string().value(), "B");
  EXPECT_EQ(PlanStore(Call(Route(""))), "A");  // nothing was swapped

  Rewrite("[rules]\npromise_min = 11\n");       // only A (10.0) is in time
  Call(Route("", R"([{"sku":"Y","qty":1}])"));  // C serves it now (21.7 min)
  const Answer tighter = Call(R"({"op":"reload","dry_run":true})");
  EXPECT_EQ(tighter.Int("became_unfulfillable"), 1) << tighter.line;
}

// Reload while clients route flat out: no request fails or stalls, and each
// answer is wholly the old rules' or wholly the new ones'.
TEST_F(RoutingRulesTest, ReloadUnderLoadFailsNothingAndNeverMixes) {
  Start();
  // Odd versions have no safety stock (A), even ones keep A's units back (B).
  UnderLoad(
      [](const Answer& a) { return PlanStore(a) == (a.Int("rules_version") % 2 ? "A" : "B"); },
      [this](Client& ops, int i) {
        Rewrite(i % 2 == 0 ? "[rules.safety_stock]\ndirect = 5\n" : "");
        const Answer r = ops.Call(R"({"op":"reload"})");
        ASSERT_TRUE(r.ok()) << r.line;
        EXPECT_EQ(r.Int("rules_version"), i + 2);
      });
}

}  // namespace
}  // namespace hourglass::testing
