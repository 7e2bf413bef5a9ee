// hourglassd: loads the config and data, serves the NDJSON protocol over TCP,
// expires reservations, and stops cleanly on SIGTERM/SIGINT.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#ifdef HOURGLASS_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "alloc/allocator.h"
#include "daemon/service_notify.h"
#include "io/admin_api.h"
#include "io/admin_server.h"
#include "io/checkpointer.h"
#include "io/clock.h"
#include "io/config.h"
#include "io/daemon_stats.h"
#include "io/data_loader.h"
#include "io/decision_log.h"
#include "io/event_codec.h"
#include "io/journal.h"
#include "io/load_error.h"
#include "io/log.h"
#include "io/metrics.h"
#include "io/request_handler.h"
#include "io/request_sampler.h"
#include "io/route_history.h"
#include "io/rules_reload.h"
#include "io/server.h"
#include "io/snapshot.h"
#include "io/subscription.h"
#include "io/tls_context.h"

namespace {

// Loading builds the stock table through temporary per-store buffers (about
// as large as the table); once it is built they are freed, and jemalloc is
// told to give those pages back now, so the resident size after start is the
// live data, not its high-water mark.
void ReturnFreedMemory() {
#ifdef HOURGLASS_WITH_JEMALLOC
  static_assert(MALLCTL_ARENAS_ALL == 4096, "the purge key below names every arena");
  mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
#endif
}

namespace asio = boost::asio;
using namespace hourglass;

// How often held reservations are checked for expiry. Commit and release
// check the deadline themselves, so this only bounds how late units return.
constexpr auto kExpirySweep = std::chrono::milliseconds(100);
// Subscriptions' acked positions are saved at most this often (a lost save
// only means a subscriber is sent some events again, which it skips).
constexpr int kSaveEverySweeps = 10;
// The stats that walk all stock and orders are recounted this often (5 s).
constexpr int kStatsEverySweeps = 50;
// Route decisions kept per I/O thread for the live map.
constexpr size_t kDecisionsPerThread = 1000;

constexpr const char* kUsage =
    "usage: hourglassd --config FILE [--listen HOST:PORT] [--data-dir DIR]\n"
    "  --config FILE      TOML config (see configs/hourglass.toml)\n"
    "  --listen HOST:PORT override [server] listen (port 0 picks a free port)\n"
    "  --data-dir DIR     override [data] dir (journal, snapshots, subscriptions)\n";

struct Args {
  std::string config;
  std::string listen;
  std::string data_dir;
};

bool ParseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--config" || a == "--listen" || a == "--data-dir") && i + 1 < argc) {
      (a == "--config" ? args.config : a == "--listen" ? args.listen : args.data_dir) = argv[++i];
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "hourglassd: unknown or incomplete argument \"%s\"\n%s", a.c_str(),
                   kUsage);
      return false;
    }
  }
  if (args.config.empty()) {
    std::fprintf(stderr, "hourglassd: --config FILE is required\n%s", kUsage);
    return false;
  }
  return true;
}

// The periodic housekeeping: expiry, saving subscription positions, checkpoints,
// and the systemd watchdog ping (every `watchdog_every` sweeps; 0: none), so a
// stuck main loop gets the daemon restarted.
// Fault injection for tests (HOURGLASS_FAULT_WALL_SKEW_FILE): the file holds
// milliseconds to add to the wall clock, re-read every sweep, so a test can
// jump the clock while the daemon runs.
void ReadWallSkew() {
  static const char* const path = std::getenv("HOURGLASS_FAULT_WALL_SKEW_FILE");
  if (path == nullptr) return;
  if (FILE* f = std::fopen(path, "r")) {
    long long skew = 0;
    if (std::fscanf(f, "%lld", &skew) == 1) io::wall_skew_ms.store(skew);
    std::fclose(f);
  }
}

void Sweep(asio::steady_timer& timer, alloc::Allocator& allocator, io::Subscriptions& subs,
           io::Checkpointer& checkpoints, io::DaemonStats& stats, int watchdog_every,
           int round = 0) {
  timer.expires_after(kExpirySweep);
  timer.async_wait([&timer, &allocator, &subs, &checkpoints, &stats, watchdog_every,
                    round](const boost::system::error_code& ec) {
    if (ec) return;
    ReadWallSkew();
    allocator.ExpireDue(io::ClockNow());
    if (round % kSaveEverySweeps == 0) {
      subs.Save();
      checkpoints.MaybeStart();
    }
    if (round % kStatsEverySweeps == 0) stats.Refresh();
    if (watchdog_every > 0 && round % watchdog_every == 0) daemon::NotifyWatchdog();
    Sweep(timer, allocator, subs, checkpoints, stats, watchdog_every, round + 1);
  });
}

