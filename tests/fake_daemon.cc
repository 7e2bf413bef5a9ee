#include "tests/fake_daemon.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace hourglass::testing {

FakeDaemon::FakeDaemon(std::vector<std::string> events, FakeDaemonOptions options,
                       std::function<void(int64_t)> on_ack)
    : events_(std::move(events)), options_(options), on_ack_(std::move(on_ack)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 8) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("fake daemon: cannot listen");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeDaemon::~FakeDaemon() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::vector<int64_t> FakeDaemon::acks() const {
  std::lock_guard lock(mu_);
  return acks_;
}

std::vector<int64_t> FakeDaemon::froms() const {
  std::lock_guard lock(mu_);
  return froms_;
}

bool FakeDaemon::WaitForAck(int64_t seq, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return !acks_.empty() && acks_.back() >= seq; });
}

void FakeDaemon::Serve() {
  bool first = true;
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK);
    if (fd < 0) continue;
    Session(fd, first);
    first = false;
    ::close(fd);
  }
}

void FakeDaemon::OnLine(const std::string& line, int64_t& from) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view op;
  if (parser.parse(line).get(doc) != simdjson::SUCCESS || doc["op"].get(op) != simdjson::SUCCESS) {
    throw std::runtime_error("fake daemon: bad line " + line);
  }
  if (op == "subscribe") {
    if (doc["from"].get(from) != simdjson::SUCCESS) {
      std::lock_guard lock(mu_);
      from = acks_.empty() ? 1 : acks_.back() + 1;
    }
    std::lock_guard lock(mu_);
    froms_.push_back(from);
    return;
  }
  int64_t seq = 0;
  if (op != "ack" || doc["seq"].get(seq) != simdjson::SUCCESS) {
    throw std::runtime_error("fake daemon: unexpected line " + line);
  }
  if (on_ack_) on_ack_(seq);
  {
    std::lock_guard lock(mu_);
    acks_.push_back(seq);
  }
  cv_.notify_all();
}

void FakeDaemon::Session(int fd, bool first) {
  // Returns when the sink closes its side (or on stop).
  std::string in, out;
  size_t out_at = 0;
  int64_t from = -1;  // until the subscribe line arrives
  int64_t next = 0, sent = 0;
  bool dropped = false;
  auto not_before = std::chrono::steady_clock::now();
  const auto last = static_cast<int64_t>(events_.size());
  while (!stop_) {
    // Refill the output: the header first, then events in chunks.
    if (out_at == out.size() && from > 0) {
      out.clear();
      out_at = 0;
      if (next == 0) {
        out = "{\"ok\":true,\"subscribed\":\"pg\",\"from\":" + std::to_string(from) +
              ",\"last_seq\":" + std::to_string(last) + "}\n";
        next = from;
      } else if (first && options_.drop_after >= 0 && sent >= options_.drop_after) {
        // Drop the connection mid-stream: a clean close (FIN) once the sink
        // has closed its side, so no reset discards what it has not read.
        if (!dropped) ::shutdown(fd, SHUT_WR);
        dropped = true;
      } else if (next <= last && std::chrono::steady_clock::now() >= not_before) {
        for (int64_t i = 0; i < options_.chunk && next <= last; ++i, ++next, ++sent) {
          if (first && options_.drop_after >= 0 && sent >= options_.drop_after) break;
          out += events_[static_cast<size_t>(next - 1)];
          out += '\n';
        }
        not_before = std::chrono::steady_clock::now() + options_.pause;
      }
    }
    pollfd p{fd, static_cast<short>(POLLIN | (out_at < out.size() ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, 5) < 0) return;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
      if (n > 0) in.append(buf, static_cast<size_t>(n));
      for (size_t nl; (nl = in.find('\n')) != std::string::npos;) {
        OnLine(in.substr(0, nl), from);
        in.erase(0, nl + 1);
      }
    }
    if (p.revents & POLLOUT) {
      const ssize_t n = ::send(fd, out.data() + out_at, out.size() - out_at, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return;
      if (n > 0) out_at += static_cast<size_t>(n);
    }
  }
}

}  // namespace hourglass::testing
