#include "alloc/opening_hours.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

namespace hourglass::alloc {
namespace {

constexpr int kDay = kMinutesPerDay;

OpeningHours MustParse(std::string_view text) {
  std::string why;
  const std::optional<OpeningHours> h = OpeningHours::Parse(text, why);
  EXPECT_TRUE(h.has_value()) << '"' << text << "\" refused: " << why;
  return h.value_or(OpeningHours());
}

// The message Parse gives for `text`, or "accepted".
std::string Refusal(std::string_view text) {
  std::string why;
  return OpeningHours::Parse(text, why).has_value() ? "accepted" : why;
}

constexpr int At(int hour, int minute) { return hour * 60 + minute; }

TEST(OpeningHoursParse, AllDayForms) {
  for (std::string_view text : {"", "24h", "00:00-24:00", "  ", " 24h ", "00:00-12:00,12:00-24:00",
                                "12:00-00:00,00:00-12:00", "06:00-18:00,18:00-06:00"}) {
    const OpeningHours h = MustParse(text);
    EXPECT_TRUE(h.AlwaysOpen()) << text;
    EXPECT_EQ(h, OpeningHours()) << text;
    EXPECT_EQ(h.ToString(), "00:00-24:00") << text;
  }
}

TEST(OpeningHoursParse, CanonicalText) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"09:00-22:00", "09:00-22:00"},
      {"09:00-12:00,14:00-22:00", "09:00-12:00,14:00-22:00"},
      {"14:00-22:00,09:00-12:00", "09:00-12:00,14:00-22:00"},  // sorted
      {" 09:00-12:00 ,\t14:00-22:00 ", "09:00-12:00,14:00-22:00"},
      {"22:00-02:00", "22:00-02:00"},
      {"22:00-00:00", "22:00-24:00"},  // closes at midnight
      {"00:00-02:00", "00:00-02:00"},
      {"22:00-24:00,00:00-02:00", "22:00-02:00"},  // touching across midnight: merged
      {"00:00-02:00,22:00-24:00", "22:00-02:00"},
      {"09:00-12:00,12:00-14:00", "09:00-14:00"},  // touching: merged
      {"12:00-14:00,09:00-12:00,14:00-15:30", "09:00-15:30"},
      {"23:30-00:30,08:00-09:00", "08:00-09:00,23:30-00:30"},
      {"00:00-23:59", "00:00-23:59"},
      {"23:59-24:00", "23:59-24:00"},
      {"00:01-00:00", "00:01-24:00"},
      {"09:00-10:00,00:00-00:30", "00:00-00:30,09:00-10:00"},
      {"00:00-00:30,23:00-23:59,09:00-10:00", "00:00-00:30,09:00-10:00,23:00-23:59"},
  };
  for (const auto& [text, canonical] : cases) {
    const OpeningHours h = MustParse(text);
    EXPECT_EQ(h.ToString(), canonical) << text;
    EXPECT_FALSE(h.AlwaysOpen()) << text;
    EXPECT_EQ(MustParse(h.ToString()), h) << text;
  }
}

TEST(OpeningHoursParse, EightRangesIncludingOvernight) {
  // Eight listed ranges, one of them overnight: still eight (not nine) after
  // the day is split at midnight.
  const OpeningHours h = MustParse(
      "23:00-01:00,02:00-03:00,04:00-05:00,06:00-07:00,08:00-09:00,10:00-11:00,12:00-13:00,"
      "14:00-15:00");
  EXPECT_EQ(h.ToString(),
            "02:00-03:00,04:00-05:00,06:00-07:00,08:00-09:00,10:00-11:00,12:00-13:00,"
            "14:00-15:00,23:00-01:00");
  EXPECT_TRUE(h.OpenAt(At(0, 30)));
  EXPECT_TRUE(h.OpenAt(At(23, 0)));
  EXPECT_FALSE(h.OpenAt(At(1, 0)));
}

