// Test support: a private PostgreSQL server per test, created with initdb in a
// temporary directory, listening on 127.0.0.1 on a free port, stopped and
// removed when the object goes. Tests run as root in CI, so the server
// binaries run as user postgres (runuser); as another user they run as that
// user. One thread uses a PgServer.
#ifndef HOURGLASS_TESTS_PG_HARNESS_H_
#define HOURGLASS_TESTS_PG_HARNESS_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hourglass::testing {

// A port nobody listens on right now (bound to port 0, then released).
uint16_t FreePort();

class PgServer {
 public:
  // The directory holding initdb and pg_ctl (the newest installed major
  // version), or "" when the PostgreSQL server is not installed.
  static std::filesystem::path BinDir();

  // initdb and start; throws std::runtime_error with the server log on failure.
  PgServer();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // pg_ctl stop -m fast / start again on the same port and data.
  void Stop();
  void Start();

  uint16_t port() const { return port_; }
  std::string conninfo() const;

  // Runs `sql` on a new connection; each row's columns joined by '|' (NULL
  // as "NULL"). Throws std::runtime_error on any error.
  std::vector<std::string> Query(const std::string& sql) const;
  // The first column of the only row, as an integer.
  int64_t QueryInt(const std::string& sql) const;

 private:
  int Run(const std::vector<std::string>& argv) const;
  std::string Log() const;

  std::filesystem::path bin_;
  std::filesystem::path dir_;  // socket, log; data/ below
  uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace hourglass::testing

#endif  // HOURGLASS_TESTS_PG_HARNESS_H_
