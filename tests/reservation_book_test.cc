#include "alloc/reservation_book.h"

#include <gtest/gtest.h>

namespace hourglass::alloc {
namespace {

constexpr StoreIdx kNear{0};
constexpr StoreIdx kFar{1};
constexpr SkuIdx kA{0};
constexpr SkuIdx kB{1};
constexpr int64_t kTtlMs = 60'000;
constexpr int64_t kRetentionMs = 3'600'000;

class ReservationBookTest : public ::testing::Test {
 protected:
  ReservationBookTest() : stock_(2), book_(stock_, kRetentionMs) {
    stock_.LoadRow(kNear, kA, 3);
    stock_.LoadRow(kNear, kB, 1);
    stock_.LoadRow(kFar, kA, 10);
    stock_.LoadRow(kFar, kB, 10);
    (void)stock_.Seal();
  }

  ReservationBook::HoldStatus Hold(std::string_view order, int32_t a, int32_t b, int64_t now) {
    std::vector<NamedLine> lines;
    if (a > 0) lines.push_back({{kA, a}, "A"});
    if (b > 0) lines.push_back({{kB, b}, "B"});
    return book_.Hold(ReservationBook::OrderKey(order), candidates_, lines, now, kTtlMs, plan_);
  }
  int32_t Reserved(StoreIdx s, SkuIdx k) { return stock_.Level(s, k).reserved; }
  int32_t OnHand(StoreIdx s, SkuIdx k) { return stock_.Level(s, k).on_hand; }

