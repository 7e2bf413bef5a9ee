#include "io/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "io/clock.h"
#include "io/json_writer.h"
#include "io/load_error.h"

namespace hourglass::io {
namespace {

// The process log's state. The level is read without the lock so that a
// dropped line costs one relaxed load.
struct LogState {
  std::atomic<LogLevel> level{LogLevel::kInfo};
  std::mutex mu;
  bool json = false;           // guarded by mu
  std::filesystem::path file;  // guarded by mu
  int fd = STDERR_FILENO;      // guarded by mu
};

LogState& State() {
  static LogState state;
  return state;
}

int OpenForAppend(const std::filesystem::path& file, std::string& error) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0)
    error = file.string() + ": cannot open the log file ([log] file): " + std::strerror(errno);
  return fd;
}

void WriteAll(int fd, const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a log that cannot be written must not stop the daemon
    done += static_cast<size_t>(n);
  }
}

void FormatLine(std::string& out, bool json, LogLevel level, std::string_view event,
                std::string_view message, std::initializer_list<LogField> fields) {
  if (!json) {
    out.append("hourglassd: ").append(message).push_back('\n');
    return;
  }
  char ts[25];
  FormatIsoUtc(WallMs(), ts);
  JsonWriter w(out);
  w.BeginObject().Field("ts", std::string_view(ts, 24)).Field("level", LogLevelName(level));
  w.Field("event", event).Field("msg", message);
  for (const LogField& f : fields) {
    if (f.kind == LogField::Kind::kString && f.text.empty()) continue;
    w.Key(f.key);
    switch (f.kind) {
      case LogField::Kind::kString:
        w.String(f.text);
        break;
      case LogField::Kind::kInt:
        w.Int(f.integer);
        break;
      case LogField::Kind::kNumber:
        w.Fixed(f.number, 3);
        break;
      case LogField::Kind::kBool:
        w.Bool(f.integer != 0);
        break;
      case LogField::Kind::kStrings:
        w.BeginArray();
        for (const std::string& s : *f.strings) w.String(s);
        w.EndArray();
        break;
    }
  }
  w.EndObject();
  out.push_back('\n');
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void ConfigureLog(const LogOptions& options) {
  LogState& s = State();
  int fd = STDERR_FILENO;
  if (!options.file.empty()) {
    std::string error;
    fd = OpenForAppend(options.file, error);
    if (fd < 0) throw LoadError(error);
  }
  std::lock_guard lock(s.mu);
  if (s.fd != STDERR_FILENO) ::close(s.fd);
  s.fd = fd;
  s.file = options.file;
  s.json = options.json;
  s.level.store(options.level, std::memory_order_relaxed);
}

bool ReopenLog(std::string& error) {
  LogState& s = State();
  std::lock_guard lock(s.mu);
  if (s.file.empty()) return true;
  const int fd = OpenForAppend(s.file, error);
  if (fd < 0) return false;
  ::close(s.fd);
  s.fd = fd;
  return true;
}

bool LogEnabled(LogLevel level) { return level >= State().level.load(std::memory_order_relaxed); }

void Log(LogLevel level, std::string_view event, std::string_view message,
         std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  LogState& s = State();
  std::string line;
  std::lock_guard lock(s.mu);
  FormatLine(line, s.json, level, event, message, fields);
  WriteAll(s.fd, line);
}

}  // namespace hourglass::io
