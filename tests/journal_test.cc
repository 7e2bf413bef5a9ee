// Durability through the real daemon: restarts keep every confirmed change,
// torn tails are dropped, damage stops start-up, the event stream resumes,
// and kill -9 at random points loses nothing that was acknowledged.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/crc.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/daemon_harness.h"

namespace hourglass::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStores =
    "store_id,lat,lon\n"
    "S-1,31.2304,121.4737\nS-2,31.2350,121.4800\nS-3,31.2250,121.4700\n";
constexpr const char* kStock =
    "store_id,sku,on_hand\n"
    "S-1,A,10\nS-1,H,1000000\nS-2,A,10\nS-2,H,1000000\nS-3,H,1000000\n";
// Units of H per store: enough that the crash test never runs out.
constexpr int64_t kHotUnits = 1000000;
constexpr const char* kConfig =
    "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
    "[journal]\nsync = \"always\"\nsegment_bytes = 65536\n";
// Checkpoints every few hundred records, so tests see snapshots and dropped segments.
constexpr const char* kCheckpointConfig =
    "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
    "[journal]\nsync = \"always\"\nsegment_bytes = 65536\nsnapshot_every_records = 200\n"
    "max_retained_bytes = 1048576\n";

std::string Reserve(const std::string& order, const std::string& sku, int qty) {
  return R"({"op":"route","order":")" + order +
         R"(","lat":31.2304,"lon":121.4737,"reserve":true,"items":[{"sku":")" + sku +
         R"(","qty":)" + std::to_string(qty) + "}]}";
}
std::string Op(const std::string& op, const std::string& order) {
  return R"({"op":")" + op + R"(","order":")" + order + "\"}";
}
std::string StockOf(const std::string& store, const std::string& sku) {
  return R"({"op":"stock","store":")" + store + R"(","sku":")" + sku + R"("})";
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("stores.csv", kStores);
    dir_.Write("stock.csv", kStock);
    config_ = dir_.Write("hourglass.toml", kConfig);
  }
  fs::path JournalDir() const { return dir_.path() / "var" / "journal"; }
  fs::path LastSegment() const {
    std::vector<fs::path> segs;
    for (const auto& e : fs::directory_iterator(JournalDir())) segs.push_back(e.path());
    std::sort(segs.begin(), segs.end());
    return segs.back();
  }

  TempDir dir_;
  fs::path config_;
};

// The daemon's own measure of the latency the journal adds: every answer that
// carried a change is counted, and with sync=always each waited at least the
// (injected) write delay, while with sync=none none waited for it.
double LoggedHoldUs(const std::string& log, const std::string& what, int64_t& count,
                    const std::string& line = "answers waited for the journal") {
  const auto at = log.find(line);
  if (at == std::string::npos) return -1;
  const auto line_start = log.rfind('\n', at) + 1;
  count = std::stoll(log.substr(log.find("journal: ", line_start) + 9));
  const auto q = log.find(what + " ", at);
  return std::stod(log.substr(q + what.size() + 1));
}

TEST_F(JournalTest, DaemonMeasuresHowLongAnswersWaitedForTheJournal) {
  for (const std::string sync : {"always", "none"}) {
    TempDir dir;
    dir.Write("stores.csv", kStores);
    dir.Write("stock.csv", kStock);
    const auto config =
        dir.Write("h.toml",
                  "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
                  "[journal]\nsync = \"" +
                      sync + "\"\n");
    ::setenv("HOURGLASS_FAULT_JOURNAL_DELAY_MS", "40", 1);
    Daemon d(config);
    ::unsetenv("HOURGLASS_FAULT_JOURNAL_DELAY_MS");
    Client c(d.port());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(c.Call(Reserve("W-" + std::to_string(i), "H", 1)).Flag("found"));
    }
    ASSERT_TRUE(c.Call(Op("commit", "W-0")).ok());
    ASSERT_TRUE(c.Call(R"({"op":"ping"})").ok());  // no change: not counted
    ASSERT_EQ(d.Stop(SIGTERM), 0);
    int64_t count = 0;
    const double p50 = LoggedHoldUs(d.Stderr(), "p50", count);
    const double max = LoggedHoldUs(d.Stderr(), "max", count);
    ASSERT_GE(p50, 0) << d.Stderr();
    EXPECT_EQ(count, 6) << sync << ": " << d.Stderr();
    if (sync == "always") {
      EXPECT_GE(p50, 40000) << d.Stderr();
      // The journal's own measure: each of the 6 records waited for its write.
      int64_t records = 0;
      EXPECT_GE(LoggedHoldUs(d.Stderr(), "p50", records, "records acknowledged"), 40000);
      EXPECT_EQ(records, 6);
    } else {
      EXPECT_LT(max, 40000) << d.Stderr();
    }
  }
}