  StockTable stock_;
  ReservationBook book_;
  std::vector<Candidate> candidates_ = {{kNear, 12, 1, Reject::kNone, 0, {}},
                                        {kFar, 30, 5, Reject::kNone, 0, {}}};
  Plan plan_;
};

TEST_F(ReservationBookTest, HoldsAtFirstCandidateThatHasEverything) {
  ASSERT_EQ(Hold("O-1", 2, 1, 0), ReservationBook::HoldStatus::kHeld);
  EXPECT_EQ(plan_.primary().store, kNear);
  ASSERT_EQ(plan_.item_count, 2u);
  EXPECT_EQ(plan_.items[0].sku, "A");
  // kNear has only 1 unit of B left to give: it is held, so O-2 goes far.
  ASSERT_EQ(Hold("O-2", 1, 1, 0), ReservationBook::HoldStatus::kHeld);
  EXPECT_EQ(plan_.primary().store, kFar);
  EXPECT_EQ(Reserved(kNear, kA), 2);
  EXPECT_EQ(Reserved(kFar, kB), 1);
}

TEST_F(ReservationBookTest, NoStoreHasEverythingHoldsNothing) {
  EXPECT_EQ(Hold("O-1", 11, 0, 0), ReservationBook::HoldStatus::kNoStock);
  EXPECT_EQ(Reserved(kNear, kA) + Reserved(kFar, kA), 0);
  EXPECT_EQ(book_.Commit("O-1", 0).status, FinishStatus::kUnknownOrder);
}

TEST_F(ReservationBookTest, RetryWhileHeldReturnsSamePlanAndHoldsNothingMore) {
  ASSERT_EQ(Hold("O-1", 3, 0, 0), ReservationBook::HoldStatus::kHeld);
  const StoreIdx first = plan_.primary().store;
  // The retry asks differently; it still gets the plan it holds.
  ASSERT_EQ(Hold("O-1", 1, 1, 10), ReservationBook::HoldStatus::kAlready);
  EXPECT_EQ(plan_.primary().store, first);
  EXPECT_EQ(plan_.items[0].qty, 3);
  EXPECT_EQ(Reserved(kNear, kA), 3);
  EXPECT_EQ(Reserved(kFar, kA), 0);
  Plan found;
  EXPECT_TRUE(book_.FindActive("O-1", found));
  EXPECT_EQ(found.primary().store, first);
}

TEST_F(ReservationBookTest, CommitDeductsOnceAndIsIdempotent) {
  ASSERT_EQ(Hold("O-1", 2, 0, 0), ReservationBook::HoldStatus::kHeld);
  EXPECT_EQ(book_.Commit("O-1", 1).status, FinishStatus::kDone);
  EXPECT_EQ(OnHand(kNear, kA), 1);
  EXPECT_EQ(Reserved(kNear, kA), 0);
  const FinishResult again = book_.Commit("O-1", 2);
  EXPECT_EQ(again.status, FinishStatus::kAlready);
  EXPECT_EQ(again.state, OrderState::kCommitted);
  EXPECT_EQ(OnHand(kNear, kA), 1);
  EXPECT_EQ(book_.Release("O-1", 3).status, FinishStatus::kOrderCommitted);
  EXPECT_EQ(OnHand(kNear, kA), 1);
}

TEST_F(ReservationBookTest, ReleaseReturnsUnitsOnceAndBlocksCommit) {
  ASSERT_EQ(Hold("O-1", 2, 0, 0), ReservationBook::HoldStatus::kHeld);
  EXPECT_EQ(book_.Release("O-1", 1).status, FinishStatus::kDone);
  EXPECT_EQ(Reserved(kNear, kA), 0);
  EXPECT_EQ(book_.Release("O-1", 2).status, FinishStatus::kAlready);
  EXPECT_EQ(book_.Commit("O-1", 3).status, FinishStatus::kOrderReleased);
  EXPECT_EQ(OnHand(kNear, kA), 3);
  EXPECT_EQ(Reserved(kNear, kA), 0);
}

TEST_F(ReservationBookTest, ExpiryReturnsUnitsAndBlocksCommit) {
  ASSERT_EQ(Hold("O-1", 2, 0, 1000), ReservationBook::HoldStatus::kHeld);
  EXPECT_EQ(book_.ExpireDue(1000 + kTtlMs - 1), 0u);
  EXPECT_EQ(Reserved(kNear, kA), 2);
  EXPECT_EQ(book_.ExpireDue(1000 + kTtlMs), 1u);
  EXPECT_EQ(Reserved(kNear, kA), 0);
  const FinishResult commit = book_.Commit("O-1", 1000 + kTtlMs + 1);
  EXPECT_EQ(commit.status, FinishStatus::kOrderExpired);
  const FinishResult release = book_.Release("O-1", 1000 + kTtlMs + 1);
  EXPECT_EQ(release.status, FinishStatus::kAlready);
  EXPECT_EQ(release.state, OrderState::kExpired);
  EXPECT_EQ(OnHand(kNear, kA), 3);
}

TEST_F(ReservationBookTest, CommitPastDeadlineExpiresEvenBeforeTheSweep) {
  ASSERT_EQ(Hold("O-1", 2, 0, 0), ReservationBook::HoldStatus::kHeld);
  EXPECT_EQ(book_.Commit("O-1", kTtlMs).status, FinishStatus::kOrderExpired);
  EXPECT_EQ(Reserved(kNear, kA), 0);
  EXPECT_EQ(OnHand(kNear, kA), 3);
  EXPECT_EQ(book_.ExpireDue(kTtlMs + 1), 0u);  // already expired: not twice
  EXPECT_EQ(Reserved(kNear, kA), 0);
}

TEST_F(ReservationBookTest, FinishedOrdersAreForgottenAfterRetention) {
  ASSERT_EQ(Hold("O-1", 1, 0, 0), ReservationBook::HoldStatus::kHeld);
  ASSERT_EQ(book_.Commit("O-1", 5).status, FinishStatus::kDone);
  book_.ExpireDue(5 + kRetentionMs - 1);
  EXPECT_EQ(book_.Commit("O-1", 5 + kRetentionMs - 1).status, FinishStatus::kAlready);
  book_.ExpireDue(5 + kRetentionMs);
  EXPECT_EQ(book_.Commit("O-1", 5 + kRetentionMs).status, FinishStatus::kUnknownOrder);
  EXPECT_EQ(book_.Counts().finished, 0u);
}

// Counts (the held-now gauge) follow every change without walking the orders:
// holds, a retry, a failed hold (which leaves no record behind), commit,
// release, expiry, a re-reservation of a released id and forgetting.
TEST_F(ReservationBookTest, CountsFollowEveryChange) {
  using Counted = std::pair<size_t, size_t>;  // held, finished
  const auto counts = [&] {
    const BookCounts c = book_.Counts();
    return Counted(c.held, c.finished);
  };
  ASSERT_EQ(Hold("O-1", 1, 0, 0), ReservationBook::HoldStatus::kHeld);
  ASSERT_EQ(Hold("O-2", 1, 0, 0), ReservationBook::HoldStatus::kHeld);
  ASSERT_EQ(Hold("O-3", 1, 0, 0), ReservationBook::HoldStatus::kHeld);
  EXPECT_EQ(counts(), Counted(3, 0));
  ASSERT_EQ(Hold("O-1", 1, 0, 1), ReservationBook::HoldStatus::kAlready);
  ASSERT_EQ(Hold("O-big", 100, 0, 1), ReservationBook::HoldStatus::kNoStock);
  EXPECT_EQ(counts(), Counted(3, 0));
  EXPECT_EQ(book_.Size(), 3u);  // the failed hold left no record
  EXPECT_EQ(book_.Commit("O-big", 1).status, FinishStatus::kUnknownOrder);
  ASSERT_EQ(book_.Commit("O-1", 2).status, FinishStatus::kDone);
  ASSERT_EQ(book_.Release("O-2", 2).status, FinishStatus::kDone);
  EXPECT_EQ(counts(), Counted(1, 2));
  ASSERT_EQ(book_.ExpireDue(kTtlMs), 1u);
  EXPECT_EQ(counts(), Counted(0, 3));
  ASSERT_EQ(Hold("O-2", 1, 0, kTtlMs), ReservationBook::HoldStatus::kHeld);
  EXPECT_EQ(counts(), Counted(1, 2));
  // O-1 and O-3 are forgotten; O-2's second hold expires.
  book_.ExpireDue(kTtlMs + kRetentionMs);
  EXPECT_EQ(counts(), Counted(0, 1));
  book_.ExpireDue(kTtlMs + 2 * kRetentionMs);
  EXPECT_EQ(counts(), Counted(0, 0));
}

TEST_F(ReservationBookTest, ReleasedOrderIdCanBeReservedAgain) {
  ASSERT_EQ(Hold("O-1", 1, 0, 0), ReservationBook::HoldStatus::kHeld);
  ASSERT_EQ(book_.Release("O-1", 1).status, FinishStatus::kDone);
  ASSERT_EQ(Hold("O-1", 2, 0, 2), ReservationBook::HoldStatus::kHeld);
  EXPECT_EQ(Reserved(kNear, kA), 2);
  // The stale retention entry of the first life must not erase the second.
  book_.ExpireDue(1 + kRetentionMs);
  EXPECT_EQ(Reserved(kNear, kA), 0);  // it expired (ttl < retention) ...
  EXPECT_EQ(book_.Commit("O-1", 2 + kTtlMs).status, FinishStatus::kOrderExpired);  // ... once
}

}  // namespace
}  // namespace hourglass::alloc
