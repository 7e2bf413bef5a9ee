// What clients get when the journal cannot keep up or cannot write, through
// the real daemon: a stuck write makes new changes fail fast with
// deadline_exceeded; a full disk (a real tmpfs where we may mount one, else
// the HOURGLASS_FAULT_JOURNAL_ENOSPC_FILE hook) makes them `unavailable`. In
// both cases nothing refused changes, nothing acknowledged is lost across
// kill -9, a change decided before the fault showed is never reported failed
// (its answer waits and says it held), and the daemon recovers by itself.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/daemon_harness.h"

namespace hourglass::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr const char* kStores = "store_id,lat,lon\nS-1,31.2304,121.4737\n";
constexpr int64_t kUnits = 1000000;
constexpr const char* kStock = "store_id,sku,on_hand\nS-1,H,1000000\n";
constexpr const char* kStockOfH = R"({"op":"stock","store":"S-1","sku":"H"})";
constexpr const char* kQuote =
    R"({"op":"route","lat":31.2304,"lon":121.4737,"items":[{"sku":"H","qty":1}]})";

std::string Reserve(const std::string& order) {
  return R"({"op":"route","order":")" + order +
         R"(","lat":31.2304,"lon":121.4737,"reserve":true,"items":[{"sku":"H","qty":1}]})";
}
std::string Op(const std::string& op, const std::string& order) {
  return R"({"op":")" + op + R"(","order":")" + order + "\"}";
}

std::filesystem::path WriteConfig(const TempDir& dir, const std::string& data_dir,
                                  const std::string& extra) {
  dir.Write("stores.csv", kStores);
  dir.Write("stock.csv", kStock);
  return dir.Write("h.toml", "[data]\nstores = \"stores.csv\"\nstock = \"stock.csv\"\ndir = \"" +
                                 data_dir + "\"\n[journal]\nsync = \"always\"\n" +
                                 "segment_bytes = 65536\n" + extra);
}

// A request decided before the fault showed: its answer waits for the journal.
struct Waiting {
  std::unique_ptr<Client> client;
  std::string order;
};

// Sends reserves, each on a fresh connection, until one is refused with
// `code`. Answered holds go to `acked` (the file system may still have had
// room in a page); answers that do not come in time belong to requests decided
// before the fault showed, kept in `waiting`. Returns the refusal.
Answer ProbeUntilRefused(uint16_t port, const std::string& code, const std::string& prefix,
                         std::vector<std::string>& acked, std::vector<Waiting>& waiting) {
  for (int i = 0; i < 200; ++i) {
    const std::string order = prefix + std::to_string(i);
    auto c = std::make_unique<Client>(port);
    c->Send(Reserve(order));
    std::string line;
    try {
      line = c->ReadLine(milliseconds(1500));
    } catch (const std::runtime_error&) {
      waiting.push_back({std::move(c), order});
      continue;
    }
    Answer a = Client::Parse(line);
    if (a.code() == code) return a;
    if (a.Flag("reserved")) acked.push_back(order);
  }
  ADD_FAILURE() << "no request was refused with " << code;
  return Client::Parse(R"({"ok":true})");
}

// Every answer that was waiting arrives, and says the hold was made.
void ExpectWaitingHeld(std::vector<Waiting>& waiting, std::vector<std::string>& acked) {
  for (Waiting& w : waiting) {
    const Answer a = Client::Parse(w.client->ReadLine(std::chrono::seconds(30)));
    EXPECT_TRUE(a.Flag("reserved")) << w.order << ": " << a.line;
    if (a.Flag("reserved")) acked.push_back(w.order);
  }
  waiting.clear();
}

// Reserves until one is held again (the daemon resumed by itself).
void ExpectResumes(uint16_t port, const std::string& order, std::vector<std::string>& acked) {
  for (int i = 0; i < 100; ++i) {
    Client c(port);
    const Answer a = c.Call(Reserve(order + "-" + std::to_string(i)));
    if (a.Flag("reserved")) {
      acked.push_back(order + "-" + std::to_string(i));
      return;
    }
    ASSERT_EQ(a.code(), "unavailable") << a.line;
    std::this_thread::sleep_for(milliseconds(100));
  }
  FAIL() << "the daemon did not resume once space was back";
}

