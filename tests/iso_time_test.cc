#include "io/iso_time.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string_view>

#include "alloc/local_time.h"
#include "alloc/opening_hours.h"
#include "io/clock.h"

namespace hourglass::io {
namespace {

// Expected values from `date -u -d <text> +%s` (times 1000).
TEST(IsoTime, KnownInstants) {
  const std::pair<std::string_view, int64_t> cases[] = {
      {"2026-11-24T10:30:00Z", 1'795'516'200'000},
      {"2026-11-24T18:30:00+08:00", 1'795'516'200'000},
      {"2026-11-24T05:00:00-05:30", 1'795'516'200'000},
      {"2026-11-24t10:30:00z", 1'795'516'200'000},
      {"2026-11-24T10:30:00-00:00", 1'795'516'200'000},
      {"2026-03-01T00:00:00+08:00", 1'772'294'400'000},
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T08:00:00+08:00", 0},
      {"1969-12-31T23:59:00Z", -60'000},
      {"1900-03-01T00:00:00Z", -2'203'891'200'000},
      {"1960-06-15T08:00:00+08:00", -301'276'800'000},
      {"0000-01-01T00:00:00Z", -62'167'219'200'000},
      {"9999-12-31T23:59:59.999Z", 253'402'300'799'999},
  };
  for (const auto& [text, ms] : cases) {
    EXPECT_EQ(ParseIsoTime(text), std::optional<int64_t>(ms)) << text;
  }
}

TEST(IsoTime, FractionalSeconds) {
  constexpr int64_t t = 1'795'516'200'000;
  EXPECT_EQ(ParseIsoTime("2026-11-24T10:30:00.123Z"), t + 123);
  EXPECT_EQ(ParseIsoTime("2026-11-24T18:30:00.5+08:00"), t + 500);
  EXPECT_EQ(ParseIsoTime("2026-11-24T10:30:00.05Z"), t + 50);
  EXPECT_EQ(ParseIsoTime("2026-11-24T10:30:00.000Z"), t);
  // Finer than a millisecond is dropped, up to nanoseconds.
  EXPECT_EQ(ParseIsoTime("2026-11-24T10:30:00.123999Z"), t + 123);
  EXPECT_EQ(ParseIsoTime("2026-11-24T10:30:00.999999999Z"), t + 999);
  EXPECT_EQ(ParseIsoTime("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_FALSE(ParseIsoTime("2026-11-24T10:30:00.1234567890Z"));  // ten digits
  EXPECT_FALSE(ParseIsoTime("2026-11-24T10:30:00.Z"));
  EXPECT_FALSE(ParseIsoTime("2026-11-24T10:30:00,123Z"));
  EXPECT_FALSE(ParseIsoTime("2026-11-24T10:30:00.12a3Z"));
}

TEST(IsoTime, LeapDays) {
  EXPECT_EQ(ParseIsoTime("2024-02-29T12:00:00Z"), 1'709'208'000'000);
  EXPECT_EQ(ParseIsoTime("2000-02-29T00:00:00Z"), 951'782'400'000);  // divisible by 400
  // Late on the leap day west of UTC is already 1 March in UTC.
  EXPECT_EQ(ParseIsoTime("2024-02-29T23:00:00-02:00"), 1'709'208'000'000 + 13 * 3'600'000);
  EXPECT_TRUE(ParseIsoTime("0000-02-29T00:00:00Z"));  // year 0 is a leap year
  EXPECT_FALSE(ParseIsoTime("2026-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseIsoTime("1900-02-29T00:00:00Z"));  // divisible by 100, not 400
  EXPECT_FALSE(ParseIsoTime("2100-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseIsoTime("2024-02-30T00:00:00Z"));
  EXPECT_EQ(FormatIsoTime(1'709'208'000'000, 480), "2024-02-29T20:00:00+08:00");
  EXPECT_EQ(FormatIsoTime(1'709'208'000'000 + 13 * 3'600'000, 0), "2024-03-01T01:00:00Z");
  EXPECT_EQ(FormatIsoTime(1'709'208'000'000 + 13 * 3'600'000, -120), "2024-02-29T23:00:00-02:00");
}

TEST(IsoTime, RefusesBadText) {
  for (std::string_view text : {
           "",
           "2026-11-24",
           "2026-11-24T10:30:00",         // no offset
           "2026-11-24T10:30Z",           // no seconds
           "2026-11-24T10:30:00+08",      // not RFC 3339
           "2026-11-24T10:30:00+0800",    // not RFC 3339
           "2026-11-24T10:30:00UTC",      // not RFC 3339
           "2026-11-24T10:30:00+8:00",    //
           "2026-11-24T10:30:00+24:00",   // offset hour
           "2026-11-24T10:30:00+08:60",   // offset minute
           "2026-11-24T10:30:00Zx",       // trailing text
           "2026-11-24T10:30:00Z ",       //
           "2026-11-24T10:30:00+08:00 ",  //
           "2026-11-24T10:30:00+08:00:00",
           " 2026-11-24T10:30:00Z",
           "2026-11-24 10:30:00Z",  // space for T
           "2026-11-24X10:30:00Z",
           "2026/11/24T10:30:00Z",
           "26-11-24T10:30:00Z",
           "+2026-11-24T10:30:00Z",
           "20261124T103000Z",  // basic format
           "2026-1-24T10:30:00Z",
           "2026-11-24T1:30:00Z",
           "2O26-11-24T10:30:00Z",
           "2026-13-01T00:00:00Z",  // month 13
           "2026-00-01T00:00:00Z",
           "2026-11-00T00:00:00Z",  // day 0
           "2026-11-31T00:00:00Z",
           "2026-01-32T00:00:00Z",
           "2026-04-31T00:00:00Z",
           "2026-11-24T24:00:00Z",  // hour 24
           "2026-11-24T25:00:00Z",
           "2026-11-24T10:60:00Z",
           "2026-11-24T23:59:60Z",  // leap second
           "2026-11-24T10:30:99Z",
       }) {
    EXPECT_FALSE(ParseIsoTime(text).has_value()) << '"' << text << '"';
  }
}

TEST(IsoTime, Formats) {
  constexpr int64_t t = 1'795'516'200'000;
  EXPECT_EQ(FormatIsoTime(t, 480), "2026-11-24T18:30:00+08:00");
  EXPECT_EQ(FormatIsoTime(t, 0), "2026-11-24T10:30:00Z");
  EXPECT_EQ(FormatIsoTime(t, -330), "2026-11-24T05:00:00-05:30");
  EXPECT_EQ(FormatIsoTime(t, 345), "2026-11-24T16:15:00+05:45");
  EXPECT_EQ(FormatIsoTime(t, -720), "2026-11-23T22:30:00-12:00");
  EXPECT_EQ(FormatIsoTime(t, 1439), "2026-11-25T10:29:00+23:59");
  // Milliseconds are dropped, rounding down, also before 1970.
  EXPECT_EQ(FormatIsoTime(t + 999, 480), "2026-11-24T18:30:00+08:00");
  EXPECT_EQ(FormatIsoTime(-1, 0), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatIsoTime(-1, 480), "1970-01-01T07:59:59+08:00");
  EXPECT_EQ(FormatIsoTime(0, -1), "1969-12-31T23:59:00-00:01");
}

TEST(IsoTime, FormatsOnlyFourDigitYearsAndRealOffsets) {
  constexpr int64_t first = -62'167'219'200'000;  // 0000-01-01T00:00:00Z
  constexpr int64_t last = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z
  EXPECT_EQ(FormatIsoTime(first, 0), "0000-01-01T00:00:00Z");
  EXPECT_EQ(FormatIsoTime(first, 1), "0000-01-01T00:01:00+00:01");
  EXPECT_EQ(FormatIsoTime(first, -1), "");
  EXPECT_EQ(FormatIsoTime(first - 1, 0), "");
  EXPECT_EQ(FormatIsoTime(last, 0), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatIsoTime(last, 1), "");
  EXPECT_EQ(FormatIsoTime(last + 1, 0), "");
  EXPECT_EQ(FormatIsoTime(last + 1, -1), "9999-12-31T23:59:00-00:01");
  EXPECT_EQ(FormatIsoTime(0, 1440), "");
  EXPECT_EQ(FormatIsoTime(0, -1440), "");
  EXPECT_EQ(FormatIsoTime(std::numeric_limits<int64_t>::max(), 480), "");
  EXPECT_EQ(FormatIsoTime(std::numeric_limits<int64_t>::min(), -480), "");
}

TEST(IsoTime, RoundTrips) {
  std::mt19937_64 rng(1795516200);
  // Whole seconds from 1800 to 2300 at any RFC 3339 offset.
  std::uniform_int_distribution<int64_t> seconds(-5'364'662'400, 10'413'792'000);
  std::uniform_int_distribution<int> offsets(-1439, 1439);
  for (int i = 0; i < 20000; ++i) {
    const int64_t ms = seconds(rng) * 1000;
    const int off = i % 4 == 0 ? 0 : i % 4 == 1 ? 480 : offsets(rng);
    const std::string text = FormatIsoTime(ms, off);
    ASSERT_EQ(text.size(), off == 0 ? 20u : 25u) << text;
    ASSERT_EQ(ParseIsoTime(text), ms) << text;
    // The local wall time printed is the minute MinuteOfDay computes.
    const int minute =
        (text[11] - '0') * 600 + (text[12] - '0') * 60 + (text[14] - '0') * 10 + (text[15] - '0');
    ASSERT_EQ(alloc::MinuteOfDay(ms, alloc::UtcOffset{off}), minute) << text;
  }
}

TEST(IsoTime, ReadsTheEventStreamTimestamps) {
  // "ts" / "expires_at" are FormatIsoUtc's text, milliseconds included.
  for (int64_t ms :
       {int64_t{1'795'516'200'123}, int64_t{0}, int64_t{-1}, int64_t{951'782'400'007}}) {
    char iso[25];
    FormatIsoUtc(ms, iso);
    EXPECT_EQ(ParseIsoTime(std::string_view(iso, 24)), ms) << iso;
  }
}

TEST(IsoTimeWithOpeningHours, PickupIsReadyAfterOpening) {
  // An order scheduled for 07:30 in Shanghai at a store open 09:00-22:00:
  // ready 90 minutes later, whichever offset the time was written with.
  std::string why;
  const std::optional<alloc::OpeningHours> hours = alloc::OpeningHours::Parse("09:00-22:00", why);
  ASSERT_TRUE(hours) << why;
  const std::optional<alloc::UtcOffset> shanghai = alloc::ParseUtcOffset("+08:00");
  ASSERT_TRUE(shanghai);
  for (std::string_view at : {"2026-11-24T07:30:00+08:00", "2026-11-23T23:30:00Z"}) {
    const std::optional<int64_t> ms = ParseIsoTime(at);
    ASSERT_TRUE(ms) << at;
    const int minute = alloc::MinuteOfDay(*ms, *shanghai);
    EXPECT_EQ(minute, 7 * 60 + 30) << at;
    EXPECT_FALSE(hours->OpenAt(minute));
    EXPECT_EQ(hours->MinutesUntilOpen(minute), 90);
    EXPECT_EQ(FormatIsoTime(*ms + hours->MinutesUntilOpen(minute) * 60'000, shanghai->minutes),
              "2026-11-24T09:00:00+08:00");
  }
}

}  // namespace
}  // namespace hourglass::io