// The wall clock jumping a day forward or back neither expires holds early
// nor keeps them forever: deadlines run on the monotonic clock.
TEST_F(JournalTest, WallClockJumpsNeitherMassExpireNorFreezeHolds) {
  const auto skew = dir_.Write("skew", "0");
  ::setenv("HOURGLASS_FAULT_WALL_SKEW_FILE", skew.c_str(), 1);
  Daemon d(config_);
  ::unsetenv("HOURGLASS_FAULT_WALL_SKEW_FILE");
  Client c(d.port());
  const auto with_ttl = [](const std::string& order, int ttl_s) {
    std::string line = Reserve(order, "A", 1);
    line.insert(line.size() - 1, ",\"ttl_s\":" + std::to_string(ttl_s));
    return line;
  };
  ASSERT_TRUE(c.Call(with_ttl("J-1", 3)).Flag("reserved"));
  dir_.Write("skew", "86400000");                               // a day ahead
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // a few sweeps see it
  EXPECT_EQ(c.Call(StockOf("S-1", "A")).Int("reserved"), 1) << "a forward jump expired the hold";
  const Answer paid = c.Call(Op("commit", "J-1"));
  EXPECT_EQ(paid.Str("state"), "committed") << paid.line;

  ASSERT_TRUE(c.Call(with_ttl("J-2", 1)).Flag("reserved"));
  dir_.Write("skew", "-86400000");  // a day behind
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const Answer late = c.Call(Op("release", "J-2"));
  EXPECT_EQ(late.Str("state"), "expired") << "a backward jump kept the hold: " << late.line;
  EXPECT_EQ(c.Call(StockOf("S-1", "A")).Int("reserved"), 0);
}

TEST_F(JournalTest, RestartAfterKillKeepsEveryConfirmedChange) {
  {
    Daemon d(config_);
    Client c(d.port());
    ASSERT_TRUE(c.Call(Reserve("O-held", "A", 3)).Flag("found"));
    ASSERT_TRUE(c.Call(Reserve("O-paid", "A", 2)).Flag("found"));
    ASSERT_TRUE(c.Call(Op("commit", "O-paid")).ok());
    ASSERT_TRUE(c.Call(Reserve("O-gone", "A", 4)).Flag("found"));
    ASSERT_TRUE(c.Call(Op("release", "O-gone")).ok());
    ASSERT_TRUE(c.Call(R"({"op":"stock.set","store":"S-2","sku":"NEW","on_hand":6})").ok());
    EXPECT_EQ(d.Stop(SIGKILL), 128 + SIGKILL);
  }
  Daemon d(config_);
  Client c(d.port());
  const Answer s1 = c.Call(StockOf("S-1", "A"));
  EXPECT_EQ(s1.Int("on_hand"), 8);   // the commit stays deducted
  EXPECT_EQ(s1.Int("reserved"), 3);  // the hold stays held
  EXPECT_EQ(c.Call(StockOf("S-2", "NEW")).Int("on_hand"), 6);
  // The held order keeps its plan and its remaining time.
  const Answer retry = c.Call(Reserve("O-held", "A", 3));
  EXPECT_TRUE(retry.Flag("already"));
  EXPECT_EQ(retry.Str("state"), "held");
  EXPECT_GT(retry.Int("expires_in_s"), 890);
  EXPECT_LE(retry.Int("expires_in_s"), 900);
  EXPECT_TRUE(c.Call(Op("commit", "O-paid")).Flag("already"));
  EXPECT_EQ(c.Call(Op("commit", "O-gone")).code(), "order_released");
  EXPECT_TRUE(c.Call(Op("commit", "O-held")).ok());
  EXPECT_EQ(c.Call(StockOf("S-1", "A")).Int("on_hand"), 5);
}

