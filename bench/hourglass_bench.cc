// hourglass-bench: load-test client for hourglassd over its NDJSON/TCP protocol. A pure client: it
// links none of the daemon's libraries.
//
// Model:
//   * Requests are built before the run from an NDJSON file of route requests (--orders). Quote
//     lines are sent as built. Reserving workloads give every sent order a unique id
//     B<nonce>-<12 digits>: the line is built once with a slot of zeros, and the hot path copies it
//     and writes the 12 digits in place (no JSON formatting while measuring).
//   * Closed loop (default): every connection keeps --depth requests in flight, pipelined. All
//     requests ready at once go out in one write; answers are read with a large buffer and split
//     into lines. Latency = from the write being issued to the answer line being parsed.
//   * Open loop (--rate): each connection sends at rate / connections on a fixed schedule;
//     latency is measured from the intended send time, so a stalled daemon is charged for the
//     requests it delayed (no coordinated omission).
//   * Workloads: quote (route only), reserve (route + reserve), mixed (route + reserve, then for
//     each reserved order 70 % commit, 20 % release, 10 % left to expire; the follow-ups go out
//     on the same connection ahead of new routes and count as requests).
//   * Timing: --warmup-s of traffic is not measured; then the requests sent during --duration-s
//     (or the first --requests) are measured, sending stops, and the answers still due are
//     drained. Answers are checked with cheap string tests (the daemon writes "ok" first when no
//     "id" is sent, and this client never sends one).
//   * Threads: --threads I/O threads, each with its own io_context; a connection lives on one.
//     Every connection keeps its own statistics; they are merged after the threads are joined.
//
//   * Targets (--target): hourglassd (NDJSON), or one of the peer baselines of bench/peers/ —
//     Redis (EVALSHA of its route script) or PostgreSQL (its route function, pipelined
//     Bind/Execute/Sync) — with the same orders and the same loop; see peer_wire.h. Peers only
//     run the reserve workload, the only thing their scripts do.
//
// Exit status: 0 clean run; 1 a transport error or an answer that was not "ok":true (none is
// expected from this load); 2 bad flags or a bad orders file.

#include <simdjson.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <bit>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench/peer_pg_session.h"
#include "bench/peer_wire.h"
#include "bench/stock_feed.h"
#include "io/latency_histogram.h"
#include "io/load_error.h"
#include "io/tls_context.h"

namespace hourglass::bench {
namespace {

namespace asio = boost::asio;
using io::LatencyHistogram;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr char kProgram[] = "hourglass-bench";

// Limits, each named once.
constexpr uint64_t kMaxConnections = 10000;
constexpr uint64_t kMaxDepth = 65536;
constexpr uint64_t kMaxThreads = 64;
// One read takes up to this much; answers are ~150-300 bytes, so a whole pipelined batch.
constexpr size_t kReadBufferBytes = 256 << 10;
// An answer line longer than this is a protocol error (the daemon's are a few hundred bytes).
constexpr size_t kMaxAnswerBytes = 4 << 20;
// In flight on one connection in open loop; past it requests wait (their latency still counts
// from the intended send time).
constexpr size_t kOpenLoopMaxInFlight = 65536;
// Requests in flight and no answer for this long: the connection is given up as stalled.
constexpr auto kStallTimeout = std::chrono::seconds(10);
// Watchdog period (stall check, end of the run for idle connections).
constexpr auto kTick = std::chrono::milliseconds(100);
// Open loop: the pacer wakes at most this often (see Pace).
constexpr auto kPacerMinGap = std::chrono::microseconds(50);
// Digits of the per-run order counter in reserving workloads' order ids.
constexpr int kIdDigits = 12;

// ---------------------------------------------------------------------------------------------
// Errors before the run: exit 2.

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "%s: %s (see --help)\n", kProgram, message.c_str());
  std::exit(2);
}

[[noreturn]] void InputError(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kProgram, message.c_str());
  std::exit(2);
}

// ---------------------------------------------------------------------------------------------
// Options

enum class Workload { kQuote, kReserve, kMixed };
enum class Target { kHourglass, kRedis, kPostgres };

const char* WorkloadName(Workload w) {
  switch (w) {
    case Workload::kQuote:
      return "quote";
    case Workload::kReserve:
      return "reserve";
    case Workload::kMixed:
      return "mixed";
  }
  return "?";
}

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string orders;
  uint64_t connections = 8;
  uint64_t depth = 32;
  double duration_s = 10;
  uint64_t requests = 0;  // measured requests in all; 0: run for duration_s
  Workload workload = Workload::kQuote;
  uint64_t threads = 1;
  std::string json;
  double warmup_s = 1;
  double rate = 0;  // requests per second in all; 0: closed loop
  Target target = Target::kHourglass;
  std::string redis_sha;          // --target redis: the route script's SHA1
  std::string pg;                 // --target pg: libpq connection string
  double search_km = 8;           // peers: how far the route scripts look for stores
  bool one_pass = false;          // connection i sends orders i, i + N, i + 2N, ... (N connections)
  std::string tls_ca;             // set: connect over TLS, verifying the daemon against this CA
  std::string tls_cert, tls_key;  // a client certificate for mutual TLS
  std::string stock_updates;      // stock.set lines to stream alongside ("" : none)
  double stock_rate = 1000;       // their rate, per second
};

const char* TargetName(Target t) {
  switch (t) {
    case Target::kHourglass:
      return "hourglass";
    case Target::kRedis:
      return "redis";
    case Target::kPostgres:
      return "pg";
  }
  return "?";
}

constexpr char kUsage[] = R"(usage: hourglass-bench --port N --orders FILE [--flag value]...
Load-tests hourglassd: pipelined route (and commit/release) requests over TCP connections.
  --host HOST          daemon address (default 127.0.0.1)
  --port N             daemon port (required)
  --orders FILE        NDJSON route requests, e.g. demo/orders.ndjson from hourglass-gen (required)
  --workload W         quote (route only, default), reserve (route + reserve), or mixed
                       (route + reserve, then 70 % commit, 20 % release, 10 % left to expire)
  --connections N      TCP connections (default 8)
  --depth N            requests in flight per connection, pipelined (default 32; closed loop)
  --duration-s S       measured seconds (default 10)
  --requests N         measure N requests in all instead of a duration
  --warmup-s S         unmeasured traffic first (default 1)
  --threads N          client I/O threads, each with its own event loop (default 1)
  --rate R             open loop: R requests/s in all on a fixed schedule, latency from the
                       intended send time (--depth is then ignored)
  --json FILE          also write the report as JSON
  --one-pass           connection i of N sends orders i, i+N, i+2N, ... so that --requests
                       equal to the number of orders sends each order once
  --target T           hourglass (default), redis or pg: the peer baselines of bench/peers/,
                       same orders and loop (reserve workload only)
  --redis-sha SHA      redis: SHA1 of the loaded route script (SCRIPT LOAD)
  --pg CONNINFO        pg: libpq connection string (--host/--port unused), e.g.
                       "host=127.0.0.1 port=24432 user=postgres dbname=postgres sslmode=disable"
  --search-km KM       redis, pg: how far the route scripts look for stores (default 8)
  --tls-ca FILE        speak TLS, verifying the daemon's certificate (for --host) against this
                       PEM CA file; --tls-cert FILE --tls-key FILE add a client certificate
  --stock-updates FILE stream these stock.set lines (e.g. stock_updates.ndjson from hourglass-gen
                       --stock-updates N) on one more connection while the workload runs
  --stock-rate R       their rate in stock.set/s on a fixed schedule (default 1000)
  --help               print this help
