#include "alloc/opening_hours.h"

#include <algorithm>

namespace hourglass::alloc {
namespace {

static_assert(sizeof(OpeningHours) <= 36, "OpeningHours is meant to stay small");

int WrapMinute(int minute) {
  const int m = minute % kMinutesPerDay;
  return m < 0 ? m + kMinutesPerDay : m;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The text in quotes for a message, cut short so a huge input does not make
// a huge message.
std::string Quote(std::string_view s) {
  constexpr size_t kMaxQuoted = 40;
  std::string q = "\"";
  q.append(s.substr(0, kMaxQuoted));
  if (s.size() > kMaxQuoted) q += "...";
  q += '"';
  return q;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Minutes from midnight of "hh:mm" (24:00 included), or nullopt with `why`.
std::optional<int> ParseClock(std::string_view hhmm, std::string& why) {
  const int hour = (hhmm[0] - '0') * 10 + (hhmm[1] - '0');
  const int minute = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
  if (hour > 24) {
    why = "hour must be 00-24";
    return std::nullopt;
  }
  if (minute > 59) {
    why = "minutes must be 00-59";
    return std::nullopt;
  }
  if (hour == 24 && minute != 0) {
    why = "the day ends at 24:00";
    return std::nullopt;
  }
  return hour * 60 + minute;
}

void AppendClock(int minute_of_day, std::string& out) {
  const int h = minute_of_day / 60;
  const int m = minute_of_day % 60;
  out += static_cast<char>('0' + h / 10);
  out += static_cast<char>('0' + h % 10);
  out += ':';
  out += static_cast<char>('0' + m / 10);
  out += static_cast<char>('0' + m % 10);
}

}  // namespace

std::optional<OpeningHours> OpeningHours::Parse(std::string_view text, std::string& why) {
  text = Trim(text);
  if (text.empty() || text == "24h") return OpeningHours();

  const size_t listed = static_cast<size_t>(std::count(text.begin(), text.end(), ',')) + 1;
  if (listed > kMaxRanges) {
    why = Quote(text) + ": " + std::to_string(listed) + " ranges, at most " +
          std::to_string(kMaxRanges);
    return std::nullopt;
  }

  // Each listed range as [open, close) with close in (open, open + 1440].
  std::array<std::string_view, kMaxRanges> items;
  std::array<Range, kMaxRanges> listed_ranges;
  size_t n = 0;
  for (std::string_view rest = text;;) {
    const size_t comma = rest.find(',');
    const std::string_view item = Trim(rest.substr(0, comma));
    if (item.empty()) {
      why = Quote(text) + ": empty range (an extra comma?)";
      return std::nullopt;
    }
    const bool shaped = item.size() == 11 && item[2] == ':' && item[5] == '-' && item[8] == ':' &&
                        IsDigit(item[0]) && IsDigit(item[1]) && IsDigit(item[3]) &&
                        IsDigit(item[4]) && IsDigit(item[6]) && IsDigit(item[7]) &&
                        IsDigit(item[9]) && IsDigit(item[10]);
    if (!shaped) {
      why = Quote(item) + ": expected hh:mm-hh:mm, e.g. 09:00-22:00";
      return std::nullopt;
    }
    std::string clock_why;
    const std::optional<int> open = ParseClock(item.substr(0, 5), clock_why);
    std::optional<int> close;
    if (open) close = ParseClock(item.substr(6, 5), clock_why);
    if (!close) {
      why = Quote(item) + ": " + clock_why;
      return std::nullopt;
    }
    if (*open == kMinutesPerDay) {
      why = Quote(item) + ": a range cannot open at 24:00, write 00:00";
      return std::nullopt;
    }
    if (*open == *close) {
      why = Quote(item) + ": opens and closes at the same time (all day is 00:00-24:00)";
      return std::nullopt;
    }
    items[n] = item;
    listed_ranges[n].open = static_cast<int16_t>(*open);
    listed_ranges[n].close =
        static_cast<int16_t>(*close > *open ? *close : *close + kMinutesPerDay);
    ++n;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }

  // Paint the day minute by minute (1,440 steps at most, once per load):
  // overlaps name both ranges, and touching ranges come out merged.
  std::array<int8_t, kMinutesPerDay> owner;
  owner.fill(-1);
  for (size_t i = 0; i < n; ++i) {
    for (int m = listed_ranges[i].open; m < listed_ranges[i].close; ++m) {
      int8_t& o = owner[static_cast<size_t>(m % kMinutesPerDay)];
      if (o >= 0) {
        why = Quote(items[static_cast<size_t>(o)]) + " and " + Quote(items[i]) + " overlap";
        return std::nullopt;
      }
      o = static_cast<int8_t>(i);
    }
  }

  // Collect the painted runs going round the clock from a closed minute, so
  // an overnight run comes out whole and there are never more runs than
  // listed ranges.
  int closed = -1;
  for (int m = 0; m < kMinutesPerDay && closed < 0; ++m) {
    if (owner[static_cast<size_t>(m)] < 0) closed = m;
  }
  if (closed < 0) return OpeningHours();  // open all day, however it was written
  const auto painted = [&owner](int p) {
    return owner[static_cast<size_t>(p % kMinutesPerDay)] >= 0;
  };
  OpeningHours hours;
  for (int p = closed + 1; p < closed + kMinutesPerDay;) {
    if (!painted(p)) {
      ++p;
      continue;
    }
    const int run_open = p;
    while (painted(p)) ++p;  // stops at closed + 1440 at the latest
    Range& r = hours.ranges_[static_cast<size_t>(hours.count_++)];
    r.open = static_cast<int16_t>(run_open % kMinutesPerDay);
    r.close = static_cast<int16_t>(r.open + (p - run_open));
  }
  std::sort(hours.ranges_.begin(), hours.ranges_.begin() + hours.count_,
            [](const Range& a, const Range& b) { return a.open < b.open; });
  return hours;
}

bool OpeningHours::OpenAt(int minute_of_day) const {
  return AlwaysOpen() || MinutesUntilClose(minute_of_day) > 0;
}

int OpeningHours::MinutesUntilOpen(int minute_of_day) const {
  if (OpenAt(minute_of_day)) return 0;
  const int m = WrapMinute(minute_of_day);
  int soonest = kMinutesPerDay;
  for (int i = 0; i < count_; ++i) {
    soonest = std::min(soonest, WrapMinute(ranges_[static_cast<size_t>(i)].open - m));
  }
  return soonest;
}

int OpeningHours::MinutesUntilClose(int minute_of_day) const {
  if (AlwaysOpen()) return kNeverCloses;
  const int m = WrapMinute(minute_of_day);
  for (int i = 0; i < count_; ++i) {
    const Range& r = ranges_[static_cast<size_t>(i)];
    // Today's part of the range, or the part after midnight of one that
    // opened yesterday.
    if (m >= r.open && m < r.close) return r.close - m;
    if (m + kMinutesPerDay < r.close) return r.close - (m + kMinutesPerDay);
  }
  return 0;
}

std::string OpeningHours::ToString() const {
  if (AlwaysOpen()) return "00:00-24:00";
  std::string out;
  for (int i = 0; i < count_; ++i) {
    const Range& r = ranges_[static_cast<size_t>(i)];
    if (i > 0) out += ',';
    AppendClock(r.open, out);
    out += '-';
    AppendClock(r.close == kMinutesPerDay ? kMinutesPerDay : r.close % kMinutesPerDay, out);
  }
  return out;
}

}  // namespace hourglass::alloc