// Pipelined reserves on several connections with sync = batch: the journal's
// writer is woken once per read's worth of requests and each I/O thread once
// per write, so every answer must still come (the last batch with no later
// traffic to push it out), in request order, and every one must survive kill -9.
TEST_F(JournalTest, PipelinedBatchReservesAreAllAnsweredAndSurviveKillNine) {
  config_ = dir_.Write("hourglass.toml",
                       "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"var\"\n"
                       "[server]\nio_threads = 2\n[journal]\nsync = \"batch\"\n");
  constexpr int kConnections = 4;
  constexpr int kRounds = 3;
  constexpr int kDepth = 64;
  int64_t acked_units = 0;
  {
    Daemon d(config_);
    std::vector<std::unique_ptr<Client>> clients;
    for (int c = 0; c < kConnections; ++c) clients.push_back(std::make_unique<Client>(d.port()));
    for (int round = 0; round < kRounds; ++round) {
      // Every connection's batch is in flight at once, then the answers are read.
      for (int c = 0; c < kConnections; ++c) {
        std::string batch;
        for (int i = 0; i < kDepth; ++i) {
          const std::string order =
              "P-" + std::to_string(c) + "-" + std::to_string(round) + "-" + std::to_string(i);
          batch += Reserve(order, "H", 1 + i % 2) + "\n";
        }
        clients[c]->SendRaw(batch);
      }
      for (int c = 0; c < kConnections; ++c) {
        for (int i = 0; i < kDepth; ++i) {
          const Answer a = Client::Parse(clients[c]->ReadLine());
          ASSERT_TRUE(a.Flag("reserved")) << a.line;
          ASSERT_EQ(a.Str("order"), "P-" + std::to_string(c) + "-" + std::to_string(round) + "-" +
                                        std::to_string(i));
          acked_units += 1 + i % 2;
        }
      }
    }
    EXPECT_EQ(d.Stop(SIGKILL), 128 + SIGKILL);
  }
  Daemon d(config_);
  Client c(d.port());
  int64_t held = 0;
  for (const char* store : {"S-1", "S-2", "S-3"})
    held += c.Call(StockOf(store, "H")).Int("reserved");
  EXPECT_EQ(held, acked_units);
  for (int k = 0; k < kConnections; ++k) {
    const Answer retry = c.Call(Reserve("P-" + std::to_string(k) + "-2-63", "H", 2));
    EXPECT_TRUE(retry.Flag("already")) << retry.line;
  }
}

TEST_F(JournalTest, TornFinalRecordIsDroppedAndSaid) {
  {
    Daemon d(config_);
    Client c(d.port());
    ASSERT_TRUE(c.Call(Reserve("O-1", "A", 1)).Flag("found"));
    d.Stop(SIGKILL);
  }
  // A crash in the middle of writing the next record: a header and half a payload.
  {
    std::ofstream seg(LastSegment(), std::ios::binary | std::ios::app);
    const char partial[] =
        "\x40\x00\x00\x00\x12\x34\x56\x78\x02\x00\x00\x00\x00\x00\x00\x00{\"seq\":2,";
    seg.write(partial, sizeof partial - 1);
  }
  const auto size_before = fs::file_size(LastSegment());
  Daemon d(config_);
  EXPECT_NE(d.Stderr().find("dropped a torn final record"), std::string::npos) << d.Stderr();
  EXPECT_LT(fs::file_size(LastSegment()), size_before);
  Client c(d.port());
  EXPECT_EQ(c.Call(StockOf("S-1", "A")).Int("reserved"), 1);
  // New records follow the good ones.
  ASSERT_TRUE(c.Call(Reserve("O-2", "A", 1)).Flag("found"));
  d.Stop(SIGKILL);
  Daemon again(config_);
  Client c2(again.port());
  EXPECT_EQ(c2.Call(StockOf("S-1", "A")).Int("reserved"), 2);
}

TEST_F(JournalTest, DamageBeforeTheTailStopsStartup) {
  {
    Daemon d(config_);
    Client c(d.port());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(c.Call(Reserve("O-" + std::to_string(i), "H", 1)).Flag("found"));
    }
    d.Stop(SIGTERM);
  }
  // Flip one byte inside the first record's payload.
  {
    std::fstream seg(LastSegment(), std::ios::binary | std::ios::in | std::ios::out);
    seg.seekp(30);
    seg.put('#');
  }
  std::string err;
  EXPECT_EQ(Daemon::RunToExit(config_, err), 2);
  EXPECT_NE(err.find("journal-00000000000000000001.log: damaged record at offset 0: expected a "
                     "record of seq 1"),
            std::string::npos)
      << err;
}