TEST(OpeningHoursParse, RefusedWithAReason) {
  EXPECT_EQ(Refusal("25:00-22:00"), "\"25:00-22:00\": hour must be 00-24");
  EXPECT_EQ(Refusal("09:00-99:00"), "\"09:00-99:00\": hour must be 00-24");
  EXPECT_EQ(Refusal("09:60-22:00"), "\"09:60-22:00\": minutes must be 00-59");
  EXPECT_EQ(Refusal("09:00-22:75"), "\"09:00-22:75\": minutes must be 00-59");
  EXPECT_EQ(Refusal("09:00-24:30"), "\"09:00-24:30\": the day ends at 24:00");
  EXPECT_EQ(Refusal("24:00-02:00"), "\"24:00-02:00\": a range cannot open at 24:00, write 00:00");
  EXPECT_EQ(Refusal("24:00-24:00"), "\"24:00-24:00\": a range cannot open at 24:00, write 00:00");
  EXPECT_EQ(Refusal("09:00-09:00"),
            "\"09:00-09:00\": opens and closes at the same time (all day is 00:00-24:00)");
  EXPECT_EQ(Refusal("00:00-00:00"),
            "\"00:00-00:00\": opens and closes at the same time (all day is 00:00-24:00)");
  EXPECT_EQ(Refusal("09:00-14:00,12:00-22:00"), "\"09:00-14:00\" and \"12:00-22:00\" overlap");
  EXPECT_EQ(Refusal("12:00-22:00, 09:00-14:00"), "\"12:00-22:00\" and \"09:00-14:00\" overlap");
  EXPECT_EQ(Refusal("22:00-02:00,01:00-03:00"), "\"22:00-02:00\" and \"01:00-03:00\" overlap");
  EXPECT_EQ(Refusal("22:00-02:00,21:00-22:01"), "\"22:00-02:00\" and \"21:00-22:01\" overlap");
  EXPECT_EQ(Refusal("00:00-24:00,09:00-10:00"), "\"00:00-24:00\" and \"09:00-10:00\" overlap");
  EXPECT_EQ(Refusal("09:00-12:00,09:00-12:00"), "\"09:00-12:00\" and \"09:00-12:00\" overlap");
  EXPECT_EQ(Refusal("09:00-12:00,"), "\"09:00-12:00,\": empty range (an extra comma?)");
  EXPECT_EQ(Refusal(",09:00-12:00"), "\",09:00-12:00\": empty range (an extra comma?)");
  EXPECT_EQ(Refusal("09:00-12:00, ,14:00-15:00"),
            "\"09:00-12:00, ,14:00-15:00\": empty range (an extra comma?)");
  const char* const en_dash = "09:00\u201322:00";  // U+2013 instead of '-'
  for (std::string_view text :
       {"9:00-22:00", "09:00", "0900-2200", "09.00-22.00", "09:00 - 22:00", "09:00-22:00-23:00",
        "24/7", "24H", "always", "+9:00-22:00", "09:0a-22:00", "-09:00-22:00", en_dash}) {
    EXPECT_EQ(Refusal(text), '"' + std::string(text) + "\": expected hh:mm-hh:mm, e.g. 09:00-22:00")
        << text;
  }
  EXPECT_EQ(Refusal("24h,09:00-10:00"), "\"24h\": expected hh:mm-hh:mm, e.g. 09:00-22:00");
}

TEST(OpeningHoursParse, AtMostEightRanges) {
  const std::string nine =
      "01:00-01:30,02:00-02:30,03:00-03:30,04:00-04:30,05:00-05:30,06:00-06:30,07:00-07:30,"
      "08:00-08:30,09:00-09:30";
  // The text is quoted cut short at 40 characters.
  EXPECT_EQ(Refusal(nine), '"' + nine.substr(0, 40) + "...\": 9 ranges, at most 8");
  EXPECT_EQ(Refusal(std::string(100000, ',')),
            '"' + std::string(40, ',') + "...\": 100001 ranges, at most 8");
  // A long item is quoted short too.
  const std::string junk(5000, 'x');
  EXPECT_EQ(Refusal(junk),
            '"' + junk.substr(0, 40) + "...\": expected hh:mm-hh:mm, e.g. 09:00-22:00");
}

TEST(OpeningHours, DefaultIsOpenAllDay) {
  const OpeningHours h;
  EXPECT_TRUE(h.AlwaysOpen());
  EXPECT_EQ(h.ToString(), "00:00-24:00");
  for (int m = 0; m < kDay; ++m) {
    EXPECT_TRUE(h.OpenAt(m));
    EXPECT_EQ(h.MinutesUntilOpen(m), 0);
    EXPECT_EQ(h.MinutesUntilClose(m), OpeningHours::kNeverCloses);
  }
}

TEST(OpeningHours, DaytimeBoundaries) {
  const OpeningHours h = MustParse("09:00-22:00");
  EXPECT_FALSE(h.OpenAt(At(8, 59)));
  EXPECT_TRUE(h.OpenAt(At(9, 0)));  // the opening minute is open
  EXPECT_TRUE(h.OpenAt(At(21, 59)));
  EXPECT_FALSE(h.OpenAt(At(22, 0)));  // the closing minute is closed
  EXPECT_FALSE(h.OpenAt(0));
  EXPECT_FALSE(h.OpenAt(kDay - 1));

  EXPECT_EQ(h.MinutesUntilOpen(At(8, 59)), 1);
  EXPECT_EQ(h.MinutesUntilOpen(At(9, 0)), 0);
  EXPECT_EQ(h.MinutesUntilOpen(At(21, 59)), 0);
  EXPECT_EQ(h.MinutesUntilOpen(At(22, 0)), 11 * 60);  // tomorrow 09:00
  EXPECT_EQ(h.MinutesUntilOpen(kDay - 1), 9 * 60 + 1);
  EXPECT_EQ(h.MinutesUntilOpen(0), 9 * 60);

  EXPECT_EQ(h.MinutesUntilClose(At(8, 59)), 0);
  EXPECT_EQ(h.MinutesUntilClose(At(9, 0)), 13 * 60);
  EXPECT_EQ(h.MinutesUntilClose(At(21, 59)), 1);
  EXPECT_EQ(h.MinutesUntilClose(At(22, 0)), 0);
}

