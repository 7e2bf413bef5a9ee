// The hourglass CLI, run as a subprocess against the real daemon over real
// TCP: every command's table and --json output, and the exit codes scripts
// rely on (0 done, 1 refused / not found, 2 usage, 3 cannot connect, 4 auth).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/daemon_harness.h"
#include "tests/tls_harness.h"

namespace hourglass::testing {
namespace {

namespace fs = std::filesystem;

// S-1 in Shanghai has A and B; S-2 (2 km away) has only A.
constexpr const char* kStores = "store_id,lat,lon\nS-1,31.2304,121.4737\nS-2,31.2404,121.4837\n";
constexpr const char* kStock = "store_id,sku,on_hand\nS-1,A,10\nS-1,B,4\nS-2,A,3\n";
constexpr const char* kOrderToken = "order-token-0123456789";
constexpr const char* kOpsToken = "ops-token-abcdefghijkl";

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs build/bin/hourglass with `args` and the extra environment `env`
// ("NAME=value"); kills it after 60 s so a hang fails the test.
CliRun Cli(const TempDir& dir, const std::vector<std::string>& args,
           const std::vector<std::string>& env = {}) {
  const fs::path out = dir.path() / "cli.out";
  const fs::path err = dir.path() / "cli.err";
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* o = std::fopen(out.c_str(), "w");
    std::FILE* e = std::fopen(err.c_str(), "w");
    ::dup2(::fileno(o), 1);
    ::dup2(::fileno(e), 2);
    ::unsetenv("HOURGLASS_TOKEN");
    ::unsetenv("HOURGLASS_CONNECT");
    for (const std::string& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> argv{const_cast<char*>("hourglass")};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(HOURGLASS_CLI_PATH, argv.data());
    ::_exit(127);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "hourglass did not finish: " << Slurp(err);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::stringstream s(line);
  for (std::string w; s >> w;) words.push_back(w);
  return words;
}

// The table row whose first cell is `key` (or whose cell `column` is).
std::vector<std::string> RowOf(const std::string& out, const std::string& key, size_t column = 0) {
  for (const std::string& line : Lines(out)) {
    const auto w = Words(line);
    if (w.size() > column && w[column] == key) return w;
  }
  return {};
}

class CliTest : public ::testing::Test {
 protected:
  void Start(const std::string& extra = "") {
    dir_.Write("stores.csv", kStores);
    dir_.Write("stock.csv", kStock);
    config_ = dir_.Write(
        "h.toml",
        "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n" + extra);
    daemon_ = std::make_unique<Daemon>(config_);
  }
  CliRun Hg(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--connect", "127.0.0.1:" + std::to_string(daemon_->port())});
    return Cli(dir_, args, env);
  }
  static Answer Json(const CliRun& r) {
    const auto lines = Lines(r.out);
    EXPECT_EQ(lines.size(), 1u) << r.out;
    return Client::Parse(lines.empty() ? "" : lines[0]);
  }

  TempDir dir_;
  fs::path config_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(CliTest, RouteAsTableAndJson) {
  Start();
  const CliRun table =
      Hg({"route", "--lat", "31.2304", "--lon", "121.4737", "-i", "A:2", "-i", "B"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("found: promise express"), std::string::npos) << table.out;
  const auto header = Words(Lines(table.out).at(1));
  EXPECT_EQ(header.at(0), "STORE");
  EXPECT_EQ(header.at(1), "ROLE");
  const auto row = RowOf(table.out, "S-1");
  ASSERT_GE(row.size(), 5u) << table.out;
  EXPECT_EQ(row[1], "delivery");
  EXPECT_NE(table.out.find("A×2"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("B×1"), std::string::npos) << table.out;

  const CliRun json = Hg({"--json", "route", "--lat", "31.2304", "--lon", "121.4737", "-i", "A:2"});
  EXPECT_EQ(json.code, 0) << json.err;
  const Answer a = Json(json);
  EXPECT_TRUE(a.Flag("found"));
  EXPECT_EQ(a.root["plan"].at(0)["store"].get_string().value(), "S-1");
  // Global options may come after the command too.
  EXPECT_EQ(Hg({"route", "--json", "--lat", "31.2304", "--lon", "121.4737", "-i", "A"}).code, 0);

  // Not found is exit 1, with the reason.
  const CliRun far = Hg({"route", "--lat", "0", "--lon", "0", "-i", "A"});
  EXPECT_EQ(far.code, 1);
  EXPECT_NE(far.out.find("not found: no_store_in_range"), std::string::npos) << far.out;
  const CliRun far_json = Hg({"--json", "route", "--lat", "0", "--lon", "0", "-i", "A"});
  EXPECT_EQ(far_json.code, 1);
  EXPECT_EQ(Json(far_json).Str("reason"), "no_store_in_range");
}

TEST_F(CliTest, ReserveCommitReleaseAndStock) {
  Start();
  const CliRun held = Hg({"route", "--lat", "31.2304", "--lon", "121.4737", "-i", "A:3", "--order",
                          "O-1", "--reserve", "--ttl-s", "600"});
  EXPECT_EQ(held.code, 0) << held.err;
  EXPECT_NE(held.out.find("order O-1 found"), std::string::npos) << held.out;
  EXPECT_NE(held.out.find("held, expires in 600 s"), std::string::npos) << held.out;

  const CliRun stock = Hg({"stock", "S-1", "A"});
  EXPECT_EQ(stock.code, 0) << stock.err;
  EXPECT_EQ(Words(Lines(stock.out).at(0)),
            (std::vector<std::string>{"STORE", "SKU", "ON_HAND", "RESERVED", "AVAILABLE"}));
  EXPECT_EQ(RowOf(stock.out, "S-1"), (std::vector<std::string>{"S-1", "A", "10", "3", "7"}));
  // Numbers are right-aligned under their header.
  const auto lines = Lines(stock.out);
  EXPECT_EQ(lines.at(0).find("AVAILABLE") + 9, lines.at(1).size()) << stock.out;

  const CliRun commit = Hg({"commit", "O-1"});
  EXPECT_EQ(commit.code, 0) << commit.err;
  EXPECT_EQ(commit.out, "order O-1: committed\n");
  EXPECT_EQ(Hg({"commit", "O-1"}).out, "order O-1: committed (already)\n");
  const CliRun release = Hg({"release", "O-1"});
  EXPECT_EQ(release.code, 1);
  EXPECT_NE(release.err.find("order_committed"), std::string::npos) << release.err;
  const CliRun unknown = Hg({"--json", "commit", "O-404"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(Json(unknown).code(), "unknown_order");
  EXPECT_NE(unknown.err.find("unknown_order"), std::string::npos);

  const CliRun json = Hg({"--json", "stock", "S-1", "A"});
  EXPECT_EQ(json.code, 0);
  EXPECT_EQ(Json(json).Int("on_hand"), 7);
  EXPECT_EQ(Hg({"stock", "S-404", "A"}).code, 1);

  const CliRun set = Hg({"stock-set", "S-2", "A", "25"});
  EXPECT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(RowOf(set.out, "S-2"), (std::vector<std::string>{"S-2", "A", "25", "0", "25"}));
  EXPECT_EQ(Json(Hg({"--json", "stock", "S-2", "A"})).Int("on_hand"), 25);
  const CliRun as_of = Hg({"stock-set", "S-1", "A", "20", "--as-of-seq", "1"});
  EXPECT_EQ(as_of.code, 0) << as_of.err;
  EXPECT_EQ(Words(Lines(as_of.out).at(0)).back(), "DEDUCTED");
}

TEST_F(CliTest, ExplainListsCandidatesWithVerdicts) {
  Start();
  const CliRun r = Hg({"explain", "--lat", "31.2304", "--lon", "121.4737", "-i", "A", "-i", "B"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("candidates, in the order they rank:"), std::string::npos) << r.out;
  const auto winner = RowOf(r.out, "1");
  ASSERT_GE(winner.size(), 3u) << r.out;
  EXPECT_EQ(winner[1], "S-1");
  // S-2 lacks B: not eligible, with why.
  const auto loser = RowOf(r.out, "S-2");
  ASSERT_FALSE(loser.empty()) << r.out;
  EXPECT_EQ(loser[1], "no");
  EXPECT_NE(r.out.find("missing: B×1"), std::string::npos) << r.out;

  const CliRun json = Hg({"--json", "explain", "--lat", "31.2304", "--lon", "121.4737", "-i", "B"});
  EXPECT_EQ(json.code, 0);
  EXPECT_EQ(Json(json).root["candidates"].get_array().size(), 2u);
}

TEST_F(CliTest, ReloadAndDryRun) {
  Start();
  std::string base = Slurp(config_);
  // The order history feeds the dry run.
  EXPECT_EQ(Hg({"route", "--lat", "31.2404", "--lon", "121.4837", "-i", "A"}).code, 0);
  dir_.Write("h.toml", base + "[rules]\npromise_min = 1\n");
  const CliRun dry = Hg({"reload", "--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry.err;
  EXPECT_NE(dry.out.find("valid; would replace rules version 1"), std::string::npos) << dry.out;
  const auto counts = Words(Lines(dry.out).at(2));
  EXPECT_EQ(counts, (std::vector<std::string>{"1", "0", "1", "0", "0"})) << dry.out;
  EXPECT_NE(dry.out.find("ORDER  BEFORE  AFTER"), std::string::npos) << dry.out;

  const CliRun real = Hg({"reload"});
  EXPECT_EQ(real.code, 0) << real.err;
  EXPECT_EQ(real.out, "in force: rules version 2\n");
  const CliRun json = Hg({"--json", "reload"});
  EXPECT_EQ(Json(json).Int("rules_version"), 3);

  dir_.Write("h.toml", base + "[rules]\npromise_min = -5\n");
  const CliRun bad = Hg({"reload"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("reload_failed"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("[rules] promise_min"), std::string::npos) << bad.err;
}

TEST_F(CliTest, TailPrintsEventsAndAcks) {
  Start();
  ASSERT_EQ(Hg({"route", "--lat", "31.2304", "--lon", "121.4737", "-i", "A", "--order", "O-1",
                "--reserve"})
                .code,
            0);
  ASSERT_EQ(Hg({"commit", "O-1"}).code, 0);
  ASSERT_EQ(Hg({"stock-set", "S-2", "A", "9"}).code, 0);

  const CliRun table = Hg({"tail", "--name", "ops", "--from", "1", "--count", "3"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.err.find("following the event stream as \"ops\" from seq 1"), std::string::npos)
      << table.err;
  const auto lines = Lines(table.out);
  ASSERT_EQ(lines.size(), 4u) << table.out;
  EXPECT_EQ(Words(lines[0]).at(0), "SEQ");
  EXPECT_EQ(Words(lines[1]).at(0), "1");
  EXPECT_EQ(Words(lines[1]).at(2), "reserved");
  EXPECT_EQ(Words(lines[1]).at(3), "O-1");
  EXPECT_EQ(Words(lines[2]).at(2), "committed");
  EXPECT_EQ(Words(lines[3]).at(2), "stock_set");

  // It acked seq 3 under "ops": without --from the next tail resumes at 4.
  ASSERT_EQ(Hg({"stock-set", "S-2", "A", "8"}).code, 0);
  const CliRun resumed = Hg({"--json", "tail", "--name", "ops", "--count", "1"});
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  const Answer event = Json(resumed);
  EXPECT_EQ(event.Int("seq"), 4);
  EXPECT_EQ(event.Str("type"), "stock_set");
  EXPECT_EQ(event.Int("on_hand"), 8);

  // --no-ack leaves the position where it was (a new name starts before --from).
  ASSERT_EQ(Hg({"tail", "--name", "peek", "--from", "2", "--count", "2", "--no-ack"}).code, 0);
  EXPECT_EQ(Json(Hg({"--json", "tail", "--name", "peek", "--count", "1"})).Int("seq"), 2);
}

TEST_F(CliTest, BadUsageExitsTwoWithAMessage) {
  Start();
  const CliRun none = Hg({});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("A subcommand is required"), std::string::npos) << none.err;
  const CliRun unknown = Hg({"frobnicate"});
  EXPECT_EQ(unknown.code, 2);
  const CliRun no_item = Hg({"route", "--lat", "31.2", "--lon", "121.4"});
  EXPECT_EQ(no_item.code, 2);
  EXPECT_NE(no_item.err.find("--item is required"), std::string::npos) << no_item.err;
  const CliRun no_order = Hg({"route", "--lat", "31.2", "--lon", "121.4", "-i", "A", "--reserve"});
  EXPECT_EQ(no_order.code, 2);
  EXPECT_NE(no_order.err.find("--order"), std::string::npos) << no_order.err;
  const CliRun bad_qty = Hg({"route", "--lat", "31.2", "--lon", "121.4", "-i", "A:zero"});
  EXPECT_EQ(bad_qty.code, 2);
  EXPECT_NE(bad_qty.err.find("expected SKU or SKU:QTY"), std::string::npos) << bad_qty.err;
  const CliRun not_number = Hg({"stock-set", "S-1", "A", "lots"});
  EXPECT_EQ(not_number.code, 2);
  EXPECT_NE(not_number.err.find("on_hand"), std::string::npos) << not_number.err;
  // The daemon's bad_request is a usage error too, with its message.
  const CliRun lat = Hg({"route", "--lat", "95", "--lon", "121.4", "-i", "A"});
  EXPECT_EQ(lat.code, 2);
  EXPECT_NE(lat.err.find("bad_request: lat must be within [-90, 90]"), std::string::npos)
      << lat.err;
  EXPECT_EQ(Hg({"stock", "S-1", "A"}).code, 0);  // nothing broke
  EXPECT_EQ(Hg({"--help"}).code, 0);
}

TEST(CliConnectTest, CannotConnectExitsThree) {
  TempDir dir;
  // A port nobody listens on: bound, then closed.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  const std::string where = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  const CliRun r = Cli(dir, {"--connect", where, "stock", "S-1", "A"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("cannot connect to " + where), std::string::npos) << r.err;
  EXPECT_EQ(Cli(dir, {"--connect", "nonsense", "stock", "S-1", "A"}).code, 3);
  // HOURGLASS_CONNECT sets the address too.
  EXPECT_EQ(Cli(dir, {"stock", "S-1", "A"}, {"HOURGLASS_CONNECT=" + where}).code, 3);
}

TEST_F(CliTest, TokensAndRoles) {
  Start(std::string("[[security.tokens]]\ntoken = \"") + kOrderToken +
        "\"\nrole = \"order\"\n[[security.tokens]]\ntoken = \"" + kOpsToken +
        "\"\nrole = \"ops\"\n");
  const CliRun anon = Hg({"stock", "S-1", "A"});
  EXPECT_EQ(anon.code, 4);
  EXPECT_NE(anon.err.find("unauthorized"), std::string::npos) << anon.err;
  EXPECT_NE(anon.err.find("HOURGLASS_TOKEN"), std::string::npos) << anon.err;
  const CliRun wrong = Hg({"--token", "order-token-0123456788", "stock", "S-1", "A"});
  EXPECT_EQ(wrong.code, 4);
  EXPECT_NE(wrong.err.find("refused the token"), std::string::npos) << wrong.err;
  EXPECT_EQ(Hg({"--token", kOrderToken, "stock", "S-1", "A"}).code, 0);
  const CliRun env = Hg({"stock", "S-1", "A"}, {std::string("HOURGLASS_TOKEN=") + kOrderToken});
  EXPECT_EQ(env.code, 0) << env.err;
  const CliRun forbidden = Hg({"reload"}, {std::string("HOURGLASS_TOKEN=") + kOrderToken});
  EXPECT_EQ(forbidden.code, 4);
  EXPECT_NE(forbidden.err.find("forbidden"), std::string::npos) << forbidden.err;
  EXPECT_EQ(Hg({"reload"}, {std::string("HOURGLASS_TOKEN=") + kOpsToken}).code, 0);
}

TEST_F(CliTest, StatsShowsTheDaemonsFigures) {
  Start();
  ASSERT_EQ(Hg({"route", "--lat", "31.2304", "--lon", "121.4737", "-i", "A", "--order", "O-1",
                "--reserve"})
                .code,
            0);
  ASSERT_EQ(Hg({"route", "--lat", "0", "--lon", "0", "-i", "A"}).code, 1);
  const CliRun table = Hg({"stats"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(Words(Lines(table.out).at(0)), (std::vector<std::string>{"KEY", "VALUE"}));
  EXPECT_EQ(RowOf(table.out, "rules_version"), (std::vector<std::string>{"rules_version", "1"}))
      << table.out;
  EXPECT_EQ(RowOf(table.out, "stores"), (std::vector<std::string>{"stores", "2"})) << table.out;
  EXPECT_EQ(RowOf(table.out, "journal.last_seq"),
            (std::vector<std::string>{"journal.last_seq", "1"}))
      << table.out;
  EXPECT_EQ(RowOf(table.out, "routes.not_found.no_store_in_range"),
            (std::vector<std::string>{"routes.not_found.no_store_in_range", "1"}))
      << table.out;
  // --json: the answer line as it came.
  const CliRun json = Hg({"--json", "stats"});
  EXPECT_EQ(json.code, 0) << json.err;
  const Answer a = Json(json);
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(a.Int("rules_version"), 1);
  EXPECT_EQ(a.root["journal"]["last_seq"].get_int64().value(), 1);
}

TEST_F(CliTest, SpeaksTls) {
  if (!MakeTestCertificates(dir_.path())) GTEST_SKIP() << "the openssl command is missing";
  const std::string ca = (dir_.path() / "ca.pem").string();
  Start(TlsTable(dir_.path()));
  const CliRun tls = Hg({"--tls-ca", ca, "stock", "S-1", "A"});
  EXPECT_EQ(tls.code, 0) << tls.err;
  EXPECT_EQ(RowOf(tls.out, "S-1"), (std::vector<std::string>{"S-1", "A", "10", "0", "10"}));
  const CliRun reserve = Hg({"--tls-ca", ca, "route", "--lat", "31.2304", "--lon", "121.4737", "-i",
                             "A", "--order", "O-1", "--reserve"});
  EXPECT_EQ(reserve.code, 0) << reserve.err;
  // tail over TLS: the ack reaches the daemon before the CLI exits.
  EXPECT_EQ(Hg({"--tls-ca", ca, "tail", "--name", "t", "--from", "1", "--count", "1"}).code, 0);
  EXPECT_EQ(Hg({"--tls-ca", ca, "stock-set", "S-1", "A", "12"}).code, 0);
  const CliRun resumed = Hg({"--tls-ca", ca, "--json", "tail", "--name", "t", "--count", "1"});
  EXPECT_EQ(Json(resumed).Int("seq"), 2) << resumed.err;

  // Plain TCP to a TLS listener: the daemon closes; a CA that did not sign it: refused.
  const CliRun plain = Hg({"stock", "S-1", "A"});
  EXPECT_EQ(plain.code, 3) << plain.err;
  const CliRun untrusted = Hg({"--tls", "stock", "S-1", "A"});
  EXPECT_EQ(untrusted.code, 3);
  EXPECT_NE(untrusted.err.find("TLS handshake with"), std::string::npos) << untrusted.err;
  const CliRun missing = Hg({"--tls-ca", (dir_.path() / "none.pem").string(), "stock", "S-1", "A"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_EQ(
      Hg({"--tls-ca", ca, "--tls-cert", (dir_.path() / "client.pem").string(), "stock", "S-1", "A"})
          .code,
      2);  // --tls-cert needs --tls-key
}

TEST_F(CliTest, MutualTlsNeedsTheClientCertificate) {
  if (!MakeTestCertificates(dir_.path())) GTEST_SKIP() << "the openssl command is missing";
  const std::string ca = (dir_.path() / "ca.pem").string();
  Start(TlsTable(dir_.path()) + "client_ca = \"" + ca + "\"\n");
  const CliRun without = Hg({"--tls-ca", ca, "stock", "S-1", "A"});
  EXPECT_EQ(without.code, 3) << without.out;
  const CliRun with = Hg({"--tls-ca", ca, "--tls-cert", (dir_.path() / "client.pem").string(),
                          "--tls-key", (dir_.path() / "client.key").string(), "stock", "S-1", "A"});
  EXPECT_EQ(with.code, 0) << with.err;
  EXPECT_EQ(RowOf(with.out, "S-1").at(2), "10");
}

}  // namespace
}  // namespace hourglass::testing