// Test hook (HOURGLASS_FAULT_START_GATE_FILE): while the file exists, start-up
// waits before loading data, so a test can see /readyz answer 503.
void WaitForStartGate() {
  const char* const path = std::getenv("HOURGLASS_FAULT_START_GATE_FILE");
  if (path == nullptr) return;
  while (std::filesystem::exists(path)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// printf-style text for a log line's message.
std::string Text(const char* format, auto... args) {
  const int n = std::snprintf(nullptr, 0, format, args...);
  std::string text(static_cast<size_t>(std::max(n, 0)), '\0');
  std::snprintf(text.data(), text.size() + 1, format, args...);
  return text;
}

// An info line of event `event` with a printf-style message.
void Log(std::string_view event, const char* format, auto... args) {
  io::Log(io::LogLevel::kInfo, event, Text(format, args...));
}

int64_t MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               t0)
      .count();
}

// The latency the sync mode added to answers, as the daemon saw it (bench
// clients cannot separate it from their own scheduling on a shared machine).
void LogJournalHold(const io::LatencyHistogram& hold, const io::LatencyHistogram& ack,
                    const std::string& sync) {
  const auto us = [](const io::LatencyHistogram& h, double q) {
    return static_cast<double>(h.Quantile(q)) / 1000.0;
  };
  Log("journal_latency",
      "journal: %llu records acknowledged (sync=%s), append to ack: p50 %.0f us, p99 %.0f us, "
      "p99.9 %.0f us, max %.0f us",
      static_cast<unsigned long long>(ack.count()), sync.c_str(), us(ack, 0.5), us(ack, 0.99),
      us(ack, 0.999), static_cast<double>(ack.max()) / 1000.0);
  Log("journal_latency",
      "journal: %llu answers waited for the journal (sync=%s): p50 %.0f us, p99 %.0f us, "
      "p99.9 %.0f us, max %.0f us",
      static_cast<unsigned long long>(hold.count()), sync.c_str(), us(hold, 0.5), us(hold, 0.99),
      us(hold, 0.999), static_cast<double>(hold.max()) / 1000.0);
}

// Every connection is a descriptor: raise the soft limit to the hard one, so
// [limits] max_connections (10,000 by default) is not cut short by a default of
// 1,024. Says what it got, and warns when that is still too few.
void RaiseFileLimit(int64_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t before = limit.rlim_cur;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) limit.rlim_cur = before;
  }
  // Journal segments, snapshots, the listener and a few more besides the connections.
  constexpr rlim_t kSpareFiles = 64;
  const auto needed = static_cast<rlim_t>(max_connections) + kSpareFiles;
  Log("open_files", "open files: limit %llu (was %llu)%s",
      static_cast<unsigned long long>(limit.rlim_cur), static_cast<unsigned long long>(before),
      limit.rlim_cur < needed ? "; fewer than [limits] max_connections needs: raise the hard "
                                "limit (ulimit -Hn, LimitNOFILE=) or lower max_connections"
                              : "");
}