// A record the daemon could never have written, with a checksum that matches (found with the
// journal fuzzer's harness): start-up stops naming it instead of replaying a negative level.
TEST_F(JournalTest, SoundChecksumButImpossibleLevelStopsStartup) {
  {
    Daemon d(config_);
    Client c(d.port());
    ASSERT_TRUE(c.Call(Reserve("O-1", "A", 1)).Flag("found"));
    d.Stop(SIGKILL);
  }
  {
    const std::string payload =
        R"({"seq":2,"type":"stock_set","store":"S-1","sku":"A","on_hand":-9,"ts":"2026-11-24T10:00:00.000Z"})";
    std::string record(16, '\0');
    const auto put = [&record](size_t at, uint64_t v, int bytes) {
      for (int i = 0; i < bytes; ++i) record[at + i] = static_cast<char>(v >> (8 * i));
    };
    put(0, payload.size(), 4);
    put(8, 2, 8);
    boost::crc_32_type crc;
    crc.process_bytes(record.data() + 8, 8);
    crc.process_bytes(payload.data(), payload.size());
    put(4, crc.checksum(), 4);
    std::ofstream seg(LastSegment(), std::ios::binary | std::ios::app);
    seg << record << payload;
  }
  std::string err;
  EXPECT_EQ(Daemon::RunToExit(config_, err), 2);
  EXPECT_NE(err.find("journal-00000000000000000001.log offset "), std::string::npos) << err;
  EXPECT_NE(err.find(": record seq 2: on_hand -9 is outside [0, 1000000000]"), std::string::npos)
      << err;
}

TEST_F(JournalTest, SubscriberGetsHistoryThenLiveEventsAndResumesAfterRestart) {
  uint64_t acked = 0;
  {
    Daemon d(config_);
    Client c(d.port());
    ASSERT_TRUE(c.Call(Reserve("O-1", "A", 2)).Flag("found"));
    ASSERT_TRUE(c.Call(Op("commit", "O-1")).ok());
    Client sub(d.port());
    const Answer head = sub.Call(R"({"op":"subscribe","name":"erp","from":1})");
    ASSERT_TRUE(head.ok()) << head.line;
    EXPECT_EQ(head.Int("from"), 1);
    Answer e1 = Client::Parse(sub.ReadLine());
    EXPECT_EQ(e1.Int("seq"), 1);
    EXPECT_EQ(e1.Str("type"), "reserved");
    EXPECT_EQ(e1.Str("order"), "O-1");
    EXPECT_EQ(e1.Str("store"), "S-1");
    EXPECT_TRUE(e1.Has("expires_at"));
    EXPECT_TRUE(e1.Has("ts"));
    EXPECT_EQ(Client::Parse(sub.ReadLine()).Str("type"), "committed");
    // Live: a change made now reaches the subscriber.
    ASSERT_TRUE(c.Call(R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":3})").ok());
    const Answer e3 = Client::Parse(sub.ReadLine());
    EXPECT_EQ(e3.Int("seq"), 3);
    EXPECT_EQ(e3.Str("type"), "stock_set");
    EXPECT_EQ(e3.Int("on_hand"), 3);
    sub.Send(R"({"op":"ack","seq":2})");
    acked = 2;
    // An ack is not answered; the stream goes on.
    ASSERT_TRUE(c.Call(Reserve("O-2", "A", 1)).Flag("found"));
    EXPECT_EQ(Client::Parse(sub.ReadLine()).Int("seq"), 4);
    EXPECT_EQ(d.Stop(SIGTERM), 0);  // saves the acked positions
  }
  Daemon d(config_);
  Client sub(d.port());
  const Answer head = sub.Call(R"({"op":"subscribe","name":"erp"})");
  EXPECT_EQ(head.Int("from"), static_cast<int64_t>(acked + 1));
  EXPECT_EQ(Client::Parse(sub.ReadLine()).Int("seq"), 3);
  EXPECT_EQ(Client::Parse(sub.ReadLine()).Int("seq"), 4);
  // Only subscribed connections ack.
  Client other(d.port());
  EXPECT_EQ(other.Call(R"({"op":"ack","seq":1})").code(), "not_subscribed");
}

