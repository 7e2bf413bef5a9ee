// The daemon's log through the real daemon: [log] format = "json" gives one
// valid JSON object per line with ts, level, event and msg; start, stop and
// reload lines say what they did; request sampling at rate 1 logs every
// request with op, outcome and latency, at 0 none; [log] level drops lower
// lines; [log] file is reopened on SIGUSR1 (logrotate).
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/daemon_harness.h"

namespace hourglass::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStores = "store_id,lat,lon\nS-1,31.2304,121.4737\n";
constexpr const char* kStock = "store_id,sku,on_hand\nS-1,A,10\n";
constexpr const char* kFound =
    R"({"op":"route","order":"O-1","reserve":true,"lat":31.2304,"lon":121.4737,"items":[{"sku":"A","qty":1}]})";
constexpr const char* kNotFound = R"({"op":"route","lat":0,"lon":0,"items":[{"sku":"A","qty":1}]})";
constexpr const char* kBad = R"({"op":"route","lat":95,"lon":0,"items":[{"sku":"A","qty":1}]})";
constexpr const char* kStock1 = R"({"op":"stock","store":"S-1","sku":"A"})";

// One parsed log line.
struct LogLine {
  std::string text;
  std::string event, level;
  simdjson::dom::element root;
  std::string Str(const char* key) const {
    std::string_view s;
    return root[key].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
  }
};