TEST(OpeningHours, OvernightWrapsPastMidnight) {
  const OpeningHours h = MustParse("22:00-02:00");
  EXPECT_FALSE(h.OpenAt(At(21, 59)));
  EXPECT_TRUE(h.OpenAt(At(22, 0)));
  EXPECT_TRUE(h.OpenAt(kDay - 1));
  EXPECT_TRUE(h.OpenAt(0));
  EXPECT_TRUE(h.OpenAt(At(1, 59)));
  EXPECT_FALSE(h.OpenAt(At(2, 0)));

  EXPECT_EQ(h.MinutesUntilClose(At(22, 0)), 4 * 60);
  EXPECT_EQ(h.MinutesUntilClose(kDay - 1), 2 * 60 + 1);
  EXPECT_EQ(h.MinutesUntilClose(0), 2 * 60);
  EXPECT_EQ(h.MinutesUntilClose(At(1, 59)), 1);
  EXPECT_EQ(h.MinutesUntilClose(At(2, 0)), 0);

  EXPECT_EQ(h.MinutesUntilOpen(At(2, 0)), 20 * 60);
  EXPECT_EQ(h.MinutesUntilOpen(At(21, 59)), 1);
  EXPECT_EQ(h.MinutesUntilOpen(At(23, 0)), 0);
}

TEST(OpeningHours, SeveralRanges) {
  const OpeningHours h = MustParse("09:00-12:00,14:00-22:00");
  EXPECT_TRUE(h.OpenAt(At(11, 59)));
  EXPECT_FALSE(h.OpenAt(At(12, 0)));
  EXPECT_FALSE(h.OpenAt(At(13, 59)));
  EXPECT_TRUE(h.OpenAt(At(14, 0)));
  EXPECT_EQ(h.MinutesUntilOpen(At(12, 0)), 120);  // the afternoon range, not tomorrow
  EXPECT_EQ(h.MinutesUntilOpen(At(22, 0)), 11 * 60);
  EXPECT_EQ(h.MinutesUntilClose(At(10, 0)), 120);
  EXPECT_EQ(h.MinutesUntilClose(At(14, 0)), 8 * 60);
}

TEST(OpeningHours, TouchingRangesCloseOnlyAtTheEnd) {
  // A store open 09:00-12:00 and 12:00-14:00 does not close at noon.
  EXPECT_EQ(MustParse("09:00-12:00,12:00-14:00").MinutesUntilClose(At(10, 0)), 240);
  EXPECT_TRUE(MustParse("09:00-12:00,12:00-14:00").OpenAt(At(12, 0)));
  // Nor does one open 22:00-24:00 and 00:00-02:00 at midnight.
  EXPECT_EQ(MustParse("22:00-24:00,00:00-02:00").MinutesUntilClose(At(23, 0)), 180);
  EXPECT_EQ(MustParse("00:00-02:00,22:00-24:00").MinutesUntilClose(At(1, 0)), 60);
}

TEST(OpeningHours, MinutesOutsideTheDayWrap) {
  const OpeningHours h = MustParse("09:00-22:00");
  EXPECT_EQ(h.OpenAt(-1), h.OpenAt(kDay - 1));
  EXPECT_EQ(h.OpenAt(kDay + At(9, 0)), true);
  EXPECT_EQ(h.MinutesUntilOpen(kDay + At(8, 59)), 1);
  EXPECT_EQ(h.MinutesUntilOpen(-kDay * 3 + At(8, 0)), 60);
  EXPECT_EQ(h.MinutesUntilClose(-kDay + At(21, 0)), 60);
}

// A literal reading of the listed ranges, minute by minute, against which
// Parse and the queries are checked on seeded random schedules.
struct Listed {
  int open = 0;   // [0, 1440)
  int close = 0;  // [0, 1440]; < open: the next day
};

std::string Clock(int minute) {
  const int h = minute / 60;
  const int m = minute % 60;
  return {static_cast<char>('0' + h / 10), static_cast<char>('0' + h % 10), ':',
          static_cast<char>('0' + m / 10), static_cast<char>('0' + m % 10)};
}

