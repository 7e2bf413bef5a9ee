#include "io/clock.h"

#include <algorithm>

namespace hourglass::io {

namespace {

// `value` as exactly `width` decimal digits (it fits: the fields are bounded).
char* PutDigits(char* p, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return p + width;
}

}  // namespace

void FormatIsoUtc(int64_t unix_ms, char out[25]) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(unix_ms)};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  // Digit by digit rather than snprintf: every journaled reservation carries
  // two of these, and the format machinery cost more than the rest of it.
  // Years outside 0..9999 cannot be said in this form; they are clamped.
  const int year = std::clamp(static_cast<int>(ymd.year()), 0, 9999);
  char* p = PutDigits(out, year, 4);
  *p++ = '-';
  p = PutDigits(p, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  *p++ = '-';
  p = PutDigits(p, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  *p++ = 'T';
  p = PutDigits(p, static_cast<int>(hms.hours().count()), 2);
  *p++ = ':';
  p = PutDigits(p, static_cast<int>(hms.minutes().count()), 2);
  *p++ = ':';
  p = PutDigits(p, static_cast<int>(hms.seconds().count()), 2);
  *p++ = '.';
  p = PutDigits(p, static_cast<int>(hms.subseconds().count()), 3);
  *p++ = 'Z';
  *p = '\0';
}

}  // namespace hourglass::io
