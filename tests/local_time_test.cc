#include "alloc/local_time.h"

#include <gtest/gtest.h>

#include <limits>
#include <string_view>

namespace hourglass::alloc {
namespace {

constexpr int64_t kMsPerMinute = 60'000;
// 2026-11-24T10:30:00Z (date -u -d 2026-11-24T10:30:00Z +%s).
constexpr int64_t kTuesday1030Z = 1'795'516'200'000;

TEST(LocalTime, ParsesOffsets) {
  const std::pair<std::string_view, int> cases[] = {
      {"+08:00", 480}, {"-05:30", -330}, {"Z", 0},         {"z", 0},
      {"UTC", 0},      {"+0800", 480},   {"-0530", -330},  {"+08", 480},
      {"-03", -180},   {"+00:00", 0},    {"-00:00", 0},    {"+05:45", 345},
      {"+14:00", 840}, {"-12:00", -720}, {"+23:59", 1439}, {"-23:59", -1439},
  };
  for (const auto& [text, minutes] : cases) {
    const std::optional<UtcOffset> off = ParseUtcOffset(text);
    ASSERT_TRUE(off.has_value()) << text;
    EXPECT_EQ(off->minutes, minutes) << text;
  }
}

TEST(LocalTime, RefusesOtherOffsets) {
  for (std::string_view text : {"",
                                "+",
                                "08:00",
                                "0800",
                                "+8",
                                "+8:00",
                                "+08:0",
                                "+080",
                                "+08:000",
                                "+080000",
                                "+24:00",
                                "+2400",
                                "+24",
                                "+08:60",
                                "+0860",
                                "-99:00",
                                "+08-00",
                                "+08 00",
                                " +08:00",
                                "+08:00 ",
                                "utc",
                                "Utc",
                                "GMT",
                                "UTC+8",
                                "UTC+08:00",
                                "ZZ",
                                "+0a:00",
                                "+08:0a",
                                "\xef\xbc\x8b"
                                "08:00"}) {
    EXPECT_FALSE(ParseUtcOffset(text).has_value()) << '"' << text << '"';
  }
}

TEST(LocalTime, MinuteOfDayAtOffsets) {
  EXPECT_EQ(MinuteOfDay(0, UtcOffset{0}), 0);
  EXPECT_EQ(MinuteOfDay(0, UtcOffset{480}), 480);
  EXPECT_EQ(MinuteOfDay(0, UtcOffset{-330}), 1440 - 330);
  EXPECT_EQ(MinuteOfDay(kTuesday1030Z, UtcOffset{0}), 10 * 60 + 30);
  EXPECT_EQ(MinuteOfDay(kTuesday1030Z, UtcOffset{480}), 18 * 60 + 30);   // Shanghai
  EXPECT_EQ(MinuteOfDay(kTuesday1030Z, UtcOffset{-330}), 5 * 60);        // -05:30
  EXPECT_EQ(MinuteOfDay(kTuesday1030Z, UtcOffset{-720}), 22 * 60 + 30);  // the day before
  // Seconds and milliseconds round down into the minute.
  EXPECT_EQ(MinuteOfDay(kTuesday1030Z + kMsPerMinute - 1, UtcOffset{480}), 18 * 60 + 30);
  EXPECT_EQ(MinuteOfDay(kTuesday1030Z + kMsPerMinute, UtcOffset{480}), 18 * 60 + 31);
}

TEST(LocalTime, LocalMidnightAtPlusEight) {
  // 2026-11-24T16:00:00Z is midnight in Shanghai.
  const int64_t midnight = kTuesday1030Z + (5 * 60 + 30) * kMsPerMinute;
  EXPECT_EQ(MinuteOfDay(midnight, UtcOffset{480}), 0);
  EXPECT_EQ(MinuteOfDay(midnight - 1, UtcOffset{480}), 1439);
  EXPECT_EQ(MinuteOfDay(midnight, UtcOffset{0}), 16 * 60);
}

TEST(LocalTime, NegativeUnixTimesRoundDown) {
  EXPECT_EQ(MinuteOfDay(-1, UtcOffset{0}), 1439);  // 1969-12-31T23:59:59.999Z
  EXPECT_EQ(MinuteOfDay(-kMsPerMinute, UtcOffset{0}), 1439);
  EXPECT_EQ(MinuteOfDay(-kMsPerMinute - 1, UtcOffset{0}), 1438);
  EXPECT_EQ(MinuteOfDay(-1, UtcOffset{480}), 479);
  EXPECT_EQ(MinuteOfDay(-1, UtcOffset{-330}), 1440 - 330 - 1);
  // 1960-06-15T08:00:00+08:00 (date -d ... +%s: -301276800).
  EXPECT_EQ(MinuteOfDay(-301'276'800'000, UtcOffset{480}), 8 * 60);
  EXPECT_EQ(MinuteOfDay(-301'276'800'000, UtcOffset{0}), 0);
}

TEST(LocalTime, ExtremesStayInTheDay) {
  for (int64_t ms : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    for (int off : {-1439, 0, 1439}) {
      const int m = MinuteOfDay(ms, UtcOffset{off});
      EXPECT_GE(m, 0);
      EXPECT_LT(m, 1440);
    }
  }
}

TEST(LocalTime, AgreesWithStepping) {
  // Every minute over three days either side of the epoch, at three offsets.
  for (int off : {-330, 0, 480}) {
    int expected = ((-3 * 1440 + off) % 1440 + 1440) % 1440;
    for (int64_t minute = -3 * 1440; minute < 3 * 1440; ++minute) {
      ASSERT_EQ(MinuteOfDay(minute * kMsPerMinute, UtcOffset{off}), expected) << minute;
      ASSERT_EQ(MinuteOfDay(minute * kMsPerMinute + 59'999, UtcOffset{off}), expected) << minute;
      expected = (expected + 1) % 1440;
    }
  }
}

}  // namespace
}  // namespace hourglass::alloc
