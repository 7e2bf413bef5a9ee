#include "io/clock.h"

#include <cstdio>
#include <cstring>

namespace hourglass::io {

void FormatIsoUtc(int64_t unix_ms, char out[25]) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(unix_ms)};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  // A wider buffer than the 24 characters used silences the compiler's
  // worst case (it cannot see the fields' ranges); the caller gets 24.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  std::memcpy(out, buf, 25);
}

}  // namespace hourglass::io
