#include "io/iso_time.h"

#include <chrono>
#include <cstdlib>

#include "alloc/local_time.h"
#include "io/clock.h"

namespace hourglass::io {
namespace {

constexpr int kMaxOffsetMinutes = 23 * 60 + 59;  // RFC 3339: hh is 00-23
constexpr int64_t kMsPerMinute = 60'000;
constexpr int64_t kMsPerDay = 86'400'000;

// Unix milliseconds of midnight UTC on `ymd`.
constexpr int64_t MidnightMs(std::chrono::year_month_day ymd) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(sys_days{ymd}.time_since_epoch()).count();
}

// The instants whose UTC calendar date has a four-digit year.
constexpr int64_t kFirstMs = MidnightMs(std::chrono::year{0} / 1 / 1);
constexpr int64_t kEndMs = MidnightMs(std::chrono::year{10000} / 1 / 1);
static_assert(kFirstMs == -62'167'219'200'000);
static_assert(kEndMs == 253'402'300'800'000);

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The number in text[at, at + n), all digits; -1 if any is not a digit.
int Digits(std::string_view text, size_t at, size_t n) {
  int value = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!IsDigit(text[i])) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<int64_t> ParseIsoTime(std::string_view text) {
  // yyyy-mm-ddThh:mm:ss is 19 characters; the shortest offset, "Z", is one.
  constexpr size_t kDateTimeChars = 19;
  if (text.size() < kDateTimeChars + 1) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const int y = Digits(text, 0, 4);
  const int mo = Digits(text, 5, 2);
  const int d = Digits(text, 8, 2);
  const int h = Digits(text, 11, 2);
  const int mi = Digits(text, 14, 2);
  const int s = Digits(text, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return std::nullopt;
  if (h > 23 || mi > 59 || s > 59) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;  // month 13, day 00, 2026-02-29, 2026-04-31

  size_t at = kDateTimeChars;
  int64_t frac_ms = 0;
  if (text[at] == '.') {
    constexpr size_t kMaxFractionDigits = 9;  // nanoseconds
    const size_t first = ++at;
    while (at < text.size() && IsDigit(text[at]) && at - first < kMaxFractionDigits) {
      if (at - first < 3) frac_ms = frac_ms * 10 + (text[at] - '0');
      ++at;
    }
    const size_t digits = at - first;
    if (digits == 0 || (at < text.size() && IsDigit(text[at]))) return std::nullopt;
    for (size_t i = digits; i < 3; ++i) frac_ms *= 10;  // ".5" is 500 ms
  }

  // RFC 3339 offsets only: not the "UTC" / "+0800" / "+08" that
  // ParseUtcOffset also takes for a store's configured offset.
  const std::string_view offset = text.substr(at);
  const bool rfc3339 =
      offset == "Z" || offset == "z" ||
      (offset.size() == 6 && (offset[0] == '+' || offset[0] == '-') && offset[3] == ':');
  const std::optional<alloc::UtcOffset> off =
      rfc3339 ? alloc::ParseUtcOffset(offset) : std::nullopt;
  if (!off) return std::nullopt;

  const int64_t local_ms = MidnightMs(ymd) + ((h * 60LL + mi) * 60 + s) * 1000 + frac_ms;
  return local_ms - off->minutes * kMsPerMinute;
}

std::string FormatIsoTime(int64_t unix_ms, int offset_minutes) {
  if (std::abs(offset_minutes) > kMaxOffsetMinutes) return "";
  // Checked before adding the offset, so the sum cannot overflow.
  if (unix_ms < kFirstMs - kMsPerDay || unix_ms >= kEndMs + kMsPerDay) return "";
  const int64_t local_ms = unix_ms + offset_minutes * kMsPerMinute;
  if (local_ms < kFirstMs || local_ms >= kEndMs) return "";

  // The local wall time is the UTC text of the shifted instant, without its
  // ".123Z" tail.
  char utc[25];
  FormatIsoUtc(local_ms, utc);
  std::string out(utc, 19);
  if (offset_minutes == 0) {
    out += 'Z';
    return out;
  }
  const int a = std::abs(offset_minutes);
  out += offset_minutes < 0 ? '-' : '+';
  out += static_cast<char>('0' + a / 600);
  out += static_cast<char>('0' + a / 60 % 10);
  out += ':';
  out += static_cast<char>('0' + a % 60 / 10);
  out += static_cast<char>('0' + a % 10);
  return out;
}

}  // namespace hourglass::io
