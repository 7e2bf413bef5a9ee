#include "bench/stock_feed.h"

#include <simdjson.h>

#include <chrono>
#include <fstream>
#include <string_view>

namespace hourglass::bench {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

StockFeed::StockFeed(const std::string& file, double rate) : rate_(rate) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error_ = file + ": cannot open the stock updates file";
    return;
  }
  simdjson::dom::parser parser;
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string_view op;
    simdjson::dom::object obj;
    if (parser.parse(line).get_object().get(obj) != simdjson::SUCCESS ||
        obj["op"].get_string().get(op) != simdjson::SUCCESS || op != "stock.set") {
      error_ = file + ":" + std::to_string(line_no) + ": not a stock.set request";
      return;
    }
    lines_.push_back(simdjson::minify(obj) + "\n");
  }
  if (lines_.empty()) error_ = file + ": no stock.set requests";
}

StockFeed::~StockFeed() {
  if (sender_.joinable() || reader_.joinable()) Stop();
}

std::string StockFeed::Start(const asio::ip::tcp::endpoint& daemon) {
  boost::system::error_code ec;
  socket_.connect(daemon, ec);
  if (ec) return "stock feed: cannot connect: " + ec.message();
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  sender_ = std::thread([this] { Send(); });
  reader_ = std::thread([this] { Read(); });
  return "";
}

void StockFeed::Stop() {
  stop_.store(true);
  if (sender_.joinable()) sender_.join();
  if (reader_.joinable()) reader_.join();
  boost::system::error_code ec;
  socket_.close(ec);
}

void StockFeed::Send() {
  // A fixed schedule from the start: a late send does not push the next ones back.
  const auto gap =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate_));
  const auto start = Clock::now();
  uint64_t n = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_until(start + gap * static_cast<int64_t>(n));
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(lines_[n % lines_.size()]), ec);
    if (ec) break;
    sent_.store(++n, std::memory_order_release);
  }
  result_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sending_done_.store(true, std::memory_order_release);
}

void StockFeed::Read() {
  asio::streambuf buf;
  uint64_t answered = 0;
  for (;;) {
    // Done once sending stopped and every line sent was answered.
    if (sending_done_.load(std::memory_order_acquire) &&
        answered == sent_.load(std::memory_order_acquire)) {
      break;
    }
    if (answered == sent_.load(std::memory_order_acquire)) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    boost::system::error_code ec;
    const size_t n = asio::read_until(socket_, buf, '\n', ec);
    if (ec) break;
    const std::string_view answer(asio::buffer_cast<const char*>(buf.data()), n);
    if (answer.find("\"ok\":true") != std::string_view::npos) {
      ++result_.ok;
    } else {
      if (result_.refused++ == 0) result_.first_refusal = std::string(answer.substr(0, 200));
    }
    buf.consume(n);
    ++answered;
  }
  result_.sent = sent_.load();
}

}  // namespace hourglass::bench