// The system of record sends a level computed before it saw our latest
// commit: that commit is deducted once, not twice and not never.
TEST_F(JournalTest, StockSetAsOfSeqReconcilesLaggingLevels) {
  Daemon d(config_);
  Client c(d.port());
  ASSERT_TRUE(c.Call(Reserve("O-1", "A", 2)).Flag("found"));  // seq 1
  ASSERT_TRUE(c.Call(Op("commit", "O-1")).ok());              // seq 2: S-1 A 10 -> 8
  ASSERT_TRUE(c.Call(Reserve("O-2", "A", 3)).Flag("found"));  // seq 3
  ASSERT_TRUE(c.Call(Op("commit", "O-2")).ok());              // seq 4: 8 -> 5
  ASSERT_TRUE(c.Call(Reserve("O-3", "A", 1)).Flag("found"));  // seq 5, held
  // The ERP applied commit 2, not 4, and counts 30 on the shelf.
  Answer a = c.Call(R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":30,"as_of_seq":2})");
  ASSERT_TRUE(a.ok()) << a.line;
  EXPECT_EQ(a.Int("deducted"), 3);
  EXPECT_EQ(a.Int("on_hand"), 27);
  EXPECT_EQ(a.Int("reserved"), 1);
  EXPECT_EQ(a.Int("available"), 26);
  // A level that already includes every commit is taken as it is.
  a = c.Call(R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":30,"as_of_seq":6})");
  EXPECT_EQ(a.Int("on_hand"), 30);
  a = c.Call(R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":30,"as_of_seq":2})");
  EXPECT_EQ(a.Int("on_hand"), 27);
  EXPECT_EQ(
      c.Call(R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":3,"as_of_seq":0})").code(),
      "bad_request");
  d.Stop(SIGKILL);
  // The reconciled level survives a restart, and so does the history: the
  // replayed commits still count for later as_of levels.
  Daemon again(config_);
  Client c2(again.port());
  EXPECT_EQ(c2.Call(StockOf("S-1", "A")).Int("on_hand"), 27);
  a = c2.Call(R"({"op":"stock.set","store":"S-1","sku":"A","on_hand":30,"as_of_seq":3})");
  EXPECT_EQ(a.Int("deducted"), 3);
}

TEST_F(JournalTest, StreamCrossesSegmentBoundaries) {
  Daemon d(config_);
  Client c(d.port());
  // 64 KiB segments: a few hundred records make several of them (segments
  // rotate between write batches, so send several batches).
  constexpr int kOrders = 1200;
  for (int b = 0; b < kOrders / 60; ++b) {
    std::string batch;
    for (int i = b * 60; i < (b + 1) * 60; ++i) {
      batch += Reserve("O-" + std::to_string(i), "H", 1) + "\n";
    }
    c.SendRaw(batch);
    for (int i = 0; i < 60; ++i) ASSERT_TRUE(Client::Parse(c.ReadLine()).Flag("found"));
  }
  size_t segments = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(JournalDir())) ++segments;
  EXPECT_GT(segments, 2u);
  Client sub(d.port());
  ASSERT_TRUE(sub.Call(R"({"op":"subscribe","name":"s","from":1})").ok());
  for (int i = 1; i <= kOrders; ++i) ASSERT_EQ(Client::Parse(sub.ReadLine()).Int("seq"), i);
}

// Many clients reserve, commit and release while the daemon is killed with
// SIGKILL at random moments, 20 times. Afterwards every acknowledged change
// is in the journal exactly once, and stock balances:
// initial on_hand = available + held + committed, for every store.
size_t CountFiles(const fs::path& dir, const std::string& prefix) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    n += e.path().filename().string().rfind(prefix, 0) == 0;
  }
  return n;
}

// Sends `n` reservations of 1 unit of H in pipelined batches.
void ReserveMany(Client& c, const std::string& prefix, int n) {
  for (int b = 0; b < n; b += 50) {
    std::string batch;
    for (int i = b; i < std::min(n, b + 50); ++i) {
      batch += Reserve(prefix + std::to_string(i), "H", 1) + "\n";
    }
    c.SendRaw(batch);
    for (int i = b; i < std::min(n, b + 50); ++i) {
      ASSERT_TRUE(Client::Parse(c.ReadLine()).Flag("found"));
    }
  }
}