// The whole disk-full story. `fill` takes the space away, `make_room` gives it back.
void DiskFullScenario(const fs::path& config, const std::function<void()>& fill,
                      const std::function<void()>& make_room) {
  std::vector<std::string> acked;  // holds the daemon confirmed
  std::vector<Waiting> waiting;
  {
    Daemon d(config);
    Client c(d.port());
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(c.Call(Reserve("F-" + std::to_string(i))).Flag("reserved"));
    }
    ASSERT_EQ(c.Call(Op("commit", "F-0")).Str("state"), "committed");
    ASSERT_EQ(c.Call(Op("release", "F-1")).Str("state"), "released");
    for (int i = 2; i < 10; ++i) acked.push_back("F-" + std::to_string(i));

    fill();
    const Answer refused = ProbeUntilRefused(d.port(), "unavailable", "G-", acked, waiting);
    EXPECT_NE(refused.line.find("No space left on device"), std::string::npos) << refused.line;
    // While full: every change is refused and changes nothing; reads still work.
    const Answer before = c.Call(kStockOfH);
    EXPECT_EQ(c.Call(Op("commit", "F-2")).code(), "unavailable");
    EXPECT_EQ(c.Call(Op("release", "F-3")).code(), "unavailable");
    EXPECT_EQ(c.Call(R"({"op":"stock.set","store":"S-1","sku":"H","on_hand":5})").code(),
              "unavailable");
    EXPECT_EQ(c.Call(R"({"op":"store.upsert","store":"S-9","lat":31.2,"lon":121.4})").code(),
              "unavailable");
    EXPECT_EQ(c.Call(Reserve("F-refused")).code(), "unavailable");
    EXPECT_TRUE(c.Call(kQuote).Flag("found"));
    const Answer after = c.Call(kStockOfH);
    EXPECT_EQ(after.Int("on_hand"), before.Int("on_hand"));
    EXPECT_EQ(after.Int("reserved"), before.Int("reserved"));
    EXPECT_EQ(after.Int("on_hand"), kUnits - 1);

    // Space comes back: the daemon resumes with no restart, and every change
    // decided before the fault showed is confirmed, none reported failed.
    make_room();
    ExpectResumes(d.port(), "R", acked);
    ExpectWaitingHeld(waiting, acked);
    EXPECT_EQ(c.Call(Op("commit", "F-2")).Str("state"), "committed");
    acked.erase(std::find(acked.begin(), acked.end(), "F-2"));

    // Full again, then killed while full.
    fill();
    ProbeUntilRefused(d.port(), "unavailable", "K-", acked, waiting);
    EXPECT_EQ(d.Stop(SIGKILL), 128 + SIGKILL);
  }
  // Restarted on the still-full disk: every acknowledged change is there.
  Daemon d(config);
  Client c(d.port());
  const Answer level = c.Call(kStockOfH);
  EXPECT_EQ(level.Int("on_hand"), kUnits - 2) << "F-0 and F-2 were committed";
  EXPECT_GE(level.Int("reserved"), static_cast<int64_t>(acked.size())) << level.line;
  EXPECT_LE(level.Int("reserved"), static_cast<int64_t>(acked.size() + waiting.size()));
  for (const std::string& order : acked) {
    const Answer a = c.Call(Reserve(order));  // a retry answers from the hold it finds
    EXPECT_TRUE(a.Flag("already")) << order << " was acknowledged but is gone: " << a.line;
  }
  waiting.clear();
  make_room();
  ExpectResumes(d.port(), "S", acked);
  EXPECT_EQ(d.Stop(SIGTERM), 0) << d.Stderr();
  EXPECT_NE(d.Stderr().find("open files"), std::string::npos);
}

// Writes zeros until the file system is full.
void FillUp(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  const std::string chunk(4096, '\0');
  while (::write(fd, chunk.data(), chunk.size()) > 0) {
  }
  ::close(fd);
}