int Run(const Args& args) {
  io::Config config = io::LoadConfig(args.config);
  if (!args.listen.empty()) io::SetListen(config, args.listen, "--listen");
  if (!args.data_dir.empty()) config.data_dir = args.data_dir;
  // LoadConfig accepted only the level names ParseLogLevel knows.
  io::ConfigureLog({io::ParseLogLevel(config.log.level).value_or(io::LogLevel::kInfo),
                    config.log.format == "json", config.log.file});
  RaiseFileLimit(config.limits.max_connections);
  // Checked before the data is loaded: a bad certificate should not cost a long start.
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (config.tls.enabled()) {
    tls = io::MakeServerTlsContext({config.tls.cert, config.tls.key, config.tls.client_ca},
                                   args.config + ": [tls]");
    Log("tls", "TLS on the order listener (certificate %s%s)", config.tls.cert.c_str(),
        config.tls.client_ca.empty() ? "" : "; clients must present a certificate");
  }

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    throw io::LoadError(config.data_dir.string() +
                        ": cannot create the data directory ([data] dir): " + ec.message());
  }

  // Two daemons on one data directory would interleave their journals: the
  // second one refuses to start. The lock goes with the process.
  const std::filesystem::path lock_path = config.data_dir / "LOCK";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    throw io::LoadError(config.data_dir.string() +
                        ": another hourglassd is using this data directory ([data] dir); stop "
                        "it or give this one its own directory");
  }

  // The admin listener answers /healthz and /readyz while the data loads.
  io::Metrics metrics;
  io::AdminApi admin_api(metrics);
  std::unique_ptr<io::AdminServer> admin;
  if (!config.admin_host.empty()) {
    try {
      admin = std::make_unique<io::AdminServer>(
          config.admin_host, config.admin_port,
          [&admin_api](const io::AdminRequest& request) { return admin_api.Handle(request); }, tls);
    } catch (const std::system_error& e) {
      throw io::LoadError(config.file.string() + ": [admin] listen " + config.admin_host + ":" +
                          std::to_string(config.admin_port) + ": cannot listen: " + e.what());
    }
    admin->Start();
    std::printf("hourglassd: admin listening on %s:%u%s\n", config.admin_host.c_str(),
                admin->port(), tls ? " (HTTPS)" : "");
    std::fflush(stdout);
  }
  WaitForStartGate();

  // Stock comes from the newest snapshot when there is one (it holds every
  // change up to its seq), else from the stock file.
  const auto t0 = std::chrono::steady_clock::now();
  const auto started_at = t0;
  auto inventory = std::make_unique<alloc::Inventory>(
      io::LoadStores(config.stores_csv, config.rules, config.warehouses),
      static_cast<size_t>(config.limits.max_added_stores));
  inventory->stock.set_filter_bits_per_row(static_cast<uint32_t>(config.store_filter_bits));
  const auto snapshot = io::LatestSnapshot(config.data_dir);
  alloc::StateImage image;
  if (snapshot) {
    image = io::ReadSnapshot(*snapshot, *inventory, config.stores_csv.parent_path());
  } else {
    io::LoadStock(config.stock_csv, config.stores_csv, *inventory);
  }
  ReturnFreedMemory();
  const std::string loaded_from =
      snapshot ? snapshot->filename().string() : config.stock_csv.filename().string();
  const size_t store_count = inventory->Stores()->stores.size();
  const size_t sku_count = inventory->skus.size();
  const size_t stock_rows = inventory->stock.rows();
  Log("data_loaded", "loaded %zu stores, %zu SKUs, %zu stock rows from %s in %lld ms", store_count,
      sku_count, stock_rows, loaded_from.c_str(), static_cast<long long>(MsSince(t0)));
  Log("store_filters", "store filters: %lld bits per stock row, %.1f MB",
      static_cast<long long>(config.store_filter_bits),
      static_cast<double>(inventory->stock.filter_bytes()) / 1e6);

  io::JournalOptions journal_options;
  journal_options.dir = config.data_dir / "journal";
  // LoadConfig accepted only the names ParseSyncMode knows.
  journal_options.sync = io::ParseSyncMode(config.journal.sync).value_or(io::SyncMode::kAlways);
  journal_options.segment_bytes = static_cast<uint64_t>(config.journal.segment_bytes);
  journal_options.sync_interval_ms = static_cast<int>(config.journal.sync_interval_ms);
  if (const char* delay = std::getenv("HOURGLASS_FAULT_JOURNAL_DELAY_MS")) {
    journal_options.fault_write_delay_ms = std::atoi(delay);
    Log("fault_injection", "fault injection: journal writes delayed by %d ms",
        journal_options.fault_write_delay_ms);
  }
  if (const char* full = std::getenv("HOURGLASS_FAULT_JOURNAL_ENOSPC_FILE")) {
    journal_options.fault_enospc_file = full;
    Log("fault_injection", "fault injection: journal writes fail with ENOSPC while %s exists",
        full);
  }
  io::Journal journal(journal_options, inventory->sites);
  io::CountingEventLog counted_journal(journal, metrics);

  alloc::Allocator allocator(*inventory, config.rules.routing,
                             config.limits.finished_order_retention_s * 1000, &counted_journal);

  // Recovery: the base data (or the snapshot) plus the journal records after
  // it rebuild the state exactly as it was before the stop.
  const auto t1 = std::chrono::steady_clock::now();
  if (snapshot) allocator.Restore(image, io::ClockNow());
  std::string notes;
  uint64_t replayed = 0;
  {
    io::EventReplayer replayer(allocator, io::ClockNow(), config.stores_csv.parent_path());
    journal.Recover(
        image.seq,
        [&](uint64_t seq, std::string_view json, const std::string& where) {
          replayer.Apply(seq, json, where);
          ++replayed;
        },
        notes);
  }
  if (!notes.empty()) Log("journal_recovery", "journal: %s", notes.c_str());
  Log("journal_replayed", "journal: replayed %llu records in %lld ms (last seq %llu, sync=%s)",
      static_cast<unsigned long long>(replayed), static_cast<long long>(MsSince(t1)),
      static_cast<unsigned long long>(journal.last_seq()), config.journal.sync.c_str());
  const uint64_t snapshot_seq = image.seq;
  image = {};  // its orders are restored; free the memory
  io::Subscriptions subscriptions(config.data_dir, journal);
  io::Checkpointer checkpoints(allocator, journal, subscriptions, config.data_dir,
                               static_cast<uint64_t>(config.journal.snapshot_every_records),
                               static_cast<uint64_t>(config.journal.max_retained_bytes),
                               snapshot_seq);

  io::ServerOptions options;
  options.host = config.listen_host;
  options.port = config.listen_port;
  options.io_threads = static_cast<int>(config.io_threads);
  options.max_line_bytes = static_cast<size_t>(config.limits.max_line_bytes);
  options.max_connections = static_cast<size_t>(config.limits.max_connections);
  options.idle_timeout_s = static_cast<int>(config.limits.idle_timeout_s);
  options.acked_seq = [&journal] { return journal.AckedSeq(); };
  options.tls = tls;
  io::RulesReloader reloader(args.config, allocator, config);  // it logs each reload
  io::RouteHistory history(static_cast<size_t>(config.io_threads),
                           static_cast<size_t>(config.limits.what_if_orders));
  io::DecisionLog decisions(static_cast<size_t>(config.io_threads), kDecisionsPerThread);
  const io::Server* serving = nullptr;  // set once the server exists, before it starts
  io::DaemonStats stats(io::StatsSources{
      &metrics, &allocator, &journal, &subscriptions, &reloader,
      [&serving] { return serving != nullptr ? serving->open_connections() : size_t{0}; },
      [] { return io::ClockNow().wall_ms; }});
  const auto write_stats = [&stats](io::JsonWriter& w) { stats.WriteJson(w); };
  size_t next_ring = 0;
  const bool sample = config.log.sample_requests > 0 && io::LogEnabled(io::LogLevel::kInfo);
  io::Server server(options, [&]() -> std::unique_ptr<io::LineHandler> {
    const size_t ring = next_ring++;
    auto handler = std::make_unique<io::RequestHandler>(
        allocator, config.limits, io::ClockNow, &subscriptions,
        io::HandlerOps{&reloader, &history, ring, config.stores_csv.parent_path(),
                       config.rules.radius_km, config.rules.prep_min, config.tokens, &journal,
                       &metrics.AddThread(), &decisions, ring, write_stats});
    if (!sample) return handler;
    return std::make_unique<io::SampledHandler>(std::move(handler), config.log.sample_requests,
                                                static_cast<uint64_t>(io::MonotonicMs()) + ring);
  });
  serving = &server;
  // The map's explain queries: a handler of the admin thread's own that
  // counts nothing and keeps no history (they are not orders).
  io::RequestHandler quoter(allocator, config.limits, io::ClockNow);
  journal.SetWrittenListener([&server](uint64_t) { server.NotifyDurable(); });
  journal.Start();
  server.Start();
  asio::io_context main_ctx;
  asio::steady_timer sweep(main_ctx);
  stats.Refresh();
  const auto watchdog = daemon::WatchdogPingInterval();
  Sweep(sweep, allocator, subscriptions, checkpoints, stats,
        watchdog.count() > 0 ? std::max<int>(1, static_cast<int>(watchdog / kExpirySweep)) : 0);
  // SIGHUP: reload the rules; the old ones keep serving if the file is bad.
  asio::signal_set hangups(main_ctx, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangups.async_wait([&](const boost::system::error_code& error, int) {
      if (error) return;
      reloader.Reload(/*publish=*/true, "SIGHUP");  // it logs the outcome
      await_hangup();
    });
  };
  await_hangup();
  // SIGUSR1: open [log] file again under its name (logrotate moved the old one).
  asio::signal_set reopen(main_ctx, SIGUSR1);
  std::function<void()> await_reopen = [&] {
    reopen.async_wait([&](const boost::system::error_code& error, int) {
      if (error) return;
      std::string why;
      if (io::ReopenLog(why)) {
        io::Log(io::LogLevel::kInfo, "log_reopened", "log file reopened (SIGUSR1)");
      } else {
        io::Log(io::LogLevel::kError, "log_reopened", "cannot reopen the log file: " + why);
      }
      await_reopen();
    });
  };
  await_reopen();
  asio::signal_set signals(main_ctx, SIGINT, SIGTERM);
  int stop_signal = 0;
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    stop_signal = signal;
    daemon::NotifyStopping();
    hangups.cancel();
    reopen.cancel();
    Log("stopping", "%s received, finishing in-flight requests", strsignal(signal));
    sweep.cancel();
    // Answers may wait on the journal, so it stops after the server.
    server.Stop();
    journal.Stop();
    LogJournalHold(server.JournalHold(), journal.AckLatency(), config.journal.sync);
    subscriptions.Save();
    // A snapshot at the stop makes the next start read one file.
    checkpoints.RunNow();
  });
  const bool loopback = config.listen_host == "127.0.0.1" || config.listen_host == "::1" ||
                        config.listen_host == "localhost" || config.listen_host.starts_with("127.");
  if (!loopback && config.tokens.empty()) {
    io::Log(io::LogLevel::kWarn, "insecure_listen",
            Text("warning: listening on %s without [security] tokens: any client that can reach "
                 "it may route, change stock and stores, and reload the rules",
                 config.listen_host.c_str()));
  }
  // Declared after the parts, so it detaches them before they go, whatever the way out.
  struct DetachAdmin {
    io::AdminApi& api;
    ~DetachAdmin() { api.Detach(); }
  } detach_admin{admin_api};
  admin_api.Attach(io::AdminParts{&stats, &allocator, &decisions, &quoter,
                                  [] { return io::ClockNow().wall_ms; }});
  metrics.SetReady();
  const std::string listen = config.listen_host + ":" + std::to_string(server.port());
  const uint64_t rules_version = allocator.rules()->version;
  const int64_t ready_ms = MsSince(started_at);
  io::Log(io::LogLevel::kInfo, "start",
          Text("started: listening on %s; %zu stores, %zu SKUs, %zu stock rows from %s; %llu "
               "journal records replayed (last seq %llu); rules version %llu; ready in %lld ms",
               listen.c_str(), store_count, sku_count, stock_rows, loaded_from.c_str(),
               static_cast<unsigned long long>(replayed),
               static_cast<unsigned long long>(journal.last_seq()),
               static_cast<unsigned long long>(rules_version), static_cast<long long>(ready_ms)),
          {io::LogField::Str("listen", listen), io::LogField::Int("pid", ::getpid()),
           io::LogField::Int("stores", static_cast<int64_t>(store_count)),
           io::LogField::Int("skus", static_cast<int64_t>(sku_count)),
           io::LogField::Int("stock_rows", static_cast<int64_t>(stock_rows)),
           io::LogField::Str("loaded_from", loaded_from),
           io::LogField::Int("replayed", static_cast<int64_t>(replayed)),
           io::LogField::Int("last_seq", static_cast<int64_t>(journal.last_seq())),
           io::LogField::Int("rules_version", static_cast<int64_t>(rules_version)),
           io::LogField::Str("sync", config.journal.sync),
           io::LogField::Int("io_threads", config.io_threads),
           io::LogField::Num("sample_requests", sample ? config.log.sample_requests : 0.0),
           io::LogField::Int("ready_ms", ready_ms)});
  // Printed once every signal handler is in place: a client may stop us at once.
  // Tests and scripts wait for this line to learn the port; the start line is
  // in the log before it.
  std::printf("hourglassd: listening on %s:%u\n", config.listen_host.c_str(), server.port());
  std::fflush(stdout);
  // Only now is the daemon ready: data loaded, journal replayed, listener up.
  daemon::NotifyReady("serving on " + listen);

  main_ctx.run();
  admin_api.Detach();
  if (admin) admin->Stop();
  const int64_t uptime_s = MsSince(started_at) / 1000;
  io::Log(
      io::LogLevel::kInfo, "stop",
      Text("stopped (%s) after %lld s; last seq %llu, rules version %llu",
           stop_signal != 0 ? strsignal(stop_signal) : "no signal",
           static_cast<long long>(uptime_s), static_cast<unsigned long long>(journal.last_seq()),
           static_cast<unsigned long long>(allocator.rules()->version)),
      {io::LogField::Str("signal", stop_signal != 0 ? sigabbrev_np(stop_signal) : ""),
       io::LogField::Int("uptime_s", uptime_s),
       io::LogField::Int("last_seq", static_cast<int64_t>(journal.last_seq())),
       io::LogField::Int("rules_version", static_cast<int64_t>(allocator.rules()->version))});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) return 2;
  try {
    return Run(args);
  } catch (const io::LoadError& e) {
    io::Log(io::LogLevel::kError, "start_failed", std::string("error: ") + e.what());
    return 2;
  } catch (const std::system_error& e) {
    io::Log(io::LogLevel::kError, "start_failed", std::string("error: ") + e.what());
    return 2;
  }
}
