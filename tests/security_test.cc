// Access by role through the real daemon: with [security] tokens configured a
// connection authenticates first and may use only its role's ops.
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/daemon_harness.h"

namespace hourglass::testing {
namespace {

constexpr const char* kStores = "store_id,lat,lon\nS-1,31.2304,121.4737\n";
constexpr const char* kStock = "store_id,sku,on_hand\nS-1,A,10\n";
constexpr const char* kOrderToken = "order-token-0123456789";
constexpr const char* kOpsToken = "ops-token-abcdefghijkl";
constexpr const char* kRoute =
    R"({"op":"route","lat":31.2304,"lon":121.4737,"items":[{"sku":"A","qty":1}]})";
constexpr const char* kStockSet = R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":7})";
constexpr const char* kStock1 = R"({"op":"stock","store":"S-1","sku":"A"})";

std::string Auth(const std::string& token) { return R"({"op":"auth","token":")" + token + "\"}"; }

class SecurityTest : public ::testing::Test {
 protected:
  std::filesystem::path Config(const std::string& extra) {
    dir_.Write("stores.csv", kStores);
    dir_.Write("stock.csv", kStock);
    return dir_.Write(
        "h.toml",
        "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n" + extra);
  }
  std::string Tokens() {
    return std::string("[[security.tokens]]\ntoken = \"") + kOrderToken +
           "\"\nrole = \"order\"\n[[security.tokens]]\ntoken = \"" + kOpsToken +
           "\"\nrole = \"ops\"\n";
  }
  TempDir dir_;
};

TEST_F(SecurityTest, EachRoleUsesOnlyItsOps) {
  Daemon d(Config(Tokens()));
  Client anon(d.port());
  EXPECT_TRUE(anon.Call(R"({"op":"ping"})").ok());
  EXPECT_EQ(anon.Call(kRoute).code(), "unauthorized");
  EXPECT_EQ(anon.Call(kStockSet).code(), "unauthorized");
  EXPECT_EQ(anon.Call(Auth("order-token-0123456788")).code(), "unauthorized");  // one byte off
  EXPECT_EQ(anon.Call(Auth("order-token")).code(), "unauthorized");             // a prefix
  EXPECT_EQ(anon.Call(kRoute).code(), "unauthorized");                          // still not in

  Client order(d.port());
  const Answer in = order.Call(Auth(kOrderToken));
  ASSERT_TRUE(in.ok()) << in.line;
  EXPECT_EQ(in.Str("role"), "order");
  EXPECT_TRUE(order.Call(kRoute).Flag("found"));
  EXPECT_EQ(order.Call(kStock1).Int("on_hand"), 10);
  for (const char* line :
       {kStockSet, R"({"op":"reload"})", R"({"op":"subscribe","name":"x","from":1})",
        R"({"op":"store.remove","store":"S-1"})"}) {
    const Answer a = order.Call(line);
    EXPECT_EQ(a.code(), "forbidden") << line << " -> " << a.line;
  }
  EXPECT_EQ(order.Call(kStock1).Int("on_hand"), 10);  // nothing changed

  Client ops(d.port());
  ASSERT_EQ(ops.Call(Auth(kOpsToken)).Str("role"), "ops");
  EXPECT_TRUE(ops.Call(kStockSet).ok());
  EXPECT_EQ(ops.Call(kRoute).code(), "forbidden");
  EXPECT_EQ(order.Call(kStock1).Int("on_hand"), 7);
  // The role belongs to the connection: a new one starts with none.
  Client fresh(d.port());
  EXPECT_EQ(fresh.Call(kRoute).code(), "unauthorized");
  EXPECT_EQ(d.Stop(SIGTERM), 0);
}

TEST_F(SecurityTest, WithoutTokensEverythingIsOpenAndAuthSaysSo) {
  Daemon d(Config(""));
  Client c(d.port());
  EXPECT_TRUE(c.Call(kRoute).Flag("found"));
  EXPECT_TRUE(c.Call(kStockSet).ok());
  EXPECT_EQ(c.Call(Auth("anything-at-all-here")).Str("role"), "all");
}

TEST_F(SecurityTest, ListeningBeyondLoopbackWithoutTokensIsWarned) {
  Daemon open(Config(""), "0.0.0.0:0");
  EXPECT_NE(open.Stderr().find("warning: listening on 0.0.0.0 without [security] tokens"),
            std::string::npos)
      << open.Stderr();
  open.Stop(SIGTERM);
  Daemon guarded(Config(Tokens()), "0.0.0.0:0");
  EXPECT_EQ(guarded.Stderr().find("warning:"), std::string::npos) << guarded.Stderr();
}

TEST_F(SecurityTest, BadTokenConfigStopsStartUp) {
  std::string err;
  EXPECT_EQ(
      Daemon::RunToExit(Config("[[security.tokens]]\ntoken = \"short\"\nrole = \"order\"\n"), err),
      2);
  EXPECT_NE(err.find("[security.tokens] token: is required: a string of 16 to 256 bytes"),
            std::string::npos)
      << err;
  EXPECT_EQ(
      Daemon::RunToExit(
          Config("[[security.tokens]]\ntoken = \"0123456789abcdef\"\nrole = \"root\"\n"), err),
      2);
  EXPECT_NE(err.find("role: must be \"order\" or \"ops\""), std::string::npos) << err;
}

}  // namespace
}  // namespace hourglass::testing
