#include "tests/pg_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hourglass::testing {
namespace fs = std::filesystem;

uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

fs::path PgServer::BinDir() {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (fs::exists(entry.path() / "bin" / "initdb") && fs::exists(entry.path() / "bin/pg_ctl")) {
      found.push_back(entry.path() / "bin");
    }
  }
  if (found.empty()) return {};
  // Version directories are numbers ("15"): the longest, then the largest.
  return *std::max_element(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    const std::string x = a.parent_path().filename(), y = b.parent_path().filename();
    return x.size() != y.size() ? x.size() < y.size() : x < y;
  });
}

PgServer::PgServer() : bin_(BinDir()) {
  if (bin_.empty()) throw std::runtime_error("PostgreSQL server binaries not found");
  std::string pattern = (fs::temp_directory_path() / "hourglass-pg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  // The server refuses to run as root: as root, everything runs as postgres.
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr || ::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("running as root, but cannot hand " + dir_.string() +
                               " to user postgres");
    }
  }
  try {
    port_ = FreePort();
    const int rc = Run({(bin_ / "initdb").string(), "-D", (dir_ / "data").string(), "-U",
                        "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"});
    if (rc != 0) throw std::runtime_error("initdb failed:\n" + Log());
    Start();
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

PgServer::~PgServer() {
  Stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void PgServer::Start() {
  const std::string options =
      "-p " + std::to_string(port_) + " -k " + dir_.string() + " -c listen_addresses=127.0.0.1";
  const int rc = Run({(bin_ / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-l",
                      (dir_ / "postgres.log").string(), "-w", "-o", options, "start"});
  if (rc != 0) throw std::runtime_error("pg_ctl start failed:\n" + Log());
  running_ = true;
}

void PgServer::Stop() {
  if (!running_) return;
  Run({(bin_ / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-w", "-m", "fast", "stop"});
  running_ = false;
}

int PgServer::Run(const std::vector<std::string>& argv) const {
  std::vector<std::string> full;
  if (::geteuid() == 0) full = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (std::string& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  const std::string out = (dir_ / "commands.log").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string PgServer::Log() const {
  std::stringstream s;
  for (const char* name : {"commands.log", "postgres.log"}) {
    std::ifstream in(dir_ / name);
    s << in.rdbuf();
  }
  return s.str();
}

std::string PgServer::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=postgres";
}

std::vector<std::string> PgServer::Query(const std::string& sql) const {
  PGconn* conn = PQconnectdb(conninfo().c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect: " + why);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
    const std::string why = PQerrorMessage(conn);
    PQclear(res);
    PQfinish(conn);
    throw std::runtime_error(sql + ": " + why);
  }
  std::vector<std::string> rows;
  for (int r = 0; r < PQntuples(res); ++r) {
    std::string row;
    for (int c = 0; c < PQnfields(res); ++c) {
      if (c > 0) row += '|';
      row += PQgetisnull(res, r, c) ? "NULL" : PQgetvalue(res, r, c);
    }
    rows.push_back(std::move(row));
  }
  PQclear(res);
  PQfinish(conn);
  return rows;
}

int64_t PgServer::QueryInt(const std::string& sql) const {
  const std::vector<std::string> rows = Query(sql);
  if (rows.size() != 1) throw std::runtime_error(sql + ": expected one row");
  return std::stoll(rows[0]);
}

}  // namespace hourglass::testing
