// The server hands the handler each read's lines as one batch, and the
// handler reads its clocks once for them: what it must still get right is
// that time moves on between batches, outside them, and after a slow op.
#include <gtest/gtest.h>

#include <string>

#include "alloc/allocator.h"
#include "io/config.h"
#include "io/request_handler.h"
#include "tests/test_world.h"

namespace hourglass::io {
namespace {

class BatchClockTest : public ::testing::Test {
 protected:
  BatchClockTest()
      : inventory_(testing::MakeWorld({})),
        allocator_(*inventory_, alloc::RoutingRules{}, 3'600'000),
        handler_(allocator_, Limits{}, [this] {
          ++reads_;
          return alloc::Now(1000 * reads_);
        }) {}

  // A reserving route, so the hold's expiry shows which reading it got.
  std::string Route(int n) {
    const testing::City& c = testing::TestCities()[0];
    std::string out;
    const std::string line = R"({"op":"route","reserve":true,"ttl_s":60,"order":"B-)" +
                             std::to_string(n) + R"(","lat":)" + std::to_string(c.lat) +
                             R"(,"lon":)" + std::to_string(c.lon) +
                             R"(,"items":[{"sku":"SKU-1","qty":1}]})";
    handler_.Handle(line, out, session_);
    return out;
  }
  void Op(const std::string& line) {
    std::string out;
    handler_.Handle(line, out, session_);
  }

  std::unique_ptr<alloc::Inventory> inventory_;
  alloc::Allocator allocator_;
  int64_t reads_ = 0;
  RequestHandler handler_;
  Session session_;
};

TEST_F(BatchClockTest, OneReadingPerBatchAndAfreshAfterASlowOp) {
  // Outside a batch (a caller that does not batch): every request reads.
  Route(1);
  Route(2);
  EXPECT_EQ(reads_, 2);

  handler_.BeginBatch();
  for (int n = 3; n < 8; ++n) Route(n);
  handler_.EndBatch();
  EXPECT_EQ(reads_, 3);  // five routes, one reading

  handler_.BeginBatch();
  Route(8);
  Op(R"({"op":"stats"})");  // not a quick op: the next request reads again
  Route(9);
  Op(R"({"op":"ping"})");
  Route(10);
  handler_.EndBatch();
  EXPECT_EQ(reads_, 6);

  // A new batch never reuses the last one's reading.
  const int64_t before = reads_;
  handler_.BeginBatch();
  Route(11);
  handler_.EndBatch();
  EXPECT_EQ(reads_, before + 1);
  Route(12);
  EXPECT_EQ(reads_, before + 2);
}

}  // namespace
}  // namespace hourglass::io
