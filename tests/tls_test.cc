// TLS on the order and admin listeners, end to end through the real daemon with
// certificates made by the test (openssl CLI): route + reserve answered over
// TLS, a plain-TCP client refused without harming the TLS ones, mutual TLS,
// and clear start-up errors for a missing, unreadable or mismatched cert/key.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "io/tls_context.h"
#include "tests/daemon_harness.h"
#include "tests/http_client.h"
#include "tests/tls_harness.h"

namespace hourglass::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRoute =
    R"({"op":"route","order":"T-1","lat":31.2304,"lon":121.4737,"reserve":true,)"
    R"("items":[{"sku":"A","qty":2}]})";

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!MakeTestCertificates(dir_.path())) GTEST_SKIP() << "the openssl command is not available";
    dir_.Write("stores.csv", "store_id,lat,lon\nS-1,31.2304,121.4737\n");
    dir_.Write("stock.csv", "store_id,sku,on_hand\nS-1,A,10\n");
  }
  fs::path Config(const std::string& tls) {
    return dir_.Write("h.toml",
                      "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
                      "[tls]\n" +
                          tls);
  }
  std::string StartupError(const std::string& tls) {
    std::string err;
    EXPECT_EQ(Daemon::RunToExit(Config(tls), err), 2) << err;
    return err;
  }
  TempDir dir_;
};

TEST_F(TlsTest, RouteAndReserveOverTlsAndPlainClientsAreTurnedAway) {
  Daemon d(Config("cert = \"server.pem\"\nkey = \"server.key\"\n"));
  auto ctx = io::MakeClientTlsContext(dir_.path() / "ca.pem");
  TlsClient tls(d.port(), *ctx);
  EXPECT_TRUE(tls.Call(R"({"op":"ping"})").ok());
  const Answer held = tls.Call(kRoute);
  EXPECT_TRUE(held.Flag("reserved")) << held.line;
  EXPECT_EQ(held.Str("state"), "held");

  // A client speaking plain TCP gets no answer and is closed...
  Client plain(d.port());
  plain.Send(kRoute);
  EXPECT_TRUE(plain.ClosedByServer());
  // ...and the TLS client beside it is served as before; nothing was reserved twice.
  EXPECT_EQ(tls.Call(R"({"op":"commit","order":"T-1"})").Str("state"), "committed");
  EXPECT_EQ(tls.Call(R"({"op":"stock","store":"S-1","sku":"A"})").Int("on_hand"), 8);
  TlsClient second(d.port(), *ctx);
  EXPECT_TRUE(second.Call(kRoute).Flag("already"));

  // A client that does not trust the daemon's CA refuses the handshake itself.
  auto stranger = io::MakeClientTlsContext(dir_.path() / "client.pem");
  EXPECT_THROW(TlsClient(d.port(), *stranger), boost::system::system_error);
  EXPECT_TRUE(tls.Call(R"({"op":"ping"})").ok());

  // hourglass-bench speaks TLS too (exit 0: no transport error, no ok:false).
  const fs::path orders =
      dir_.Write("orders.ndjson",
                 R"({"op":"route","lat":31.2304,"lon":121.4737,"items":[{"sku":"A","qty":1}]})"
                 "\n");
  const std::string bench = std::string(HOURGLASS_BENCH_PATH) + " --port " +
                            std::to_string(d.port()) + " --orders " + orders.string() +
                            " --connections 2 --depth 4 --requests 400 --warmup-s 0 --tls-ca " +
                            (dir_.path() / "ca.pem").string() + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(bench.c_str()), 0) << bench;
  EXPECT_EQ(d.Stop(SIGTERM), 0) << d.Stderr();
  EXPECT_NE(d.Stderr().find("TLS on the order listener"), std::string::npos) << d.Stderr();
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  Daemon d(Config("cert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n"));
  auto with_cert = io::MakeClientTlsContext(dir_.path() / "ca.pem", dir_.path() / "client.pem",
                                            dir_.path() / "client.key");
  TlsClient ok(d.port(), *with_cert);
  EXPECT_TRUE(ok.Call(kRoute).Flag("reserved"));

  // Without a certificate the daemon ends the handshake (TLS 1.3 reports it
  // on the first read rather than in the handshake).
  auto without = io::MakeClientTlsContext(dir_.path() / "ca.pem");
  EXPECT_ANY_THROW({
    TlsClient anonymous(d.port(), *without);
    anonymous.Call(R"({"op":"ping"})");
  });
  EXPECT_EQ(ok.Call(R"({"op":"stock","store":"S-1","sku":"A"})").Int("reserved"), 2);
  EXPECT_EQ(d.Stop(SIGTERM), 0);
}

TEST_F(TlsTest, BadCertificateOrKeyStopsStartUpNamingTheFile) {
  EXPECT_NE(StartupError("cert = \"missing.pem\"\nkey = \"server.key\"\n")
                .find("[tls] cert: " + (dir_.path() / "missing.pem").string() + " does not exist"),
            std::string::npos);
  EXPECT_NE(StartupError("cert = \"server.pem\"\nkey = \"other.key\"\n")
                .find("does not belong to the certificate"),
            std::string::npos);
  dir_.Write("junk.pem", "not a certificate\n");
  EXPECT_NE(StartupError("cert = \"junk.pem\"\nkey = \"server.key\"\n")
                .find("junk.pem is not a PEM certificate"),
            std::string::npos);
  EXPECT_NE(StartupError("key = \"server.key\"\n").find("[tls] cert: is required with key"),
            std::string::npos);
  EXPECT_NE(StartupError("cert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"junk.pem\"\n")
                .find("client_ca"),
            std::string::npos);
  if (::geteuid() != 0) {  // root reads any file: an unreadable one cannot be made
    ::chmod((dir_.path() / "server.key").c_str(), 0);
    EXPECT_NE(StartupError("cert = \"server.pem\"\nkey = \"server.key\"\n").find("cannot be read"),
              std::string::npos);
  }
}

// With [tls], the admin listener speaks HTTPS with the same certificate; a
// plain HTTP client gets no answer, and HTTPS clients beside it are served.
TEST_F(TlsTest, AdminListenerSpeaksOnlyHttps) {
  const fs::path config =
      dir_.Write("h.toml",
                 "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
                 "[admin]\nlisten = \"127.0.0.1:0\"\n"
                 "[tls]\ncert = \"server.pem\"\nkey = \"server.key\"\n");
  Daemon d(config);
  ASSERT_NE(d.admin_port(), 0);
  const auto https_get = [&](const std::string& path) {
    // openssl s_client verifies the daemon's certificate against the test CA.
    const std::string cmd =
        "printf 'GET " + path + " HTTP/1.0\\r\\n\\r\\n' | openssl s_client -quiet " +
        "-verify_return_error -CAfile " + (dir_.path() / "ca.pem").string() +
        " -connect 127.0.0.1:" + std::to_string(d.admin_port()) + " 2>/dev/null";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    pclose(p);
    return out;
  };
  const std::string health = https_get("/healthz");
  EXPECT_NE(health.find("HTTP/1.0 200"), std::string::npos) << health;
  EXPECT_NE(health.find("ok"), std::string::npos) << health;
  EXPECT_EQ(HttpGet(d.admin_port(), "/healthz").status, 0);  // plain HTTP: no answer
  EXPECT_NE(https_get("/metrics").find("hourglass_"), std::string::npos);
  EXPECT_EQ(d.Stop(SIGTERM), 0) << d.Stderr();
}

}  // namespace
}  // namespace hourglass::testing