std::vector<const LogLine*> OfEvent(const std::vector<LogLine>& lines, const std::string& event) {
  std::vector<const LogLine*> out;
  for (const LogLine& l : lines) {
    if (l.event == event) out.push_back(&l);
  }
  return out;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class LogTest : public ::testing::Test {
 protected:
  fs::path Config(const std::string& log, const std::string& extra = "") {
    dir_.Write("stores.csv", kStores);
    dir_.Write("stock.csv", kStock);
    base_ = "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n" + extra +
            "[log]\n" + log;
    return dir_.Write("h.toml", base_);
  }
  // Every line of `text` parsed; a line that is not a JSON object with
  // ts, level, event and msg fails the test.
  std::vector<LogLine> Parse(const std::string& text) {
    std::vector<LogLine> out;
    std::stringstream s(text);
    for (std::string line; std::getline(s, line);) {
      // One parser per line: each line's DOM lives as long as the test.
      parsers_.push_back(std::make_unique<simdjson::dom::parser>());
      LogLine l;
      l.text = line;
      if (parsers_.back()->parse(line).get(l.root) != simdjson::SUCCESS || !l.root.is_object()) {
        ADD_FAILURE() << "not a JSON object: " << line;
        continue;
      }
      for (const char* key : {"ts", "level", "event", "msg"}) {
        if (l.Str(key).empty()) ADD_FAILURE() << "no string field " << key << ": " << line;
      }
      l.event = l.Str("event");
      l.level = l.Str("level");
      out.push_back(std::move(l));
    }
    return out;
  }

  TempDir dir_;
  std::string base_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers_;
};

TEST_F(LogTest, JsonLinesStartStopAndEverySampledRequest) {
  Daemon d(Config("format = \"json\"\nsample_requests = 1\n"));
  {
    Client c(d.port());
    EXPECT_TRUE(c.Call(kFound).Flag("found"));
    EXPECT_FALSE(c.Call(kNotFound).Flag("found"));
    EXPECT_EQ(c.Call(kBad).code(), "bad_request");
    EXPECT_EQ(c.Call(kStock1).Int("reserved"), 1);
  }
  ASSERT_EQ(d.Stop(SIGTERM), 0);
  const auto lines = Parse(d.Stderr());

  const auto start = OfEvent(lines, "start");
  ASSERT_EQ(start.size(), 1u) << d.Stderr();
  EXPECT_EQ(start[0]->level, "info");
  EXPECT_EQ(start[0]->Str("listen"), "127.0.0.1:" + std::to_string(d.port()));
  EXPECT_EQ(start[0]->root["stores"].get_int64().value(), 1);
  EXPECT_EQ(start[0]->root["stock_rows"].get_int64().value(), 1);
  EXPECT_EQ(start[0]->root["rules_version"].get_int64().value(), 1);

  const auto requests = OfEvent(lines, "request");
  ASSERT_EQ(requests.size(), 4u) << d.Stderr();
  const std::string expected[][3] = {{"route", "found", ""},
                                     {"route", "not_found", "no_store_in_range"},
                                     {"route", "error", "bad_request"},
                                     {"stock", "ok", ""}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(requests[i]->Str("op"), expected[i][0]) << requests[i]->text;
    EXPECT_EQ(requests[i]->Str("outcome"), expected[i][1]) << requests[i]->text;
    EXPECT_EQ(requests[i]->Str("reason"), expected[i][2]) << requests[i]->text;
    double latency = -1;
    EXPECT_EQ(requests[i]->root["latency_us"].get_double().get(latency), simdjson::SUCCESS)
        << requests[i]->text;
    EXPECT_GE(latency, 0);
  }
  EXPECT_EQ(requests[0]->Str("order"), "O-1");

  const auto stop = OfEvent(lines, "stop");
  ASSERT_EQ(stop.size(), 1u) << d.Stderr();
  EXPECT_EQ(stop[0]->Str("signal"), "TERM");
  EXPECT_EQ(stop[0]->root["last_seq"].get_int64().value(), 1);  // the one hold
  // The stop line is the last one.
  EXPECT_EQ(&lines.back(), stop[0]);
}

TEST_F(LogTest, SamplingAtZeroLogsNoRequest) {
  Daemon d(Config("format = \"json\"\nsample_requests = 0\n"));
  {
    Client c(d.port());
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(c.Call(kStock1).ok());
  }
  ASSERT_EQ(d.Stop(SIGTERM), 0);
  const auto lines = Parse(d.Stderr());
  EXPECT_EQ(OfEvent(lines, "request").size(), 0u) << d.Stderr();
  EXPECT_EQ(OfEvent(lines, "start").size(), 1u);
}

TEST_F(LogTest, TextFormatKeepsTheClassicLines) {
  Daemon d(Config("sample_requests = 1\n"));  // format defaults to text
  {
    Client c(d.port());
    EXPECT_TRUE(c.Call(R"({"op":"ping"})").ok());
  }
  ASSERT_EQ(d.Stop(SIGTERM), 0);
  const std::string log = d.Stderr();
  EXPECT_NE(log.find("hourglassd: loaded 1 stores, 1 SKUs, 1 stock rows from stock.csv"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("hourglassd: started: listening on 127.0.0.1:" + std::to_string(d.port())),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("hourglassd: request: op ping, ok, "), std::string::npos) << log;
  EXPECT_NE(log.find("hourglassd: stopped (Terminated)"), std::string::npos) << log;
  EXPECT_EQ(log.find('{'), std::string::npos) << log;
}

TEST_F(LogTest, ReloadLinesSayWhatChanged) {
  Daemon d(Config("format = \"json\"\n"));
  Client c(d.port());
  dir_.Write("h.toml", base_ + "[rules]\npromise_min = 45\n[rules.score]\neta = 1\n");
  ASSERT_TRUE(c.Call(R"({"op":"reload","dry_run":true})").ok());
  ASSERT_TRUE(c.Call(R"({"op":"reload"})").ok());
  ASSERT_TRUE(c.Call(R"({"op":"reload"})").ok());  // the same file again: nothing changes
  dir_.Write("h.toml", base_ + "[rules]\npromise_min = -1\n[limits]\nmax_items = 7\n");
  EXPECT_EQ(c.Call(R"({"op":"reload"})").code(), "reload_failed");
  dir_.Write("h.toml", base_ + "[rules]\npromise_min = 45\n[rules.score]\neta = 1\n" +
                           "[limits]\nmax_items = 7\n");
  ASSERT_TRUE(c.Call(R"({"op":"reload"})").ok());
  ASSERT_EQ(d.Stop(SIGTERM), 0);

  const auto lines = Parse(d.Stderr());
  const auto reloads = OfEvent(lines, "reload");
  ASSERT_EQ(reloads.size(), 5u) << d.Stderr();
  const auto changed = [](const LogLine* l) {
    std::vector<std::string> out;
    simdjson::dom::array a;
    if (l->root["changed"].get_array().get(a) == simdjson::SUCCESS) {
      for (auto e : a) out.emplace_back(e.get_string().value());
    }
    return out;
  };
  const std::vector<std::string> both = {"rules.promise_min 60 -> 45", "rules.score"};
  // The dry run says what would change and changes nothing.
  EXPECT_TRUE(reloads[0]->root["dry_run"].get_bool().value());
  EXPECT_EQ(changed(reloads[0]), both) << reloads[0]->text;
  EXPECT_NE(reloads[0]->Str("msg").find("would change: rules.promise_min 60 -> 45, rules.score"),
            std::string::npos)
      << reloads[0]->text;
  EXPECT_EQ(reloads[0]->root["rules_version"].get_int64().value(), 1);
  // The real one.
  EXPECT_FALSE(reloads[1]->root["dry_run"].get_bool().value());
  EXPECT_EQ(changed(reloads[1]), both);
  EXPECT_EQ(reloads[1]->root["rules_version"].get_int64().value(), 2);
  EXPECT_NE(reloads[1]->Str("msg").find("changed: rules.promise_min 60 -> 45, rules.score"),
            std::string::npos);
  EXPECT_EQ(reloads[1]->Str("by"), "reload op");
  // Nothing new.
  EXPECT_TRUE(changed(reloads[2]).empty());
  EXPECT_NE(reloads[2]->Str("msg").find("no rule changed"), std::string::npos);
  // A bad file: an error line with the reason.
  EXPECT_EQ(reloads[3]->level, "error");
  EXPECT_FALSE(reloads[3]->root["ok"].get_bool().value());
  EXPECT_NE(reloads[3]->Str("error").find("[rules] promise_min"), std::string::npos);
  // Keys only a restart applies.
  EXPECT_EQ(reloads[4]->root["restart_needed"].at(0).get_string().value(), "limits.max_items");
  EXPECT_TRUE(changed(reloads[4]).empty());
}

TEST_F(LogTest, LevelDropsLowerLines) {
  // warn: no info line, but the warning about listening beyond loopback stays.
  Daemon d(Config("format = \"json\"\nlevel = \"warn\"\nsample_requests = 1\n"), "0.0.0.0:0");
  {
    Client c(d.port());
    EXPECT_TRUE(c.Call(kStock1).ok());
  }
  ASSERT_EQ(d.Stop(SIGTERM), 0);
  const auto lines = Parse(d.Stderr());
  ASSERT_EQ(lines.size(), 1u) << d.Stderr();
  EXPECT_EQ(lines[0].level, "warn");
  EXPECT_EQ(lines[0].event, "insecure_listen");
}

TEST_F(LogTest, LogFileIsReopenedOnSigusr1) {
  Daemon d(Config("format = \"json\"\nfile = \"hourglassd.log\"\nsample_requests = 1\n"));
  const fs::path log = dir_.path() / "hourglassd.log";
  EXPECT_EQ(d.Stderr(), "");  // everything goes to the file
  EXPECT_EQ(OfEvent(Parse(Slurp(log)), "start").size(), 1u) << Slurp(log);

  // What logrotate does: move the file away, then signal.
  fs::rename(log, dir_.path() / "hourglassd.log.1");
  ::kill(d.pid(), SIGUSR1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!fs::exists(log) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fs::exists(log));
  {
    Client c(d.port());
    EXPECT_TRUE(c.Call(kStock1).ok());
  }
  ASSERT_EQ(d.Stop(SIGTERM), 0);
  const auto fresh = Parse(Slurp(log));
  EXPECT_EQ(OfEvent(fresh, "log_reopened").size(), 1u) << Slurp(log);
  EXPECT_EQ(OfEvent(fresh, "request").size(), 1u) << Slurp(log);
  EXPECT_EQ(OfEvent(fresh, "stop").size(), 1u) << Slurp(log);
  const auto old = Parse(Slurp(dir_.path() / "hourglassd.log.1"));
  EXPECT_EQ(OfEvent(old, "start").size(), 1u);
  EXPECT_EQ(OfEvent(old, "request").size(), 0u);
}

TEST_F(LogTest, BadLogConfigStopsStartUp) {
  std::string err;
  EXPECT_EQ(Daemon::RunToExit(Config("format = \"xml\"\n"), err), 2);
  EXPECT_NE(err.find("[log] format: must be \"text\" or \"json\""), std::string::npos) << err;
  EXPECT_EQ(Daemon::RunToExit(Config("level = \"loud\"\n"), err), 2);
  EXPECT_NE(err.find("[log] level: must be"), std::string::npos) << err;
  EXPECT_EQ(Daemon::RunToExit(Config("sample_requests = 2\n"), err), 2);
  EXPECT_NE(err.find("[log] sample_requests: must be within [0, 1]"), std::string::npos) << err;
  EXPECT_EQ(Daemon::RunToExit(Config("file = \"no/such/dir/h.log\"\n"), err), 2);
  EXPECT_NE(err.find("cannot open the log file ([log] file)"), std::string::npos) << err;
}

}  // namespace
}  // namespace hourglass::testing
