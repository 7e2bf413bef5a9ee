// A stream of stock.set lines (a POS feed) sent on a connection of its own at
// a fixed rate while the measured workload runs, so route decisions are
// measured while stock changes under them. Two threads: one sends on a fixed
// schedule, one reads the answers.
#ifndef HOURGLASS_BENCH_STOCK_FEED_H_
#define HOURGLASS_BENCH_STOCK_FEED_H_

#include <atomic>
#include <boost/asio.hpp>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace hourglass::bench {

class StockFeed {
 public:
  // Reads `file` (one {"op":"stock.set",...} object per line; anything else is
  // refused with a message naming the line). Empty `error()` when usable.
  StockFeed(const std::string& file, double rate);
  ~StockFeed();
  const std::string& error() const { return error_; }
  size_t lines() const { return lines_.size(); }

  // Connects and starts sending (round and round the file) until Stop.
  std::string Start(const boost::asio::ip::tcp::endpoint& daemon);
  // Stops sending, waits for the answers in flight, closes.
  void Stop();

  struct Result {
    uint64_t sent = 0, ok = 0, refused = 0;  // refused: answers with "ok":false
    double seconds = 0;                      // from the first send to the last
    std::string first_refusal;               // an excerpt of the first, if any
  };
  Result result() const { return result_; }

 private:
  void Send();
  void Read();

  std::vector<std::string> lines_;  // each ends with '\n'
  double rate_;
  std::string error_;
  boost::asio::io_context ctx_;
  boost::asio::ip::tcp::socket socket_{ctx_};
  std::thread sender_, reader_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0};
  std::atomic<bool> sending_done_{false};
  Result result_;
};

}  // namespace hourglass::bench

#endif  // HOURGLASS_BENCH_STOCK_FEED_H_
