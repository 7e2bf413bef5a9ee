// Integration-test support: runs the real hourglassd binary on an ephemeral
// port with files written to a temporary directory, and talks to it over
// real TCP one line at a time.
#ifndef HOURGLASS_TESTS_DAEMON_HARNESS_H_
#define HOURGLASS_TESTS_DAEMON_HARNESS_H_

#include <simdjson.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace hourglass::testing {

// A fresh directory under /tmp, removed when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

class Daemon {
 public:
  // Starts hourglassd --config `config` --listen 127.0.0.1:0 and waits for
  // its "listening on" line. Throws std::runtime_error with its stderr if it
  // exits first.
  // `listen` picks a fixed address instead (a restart on the same port);
  // `data_dir` overrides [data] dir (--data-dir).
  // `until_admin`: return once the admin listener is up (before the data is
  // loaded); WaitListening() then waits for the protocol port.
  explicit Daemon(const std::filesystem::path& config, const std::string& listen = "127.0.0.1:0",
                  const std::string& data_dir = "", bool until_admin = false);
  ~Daemon();

  uint16_t port() const { return port_; }
  // The [admin] listener's port (0: the config has none).
  uint16_t admin_port() const { return admin_port_; }
  void WaitListening();
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits for the exit; returns the exit code (or 128 +
  // signal number when it died of a signal).
  int Stop(int signal);
  std::string Stderr() const;

  // Runs hourglassd to completion (for start-up failures); returns the exit
  // code and fills `stderr_text`.
  static int RunToExit(const std::filesystem::path& config, std::string& stderr_text);

 private:
  // Reads stdout until a line holding `marker`; false at exit or timeout.
  bool ReadUntil(const std::string& marker);

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  int out_fd_ = -1;
  std::string out_;
  std::filesystem::path stderr_path_;
};

// One parsed answer line.
struct Answer {
  std::string line;
  std::unique_ptr<simdjson::dom::parser> parser;
  simdjson::dom::element root;

  bool ok() const { return root["ok"].get_bool().value(); }
  std::string code() const;  // error.code, or "" when ok
  std::string Str(const char* key) const;
  int64_t Int(const char* key) const;
  bool Has(const char* key) const { return root[key].error() == simdjson::SUCCESS; }
  bool Flag(const char* key) const;  // a boolean field; false when absent
};

class Client {
 public:
  explicit Client(uint16_t port);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends bytes as they are (add '\n' yourself) / a line plus '\n'.
  void SendRaw(const std::string& bytes);
  void Send(const std::string& line) { SendRaw(line + "\n"); }
  // The next answer line; throws on timeout or when the server closed.
  std::string ReadLine(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Answer Call(const std::string& line) {
    Send(line);
    return Parse(ReadLine());
  }
  // True when the server closes the connection within `timeout` (after any
  // unread answers).
  bool ClosedByServer(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  static Answer Parse(const std::string& line);

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace hourglass::testing

#endif  // HOURGLASS_TESTS_DAEMON_HARNESS_H_
