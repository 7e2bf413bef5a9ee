#include "daemon/line_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/tls_context.h"

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

LineClient::LineClient(const std::string& address, std::chrono::milliseconds timeout,
                       boost::asio::ssl::context* tls)
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
  if (tls == nullptr) return;
  try {
    Handshake(*tls, host);
  } catch (...) {
    // A constructor that throws runs no destructor: free the connection here.
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
    throw;
  }
}

LineClient::~LineClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

void LineClient::Handshake(boost::asio::ssl::context& tls, const std::string& host) {
  // The socket is blocking: a receive timeout bounds the handshake.
  timeval tv{static_cast<time_t>(timeout_.count() / 1000),
             static_cast<suseconds_t>(timeout_.count() % 1000 * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ssl_ = SSL_new(tls.native_handle());
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    throw ConnectError("cannot start TLS to " + address_);
  }
  hourglass::io::ExpectPeerName(ssl_, host);
  if (SSL_connect(ssl_) != 1) {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    std::string why =
        code != 0 ? ERR_reason_error_string(code) : "the daemon closed the connection";
    if (SSL_get_verify_result(ssl_) != X509_V_OK) {
      why = X509_verify_cert_error_string(SSL_get_verify_result(ssl_));
    }
    throw ConnectError("TLS handshake with " + address_ + " failed: " + why);
  }
}

ssize_t LineClient::Receive(char* data, size_t size) {
  if (ssl_ == nullptr) return ::recv(fd_, data, size, 0);
  const int n = SSL_read(ssl_, data, static_cast<int>(size));
  if (n > 0) return n;
  const int e = SSL_get_error(ssl_, n);
  ERR_clear_error();
  if (e == SSL_ERROR_ZERO_RETURN) return 0;
  errno = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? EAGAIN : ECONNRESET;
  return -1;
}

ssize_t LineClient::Transmit(const char* data, size_t size) {
  if (ssl_ == nullptr) return ::send(fd_, data, size, MSG_NOSIGNAL);
  const int n = SSL_write(ssl_, data, static_cast<int>(size));
  if (n > 0) return n;
  ERR_clear_error();
  errno = ECONNRESET;
  return -1;
}

void LineClient::Send(const std::string& line) {
  const std::string bytes = line + "\n";
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = Transmit(bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw ConnectError("lost the connection to " + address_ + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

void LineClient::Finish() {
  if (ssl_ != nullptr) SSL_shutdown(ssl_);  // close_notify: the daemon sees the end of input
  ::shutdown(fd_, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  char chunk[65536];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || (!Buffered() && !Wait(fd_, POLLIN, static_cast<int>(left.count())))) {
      return;
    }
    const ssize_t n = Receive(chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
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
    // TLS may hold decrypted bytes the socket no longer shows.
    if (!forever && !Buffered()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !Wait(fd_, POLLIN, static_cast<int>(left.count()))) {
        throw ConnectError("no answer from " + address_ + " within " +
                           std::to_string(timeout_.count()) + " ms");
      }
    } else if (!Buffered()) {
      Wait(fd_, POLLIN, -1);
    }
    char chunk[65536];
    const ssize_t n = Receive(chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n == 0) throw ConnectError(address_ + " closed the connection");
    if (n < 0)
      throw ConnectError("lost the connection to " + address_ + ": " + std::strerror(errno));
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace hourglass::cli