TEST(OpeningHoursOracle, RandomSchedulesMatchALiteralReading) {
  std::mt19937 rng(20261124);
  int accepted = 0;
  int refused = 0;
  int overnight = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const int n = std::uniform_int_distribution<int>(1, OpeningHours::kMaxRanges)(rng);
    // Short ranges, often touching the previous one, so many sets are valid.
    std::vector<Listed> ranges;
    int cursor = std::uniform_int_distribution<int>(0, kDay - 1)(rng);
    for (int i = 0; i < n; ++i) {
      const int gap = std::uniform_int_distribution<int>(0, 3)(rng) == 0
                          ? 0
                          : std::uniform_int_distribution<int>(-30, 240)(rng);
      const int len = std::uniform_int_distribution<int>(0, 400)(rng);
      Listed r;
      r.open = ((cursor + gap) % kDay + kDay) % kDay;
      r.close = (r.open + len) % kDay;
      if (r.close == 0 && std::uniform_int_distribution<int>(0, 1)(rng) == 1) r.close = kDay;
      cursor = r.open + len;
      ranges.push_back(r);
    }
    std::shuffle(ranges.begin(), ranges.end(), rng);
    std::string text;
    for (const Listed& r : ranges) {
      if (!text.empty()) text += ',';
      text += Clock(r.open) + "-" + Clock(r.close);
    }

    std::array<int, kDay> cover{};
    bool empty_range = false;
    for (const Listed& r : ranges) {
      const int close = r.close > r.open ? r.close : r.close + kDay;
      if (r.close == r.open) empty_range = true;
      for (int m = r.open; m < close; ++m) ++cover[static_cast<size_t>(m % kDay)];
    }
    bool overlap = false;
    bool all_day = true;
    for (int c : cover) {
      overlap |= c > 1;
      all_day &= c > 0;
    }

    std::string why;
    const std::optional<OpeningHours> h = OpeningHours::Parse(text, why);
    if (empty_range || overlap) {
      EXPECT_FALSE(h.has_value()) << text;
      EXPECT_FALSE(why.empty()) << text;
      ++refused;
      continue;
    }
    ASSERT_TRUE(h.has_value()) << text << ": " << why;
    ++accepted;
    overnight += cover[0] > 0 && cover[kDay - 1] > 0;
    EXPECT_EQ(h->AlwaysOpen(), all_day) << text;
    const auto open_at = [&cover](int m) { return cover[static_cast<size_t>(m % kDay)] > 0; };
    for (int m = 0; m < kDay; ++m) {
      ASSERT_EQ(h->OpenAt(m), open_at(m)) << text << " at " << Clock(m);
      int until_open = 0;
      while (!open_at(m + until_open)) ++until_open;
      ASSERT_EQ(h->MinutesUntilOpen(m), until_open) << text << " at " << Clock(m);
      int until_close = 0;
      while (!all_day && until_close <= kDay && open_at(m + until_close)) ++until_close;
      ASSERT_EQ(h->MinutesUntilClose(m), all_day ? OpeningHours::kNeverCloses : until_close)
          << text << " at " << Clock(m);
    }
    const std::string canonical = h->ToString();
    const OpeningHours again = MustParse(canonical);
    EXPECT_EQ(again, *h) << text << " -> " << canonical;
    EXPECT_EQ(again.ToString(), canonical);
    // Canonical: ranges in order of opening time...
    for (size_t at = 12; at < canonical.size(); at += 12) {
      EXPECT_LT(canonical.substr(at - 12, 5), canonical.substr(at, 5)) << canonical;
    }
    // ...and the same text for the same schedule listed another way: the
    // ranges reordered and one of them cut in two touching pieces.
    if (ranges.size() < OpeningHours::kMaxRanges) {
      std::vector<Listed> relisted = ranges;
      const size_t cut = std::uniform_int_distribution<size_t>(0, ranges.size() - 1)(rng);
      const Listed r = relisted[cut];
      const int close = r.close > r.open ? r.close : r.close + kDay;
      if (close - r.open >= 2) {
        const int at = std::uniform_int_distribution<int>(r.open + 1, close - 1)(rng);
        relisted[cut].close = at == kDay ? kDay : at % kDay;
        relisted.push_back(Listed{at % kDay, r.close});
      }
      std::shuffle(relisted.begin(), relisted.end(), rng);
      std::string other;
      for (const Listed& l : relisted) {
        if (!other.empty()) other += ',';
        other += Clock(l.open) + "-" + Clock(l.close);
      }
      const OpeningHours same = MustParse(other);
      EXPECT_EQ(same, *h) << text << " vs " << other;
      EXPECT_EQ(same.ToString(), canonical) << text << " vs " << other;
    }
  }
  // The generator reaches both outcomes and midnight-crossing schedules.
  EXPECT_GT(accepted, 300);
  EXPECT_GT(refused, 300);
  EXPECT_GT(overnight, 50);
}

}  // namespace
}  // namespace hourglass::alloc
