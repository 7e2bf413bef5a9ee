#include "tests/daemon_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hourglass::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("hourglass-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::Write(const std::string& name, const std::string& text) const {
  std::ofstream(path_ / name, std::ios::binary) << text;
  return path_ / name;
}

namespace {

// The hourglassd under test: the one built with the tests, or HOURGLASS_TEST_DAEMON (CI runs
// these tests against a ThreadSanitizer build of the daemon, see tests/ci_hardening.sh).
const char* DaemonPath() {
  const char* path = std::getenv("HOURGLASS_TEST_DAEMON");
  return path != nullptr && *path != '\0' ? path : HOURGLASSD_PATH;
}

pid_t Spawn(const fs::path& config, const fs::path& stderr_path, int stdout_fd,
            const std::string& listen = "127.0.0.1:0", const std::string& data_dir = "") {
  const char* daemon = DaemonPath();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  // Child: stdout to the pipe (or /dev/null), stderr to a file.
  const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(err, 2);
  ::dup2(stdout_fd >= 0 ? stdout_fd : ::open("/dev/null", O_WRONLY), 1);
  if (data_dir.empty()) {
    ::execl(daemon, "hourglassd", "--config", config.c_str(), "--listen", listen.c_str(),
            static_cast<char*>(nullptr));
  } else {
    ::execl(daemon, "hourglassd", "--config", config.c_str(), "--listen", listen.c_str(),
            "--data-dir", data_dir.c_str(), static_cast<char*>(nullptr));
  }
  ::_exit(127);
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Daemon::Daemon(const fs::path& config, const std::string& listen, const std::string& data_dir,
               bool until_admin) {
  stderr_path_ = fs::temp_directory_path() / ("hourglassd-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(std::random_device{}()) + ".stderr");
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = Spawn(config, stderr_path_, fds[1], listen, data_dir);
  ::close(fds[1]);
  out_fd_ = fds[0];
  if (until_admin) {
    if (!ReadUntil("hourglassd: admin listening on ")) {
      const std::string out = out_;
      Stop(SIGKILL);
      throw std::runtime_error("hourglassd did not open its admin listener: " + out + Stderr());
    }
    return;
  }
  WaitListening();
}

bool Daemon::ReadUntil(const std::string& marker) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    // Whole lines only: the port follows the marker.
    const size_t at = out_.find(marker);
    if (at != std::string::npos && out_.find('\n', at) != std::string::npos) {
      const size_t end = out_.find('\n', at);
      const std::string line = out_.substr(at, end - at);
      const uint16_t port = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
      if (marker.find("admin") != std::string::npos) {
        admin_port_ = port;
      } else {
        port_ = port;
      }
      return true;
    }
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) return false;
    out_.append(buf, static_cast<size_t>(n));
  }
  return false;
}

void Daemon::WaitListening() {
  const bool ok = ReadUntil("hourglassd: listening on ");
  if (out_.find("hourglassd: admin listening on ") != std::string::npos && admin_port_ == 0) {
    ReadUntil("hourglassd: admin listening on ");
  }
  ::close(out_fd_);
  out_fd_ = -1;
  if (!ok) {
    const std::string out = out_;
    Stop(SIGKILL);
    throw std::runtime_error("hourglassd did not start: " + out + Stderr());
  }
}

Daemon::~Daemon() {
  if (pid_ > 0) Stop(SIGKILL);
  if (out_fd_ >= 0) ::close(out_fd_);
  std::error_code ec;
  fs::remove(stderr_path_, ec);
}

int Daemon::Stop(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return ExitCode(status);
}

std::string Daemon::Stderr() const { return ReadFile(stderr_path_); }

int Daemon::RunToExit(const fs::path& config, std::string& stderr_text) {
  const fs::path err = config.parent_path() / "hourglassd.stderr";
  const pid_t pid = Spawn(config, err, -1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  stderr_text = ReadFile(err);
  return ExitCode(status);
}

std::string Answer::code() const {
  std::string_view c;
  if (root["error"]["code"].get(c) != simdjson::SUCCESS) return "";
  return std::string(c);
}

std::string Answer::Str(const char* key) const {
  std::string_view s;
  if (root[key].get(s) != simdjson::SUCCESS) {
    throw std::runtime_error(std::string("no string field ") + key + " in " + line);
  }
  return std::string(s);
}

int64_t Answer::Int(const char* key) const {
  int64_t v = 0;
  if (root[key].get(v) != simdjson::SUCCESS) {
    throw std::runtime_error(std::string("no integer field ") + key + " in " + line);
  }
  return v;
}

bool Answer::Flag(const char* key) const {
  bool v = false;
  return root[key].get(v) == simdjson::SUCCESS && v;
}

Client::Client(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

void Client::SendRaw(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send failed");
    sent += static_cast<size_t>(n);
  }
}

std::string Client::ReadLine(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("timed out waiting for an answer");
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) throw std::runtime_error("connection closed by the server");
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

bool Client::ClosedByServer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
    buffer_.append(buf, static_cast<size_t>(n));
  }
  return false;
}

Answer Client::Parse(const std::string& line) {
  Answer a;
  a.line = line;
  a.parser = std::make_unique<simdjson::dom::parser>();
  if (a.parser->parse(a.line).get(a.root) != simdjson::SUCCESS) {
    throw std::runtime_error("answer is not JSON: " + line);
  }
  return a;
}

}  // namespace hourglass::testing
