// A store's local time as a fixed offset from UTC, and the minute of the
// local day for a Unix time (what OpeningHours is asked about).
//
// Time zones are fixed offsets, not tz database names: libstdc++ 12 (the
// compiler of Debian 12) has no std::chrono::tzdb / zoned_time, and the
// stores this daemon serves are in China, which keeps one offset (+08:00)
// all year. A region with daylight saving time would need its offset
// changed in the stores file when the clocks change.
//
// Pure functions: no clock is read, the instant is handed in.
#ifndef HOURGLASS_ALLOC_LOCAL_TIME_H_
#define HOURGLASS_ALLOC_LOCAL_TIME_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace hourglass::alloc {

inline constexpr int kMinutesPerDay = 24 * 60;

// Local time minus UTC, in minutes: +08:00 is 480, -05:30 is -330.
struct UtcOffset {
  int minutes = 0;
  friend bool operator==(const UtcOffset&, const UtcOffset&) = default;
};

// "+08:00", "-05:30", "+0800", "+08", "Z" (or "z") and "UTC"; hours 00-23
// and minutes 00-59 as RFC 3339 allows, a sign always. "-00:00" is UTC.
// nullopt for anything else.
inline std::optional<UtcOffset> ParseUtcOffset(std::string_view text) {
  if (text == "Z" || text == "z" || text == "UTC") return UtcOffset{0};
  if (text.size() < 3 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  const auto digit = [&text](size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  size_t minutes_at = 0;  // where mm starts; 0 for "+hh"
  if (text.size() == 6 && text[3] == ':') {
    minutes_at = 4;
  } else if (text.size() == 5) {
    minutes_at = 3;
  } else if (text.size() != 3) {
    return std::nullopt;
  }
  if (!digit(1) || !digit(2)) return std::nullopt;
  if (minutes_at != 0 && (!digit(minutes_at) || !digit(minutes_at + 1))) return std::nullopt;
  const int hours = (text[1] - '0') * 10 + (text[2] - '0');
  const int minutes =
      minutes_at == 0 ? 0 : (text[minutes_at] - '0') * 10 + (text[minutes_at + 1] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  const int total = hours * 60 + minutes;
  return UtcOffset{text[0] == '-' ? -total : total};
}

// The minute of the local day, in [0, 1440), at `unix_ms` (milliseconds
// since 1970-01-01T00:00:00Z; negative is before). Rounds down, so
// 23:59:59.999 is minute 1439 and times before 1970 fall in the right day.
inline int MinuteOfDay(int64_t unix_ms, UtcOffset off) {
  constexpr int64_t kMsPerMinute = 60'000;
  // Floor division, not C++'s truncation toward zero; whole minutes first so
  // adding the offset cannot overflow.
  int64_t minutes = unix_ms / kMsPerMinute;
  if (unix_ms % kMsPerMinute < 0) --minutes;
  minutes += off.minutes;
  int64_t of_day = minutes % kMinutesPerDay;
  if (of_day < 0) of_day += kMinutesPerDay;
  return static_cast<int>(of_day);
}

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_LOCAL_TIME_H_
