// What the TCP server calls for each request line. One instance per I/O
// thread: it may keep per-thread buffers and need not be thread-safe.
#ifndef HOURGLASS_IO_LINE_HANDLER_H_
#define HOURGLASS_IO_LINE_HANDLER_H_

#include <string>
#include <string_view>

namespace hourglass::io {

class LineHandler {
 public:
  virtual ~LineHandler() = default;
  // Appends exactly one answer line (ending in '\n') to `out`. `line` has no
  // newline, and at least simdjson::SIMDJSON_PADDING readable bytes follow it.
  virtual void Handle(std::string_view line, std::string& out) = 0;
  // The answer for a line over the size limit (the server closes afterwards).
  virtual void TooLarge(size_t limit_bytes, std::string& out) = 0;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_LINE_HANDLER_H_
