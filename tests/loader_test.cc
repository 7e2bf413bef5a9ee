// Start-up files: a bad file stops the load with a message naming the file,
// the line and the field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/store_set.h"
#include "io/config.h"
#include "io/data_loader.h"
#include "io/load_error.h"

namespace hourglass::io {
namespace {

namespace fs = std::filesystem;

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hourglass-loader-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  // The LoadError message of loading these files ("" when it loads).
  std::string LoadStoresAndStock(const std::string& stores, const std::string& stock) {
    try {
      LoadInventory(Write("stores.csv", stores), Write("stock.csv", stock), Rules{});
    } catch (const LoadError& e) {
      return e.what();
    }
    return "";
  }

  std::string LoadConfigText(const std::string& text) {
    try {
      LoadConfig(Write("h.toml", text));
    } catch (const LoadError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

const char* kStores =
    "store_id,lat,lon,radius_km,prep_min,city\nS-1,31.2,121.4,,,\"Shang, "
    "hai\"\nS-2,31.3,121.5,3,12,x\n";

TEST_F(LoaderTest, LoadsStoresWithDefaultsAndExtraColumns) {
  auto inv = LoadInventory(Write("stores.csv", kStores),
                           Write("stock.csv", "store_id,sku,on_hand\nS-2,A,4\nS-1,A,2\nS-1,B,0\n"),
                           Rules{});
  ASSERT_EQ(inv->Stores()->stores.size(), 2u);
  const auto s1 = *inv->Stores()->stores.Find("S-1");
  const auto s2 = *inv->Stores()->stores.Find("S-2");
  EXPECT_DOUBLE_EQ(inv->Stores()->stores[s1].radius_km, Rules{}.radius_km);
  EXPECT_DOUBLE_EQ(inv->Stores()->stores[s1].prep_min, Rules{}.prep_min);
  EXPECT_DOUBLE_EQ(inv->Stores()->stores[s2].radius_km, 3);
  EXPECT_DOUBLE_EQ(inv->Stores()->stores[s2].prep_min, 12);
  EXPECT_EQ(inv->stock.Level(s1, *inv->skus.Find("A")).on_hand, 2);
  EXPECT_EQ(inv->stock.Level(s2, *inv->skus.Find("A")).on_hand, 4);
  EXPECT_EQ(inv->stock.rows(), 3u);
}

TEST_F(LoaderTest, BadStoresNameFileLineAndField) {
  const std::string stock = "store_id,sku,on_hand\n";
  EXPECT_NE(LoadStoresAndStock("store_id,lat\nS-1,3\n", stock)
                .find("stores.csv:1: the header has no \"lon\""),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock("store_id,lat,lon\nS-1,31,121\nS-2,95,121\n", stock)
                .find("stores.csv:3: field lat: must be within [-90, 90]"),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock("store_id,lat,lon\nS-1,abc,121\n", stock)
                .find("stores.csv:2: field lat: \"abc\" is not a number"),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock("store_id,lat,lon,radius_km\nS-1,31,121,-2\n", stock)
                .find("stores.csv:2: field radius_km"),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock("store_id,lat,lon\nS-1,31,121\nS-1,32,121\n", stock)
                .find("store_id \"S-1\" appears twice"),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock("store_id,lat,lon\nS-1,31\n", stock)
                .find("stores.csv:2: has 2 fields, the header has 3"),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock("store_id,lat,lon\n", stock).find("no stores"), std::string::npos);
}

TEST_F(LoaderTest, BadStockNamesFileLineAndField) {
  EXPECT_NE(LoadStoresAndStock(kStores, "store_id,sku,on_hand\nS-1,A,1\nS-9,A,1\n")
                .find("stock.csv:3: field store_id: \"S-9\" is not in stores.csv"),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock(kStores, "store_id,sku,on_hand\nS-1,A,-1\n")
                .find("stock.csv:2: field on_hand: \"-1\" is not a whole number"),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock(kStores, "store_id,sku,on_hand\nS-1,A,1.5\n").find("field on_hand"),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock(kStores, "store_id,sku,on_hand\nS-1,,1\n")
                .find("stock.csv:2: field sku: must not be empty"),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock(kStores, "store_id,sku,on_hand\nS-1,A,1\nS-2,A,1\nS-1,A,2\n")
                .find("store S-1 lists sku A more than once (lines 2 and 4)"),
            std::string::npos);
  EXPECT_NE(LoadStoresAndStock(kStores, "store_id,on_hand\n").find("no \"sku\" column"),
            std::string::npos);
}

TEST_F(LoaderTest, MissingFileIsNamed) {
  try {
    LoadInventory(dir_ / "nope.csv", dir_ / "stock.csv", Rules{});
    FAIL() << "loaded a missing file";
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.csv: cannot open"), std::string::npos);
  }
}

TEST_F(LoaderTest, ConfigReadsEveryContractKey) {
  const Config c = LoadConfig(Write("h.toml", R"(
[server]
listen = "127.0.0.1:9999"
[data]
stores = "s.csv"
stock = "k.csv"
dir = "state"
store_filter_bits = 8
[rules]
promise_min = 45
speed_kmh = 18.5
detour = 1.4
prep_min = 8.0
radius_km = 6.0
reservation_ttl_s = 300
[journal]
sync = "batch"
segment_bytes = 1048576
sync_interval_ms = 20
snapshot_every_records = 5000
max_retained_bytes = 2097152
)"));
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 9999);
  EXPECT_EQ(c.stores_csv, dir_ / "s.csv");
  EXPECT_EQ(c.stock_csv, dir_ / "k.csv");
  EXPECT_EQ(c.data_dir, dir_ / "state");
  EXPECT_EQ(c.store_filter_bits, 8);
  EXPECT_DOUBLE_EQ(c.rules.promise_min, 45);
  EXPECT_DOUBLE_EQ(c.rules.speed_kmh, 18.5);
  EXPECT_DOUBLE_EQ(c.rules.detour, 1.4);
  EXPECT_DOUBLE_EQ(c.rules.prep_min, 8);
  EXPECT_DOUBLE_EQ(c.rules.radius_km, 6);
  EXPECT_EQ(c.rules.reservation_ttl_s, 300);
  EXPECT_EQ(c.journal.sync, "batch");
  EXPECT_EQ(c.journal.segment_bytes, 1048576);
  EXPECT_EQ(c.journal.sync_interval_ms, 20);
  EXPECT_EQ(c.journal.snapshot_every_records, 5000);
  EXPECT_EQ(c.journal.max_retained_bytes, 2097152);
}

TEST_F(LoaderTest, BadConfigNamesLineAndKey) {
  EXPECT_NE(LoadConfigText("[rules]\n\nspeed_kmh = -3\n")
                .find("h.toml:3: [rules] speed_kmh: must be within"),
            std::string::npos);
  EXPECT_NE(LoadConfigText("[rules]\nreservation_ttl_s = 1.5\n").find("must be a whole number"),
            std::string::npos);
  EXPECT_NE(LoadConfigText("[rules]\nspeed = 3\n").find("[rules] speed: unknown key"),
            std::string::npos);
  EXPECT_NE(LoadConfigText("[rulez]\n").find("unknown table [rulez]"), std::string::npos);
  EXPECT_NE(LoadConfigText("[server]\nlisten = \"localhost\"\n").find("expected host:port"),
            std::string::npos);
  EXPECT_NE(LoadConfigText("[rules\n").find("h.toml:1:"), std::string::npos);
  EXPECT_NE(LoadConfigText("[data]\nstores = 3\n").find("[data] stores: must be a string"),
            std::string::npos);
  EXPECT_NE(LoadConfigText("[journal]\nsync = \"sometimes\"\n")
                .find("[journal] sync: must be \"always\", \"batch\" or \"none\""),
            std::string::npos);
  EXPECT_NE(LoadConfigText("[journal]\nsnapshot_every_records = 5\n").find("must be within"),
            std::string::npos);
  EXPECT_NE(LoadConfigText("[data]\nstore_filter_bits = 33\n")
                .find("[data] store_filter_bits: must be within [0, 32]"),
            std::string::npos);
}

// configs/rules-example.toml writes out every routing rule; it must load, and
// its values must land where the router reads them.
TEST_F(LoaderTest, RulesExampleLoadsEveryRuleAndTheAttributedStores) {
  const fs::path source = HOURGLASS_SOURCE_DIR;
  const Config c = LoadConfig(source / "configs" / "rules-example.toml");
  const alloc::RoutingRules& r = c.rules.routing;
  EXPECT_EQ(c.stores_csv, source / "configs" / "sample" / "stores-attributes.csv");
  EXPECT_EQ(r.utc_offset_min, 480);
  EXPECT_TRUE(r.dealer_scope);
  EXPECT_DOUBLE_EQ(r.bound_store_slack_min, 10);
  EXPECT_EQ(r.pickup_options, 3);
  EXPECT_DOUBLE_EQ(r.pickup_search_km, 10);
  ASSERT_EQ(r.city_eta.count("Shanghai"), 1u);
  EXPECT_DOUBLE_EQ(r.city_eta.find("Shanghai")->second.speed_kmh, 16);
  EXPECT_DOUBLE_EQ(r.city_eta.find("Shanghai")->second.detour, 1.4);
  ASSERT_EQ(r.city_eta.count("Beijing"), 1u);
  EXPECT_DOUBLE_EQ(r.city_eta.find("Beijing")->second.speed_kmh, 18);
  EXPECT_DOUBLE_EQ(r.city_eta.find("Beijing")->second.detour, c.rules.detour);  // not overridden
  ASSERT_EQ(r.speed_bands.size(), 2u);
  EXPECT_EQ(r.speed_bands[0].from_min, 7 * 60 + 30);
  EXPECT_EQ(r.speed_bands[1].to_min, 19 * 60 + 30);
  EXPECT_DOUBLE_EQ(r.speed_bands[1].speed_factor, 0.7);
  EXPECT_EQ(r.safety_stock.direct, 1);
  EXPECT_EQ(r.safety_stock.franchise, 2);
  EXPECT_EQ(r.safety_stock.ForSku("SKU-00003"), 3);
  EXPECT_EQ(r.safety_stock.ForSku("SKU-00100"), 0);
  EXPECT_TRUE(r.objective.configured());
  EXPECT_DOUBLE_EQ(r.objective.eta, 1.0);
  EXPECT_DOUBLE_EQ(r.objective.franchise, 2.0);
  EXPECT_DOUBLE_EQ(r.objective.load, 5.0);
  EXPECT_DOUBLE_EQ(r.transfer_radius_km, 15);
  EXPECT_DOUBLE_EQ(r.transfer_handling_min, 20);
  EXPECT_EQ(c.limits.what_if_orders, 100000);
  ASSERT_EQ(c.warehouses.size(), 1u);
  EXPECT_EQ(c.warehouses[0].id, "WH-EAST");
  EXPECT_EQ(c.warehouses[0].ship_days, 1);

  // The prefix names SKUs that really are in the sample stock.
  std::ifstream stock(c.stock_csv);
  std::string line;
  bool prefixed = false;
  while (!prefixed && std::getline(stock, line)) prefixed = line.find(",SKU-0000") != line.npos;
  EXPECT_TRUE(prefixed) << c.stock_csv;

  const std::vector<alloc::Store> stores = LoadStores(c.stores_csv, c.rules, c.warehouses);
  ASSERT_EQ(stores.size(), 61u);  // 60 stores, then the warehouse
  const auto find = [&stores](std::string_view id) -> const alloc::Store& {
    for (const alloc::Store& s : stores) {
      if (s.id == id) return s;
    }
    ADD_FAILURE() << "no store " << id;
    return stores.front();
  };
  const alloc::Store& s1 = find("S-0001");
  EXPECT_NE(s1.zone, nullptr);
  EXPECT_EQ(s1.city, "Shanghai");
  EXPECT_EQ(s1.tier, alloc::StoreTier::kDirect);
  const alloc::Store& franchise = find("S-0003");
  EXPECT_EQ(franchise.tier, alloc::StoreTier::kFranchise);
  EXPECT_EQ(franchise.dealer, "DLR-EAST");
  EXPECT_EQ(find("S-0002").capacity_per_hour, 30);
  EXPECT_EQ(find("S-0001").capacity_per_hour, 0);
  EXPECT_TRUE(find("S-0007").paused);
  EXPECT_FALSE(find("S-0002").paused);
  EXPECT_FALSE(find("S-0004").hours.OpenAt(9 * 60 + 30));  // opens 10:00
  EXPECT_TRUE(find("S-0005").hours.AlwaysOpen());
  int paused = 0, franchises = 0;
  for (const alloc::Store& s : stores) {
    paused += s.paused;
    franchises += s.tier == alloc::StoreTier::kFranchise;
  }
  EXPECT_EQ(paused, 1);
  EXPECT_EQ(franchises, 18);
  const alloc::Store& wh = stores.back();
  EXPECT_EQ(wh.id, "WH-EAST");
  EXPECT_EQ(wh.kind, alloc::SiteKind::kWarehouse);
  EXPECT_EQ(wh.ship_days, 1);
}

}  // namespace
}  // namespace hourglass::io
