#include "daemon/line_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hourglass::cli {
namespace {

// Waits for `events` on `fd`; false when the time is up.
bool Wait(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  while (true) {
    const int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

int ConnectOne(const addrinfo& ai, int timeout_ms, std::string& why) {
  const int fd =
      ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai.ai_protocol);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0 && errno != EINPROGRESS) {
    why = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (!Wait(fd, POLLOUT, timeout_ms)) {
    why = "timed out";
    ::close(fd);
    return -1;
  }
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) {
    why = std::strerror(error);
    ::close(fd);
    return -1;
  }
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

LineClient::LineClient(const std::string& address, std::chrono::milliseconds timeout)
    : timeout_(timeout), address_(address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    throw ConnectError("--connect \"" + address + "\": expected host:port, e.g. 127.0.0.1:7878");
  }
  std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    throw ConnectError("cannot resolve " + address + ": " + ::gai_strerror(rc));
  }
  std::string why = "no address";
  for (const addrinfo* ai = found; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
    fd_ = ConnectOne(*ai, static_cast<int>(timeout_.count()), why);
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) throw ConnectError("cannot connect to " + address + ": " + why);
}

LineClient::~LineClient() {
  if (fd_ >= 0) ::close(fd_);
}

void LineClient::Send(const std::string& line) {
  const std::string bytes = line + "\n";
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw ConnectError("lost the connection to " + address_ + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

void LineClient::Finish() {
  ::shutdown(fd_, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  char chunk[65536];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !Wait(fd_, POLLIN, static_cast<int>(left.count()))) return;
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
  }
}

std::string LineClient::ReadLine(bool forever) {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (true) {
    if (const size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (!forever) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !Wait(fd_, POLLIN, static_cast<int>(left.count()))) {
        throw ConnectError("no answer from " + address_ + " within " +
                           std::to_string(timeout_.count()) + " ms");
      }
    } else {
      Wait(fd_, POLLIN, -1);
    }
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) throw ConnectError(address_ + " closed the connection");
    if (n < 0)
      throw ConnectError("lost the connection to " + address_ + ": " + std::strerror(errno));
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace hourglass::cli