// Polls (bounded) until `done` holds; no timing is asserted.
template <typename Done>
bool Eventually(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST_F(JournalTest, SnapshotsBoundTheJournalAndRestartsUseThem) {
  config_ = dir_.Write("hourglass.toml", kCheckpointConfig);
  {
    Daemon d(config_);
    Client c(d.port());
    ReserveMany(c, "A-", 1000);
    ASSERT_TRUE(c.Call(Op("commit", "A-5")).ok());
    ASSERT_TRUE(c.Call(Op("release", "A-6")).ok());
    // A checkpoint runs in the background; old segments go once it is written.
    ASSERT_TRUE(Eventually([&] { return CountFiles(dir_.path() / "var", "snapshot-") == 1; }));
    ASSERT_TRUE(Eventually([&] { return CountFiles(JournalDir(), "journal-") <= 2; }));
    ReserveMany(c, "B-", 10);  // after the snapshot: only in the journal
    d.Stop(SIGKILL);
  }
  Daemon d(config_);
  EXPECT_NE(d.Stderr().find("from snapshot-"), std::string::npos) << d.Stderr();
  Client c(d.port());
  // 1,000 + 10 reserved, one of them released, one committed.
  int64_t reserved = 0;
  int64_t on_hand = 0;
  for (const std::string store : {"S-1", "S-2", "S-3"}) {
    const Answer s = c.Call(StockOf(store, "H"));
    reserved += s.Int("reserved");
    on_hand += s.Int("on_hand");
  }
  EXPECT_EQ(reserved, 1008);
  EXPECT_EQ(on_hand, 3 * kHotUnits - 1);
  EXPECT_TRUE(c.Call(Op("commit", "A-5")).Flag("already"));
  EXPECT_EQ(c.Call(Op("commit", "A-6")).code(), "order_released");
  EXPECT_TRUE(c.Call(Reserve("B-3", "H", 1)).Flag("already"));
  // History before the kept segments is gone for new subscribers.
  EXPECT_EQ(c.Call(R"({"op":"subscribe","name":"late","from":1})").code(), "gap");
}

TEST_F(JournalTest, SegmentsWaitForSubscribersUpToTheCap) {
  config_ = dir_.Write("hourglass.toml", kCheckpointConfig);
  Daemon d(config_);
  Client sub(d.port());
  ASSERT_TRUE(sub.Call(R"({"op":"subscribe","name":"erp","from":1})").ok());
  Client c(d.port());
  ReserveMany(c, "A-", 600);
  ASSERT_TRUE(Eventually([&] { return CountFiles(dir_.path() / "var", "snapshot-") == 1; }));
  // erp has acked nothing: every segment stays (the journal is under 1 MiB).
  EXPECT_EQ(Client::Parse(sub.ReadLine()).Int("seq"), 1);
  EXPECT_TRUE(fs::exists(JournalDir() / "journal-00000000000000000001.log"));
  Client late(d.port());
  EXPECT_TRUE(late.Call(R"({"op":"subscribe","name":"audit","from":1})").ok());
  // Past [journal] max_retained_bytes (1 MiB here) the oldest go anyway.
  ReserveMany(c, "B-", 6000);
  ASSERT_TRUE(Eventually([&] {
    Client probe(d.port());
    return probe.Call(R"({"op":"subscribe","name":"probe","from":1})").code() == "gap";
  }));
}

// A subscriber that stops reading only stops its own stream: orders keep
// being answered, and the stream resumes where it stopped once it reads.
TEST_F(JournalTest, StalledSubscriberDoesNotSlowOrders) {
  Daemon d(config_);
  Client stalled(d.port());
  ASSERT_TRUE(stalled.Call(R"({"op":"subscribe","name":"slow","from":1})").ok());
  Client c(d.port());
  // Far more events than socket buffers hold, while `stalled` reads nothing.
  ReserveMany(c, "A-", 6000);
  EXPECT_TRUE(c.Call(R"({"op":"ping"})").ok());
  for (int64_t seq = 1; seq <= 6000; ++seq) {
    ASSERT_EQ(Client::Parse(stalled.ReadLine()).Int("seq"), seq);
  }
}

TEST_F(JournalTest, KillNineTwentyTimesLosesNothingAcknowledged) {
  // Checkpoints run during the rounds too, so restarts go through snapshots.
  config_ = dir_.Write("hourglass.toml", kCheckpointConfig);
  {
    // The audit subscription holds every segment until it acks.
    Daemon d(config_);
    Client sub(d.port());
    ASSERT_TRUE(sub.Call(R"({"op":"subscribe","name":"audit","from":1})").ok());
    EXPECT_EQ(d.Stop(SIGTERM), 0);
  }
  // Slow journal writes make a kill likely to land while changes are
  // applied in memory but not yet on disk: none of those may have been
  // acknowledged.
  ::setenv("HOURGLASS_FAULT_JOURNAL_DELAY_MS", "2", 1);
  std::mutex mu;
  std::map<std::string, std::string> acked_reserved;  // order -> store
  std::set<std::string> acked_committed;
  std::set<std::string> acked_released;
  std::mt19937_64 rng(99);
  std::atomic<int> next_order{0};

  for (int round = 0; round < 20; ++round) {
    Daemon d(config_);
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 3; ++t) {
      clients.emplace_back([&, t] {
        try {
          Client c(d.port());
          std::vector<std::string> mine;
          for (int i = 0; !stop.load(); ++i) {
            const std::string order = "K-" + std::to_string(next_order++);
            const Answer a = c.Call(Reserve(order, "H", 1 + (i % 3)));
            if (!a.Flag("found")) continue;
            {
              std::lock_guard lock(mu);
              acked_reserved[order] =
                  std::string(a.root["plan"].at(0)["store"].get_string().value());
            }
            mine.push_back(order);
            if (i % 3 == t % 3) continue;  // leave some held
            const std::string victim = mine[static_cast<size_t>(i) % mine.size()];
            const bool commit = i % 2 == 0;
            const Answer f = c.Call(Op(commit ? "commit" : "release", victim));
            if (f.ok() && !f.Flag("already")) {
              std::lock_guard lock(mu);
              (commit ? acked_committed : acked_released).insert(victim);
            }
          }
        } catch (const std::exception&) {
          // The daemon was killed under this client: whatever was in flight
          // was never acknowledged.
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(40 + rng() % 200));
    d.Stop(SIGKILL);
    stop = true;
    for (auto& th : clients) th.join();
  }

  ::unsetenv("HOURGLASS_FAULT_JOURNAL_DELAY_MS");
  Daemon d(config_);
  Client c(d.port());
  Client sub(d.port());
  const Answer head = sub.Call(R"({"op":"subscribe","name":"audit","from":1})");
  ASSERT_TRUE(head.ok()) << head.line;
  const int64_t last = head.Int("last_seq");
  std::map<std::string, std::map<std::string, int>> events;     // order -> type -> count
  std::map<std::string, int64_t> held_units;                    // store -> units
  std::map<std::string, int64_t> sold_units;                    // store -> units
  std::map<std::string, std::pair<std::string, int64_t>> live;  // order -> (store, qty)
  for (int64_t seq = 1; seq <= last; ++seq) {
    const Answer e = Client::Parse(sub.ReadLine());
    ASSERT_EQ(e.Int("seq"), seq);
    const std::string type = e.Str("type");
    const std::string order = e.Str("order");
    ++events[order][type];
    const int64_t qty = e.root["items"].at(0)["qty"].get_int64().value();
    if (type == "reserved") {
      live[order] = {e.Str("store"), qty};
      held_units[e.Str("store")] += qty;
    } else {
      ASSERT_TRUE(live.count(order)) << "finish of an order never held: " << order;
      held_units[live[order].first] -= live[order].second;
      if (type == "committed") sold_units[live[order].first] += live[order].second;
      live.erase(order);
    }
  }
  EXPECT_GT(acked_reserved.size(), 100u);
  EXPECT_GT(acked_committed.size(), 20u);
  EXPECT_GT(acked_released.size(), 20u);
  for (const auto& [order, types] : events) {
    for (const auto& [type, n] : types) EXPECT_EQ(n, 1) << order << " " << type << " x" << n;
  }
  for (const auto& [order, store] : acked_reserved) {
    ASSERT_EQ(events[order]["reserved"], 1) << "acknowledged reservation lost: " << order;
  }
  for (const auto& order : acked_committed) EXPECT_EQ(events[order]["committed"], 1) << order;
  for (const auto& order : acked_released) EXPECT_EQ(events[order]["released"], 1) << order;
  for (const std::string store : {"S-1", "S-2", "S-3"}) {
    const Answer s = c.Call(StockOf(store, "H"));
    EXPECT_EQ(s.Int("reserved"), held_units[store]) << store;
    EXPECT_EQ(s.Int("on_hand") + sold_units[store], kHotUnits) << store;
    EXPECT_EQ(s.Int("available") + s.Int("reserved") + sold_units[store], kHotUnits) << store;
  }
}

}  // namespace
}  // namespace hourglass::testing
