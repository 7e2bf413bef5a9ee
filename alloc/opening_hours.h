// A store's daily opening hours: up to eight time ranges that repeat every
// day, in the store's local time (see alloc/local_time.h for turning a Unix
// time into a minute of the local day).
//
// Text form (for a stores-file column or a config key):
//   ""  or  "24h"  or  "00:00-24:00"   open all day (also the default)
//   "09:00-22:00"                       one range: opens 09:00, closes 22:00
//   "09:00-12:00,14:00-22:00"           several ranges, in any order
//   "22:00-02:00"                       overnight: opens 22:00, closes 02:00
//                                       the next day
// Times are hh:mm, two digits each; 24:00 may only end a range. Spaces
// around a range are ignored. Ranges may touch but not overlap. A range
// includes its opening minute and excludes its closing minute: "09:00-22:00"
// is open at 09:00 and 21:59, closed at 22:00.
//
// Parse merges touching ranges ("22:00-24:00,00:00-02:00" is "22:00-02:00"),
// so ToString is canonical: two values that open at the same minutes print
// the same text and compare equal.
//
// A value is small (36 bytes), immutable after Parse and safe to read from
// any thread. Nothing here reads a clock: callers hand in the minute.
#ifndef HOURGLASS_ALLOC_OPENING_HOURS_H_
#define HOURGLASS_ALLOC_OPENING_HOURS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alloc/local_time.h"

namespace hourglass::alloc {

class OpeningHours {
 public:
  // Most ranges one text may list: real shops have one to three.
  static constexpr int kMaxRanges = 8;
  // MinutesUntilClose of a store that never closes: more than any real
  // closing (which is always less than a day away).
  static constexpr int kNeverCloses = 2 * kMinutesPerDay;

  // Open all day.
  OpeningHours() = default;

  // nullopt with `why` set when `text` is not one of the forms above, e.g.
  //   "25:00-22:00": hour must be 00-24
  //   "09:00-14:00" and "12:00-22:00" overlap
  static std::optional<OpeningHours> Parse(std::string_view text, std::string& why);

  // `minute_of_day` is in [0, 1440); other values are taken modulo a day.
  bool OpenAt(int minute_of_day) const;
  // 0 when open at `minute_of_day`, else the minutes until the next opening,
  // which may be tomorrow ("pickup is ready after opening").
  int MinutesUntilOpen(int minute_of_day) const;
  // When open, the minutes until the store next closes (kNeverCloses when it
  // is open all day); 0 when closed.
  int MinutesUntilClose(int minute_of_day) const;

  bool AlwaysOpen() const { return count_ == 0; }
  // The canonical text: ranges sorted by opening time, touching ones merged,
  // "00:00-24:00" for all day. Parse(ToString()) gives the same value back.
  std::string ToString() const;

  friend bool operator==(const OpeningHours&, const OpeningHours&) = default;

 private:
  // [open, close) in minutes from local midnight, open in [0, 1440),
  // open < close <= open + 1440; close > 1440 means it closes the next day.
  struct Range {
    int16_t open = 0;
    int16_t close = 0;
    friend bool operator==(const Range&, const Range&) = default;
  };

  // Sorted by `open`, disjoint and not touching (merged), none all day.
  // Unused slots stay zero so that the defaulted == compares values.
  std::array<Range, kMaxRanges> ranges_{};
  int count_ = 0;  // 0: open all day
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_OPENING_HOURS_H_