TEST(JournalFaultTest, DiskFullOnARealFileSystemRefusesChangesLosesNothingAndRecovers) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "mounting a small tmpfs needs root; the fault hook test covers the logic";
  }
  TempDir dir;
  const fs::path mnt = dir.path() / "var";
  fs::create_directories(mnt);
  const std::string mount = "mount -t tmpfs -o size=2m tmpfs " + mnt.string() + " 2>/dev/null";
  if (std::system(mount.c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?); the fault "
                    "hook test covers the logic";
  }
  const fs::path filler = mnt / "filler";
  DiskFullScenario(
      WriteConfig(dir, "var", ""), [&] { FillUp(filler); }, [&] { fs::remove(filler); });
  const std::string umount = "umount -l " + mnt.string();
  EXPECT_EQ(std::system(umount.c_str()), 0);
}

TEST(JournalFaultTest, DiskFullFaultHookRefusesChangesLosesNothingAndRecovers) {
  TempDir dir;
  const fs::path full = dir.path() / "disk-is-full";
  ::setenv("HOURGLASS_FAULT_JOURNAL_ENOSPC_FILE", full.c_str(), 1);
  DiskFullScenario(
      WriteConfig(dir, "var", ""), [&] { dir.Write("disk-is-full", ""); },
      [&] { fs::remove(full); });
  ::unsetenv("HOURGLASS_FAULT_JOURNAL_ENOSPC_FILE");
}

// A journal write that takes seconds: a change that arrives meanwhile is
// refused at once with deadline_exceeded and changes nothing; the change that
// was already decided waits and is confirmed, not reported failed.
TEST(JournalFaultTest, StuckJournalWriteRefusesNewChangesPastTheDeadline) {
  TempDir dir;
  const auto config = WriteConfig(dir, "var", "[limits]\nrequest_deadline_ms = 300\n");
  ::setenv("HOURGLASS_FAULT_JOURNAL_DELAY_MS", "4000", 1);
  {
    Daemon d(config);
    ::unsetenv("HOURGLASS_FAULT_JOURNAL_DELAY_MS");
    Client first(d.port());
    first.Send(Reserve("D-1"));  // decided now, confirmed after the slow write
    // Longer than the deadline, well within the write's delay.
    std::this_thread::sleep_for(milliseconds(1000));
    Client c(d.port());
    const Answer late = c.Call(Reserve("D-2"));
    EXPECT_EQ(late.code(), "deadline_exceeded") << late.line;
    EXPECT_NE(late.line.find("request_deadline_ms"), std::string::npos);
    EXPECT_EQ(c.Call(Op("commit", "D-1")).code(), "deadline_exceeded");
    EXPECT_EQ(c.Call(R"({"op":"stock.set","store":"S-1","sku":"H","on_hand":5})").code(),
              "deadline_exceeded");
    EXPECT_TRUE(c.Call(kQuote).Flag("found"));  // reads are answered meanwhile
    const Answer level = c.Call(kStockOfH);
    EXPECT_EQ(level.Int("reserved"), 1) << "only D-1 was decided: " << level.line;
    EXPECT_EQ(level.Int("on_hand"), kUnits);

    const Answer held = Client::Parse(first.ReadLine(std::chrono::seconds(30)));
    EXPECT_TRUE(held.Flag("reserved")) << held.line;
    // Once the journal caught up, changes are decided again (and wait their write).
    c.Send(Reserve("D-3"));
    EXPECT_TRUE(Client::Parse(c.ReadLine(std::chrono::seconds(30))).Flag("reserved"));
    EXPECT_EQ(d.Stop(SIGKILL), 128 + SIGKILL);
  }
  Daemon d(config);
  Client c(d.port());
  const Answer level = c.Call(kStockOfH);
  EXPECT_EQ(level.Int("reserved"), 2) << "D-1 and D-3 were confirmed: " << level.line;
  EXPECT_EQ(level.Int("on_hand"), kUnits);
}

}  // namespace
}  // namespace hourglass::testing
