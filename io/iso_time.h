// RFC 3339 date-times (the profile of ISO 8601 used on the wire and in
// files) to and from Unix milliseconds, e.g. a scheduled order's pickup time.
//
//   2026-11-24T18:30:00+08:00   2026-11-24T10:30:00Z   2026-11-24t10:30:00.123z
//
// The offset is required: a time without one names no instant. Years
// 0000-9999 only. Nothing here reads a clock; safe from any thread.
//
// The event stream's "ts" / "expires_at" ("2026-11-24T10:15:00.123Z", always
// UTC, milliseconds) come from FormatIsoUtc in io/clock.h; FormatIsoTime
// below is built on it, and ParseIsoTime reads both.
#ifndef HOURGLASS_IO_ISO_TIME_H_
#define HOURGLASS_IO_ISO_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hourglass::io {

// Unix milliseconds of `text`: yyyy-mm-ddThh:mm:ss, an optional fraction of
// a second (1-9 digits; what is finer than a millisecond is dropped), then
// "Z" or "+hh:mm" / "-hh:mm". "T" and "Z" may be lowercase. nullopt for
// anything else: an impossible date (2026-02-29, month 13), hour 24, second
// 60 (Unix time has no leap seconds), a missing offset, trailing text.
std::optional<int64_t> ParseIsoTime(std::string_view text);

// "2026-11-24T18:30:00+08:00" for `unix_ms` seen at `offset_minutes` east of
// UTC (480 for +08:00); "Z" for offset 0. Whole seconds: the milliseconds
// are dropped (rounded down), so ParseIsoTime of the text gives `unix_ms`
// back when it is a whole second. "" when the offset is beyond +-23:59 or
// the local time falls outside years 0000-9999.
std::string FormatIsoTime(int64_t unix_ms, int offset_minutes);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_ISO_TIME_H_
