// The daemon's log: one line per event, to stderr or to [log] file, as text
// ("hourglassd: <message>", what people and existing scripts read) or as
// JSON lines ({"ts":...,"level":...,"event":...,"msg":...,<fields>}) for log
// shippers. Levels debug < info < warn < error; lines below [log] level are
// dropped before anything is formatted.
//
// One log per process, like stderr itself: main, the journal writer, the
// checkpointer and the I/O threads' request samples all write to it.
// Thread-safety: every function may be called from any thread. A line is one
// write(2) under a mutex, so lines never interleave; nothing here runs on the
// request path unless the request was sampled (io/request_sampler.h).
#ifndef HOURGLASS_IO_LOG_H_
#define HOURGLASS_IO_LOG_H_

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::io {

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError };

std::optional<LogLevel> ParseLogLevel(std::string_view name);  // "debug" | "info" | ...
const char* LogLevelName(LogLevel level);

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  bool json = false;           // [log] format = "json"
  std::filesystem::path file;  // empty: stderr
};

// One structured field of a line. Only the JSON format shows fields (an empty
// string field is left out); the text format shows the message, which says
// the same for a person.
struct LogField {
  enum class Kind : uint8_t { kString, kInt, kNumber, kBool, kStrings };
  std::string_view key;
  Kind kind = Kind::kString;
  std::string_view text;
  int64_t integer = 0;
  double number = 0;
  const std::vector<std::string>* strings = nullptr;

  static LogField Str(std::string_view k, std::string_view v) {
    return {k, Kind::kString, v, 0, 0, nullptr};
  }
  static LogField Int(std::string_view k, int64_t v) { return {k, Kind::kInt, {}, v, 0, nullptr}; }
  static LogField Num(std::string_view k, double v) {
    return {k, Kind::kNumber, {}, 0, v, nullptr};
  }
  static LogField Bool(std::string_view k, bool v) {
    return {k, Kind::kBool, {}, v ? 1 : 0, 0, nullptr};
  }
  static LogField List(std::string_view k, const std::vector<std::string>& v) {
    return {k, Kind::kStrings, {}, 0, 0, &v};
  }
};

// Sets the level, the format and the destination. Throws LoadError when the
// file cannot be opened for appending (start-up stops with the reason).
void ConfigureLog(const LogOptions& options);

// Opens [log] file again under its name, after logrotate moved the old one
// (SIGUSR1). With stderr as the destination there is nothing to do. On
// failure the old file stays in use and `error` says why.
bool ReopenLog(std::string& error);

bool LogEnabled(LogLevel level);

// Writes one line: `event` is a stable name for machines ("start", "reload",
// "request", ...), `message` a sentence for people.
void Log(LogLevel level, std::string_view event, std::string_view message,
         std::initializer_list<LogField> fields = {});

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_LOG_H_
