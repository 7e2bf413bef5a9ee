// Journal replay refuses a record whose numbers no daemon would have logged (found by the
// journal fuzzer, tests/fuzz/journal_fuzz.cc): a negative or oversized quantity, a level
// outside stock.set's bounds, or a hold past the largest level. Each stops recovery with a
// LoadError naming the record, and changes nothing.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "alloc/allocator.h"
#include "io/data_loader.h"
#include "io/event_codec.h"
#include "io/load_error.h"
#include "tests/test_world.h"

namespace hourglass::io {
namespace {

class EventReplayTest : public ::testing::Test {
 protected:
  EventReplayTest() {
    testing::WorldSpec spec;
    spec.stores = 3;
    spec.skus = 2;
    spec.stock_probability = 1.1;  // every store stocks every SKU
    inventory_ = testing::MakeWorld(spec);
    allocator_ = std::make_unique<alloc::Allocator>(*inventory_, geo::EtaModel{20, 1.3},
                                                    alloc::RouteDefaults{60, 900}, 3'600'000);
    replayer_ = std::make_unique<EventReplayer>(*allocator_, alloc::Now(1'795'515'300'000));
  }

  // The LoadError message of replaying `json` as record `seq` ("" when it applies).
  std::string Replay(uint64_t seq, const std::string& json) {
    try {
      replayer_->Apply(seq, json, "journal-00000000000000000001.log offset 0");
    } catch (const LoadError& e) {
      return e.what();
    }
    return "";
  }

  alloc::StockLevel Level(const char* sku) const {
    return inventory_->stock.Level(alloc::StoreIdx{0}, *inventory_->skus.Find(sku));
  }

  static std::string Reserved(uint64_t seq, const std::string& items) {
    return R"({"seq":)" + std::to_string(seq) +
           R"(,"type":"reserved","order":"O-1","store":"S-1000","items":[)" + items +
           R"(],"eta_min":12.5,"distance_km":1.2,"expires_at_ms":1795516200000})";
  }

  std::unique_ptr<alloc::Inventory> inventory_;
  std::unique_ptr<alloc::Allocator> allocator_;
  std::unique_ptr<EventReplayer> replayer_;
};

TEST_F(EventReplayTest, QuantityOutsideTheRequestBoundsIsRefused) {
  const alloc::StockLevel before = Level("SKU-0");
  EXPECT_EQ(Replay(1, Reserved(1, R"({"sku":"SKU-0","qty":-3})")),
            "journal-00000000000000000001.log offset 0: record seq 1: qty -3 is outside [1, "
            "100000]");
  EXPECT_NE(Replay(1, Reserved(1, R"({"sku":"SKU-0","qty":0})")).find("qty 0 is outside"),
            std::string::npos);
  EXPECT_NE(Replay(1, Reserved(1, R"({"sku":"SKU-0","qty":2147483647})"))
                .find("qty 2147483647 is outside"),
            std::string::npos);
  EXPECT_EQ(Level("SKU-0").reserved, before.reserved);
  // The same record with a sound quantity applies.
  EXPECT_EQ(Replay(1, Reserved(1, R"({"sku":"SKU-0","qty":1})")), "");
  EXPECT_EQ(Level("SKU-0").reserved, before.reserved + 1);
}

TEST_F(EventReplayTest, HoldBeyondTheLargestLevelIsRefused) {
  // 10,001 lines of 100,000 units: each line is in bounds, the hold is not.
  std::string items;
  for (int i = 0; i <= 10'000; ++i)
    items += std::string(i ? "," : "") + R"({"sku":"SKU-1","qty":100000})";
  EXPECT_EQ(Replay(1, Reserved(1, items)),
            "journal-00000000000000000001.log offset 0: record seq 1: holds 1000100000 units of "
            "SKU-1, more than 1000000000");
  EXPECT_EQ(Level("SKU-1").reserved, 0);
}

TEST_F(EventReplayTest, StockLevelOutsideStockSetBoundsIsRefused) {
  const auto stock_set = [](int64_t on_hand) {
    return R"({"seq":1,"type":"stock_set","store":"S-1000","sku":"SKU-0","on_hand":)" +
           std::to_string(on_hand) + "}";
  };
  const alloc::StockLevel before = Level("SKU-0");
  EXPECT_NE(Replay(1, stock_set(-9)).find("record seq 1: on_hand -9 is outside [0, 1000000000]"),
            std::string::npos);
  EXPECT_NE(Replay(1, stock_set(4'294'967'297)).find("on_hand 4294967297 is outside"),
            std::string::npos);
  EXPECT_EQ(Level("SKU-0").on_hand, before.on_hand);
  EXPECT_EQ(Replay(1, stock_set(kMaxOnHand)), "");
  EXPECT_EQ(Level("SKU-0").on_hand, kMaxOnHand);
}

}  // namespace
}  // namespace hourglass::io
