// Request sampling for the log ([log] sample_requests): a share of requests,
// chosen at random, each logged as one line with its op, outcome and the time
// the daemon took to decide it (parse, route, reserve, write the answer; not
// the wait for the journal, which the stop line reports).
//
// SampledHandler wraps one I/O thread's handler. An unsampled request costs
// one xorshift step and a compare: no clock read, no allocation, no lock.
// Only a sampled one reads the clock, parses its line and answer again and
// takes the log's lock. With a rate of 0 the daemon does not wrap at all.
#ifndef HOURGLASS_IO_REQUEST_SAMPLER_H_
#define HOURGLASS_IO_REQUEST_SAMPLER_H_

#include <simdjson.h>

#include <cstdint>
#include <memory>

#include "io/line_handler.h"

namespace hourglass::io {

class SampledHandler : public LineHandler {
 public:
  // `rate` in (0, 1]: the share of requests logged (1 logs every one).
  // `seed` differs per I/O thread so threads do not sample in step.
  SampledHandler(std::unique_ptr<LineHandler> inner, double rate, uint64_t seed);

  HandleResult Handle(std::string_view line, std::string& out, Session& session) override;
  void BeginBatch() override { inner_->BeginBatch(); }
  void EndBatch() override { inner_->EndBatch(); }
  Session NewSession() const override { return inner_->NewSession(); }
  void TooLarge(size_t limit_bytes, std::string& out) override {
    inner_->TooLarge(limit_bytes, out);
  }
  void TooManyConnections(size_t limit, std::string& out) override {
    inner_->TooManyConnections(limit, out);
  }

 private:
  bool Sampled() {
    if (always_) return true;
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_ < threshold_;
  }
  void LogSample(std::string_view line, std::string_view answer, int64_t elapsed_ns);

  std::unique_ptr<LineHandler> inner_;
  bool always_;
  uint64_t threshold_;  // a request is sampled when the next draw is below it
  uint64_t state_;
  simdjson::dom::parser parser_;  // sampled lines only; allocates on first use
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_REQUEST_SAMPLER_H_
