#include "io/request_sampler.h"

#include <chrono>
#include <cmath>
#include <string>

#include "io/log.h"

namespace hourglass::io {

SampledHandler::SampledHandler(std::unique_ptr<LineHandler> inner, double rate, uint64_t seed)
    : inner_(std::move(inner)),
      always_(rate >= 1.0),
      threshold_(always_ ? 0 : static_cast<uint64_t>(std::ldexp(rate, 64))),
      state_(seed * 0x9E3779B97F4A7C15ull | 1) {}  // xorshift needs a non-zero state

HandleResult SampledHandler::Handle(std::string_view line, std::string& out, Session& session) {
  if (!Sampled()) return inner_->Handle(line, out, session);
  const size_t begin = out.size();
  const auto t0 = std::chrono::steady_clock::now();
  HandleResult result = inner_->Handle(line, out, session);
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  LogSample(line, std::string_view(out).substr(begin),
            std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
  return result;
}

void SampledHandler::LogSample(std::string_view line, std::string_view answer, int64_t elapsed_ns) {
  std::string op = "?";
  std::string order;
  simdjson::dom::element req;
  if (parser_.parse(line.data(), line.size()).get(req) == simdjson::SUCCESS) {
    std::string_view s;
    if (req["op"].get_string().get(s) == simdjson::SUCCESS) op = s;
    if (req["order"].get_string().get(s) == simdjson::SUCCESS) order = s;
  }
  std::string outcome = "ok";
  std::string reason;
  simdjson::dom::element ans;
  if (parser_.parse(answer.data(), answer.size()).get(ans) == simdjson::SUCCESS) {
    bool ok = true;
    bool found = true;
    std::string_view s;
    if (ans["ok"].get_bool().get(ok) == simdjson::SUCCESS && !ok) {
      outcome = "error";
      if (ans["error"]["code"].get_string().get(s) == simdjson::SUCCESS) reason = s;
    } else if (ans["found"].get_bool().get(found) == simdjson::SUCCESS) {
      outcome = found ? "found" : "not_found";
      if (ans["reason"].get_string().get(s) == simdjson::SUCCESS) reason = s;
    }
  }
  const double latency_us = static_cast<double>(elapsed_ns) / 1000.0;
  char text[64];
  std::snprintf(text, sizeof text, "%.1f us", latency_us);
  Log(LogLevel::kInfo, "request",
      "request: op " + op + ", " + outcome + (reason.empty() ? "" : " (" + reason + ")") +
          (order.empty() ? "" : ", order " + order) + ", " + text,
      {LogField::Str("op", op), LogField::Str("outcome", outcome), LogField::Str("reason", reason),
       LogField::Str("order", order), LogField::Num("latency_us", latency_us)});
}

}  // namespace hourglass::io
