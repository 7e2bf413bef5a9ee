// The live map in a real browser: headless Chromium loads the page from the
// real hourglassd's admin listener (demo-shaped sample data, with orders
// routed first), and the test reads back the DOM the page built — the stores
// drawn, an explain query's candidates drawn — then keeps a screenshot as an
// artefact (build/map-test.png).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/daemon_harness.h"
#include "tests/http_client.h"

namespace hourglass::testing {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

// Runs `command` and returns what it wrote to stdout.
std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string Attribute(const std::string& dom, const std::string& name) {
  const std::string key = name + "=\"";
  const size_t at = dom.find(key);
  if (at == std::string::npos) return "";
  return dom.substr(at + key.size(), dom.find('"', at + key.size()) - at - key.size());
}

TEST(MapBrowserTest, ShowsTheStoresAndDrawsAnExplainQuerysCandidates) {
  if (::access(kChromium, X_OK) != 0) GTEST_SKIP() << "chromium is not installed (setup.sh)";
  const std::filesystem::path sample = HOURGLASS_SOURCE_DIR "/configs/sample";
  TempDir dir;
  const auto config =
      dir.Write("hourglass.toml", "[data]\nstores = \"" + (sample / "stores.csv").string() +
                                      "\"\nstock = \"" + (sample / "stock.csv").string() +
                                      "\"\ndir = \"var\"\n[admin]\nlisten = \"127.0.0.1:0\"\n");
  Daemon daemon(config);
  ASSERT_NE(daemon.admin_port(), 0);

  // Route and hold the sample orders, so the map has decisions to draw.
  Client client(daemon.port());
  std::ifstream orders(sample / "orders.ndjson");
  std::string line;
  int routed = 0;
  while (std::getline(orders, line)) {
    line.pop_back();  // the closing brace
    ASSERT_TRUE(client.Call(line + R"(,"reserve":true})").ok());
    ++routed;
  }
  ASSERT_EQ(routed, 200);

  // The explain query the page will run: a Shanghai order of two SKUs.
  const std::string query = "lat=31.2304&lon=121.4737&items=SKU-00001:1,SKU-00003:1";
  const HttpResult api = HttpGet(daemon.admin_port(), "/api/route?" + query);
  ASSERT_EQ(api.status, 200) << api.body;
  const size_t candidates = Count(api.body, "\"eligible\":");
  ASSERT_GT(candidates, 0u);

  const std::string url =
      "http://127.0.0.1:" + std::to_string(daemon.admin_port()) + "/?" + query + "&static=1";
  const std::string chromium = std::string(kChromium) +
                               " --headless --no-sandbox --disable-gpu --hide-scrollbars"
                               " --no-first-run --user-data-dir=" +
                               (dir.path() / "profile").string() +
                               " --window-size=1400,860 --virtual-time-budget=10000 ";
  const std::string dom = RunCommand(chromium + "--dump-dom '" + url + "' 2>/dev/null");
  ASSERT_NE(dom.find("data-ready=\"1\""), std::string::npos) << dom.substr(0, 2000);
  EXPECT_EQ(Attribute(dom, "data-stores"), "60");
  EXPECT_EQ(Count(dom, "class=\"store"), 60u);
  EXPECT_EQ(Attribute(dom, "data-decisions"), "200");
  EXPECT_EQ(Attribute(dom, "data-explain"),
            api.body.find("\"found\":true") != std::string::npos ? "found" : "not_found");
  EXPECT_EQ(Attribute(dom, "data-candidates"), std::to_string(candidates));
  EXPECT_EQ(Count(dom, "class=\"candidate "), candidates);
  EXPECT_EQ(Count(dom, "class=\"customer\""), 1u);
  EXPECT_GT(Count(dom, "class=\"land\""), 0u);

  const std::filesystem::path shot = HOURGLASS_ARTIFACT_DIR "/map-test.png";
  std::filesystem::remove(shot);
  RunCommand(chromium + "--screenshot=" + shot.string() + " '" + url + "' 2>/dev/null");
  ASSERT_TRUE(std::filesystem::exists(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 10'000u);
}

}  // namespace
}  // namespace hourglass::testing