Exit status: 0 clean, 1 transport errors or ok:false answers, 2 bad flags or orders file.
)";

uint64_t ParseUint(std::string_view flag, std::string_view value, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < min || v > max) {
    UsageError("bad value '" + std::string(value) + "' for " + std::string(flag) +
               ": expected a whole number in [" + std::to_string(min) + ", " + std::to_string(max) +
               "]");
  }
  return v;
}

double ParseSeconds(std::string_view flag, std::string_view value, double min, double max) {
  // std::from_chars for double needs libstdc++ 11+, which g++ 12 has.
  double v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(v) || v < min ||
      v > max) {
    UsageError("bad value '" + std::string(value) + "' for " + std::string(flag) +
               ": expected a number in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

Options ParseArgs(int argc, char** argv) {
  Options opt;
  bool have_port = false;
  bool have_depth = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (name.substr(0, 2) != "--") UsageError("unexpected argument '" + std::string(name) + "'");
    if (name == "--one-pass") {
      opt.one_pass = true;
      continue;
    }
    if (i + 1 >= argc) UsageError("missing value for " + std::string(name));
    const std::string_view value = argv[++i];
    if (name == "--host") {
      opt.host = value;
    } else if (name == "--port") {
      opt.port = static_cast<uint16_t>(ParseUint(name, value, 1, 65535));
      have_port = true;
    } else if (name == "--orders") {
      opt.orders = value;
    } else if (name == "--connections") {
      opt.connections = ParseUint(name, value, 1, kMaxConnections);
    } else if (name == "--depth") {
      opt.depth = ParseUint(name, value, 1, kMaxDepth);
      have_depth = true;
    } else if (name == "--duration-s") {
      opt.duration_s = ParseSeconds(name, value, 0.001, 86400);
    } else if (name == "--requests") {
      opt.requests = ParseUint(name, value, 1, uint64_t{1} << 40);
    } else if (name == "--warmup-s") {
      opt.warmup_s = ParseSeconds(name, value, 0, 3600);
    } else if (name == "--threads") {
      opt.threads = ParseUint(name, value, 1, kMaxThreads);
    } else if (name == "--workload") {
      if (value == "quote") {
        opt.workload = Workload::kQuote;
      } else if (value == "reserve") {
        opt.workload = Workload::kReserve;
      } else if (value == "mixed") {
        opt.workload = Workload::kMixed;
      } else {
        UsageError("bad value '" + std::string(value) +
                   "' for --workload: expected quote, reserve or mixed");
      }
    } else if (name == "--rate") {
      opt.rate = ParseSeconds(name, value, 0.001, 1e8);
    } else if (name == "--json") {
      opt.json = value;
    } else if (name == "--target") {
      if (value == "hourglass") {
        opt.target = Target::kHourglass;
      } else if (value == "redis") {
        opt.target = Target::kRedis;
      } else if (value == "pg") {
        opt.target = Target::kPostgres;
      } else {
        UsageError("bad value '" + std::string(value) +
                   "' for --target: expected hourglass, redis or pg");
      }
    } else if (name == "--redis-sha") {
      opt.redis_sha = value;
    } else if (name == "--pg") {
      opt.pg = value;
    } else if (name == "--search-km") {
      opt.search_km = ParseSeconds(name, value, 0.001, 1000);
    } else if (name == "--tls-ca") {
      opt.tls_ca = value;
    } else if (name == "--tls-cert") {
      opt.tls_cert = value;
    } else if (name == "--tls-key") {
      opt.tls_key = value;
    } else if (name == "--stock-updates") {
      opt.stock_updates = value;
    } else if (name == "--stock-rate") {
      opt.stock_rate = ParseSeconds(name, value, 0.001, 1e7);
    } else {
      UsageError("unknown flag '" + std::string(name) + "'");
    }
    if (value.empty()) UsageError("empty value for " + std::string(name));
  }
  if (!have_port && opt.target != Target::kPostgres) UsageError("--port is required");
  if (opt.target == Target::kRedis && opt.redis_sha.empty()) {
    UsageError("--target redis needs --redis-sha (the route script's SCRIPT LOAD answer)");
  }
  if (opt.target == Target::kPostgres && opt.pg.empty()) {
    UsageError("--target pg needs --pg CONNINFO");
  }
  if (opt.target != Target::kHourglass && opt.workload != Workload::kReserve) {
    UsageError("--target " + std::string(TargetName(opt.target)) +
               " runs only --workload reserve (the peer scripts always reserve)");
  }
  if (opt.orders.empty()) UsageError("--orders is required");
  if (!opt.stock_updates.empty() && (opt.target != Target::kHourglass || !opt.tls_ca.empty())) {
    UsageError("--stock-updates is for --target hourglass over plain TCP");
  }
  if (!opt.tls_ca.empty() && opt.target != Target::kHourglass) {
    UsageError("--tls-ca is for --target hourglass");
  }
  if (opt.threads > opt.connections) {
    UsageError("--threads (" + std::to_string(opt.threads) + ") exceeds --connections (" +
               std::to_string(opt.connections) + ")");
  }
  if (opt.rate > 0 && have_depth) {
    std::fprintf(stderr, "%s: note: --depth is ignored with --rate (open loop)\n", kProgram);
  }
  return opt;
}

// ---------------------------------------------------------------------------------------------
// Request lines, built before the run

enum class Op : uint8_t { kRoute, kCommit, kRelease };
constexpr size_t kOps = 3;
constexpr std::array<const char*, kOps> kOpNames = {"route", "commit", "release"};

// One request line, '\n' included. When `id_at` is set, the kIdDigits bytes there are the
// digits of the order id, written per request.
struct LineTemplate {
  std::string text;
  size_t id_at = std::string::npos;
  uint32_t units = 0;  // a route's units in all, counted when it is reserved
};

struct RequestSet {
  std::vector<LineTemplate> routes;
  LineTemplate commit;
  LineTemplate release;
};

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

// `"order":"B<nonce>-000000000000"`, with id_at at the zeros.
LineTemplate WithOrderId(std::string head, std::string_view id_prefix, std::string_view tail) {
  LineTemplate t;
  t.text = std::move(head);
  t.text += "\"order\":\"";
  t.text += id_prefix;
  t.id_at = t.text.size();
  t.text.append(kIdDigits, '0');
  t.text += '"';
  t.text += tail;
  return t;
}

// lat, lon and the items of a route request, as the peers take them.
std::optional<peer::Order> ReadPeerOrder(simdjson::dom::object obj) {
  peer::Order order;
  simdjson::dom::array items;
  if (obj["lat"].get_double().get(order.lat) != simdjson::SUCCESS ||
      obj["lon"].get_double().get(order.lon) != simdjson::SUCCESS ||
      obj["items"].get_array().get(items) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  for (const auto item : items) {
    std::string_view sku;
    uint64_t qty = 0;
    if (item["sku"].get_string().get(sku) != simdjson::SUCCESS ||
        item["qty"].get_uint64().get(qty) != simdjson::SUCCESS || qty > UINT32_MAX) {
      return std::nullopt;
    }
    order.lines.push_back({std::string(sku), static_cast<uint32_t>(qty)});
  }
  return order;
}

template <typename Where>
LineTemplate PeerRequest(const Options& opt, const peer::Order& order, const Where& where) {
  LineTemplate t;
  if (opt.target == Target::kRedis) {
    t.text = peer::RedisRouteCommand(opt.redis_sha, order, opt.search_km);
  } else {
    std::optional<std::string> messages = peer::PgRouteMessages(order, opt.search_km);
    if (!messages) InputError(where() + "the PostgreSQL peer needs SKU ids ending in digits");
    t.text = std::move(*messages);
  }
  return t;
}

// Reads the orders file; a line that is not a route request stops the program (exit 2), so a
// typo in the input is never measured as daemon errors.
RequestSet BuildRequests(const Options& opt, std::string_view id_prefix) {
  std::ifstream in(opt.orders, std::ios::binary);
  if (!in) InputError(opt.orders + ": cannot open the orders file");
  const bool reserving = opt.workload != Workload::kQuote;
  RequestSet set;
  simdjson::dom::parser parser;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const auto where = [&] { return opt.orders + ":" + std::to_string(line_no) + ": "; };
    simdjson::dom::object obj;
    if (parser.parse(line).get_object().get(obj) != simdjson::SUCCESS) {
      InputError(where() + "not a JSON object");
    }
    std::string_view op;
    if (obj["op"].get_string().get(op) != simdjson::SUCCESS || op != "route") {
      InputError(where() + "not a route request ({\"op\":\"route\",...})");
    }
    for (const char* key : {"lat", "lon", "items"}) {
      if (obj[key].error() != simdjson::SUCCESS) {
        InputError(where() + "route request without \"" + key + "\"");
      }
    }
    // hourglassd judges its requests itself (a malformed one is sent as it is, to be refused);
    // the peers' requests are rebuilt from these fields, so those must be readable.
    const std::optional<peer::Order> order_lines = ReadPeerOrder(obj);
    if (!order_lines && opt.target != Target::kHourglass) {
      InputError(where() + "lat, lon or items[].sku / qty unreadable");
    }
    uint32_t units = 0;
    if (order_lines) {
      for (const peer::OrderLine& l : order_lines->lines) units += l.qty;
    }
    if (opt.target != Target::kHourglass) {
      set.routes.push_back(PeerRequest(opt, *order_lines, where));
      set.routes.back().units = units;
      continue;
    }
    // Every field but order, reserve and id, as given (minified).
    std::string head = "{";
    std::string order;  // the original "order" value, kept for quotes
    for (const auto field : obj) {
      if (field.key == "order") {
        order = simdjson::minify(field.value);
        continue;
      }
      if (field.key == "reserve" || field.key == "id") continue;
      if (head.size() > 1) head += ',';
      AppendJsonString(head, field.key);
      head += ':';
      head += simdjson::minify(field.value);
    }
    head += ',';
    if (reserving) {
      set.routes.push_back(WithOrderId(std::move(head), id_prefix, ",\"reserve\":true}\n"));
      set.routes.back().units = units;
    } else {
      LineTemplate t;
      t.text = std::move(head);
      if (order.empty()) {
        t.text.back() = '}';
      } else {
        t.text += "\"order\":" + order + "}";
      }
      t.text += '\n';
      set.routes.push_back(std::move(t));
    }
  }
  if (in.bad()) InputError(opt.orders + ": read error");
  if (set.routes.empty()) InputError(opt.orders + ": no route requests");
  set.commit = WithOrderId("{\"op\":\"commit\",", id_prefix, "}\n");
  set.release = WithOrderId("{\"op\":\"release\",", id_prefix, "}\n");
  return set;
}

// Writes `value` as exactly kIdDigits decimal digits (zero-padded) at `at`.
void PutIdDigits(char* at, uint64_t value) {
  for (int i = kIdDigits - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

// Counts by a short name (error code, not-found reason); a handful of distinct names at most.
class Tally {
 public:
  void Add(std::string_view name, uint64_t n = 1) {
    for (auto& [k, v] : entries_) {
      if (k == name) {
        v += n;
        return;
      }
    }
    entries_.emplace_back(std::string(name), n);
  }
  void Merge(const Tally& other) {
    for (const auto& [k, v] : other.entries_) Add(k, v);
  }
  uint64_t total() const {
    uint64_t t = 0;
    for (const auto& e : entries_) t += e.second;
    return t;
  }
  std::vector<std::pair<std::string, uint64_t>> Sorted() const {
    auto v = entries_;
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return b.second < a.second; });
    return v;
  }

 private:
  std::vector<std::pair<std::string, uint64_t>> entries_;
};

// Measured requests only (sent inside the measurement window), except `errors_unmeasured`.
struct Stats {
  std::array<LatencyHistogram, kOps> latency_ns;  // count() = answers of that op
  LatencyHistogram send_lag_ns;          // open loop: write issued minus intended send time
  std::array<uint64_t, kOps> already{};  // ok answers with "already":true
  uint64_t found = 0;
  uint64_t not_found = 0;
  uint64_t reserved = 0;
  // Units of every reserved route, warm-up and drain included: what a stock check balances.
  uint64_t units_reserved = 0;
  uint64_t found_not_reserved = 0;  // reserving, found, but "reserved" not true
  uint64_t left_to_expire = 0;      // mixed: reserved and deliberately left alone
  uint64_t follow_ups_unsent = 0;   // mixed: commit/release still queued when sending stopped
  Tally not_found_reasons;
  Tally errors;                    // ok:false answers by code; "bad_answer" for unreadable ones
  uint64_t errors_unmeasured = 0;  // the same during warm-up
  uint64_t transport_errors = 0;
  std::string first_problem;         // the first error answer or transport error, for the report
  std::vector<uint64_t> per_second;  // measured answers by second of the window they came in
  Clock::time_point last_answer{};   // of a measured request

  void Note(std::string problem) {
    if (first_problem.empty()) first_problem = std::move(problem);
  }

  void Merge(const Stats& o) {
    for (size_t i = 0; i < kOps; ++i) {
      latency_ns[i].Merge(o.latency_ns[i]);
      already[i] += o.already[i];
    }
    send_lag_ns.Merge(o.send_lag_ns);
    found += o.found;
    not_found += o.not_found;
    reserved += o.reserved;
    units_reserved += o.units_reserved;
    found_not_reserved += o.found_not_reserved;
    left_to_expire += o.left_to_expire;
    follow_ups_unsent += o.follow_ups_unsent;
    not_found_reasons.Merge(o.not_found_reasons);
    errors.Merge(o.errors);
    errors_unmeasured += o.errors_unmeasured;
    transport_errors += o.transport_errors;
    if (first_problem.empty()) first_problem = o.first_problem;
    if (per_second.size() < o.per_second.size()) per_second.resize(o.per_second.size());
    for (size_t i = 0; i < o.per_second.size(); ++i) per_second[i] += o.per_second[i];
    last_answer = std::max(last_answer, o.last_answer);
  }
};

// ---------------------------------------------------------------------------------------------
// The run

// Shared, read-only while the threads run.
struct RunPlan {
  const Options* opt = nullptr;
  const RequestSet* requests = nullptr;
  Clock::time_point start;            // connections are up; warm-up begins
  Clock::time_point measure_from;     // requests sent from here on are measured
  Clock::time_point measure_until;    // and up to here (time_point::max() with --requests)
  asio::ssl::context* tls = nullptr;  // set with --tls-ca
};

// A growable FIFO ring; no allocation once it has reached its working size.
template <typename T>
class Ring {
 public:
  explicit Ring(size_t capacity) : items_(std::bit_ceil(std::max<size_t>(capacity, 2))) {}
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return items_[(head_ + i) & (items_.size() - 1)]; }
  T& front() { return items_[head_]; }
  void pop_front() {
    head_ = (head_ + 1) & (items_.size() - 1);
    --size_;
  }
  void push_back(const T& item) {
    if (size_ == items_.size()) Grow();
    items_[(head_ + size_) & (items_.size() - 1)] = item;
    ++size_;
  }

 private:
  void Grow() {
    std::vector<T> bigger(items_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = (*this)[i];
    items_.swap(bigger);
    head_ = 0;
  }
  std::vector<T> items_;
  size_t head_ = 0;
  size_t size_ = 0;
};

struct InFlight {
  Clock::time_point sent;  // write issued (closed loop) or intended send time (open loop)
  uint64_t id = 0;         // order counter of reserving workloads
  uint32_t units = 0;      // a route's units in all
  Op op = Op::kRoute;
  bool measured = false;
};

struct FollowUp {
  uint64_t id;
  Op op;
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// A field looked for in every answer. Boyer-Moore-Horspool skips along the
// line by the needle's length; find() stops at every quote, and answers are
// full of them (that was a fifth of the client's CPU, taken from the daemon
// it shares the machine with).
class Needle {
 public:
  explicit Needle(std::string_view text) : searcher_(text.begin(), text.end()) {}
  bool In(std::string_view s) const {
    return std::search(s.begin(), s.end(), searcher_) != s.end();
  }

 private:
  std::boyer_moore_horspool_searcher<std::string_view::const_iterator> searcher_;
};

const Needle kAlreadyTrue(R"("already":true)");
const Needle kFoundFalse(R"("found":false)");
const Needle kFoundTrue(R"("found":true)");
const Needle kReservedTrue(R"("reserved":true)");

// The string after `key` (which ends with the opening quote) up to the closing quote.
std::string_view StringAfter(std::string_view line, std::string_view key) {
  const size_t at = line.find(key);
  if (at == std::string_view::npos) return {};
  const size_t from = at + key.size();
  const size_t to = line.find('"', from);
  if (to == std::string_view::npos) return {};
  return line.substr(from, to - from);
}

std::string Excerpt(std::string_view line) {
  constexpr size_t kMax = 300;
  return std::string(line.substr(0, kMax)) + (line.size() > kMax ? "..." : "");
}

// One TCP connection and its load; lives on one thread (all its handlers run there).
class Connection {
 public:
  Connection(asio::io_context& ctx, const RunPlan& plan, uint64_t index, uint64_t budget)
      : socket_(ctx),
        plan_(plan),
        opt_(*plan.opt),
        index_(index),
        budget_(budget),
        inflight_(opt_.rate > 0 ? 1024 : opt_.depth),
        follow_ups_(64),
        in_(kReadBufferBytes),
        rng_(0x9E3779B97F4A7C15ULL * (index + 1)),
        route_cursor_((opt_.one_pass ? index : index * 7919) % plan.requests->routes.size()),
        route_step_(opt_.one_pass ? opt_.connections : 1) {
    out_.reserve(256 * std::min<uint64_t>(opt_.depth, 1024));
    if (opt_.rate > 0) {
      interval_ = std::chrono::duration<double>(static_cast<double>(opt_.connections) / opt_.rate);
    }
  }

  // Blocking, before the run.
  error_code Connect(const tcp::endpoint& endpoint) {
    error_code ec;
    socket_.connect(endpoint, ec);
    if (!ec) socket_.set_option(tcp::no_delay(true), ec);
    if (!ec && plan_.tls != nullptr) {
      tls_.emplace(socket_, *plan_.tls);
      tls_->set_verify_callback(asio::ssl::host_name_verification(opt_.host));
      tls_->handshake(asio::ssl::stream_base::client, ec);
    }
    return ec;
  }

  // Blocking, before the run: the PostgreSQL target's session (see peer_pg_session.h).
  std::string ConnectPg() {
    std::string error;
    pg_ = peer::PgSession::Open(opt_.pg, error);
    if (!pg_) return error;
    const int fd = pg_->DupSocket();
    error_code ec;
    if (fd >= 0) socket_.assign(tcp::v4(), fd, ec);
    if (fd < 0 || ec) return "cannot take over the session's socket";
    socket_.set_option(tcp::no_delay(true), ec);
    return {};
  }

  // On the connection's thread, once.
  void Start() {
    last_progress_ = Clock::now();
    // Open loop: connections take turns within one interval.
    open_origin_ =
        plan_.start +
        std::chrono::duration_cast<Clock::duration>(
            interval_ * (static_cast<double>(index_) / static_cast<double>(opt_.connections)));
    Read();
    Fill();
  }

  // Watchdog, every kTick.
  void Tick(Clock::time_point now) {
    if (done_) return;
    if (!inflight_.empty() && now - last_progress_ > kStallTimeout) {
      Fail("no answer for " + std::to_string(kStallTimeout.count()) + " s with " +
           std::to_string(inflight_.size()) + " requests in flight");
      return;
    }
    Fill();
  }

  // Open loop, from the thread's pacer: sends what is due. Returns when the next request is
  // due, or time_point::max() when there is nothing more to send.
  Clock::time_point Pace() {
    Fill();
    if (done_) return Clock::time_point::max();
    const Clock::time_point next = NextScheduled();
    return MaySend(next) ? next : Clock::time_point::max();
  }

  bool done() const { return done_; }
  Stats& stats() { return stats_; }

 private:
  bool open_loop() const { return opt_.rate > 0; }

  // May a request sent (or intended) at `t` still go out?
  bool MaySend(Clock::time_point t) const {
    if (t >= plan_.measure_until) return false;
    return !(opt_.requests > 0 && t >= plan_.measure_from && measured_sent_ >= budget_);
  }

  // The next request: a queued commit/release first, else the next route.
  void AppendNext(Clock::time_point sent) {
    InFlight r;
    r.sent = sent;
    r.measured = sent >= plan_.measure_from;
    if (r.measured) ++measured_sent_;
    const LineTemplate* t = nullptr;
    if (!follow_ups_.empty()) {
      const FollowUp f = follow_ups_.front();
      follow_ups_.pop_front();
      r.op = f.op;
      r.id = f.id;
      t = f.op == Op::kCommit ? &plan_.requests->commit : &plan_.requests->release;
    } else {
      t = &plan_.requests->routes[route_cursor_];
      route_cursor_ = (route_cursor_ + route_step_) % plan_.requests->routes.size();
      r.op = Op::kRoute;
      r.units = t->units;
      r.id = next_id_++ * opt_.connections + index_;  // unique across connections
    }
    const size_t at = out_.size();
    out_ += t->text;
    if (t->id_at != std::string::npos) PutIdDigits(out_.data() + at + t->id_at, r.id);
    inflight_.push_back(r);
  }

  void Fill() {
    if (done_ || writing_) return;
    const size_t first = inflight_.size();
    if (open_loop()) {
      const auto now = Clock::now();
      while (inflight_.size() < kOpenLoopMaxInFlight) {
        const Clock::time_point due = NextScheduled();
        if (due > now || !MaySend(due)) break;
        AppendNext(due);
        ++sent_;
        if (due >= plan_.measure_from) {
          const auto lag = std::chrono::duration_cast<std::chrono::nanoseconds>(now - due);
          stats_.send_lag_ns.Record(static_cast<uint64_t>(lag.count()));
        }
      }
    } else {
      const auto now = Clock::now();
      while (inflight_.size() < opt_.depth && MaySend(now)) AppendNext(now);
      // Stamp the batch as late as possible: the write is issued right after.
      const auto stamp = Clock::now();
      for (size_t i = first; i < inflight_.size(); ++i) inflight_[i].sent = stamp;
    }
    if (inflight_.size() == first) {
      if (inflight_.empty() && !MaySend(NextScheduled())) Finish();
      return;
    }
    // The stall clock runs from the oldest unanswered request or the last answer.
    if (first == 0) last_progress_ = Clock::now();
    writing_ = true;
    const auto done = [this](const error_code& ec, size_t) { OnWrite(ec); };
    if (tls_) {
      asio::async_write(*tls_, asio::buffer(out_), done);
    } else {
      asio::async_write(socket_, asio::buffer(out_), done);
    }
  }

  // Open loop: the intended send time of the next request; closed loop: now.
  Clock::time_point NextScheduled() const {
    if (!open_loop()) return Clock::now();
    return open_origin_ +
           std::chrono::duration_cast<Clock::duration>(interval_ * static_cast<double>(sent_));
  }

  void OnWrite(const error_code& ec) {
    writing_ = false;
    if (done_) return;
    if (ec) return Fail("write: " + ec.message());
    out_.clear();
    Fill();
  }

  void Read() {
    const auto room = asio::buffer(in_.data() + in_len_, in_.size() - in_len_);
    const auto done = [this](const error_code& ec, size_t n) { OnRead(ec, n); };
    if (tls_) {
      tls_->async_read_some(room, done);
    } else {
      socket_.async_read_some(room, done);
    }
  }

  void OnRead(const error_code& ec, size_t n) {
    if (done_) return;
    if (ec) {
      if (ec == asio::error::eof) {
        return Fail("the daemon closed the connection with " + std::to_string(inflight_.size()) +
                    " requests unanswered");
      }
      return Fail("read: " + ec.message());
    }
    last_progress_ = Clock::now();
    in_len_ += n;
    size_t start = 0;
    while (start < in_len_) {
      const char* begin = in_.data() + start;
      if (opt_.target != Target::kHourglass) {
        const size_t used = HandlePeerReply(std::string_view(begin, in_len_ - start));
        if (done_) return;
        if (used == 0) break;
        start += used;
        continue;
      }
      const auto* nl = static_cast<const char*>(std::memchr(begin, '\n', in_len_ - start));
      if (nl == nullptr) break;
      HandleAnswer(std::string_view(begin, static_cast<size_t>(nl - begin)), Clock::now());
      if (done_) return;
      start += static_cast<size_t>(nl - begin) + 1;
    }
    std::memmove(in_.data(), in_.data() + start, in_len_ - start);
    in_len_ -= start;
    if (in_len_ == in_.size()) {
      if (in_.size() >= kMaxAnswerBytes) {
        return Fail("an answer line is longer than " + std::to_string(kMaxAnswerBytes) + " bytes");
      }
      in_.resize(in_.size() * 2);
    }
    Read();
    Fill();
  }

  // The oldest request in flight, answered at `now`: its latency and second are recorded when
  // it is measured (then `s` is set). Fails the connection when nothing was in flight.
  std::optional<InFlight> TakeAnswered(Clock::time_point now, std::string_view answer, Stats*& s) {
    s = nullptr;
    if (inflight_.empty()) {
      Fail("an answer came with no request in flight: " + Excerpt(answer));
      return std::nullopt;
    }
    const InFlight req = inflight_.front();
    inflight_.pop_front();
    s = req.measured ? &stats_ : nullptr;
    if (s != nullptr) {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - req.sent).count();
      s->latency_ns[static_cast<size_t>(req.op)].Record(
          static_cast<uint64_t>(std::max<int64_t>(ns, 0)));
      const auto second = static_cast<size_t>(
          std::chrono::duration_cast<std::chrono::seconds>(now - plan_.measure_from).count());
      if (second >= s->per_second.size()) s->per_second.resize(second + 1);
      ++s->per_second[second];
      s->last_answer = now;
    }
    return req;
  }

  // A peer target's reply at the front of `buf`; returns its bytes, 0 when incomplete.
  size_t HandlePeerReply(std::string_view buf) {
    peer::Reply reply;
    const size_t used = opt_.target == Target::kRedis ? peer::FrameRedisReply(buf, reply)
                                                      : peer::FramePgReply(buf, reply);
    if (used == peer::kProtocolError) {
      Fail("unreadable " + std::string(TargetName(opt_.target)) + " reply: " + Excerpt(buf));
      return 0;
    }
    if (used == 0) return 0;
    Stats* s = nullptr;
    const std::optional<InFlight> req = TakeAnswered(Clock::now(), buf.substr(0, used), s);
    if (!req) return 0;
    switch (reply.kind) {
      case peer::Reply::Kind::kReserved:
        stats_.units_reserved += req->units;
        if (s != nullptr) {
          ++s->found;
          ++s->reserved;
        }
        break;
      case peer::Reply::Kind::kNotFound:
        if (s != nullptr) {
          ++s->not_found;
          s->not_found_reasons.Add("no_store_with_every_item");
        }
        break;
      case peer::Reply::Kind::kError:
        if (s != nullptr) {
          s->errors.Add("peer_error");
        } else {
          ++stats_.errors_unmeasured;
        }
        stats_.Note("answer: " + Excerpt(reply.detail));
        break;
    }
    return used;
  }

  void HandleAnswer(std::string_view line, Clock::time_point now) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Stats* s = nullptr;
    const std::optional<InFlight> answered = TakeAnswered(now, line, s);
    if (!answered) return;
    const InFlight& req = *answered;
    if (!StartsWith(line, R"({"ok":true)")) return BadAnswer(line, s);
    if (req.op != Op::kRoute) {
      if (s != nullptr && kAlreadyTrue.In(line)) ++s->already[static_cast<size_t>(req.op)];
      return;
    }
    if (kFoundFalse.In(line)) {
      if (s != nullptr) {
        ++s->not_found;
        s->not_found_reasons.Add(StringAfter(line, R"("reason":")"));
      }
      return;
    }
    if (!kFoundTrue.In(line)) return BadAnswer(line, s);
    if (s != nullptr) ++s->found;
    if (opt_.workload == Workload::kQuote) return;
    if (!kReservedTrue.In(line)) {
      if (s != nullptr) ++s->found_not_reserved;
      return;
    }
    if (s != nullptr) ++s->reserved;
    // A fresh order id should never be "already" held; count it, and leave that order alone.
    if (kAlreadyTrue.In(line)) {
      if (s != nullptr) ++s->already[static_cast<size_t>(Op::kRoute)];
      return;
    }
    stats_.units_reserved += req.units;
    if (opt_.workload != Workload::kMixed) return;
    const uint64_t pick = rng_() % 10;
    if (pick < 7) {
      follow_ups_.push_back({req.id, Op::kCommit});
    } else if (pick < 9) {
      follow_ups_.push_back({req.id, Op::kRelease});
    } else if (s != nullptr) {
      ++s->left_to_expire;
    }
  }

  // Not ok:true, or ok:true without the fields a route answer has.
  void BadAnswer(std::string_view line, Stats* s) {
    std::string_view code = "bad_answer";
    if (StartsWith(line, R"({"ok":false)")) {
      const std::string_view c = StringAfter(line, R"("code":")");
      if (!c.empty()) code = c;
    }
    if (s != nullptr) {
      s->errors.Add(code);
    } else {
      ++stats_.errors_unmeasured;
    }
    stats_.Note("answer: " + Excerpt(line));
  }

  void Fail(std::string why) {
    ++stats_.transport_errors;
    stats_.Note("connection " + std::to_string(index_) + ": " + why);
    Finish();
  }

  void Finish() {
    if (done_) return;
    done_ = true;
    stats_.follow_ups_unsent += follow_ups_.size();
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  tcp::socket socket_;
  std::optional<asio::ssl::stream<tcp::socket&>> tls_;  // over socket_, with --tls-ca
  const RunPlan& plan_;
  const Options& opt_;
  const uint64_t index_;
  const uint64_t budget_;  // measured requests to send with --requests
  Ring<InFlight> inflight_;
  Ring<FollowUp> follow_ups_;
  std::string out_;  // the batch being written
  std::vector<char> in_;
  size_t in_len_ = 0;
  bool writing_ = false;
  bool done_ = false;
  std::mt19937_64 rng_;
  size_t route_cursor_;
  const size_t route_step_;
  std::unique_ptr<peer::PgSession> pg_;  // the PostgreSQL target's session, kept open
  uint64_t next_id_ = 0;
  uint64_t measured_sent_ = 0;
  uint64_t sent_ = 0;  // open loop: requests sent so far (the schedule's index)
  std::chrono::duration<double> interval_{0};
  Clock::time_point open_origin_;
  Clock::time_point last_progress_;
  Stats stats_;
};

struct Worker {
  asio::io_context ctx{1};
  std::vector<Connection*> connections;
  std::optional<asio::steady_timer> ticker;  // watchdog
  std::optional<asio::steady_timer> pacer;   // open loop
  std::thread thread;
};

// Open loop: one timer per thread wakes at the earliest intended send time of its connections,
// but at most once per kPacerMinGap, so at high rates a wake-up sends a batch (late sends are
// charged to latency, which counts from the intended time). Per-connection timers cost a
// wake-up and timer re-arm per request: a whole core at 50,000 requests/s.
void Pace(Worker& w, Clock::time_point next) {
  if (next == Clock::time_point::max()) return;  // schedules are over
  w.pacer->expires_at(std::max(next, Clock::now() + kPacerMinGap));
  w.pacer->async_wait([&w](const error_code& ec) {
    if (ec) return;
    Clock::time_point earliest = Clock::time_point::max();
    for (Connection* c : w.connections) earliest = std::min(earliest, c->Pace());
    Pace(w, earliest);
  });
}

void Tick(Worker& w) {
  w.ticker->expires_after(kTick);
  w.ticker->async_wait([&w](const error_code& ec) {
    if (ec) return;
    const auto now = Clock::now();
    bool all_done = true;
    for (Connection* c : w.connections) {
      c->Tick(now);
      all_done = all_done && c->done();
    }
    if (!all_done) Tick(w);
  });
}

std::string MakeNonce() {
  constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::string nonce;
  for (int i = 0; i < 8; ++i) nonce += kDigits[rd() % 36];
  return nonce;
}

// ---------------------------------------------------------------------------------------------
// Report

struct Report {
  std::string run_id;
  double window_s = 0;
  uint64_t requests = 0;
  std::array<uint64_t, kOps> by_op{};
  LatencyHistogram all;
  uint64_t errors = 0;      // measured ok:false / unreadable answers
  double client_cpu_s = 0;  // this process, warm-up to the last answer
  double wall_s = 0;
  std::optional<StockFeed::Result> feed;  // with --stock-updates
};

// User + system CPU time of this process so far.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

double Us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

struct Percentiles {
  double p50, p90, p99, p999, max, mean;
};

Percentiles Summarize(const LatencyHistogram& h) {
  return {Us(h.Quantile(0.5)),   Us(h.Quantile(0.9)), Us(h.Quantile(0.99)),
          Us(h.Quantile(0.999)), Us(h.max()),         h.mean() / 1000.0};
}

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string LatencyJson(const LatencyHistogram& h) {
  const Percentiles p = Summarize(h);
  return "{\"p50\": " + Fmt("%.1f", p.p50) + ", \"p90\": " + Fmt("%.1f", p.p90) +
         ", \"p99\": " + Fmt("%.1f", p.p99) + ", \"p99_9\": " + Fmt("%.1f", p.p999) +
         ", \"max\": " + Fmt("%.1f", p.max) + ", \"mean\": " + Fmt("%.1f", p.mean) + "}";
}

std::string TallyJson(const Tally& t) {
  std::string out = "{";
  for (const auto& [k, v] : t.Sorted()) {
    if (out.size() > 1) out += ", ";
    AppendJsonString(out, k);
    out += ": " + std::to_string(v);
  }
  return out + "}";
}

std::string TallyText(const Tally& t) {
  std::string out;
  for (const auto& [k, v] : t.Sorted()) {
    if (!out.empty()) out += ", ";
    out += k + " " + std::to_string(v);
  }
  return out;
}

void PrintReport(const Options& opt, const Report& r, const Stats& s) {
  const bool reserving = opt.workload != Workload::kQuote;
  if (opt.target == Target::kPostgres) {
    std::printf("hourglass-bench: %s workload against PostgreSQL (%s), run %s\n",
                WorkloadName(opt.workload), opt.pg.c_str(), r.run_id.c_str());
  } else {
    std::printf("hourglass-bench: %s workload against %s %s:%u, run %s\n",
                WorkloadName(opt.workload), TargetName(opt.target), opt.host.c_str(), opt.port,
                r.run_id.c_str());
  }
  if (opt.rate > 0) {
    std::printf("  load        open loop at %.0f req/s over %llu connections, %llu thread(s)\n",
                opt.rate, static_cast<unsigned long long>(opt.connections),
                static_cast<unsigned long long>(opt.threads));
  } else {
    std::printf("  load        closed loop, %llu connections x depth %llu, %llu thread(s)\n",
                static_cast<unsigned long long>(opt.connections),
                static_cast<unsigned long long>(opt.depth),
                static_cast<unsigned long long>(opt.threads));
  }
  std::printf("  duration    %.2f s measured, after %.2f s warm-up\n", r.window_s, opt.warmup_s);
  std::printf(
      "  requests    %llu (route %llu, commit %llu, release %llu)\n",
      static_cast<unsigned long long>(r.requests), static_cast<unsigned long long>(r.by_op[0]),
      static_cast<unsigned long long>(r.by_op[1]), static_cast<unsigned long long>(r.by_op[2]));
  std::printf("  throughput  %.0f req/s", r.requests / r.window_s);
  if (reserving) std::printf("; %.0f orders reserved/s", s.reserved / r.window_s);
  std::printf("\n");
  std::printf("  routes      found %llu, not found %llu%s%s\n",
              static_cast<unsigned long long>(s.found),
              static_cast<unsigned long long>(s.not_found), s.not_found > 0 ? ": " : "",
              TallyText(s.not_found_reasons).c_str());
  if (reserving) {
    std::printf("  reserved    %llu (%llu units in all, warm-up included)",
                static_cast<unsigned long long>(s.reserved),
                static_cast<unsigned long long>(s.units_reserved));
    if (s.found_not_reserved > 0) {
      std::printf(", found but not reserved %llu",
                  static_cast<unsigned long long>(s.found_not_reserved));
    }
    if (s.already[0] > 0) {
      std::printf(", \"already\" held %llu", static_cast<unsigned long long>(s.already[0]));
    }
    std::printf("\n");
  }
  if (opt.workload == Workload::kMixed) {
    std::printf(
        "  follow-ups  commit %llu, release %llu, left to expire %llu, unsent at end %llu\n",
        static_cast<unsigned long long>(r.by_op[1]), static_cast<unsigned long long>(r.by_op[2]),
        static_cast<unsigned long long>(s.left_to_expire),
        static_cast<unsigned long long>(s.follow_ups_unsent));
  }
  const auto print_latency = [](const char* label, const LatencyHistogram& h) {
    const Percentiles p = Summarize(h);
    std::printf("  %-11s p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (mean %.1f) us\n",
                label, p.p50, p.p90, p.p99, p.p999, p.max, p.mean);
  };
  print_latency("latency", r.all);
  if (opt.rate > 0) print_latency("send lag", s.send_lag_ns);
  if (opt.workload == Workload::kMixed) {
    for (size_t i = 0; i < kOps; ++i) {
      if (s.latency_ns[i].count() > 0) print_latency(kOpNames[i], s.latency_ns[i]);
    }
  }
  if (s.per_second.size() >= 2) {
    // The last second is partial (draining); judge the steady ones.
    const auto full = std::vector<uint64_t>(s.per_second.begin(), s.per_second.end() - 1);
    const auto [lo, hi] = std::minmax_element(full.begin(), full.end());
    std::printf("  per second  min %llu, max %llu answers over %zu full seconds\n",
                static_cast<unsigned long long>(*lo), static_cast<unsigned long long>(*hi),
                full.size());
  }
  std::printf("  client CPU  %.2f s in %.2f s (%.0f %% of one core; warm-up included)\n",
              r.client_cpu_s, r.wall_s, 100 * r.client_cpu_s / r.wall_s);
  std::printf("  errors      %llu%s%s", static_cast<unsigned long long>(r.errors),
              r.errors > 0 ? ": " : "", TallyText(s.errors).c_str());
  if (s.errors_unmeasured > 0) {
    std::printf("; %llu more during warm-up/drain",
                static_cast<unsigned long long>(s.errors_unmeasured));
  }
  if (s.transport_errors > 0) {
    std::printf("; transport errors %llu", static_cast<unsigned long long>(s.transport_errors));
  }
  std::printf("\n");
  if (!s.first_problem.empty()) std::printf("  first error %s\n", s.first_problem.c_str());
  if (r.feed) {
    std::printf(
        "  stock.set   %llu sent in %.2f s (%.0f/s, warm-up included), ok %llu, refused %llu\n",
        static_cast<unsigned long long>(r.feed->sent), r.feed->seconds,
        r.feed->sent / std::max(r.feed->seconds, 1e-9), static_cast<unsigned long long>(r.feed->ok),
        static_cast<unsigned long long>(r.feed->refused));
    if (!r.feed->first_refusal.empty()) {
      std::printf("  first refused stock.set %s\n", r.feed->first_refusal.c_str());
    }
  }
}

std::string ReportJson(const Options& opt, const Report& r, const Stats& s) {
  std::string j = "{\n";
  const auto field = [&j](std::string_view key, const std::string& value, bool last = false) {
    j += "  ";
    AppendJsonString(j, key);
    j += ": " + value + (last ? "\n" : ",\n");
  };
  const auto str = [](std::string_view v) {
    std::string out;
    AppendJsonString(out, v);
    return out;
  };
  const auto num = [](uint64_t v) { return std::to_string(v); };
  field("workload", str(WorkloadName(opt.workload)));
  field("target", str(TargetName(opt.target)));
  field("host", str(opt.host));
  field("port", num(opt.port));
  field("run_id", str(r.run_id));
  field("mode", str(opt.rate > 0 ? "open" : "closed"));
  field("connections", num(opt.connections));
  field("depth", opt.rate > 0 ? "null" : num(opt.depth));
  field("rate", opt.rate > 0 ? Fmt("%.3f", opt.rate) : "null");
  field("threads", num(opt.threads));
  field("warmup_s", Fmt("%.3f", opt.warmup_s));
  field("duration_s", Fmt("%.3f", r.window_s));
  field("requests", num(r.requests));
  field("requests_by_op", "{\"route\": " + num(r.by_op[0]) + ", \"commit\": " + num(r.by_op[1]) +
                              ", \"release\": " + num(r.by_op[2]) + "}");
  field("throughput_rps", Fmt("%.1f", r.requests / r.window_s));
  field("reserved_per_s",
        opt.workload == Workload::kQuote ? "null" : Fmt("%.1f", s.reserved / r.window_s));
  field("latency_us", LatencyJson(r.all));
  field("send_lag_us", opt.rate > 0 ? LatencyJson(s.send_lag_ns) : "null");
  std::string by_op = "{";
  for (size_t i = 0; i < kOps; ++i) {
    if (s.latency_ns[i].count() == 0) continue;
    if (by_op.size() > 1) by_op += ", ";
    by_op += str(kOpNames[i]) + ": " + LatencyJson(s.latency_ns[i]);
  }
  field("latency_us_by_op", by_op + "}");
  field("stock_updates", r.feed ? "{\"sent\": " + num(r.feed->sent) + ", \"ok\": " +
                                      num(r.feed->ok) + ", \"refused\": " + num(r.feed->refused) +
                                      ", \"seconds\": " + Fmt("%.3f", r.feed->seconds) + "}"
                                : "null");
  field("found", num(s.found));
  field("not_found", num(s.not_found));
  field("not_found_reasons", TallyJson(s.not_found_reasons));
  field("reserved", num(s.reserved));
  field("units_reserved", num(s.units_reserved));
  field("found_not_reserved", num(s.found_not_reserved));
  field("already", "{\"route\": " + num(s.already[0]) + ", \"commit\": " + num(s.already[1]) +
                       ", \"release\": " + num(s.already[2]) + "}");
  field("left_to_expire", num(s.left_to_expire));
  field("follow_ups_unsent", num(s.follow_ups_unsent));
  field("client_cpu_s", Fmt("%.3f", r.client_cpu_s));
  field("wall_s", Fmt("%.3f", r.wall_s));
  field("errors", num(r.errors));
  field("errors_by_code", TallyJson(s.errors));
  field("errors_unmeasured", num(s.errors_unmeasured));
  field("transport_errors", num(s.transport_errors));
  field("first_error", s.first_problem.empty() ? "null" : str(s.first_problem));
  std::string per_second = "[";
  for (size_t i = 0; i < s.per_second.size(); ++i) {
    if (i > 0) per_second += ", ";
    per_second += num(s.per_second[i]);
  }
  field("answers_per_second", per_second + "]", true);
  return j + "}\n";
}

int Main(int argc, char** argv) {
  const Options opt = ParseArgs(argc, argv);
  const std::string run_id = MakeNonce();
  const RequestSet requests = BuildRequests(opt, "B" + run_id + "-");

  tcp::endpoint endpoint;
  if (opt.target != Target::kPostgres) {
    asio::io_context resolve_ctx;
    tcp::resolver resolver(resolve_ctx);
    error_code ec;
    const auto results = resolver.resolve(opt.host, std::to_string(opt.port), ec);
    if (ec || results.empty()) {
      std::fprintf(stderr, "%s: cannot resolve %s: %s\n", kProgram, opt.host.c_str(),
                   ec.message().c_str());
      return 1;
    }
    endpoint = results.begin()->endpoint();
  }

  RunPlan plan;
  plan.opt = &opt;
  std::shared_ptr<asio::ssl::context> tls;
  if (!opt.tls_ca.empty()) {
    try {
      tls = io::MakeClientTlsContext(opt.tls_ca, opt.tls_cert, opt.tls_key);
    } catch (const io::LoadError& e) {
      std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
      return 1;
    }
    plan.tls = tls.get();
  }
  plan.requests = &requests;
  std::vector<std::unique_ptr<Worker>> workers;
  for (uint64_t t = 0; t < opt.threads; ++t) workers.push_back(std::make_unique<Worker>());
  std::vector<std::unique_ptr<Connection>> connections;
  for (uint64_t i = 0; i < opt.connections; ++i) {
    const uint64_t budget =
        opt.requests / opt.connections + (i < opt.requests % opt.connections ? 1 : 0);
    Worker& w = *workers[i % opt.threads];
    connections.push_back(std::make_unique<Connection>(w.ctx, plan, i, budget));
    w.connections.push_back(connections.back().get());
    if (opt.target == Target::kPostgres) {
      if (const std::string error = connections.back()->ConnectPg(); !error.empty()) {
        std::fprintf(stderr, "%s: cannot open a PostgreSQL session: %s\n", kProgram, error.c_str());
        return 1;
      }
    } else if (const error_code ec = connections.back()->Connect(endpoint)) {
      std::fprintf(stderr, "%s: cannot connect to %s:%u: %s\n", kProgram, opt.host.c_str(),
                   opt.port, ec.message().c_str());
      return 1;
    }
  }

  const auto seconds = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  std::unique_ptr<StockFeed> feed;
  if (!opt.stock_updates.empty()) {
    feed = std::make_unique<StockFeed>(opt.stock_updates, opt.stock_rate);
    if (!feed->error().empty()) InputError(feed->error());
    if (const std::string error = feed->Start(endpoint); !error.empty()) {
      std::fprintf(stderr, "%s: %s\n", kProgram, error.c_str());
      return 1;
    }
  }
  const double cpu_at_start = ProcessCpuSeconds();
  plan.start = Clock::now();
  plan.measure_from = plan.start + seconds(opt.warmup_s);
  plan.measure_until =
      opt.requests > 0 ? Clock::time_point::max() : plan.measure_from + seconds(opt.duration_s);
  for (auto& w : workers) {
    for (Connection* c : w->connections) asio::post(w->ctx, [c] { c->Start(); });
    w->ticker.emplace(w->ctx);
    Tick(*w);
    if (opt.rate > 0) {
      w->pacer.emplace(w->ctx);
      Pace(*w, plan.start);
    }
    w->thread = std::thread([&ctx = w->ctx, open_loop = opt.rate > 0] {
      // Linux delays timer wake-ups by up to 50 us by default ("timer slack"); the open-loop
      // schedule wants them on time. Best effort: a failure only makes the send lag larger.
      if (open_loop) prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
      ctx.run();
    });
  }
  for (auto& w : workers) w->thread.join();
  if (feed) feed->Stop();
  const double wall_s = std::chrono::duration<double>(Clock::now() - plan.start).count();
  const double client_cpu_s = ProcessCpuSeconds() - cpu_at_start;

  Stats total;
  for (auto& c : connections) total.Merge(c->stats());
  Report r;
  r.run_id = run_id;
  for (size_t i = 0; i < kOps; ++i) {
    r.by_op[i] = total.latency_ns[i].count();
    r.requests += r.by_op[i];
    r.all.Merge(total.latency_ns[i]);
  }
  r.errors = total.errors.total();
  r.client_cpu_s = client_cpu_s;
  r.wall_s = wall_s;
  if (feed) r.feed = feed->result();
  if (opt.requests > 0) {
    r.window_s = total.last_answer > plan.measure_from
                     ? std::chrono::duration<double>(total.last_answer - plan.measure_from).count()
                     : 0;
  } else {
    r.window_s = opt.duration_s;
  }
  if (r.window_s <= 0) r.window_s = 1e-9;  // nothing measured; avoids dividing by zero

  PrintReport(opt, r, total);
  if (!opt.json.empty()) {
    std::ofstream out(opt.json, std::ios::binary | std::ios::trunc);
    out << ReportJson(opt, r, total);
    out.close();
    if (!out) {
      std::fprintf(stderr, "%s: cannot write %s\n", kProgram, opt.json.c_str());
      return 1;
    }
  }
  const bool clean = r.errors == 0 && total.errors_unmeasured == 0 && total.transport_errors == 0 &&
                     (!r.feed || r.feed->refused == 0);
  return clean ? 0 : 1;
}

}  // namespace
}  // namespace hourglass::bench

int main(int argc, char** argv) { return hourglass::bench::Main(argc, argv); }
