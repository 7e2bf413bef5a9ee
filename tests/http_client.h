// Test support: a minimal blocking HTTP/1.1 client for the admin listener —
// one request per connection (Connection: close), read to the end.
#ifndef HOURGLASS_TESTS_HTTP_CLIENT_H_
#define HOURGLASS_TESTS_HTTP_CLIENT_H_

#include <cstdint>
#include <map>
#include <string>

namespace hourglass::testing {

struct HttpResult {
  int status = 0;  // 0: no status line came back
  std::string headers;
  std::string body;
};

// Sends `request` as it is and reads until the server closes (10 s at most).
HttpResult HttpRaw(uint16_t port, const std::string& request);
HttpResult HttpGet(uint16_t port, const std::string& target);

// Prometheus text exposition parsed into "name{labels}" -> value (comments
// skipped). Throws std::runtime_error on a line that is not a sample.
std::map<std::string, double> ParsePrometheus(const std::string& text);

}  // namespace hourglass::testing

#endif  // HOURGLASS_TESTS_HTTP_CLIENT_H_
