// hourglass: the operators' command line for hourglassd. Each command sends
// one request over the line protocol (README "Protocol") and prints the answer
// as an aligned table, or the raw answer line with --json (for scripts).
//
// Exit codes (README "CLI"): 0 done; 1 refused or not found (an ok:false
// answer, a route with found:false); 2 usage (bad arguments, or the daemon
// answered bad_request); 3 cannot connect, connection lost, no answer in
// time; 4 auth refused (unauthorized, forbidden); 5 an answer this CLI does
// not understand (not JSON, or an op the daemon does not know).
#include <signal.h>
#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/line_client.h"
#include "daemon/table.h"
#include "io/json_writer.h"
#include "io/load_error.h"
#include "io/tls_context.h"

namespace {

using hourglass::cli::ConnectError;
using hourglass::cli::LineClient;
using hourglass::cli::Table;
using hourglass::io::JsonWriter;
namespace dom = simdjson::dom;

enum Exit : int {
  kOk = 0,
  kRefused = 1,
  kUsage = 2,
  kNoConnection = 3,
  kAuthRefused = 4,
  kUnexpected = 5,
};

// A command that cannot go on: its exit code and what to tell the operator.
struct Failure {
  int exit_code;
  std::string message;
};

struct Global {
  std::string connect = "127.0.0.1:7878";
  std::string token;
  bool json = false;
  double timeout_s = 10;
  // TLS ([tls] on the daemon): on with --tls or --tls-ca.
  bool tls = false;
  std::string tls_ca, tls_cert, tls_key;
  std::shared_ptr<boost::asio::ssl::context> tls_context;
};

// The exit code for an ok:false answer's error code.
int ExitFor(std::string_view code) {
  if (code == "unauthorized" || code == "forbidden") return kAuthRefused;
  if (code == "bad_request" || code == "bad_json" || code == "too_large") return kUsage;
  if (code == "unknown_op") return kUnexpected;
  return kRefused;
}

// A JSON value as a table cell: strings bare, numbers as short as they go.
std::string Cell(dom::element e) {
  switch (e.type()) {
    case dom::element_type::STRING:
      return std::string(e.get_string().value_unsafe());
    case dom::element_type::BOOL:
      return e.get_bool().value_unsafe() ? "true" : "false";
    case dom::element_type::INT64:
      return std::to_string(e.get_int64().value_unsafe());
    case dom::element_type::UINT64:
      return std::to_string(e.get_uint64().value_unsafe());
    case dom::element_type::DOUBLE: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", e.get_double().value_unsafe());
      return buf;
    }
    case dom::element_type::NULL_VALUE:
      return "";
    default:
      return simdjson::minify(e);
  }
}

std::string Cell(dom::element obj, std::string_view key) {
  dom::element e;
  return obj[key].get(e) == simdjson::SUCCESS ? Cell(e) : std::string();
}

bool Flag(dom::element obj, std::string_view key) {
  bool v = false;
  return obj[key].get_bool().get(v) == simdjson::SUCCESS && v;
}

// "SKU-1×2, SKU-9×1" for an items array.
std::string Items(dom::element obj) {
  dom::array items;
  if (obj["items"].get_array().get(items) != simdjson::SUCCESS) return "";
  std::string text;
  for (dom::element item : items) {
    if (!text.empty()) text += ", ";
    text += Cell(item, "sku") + "×" + Cell(item, "qty");
    const std::string store = Cell(item, "store");
    if (!store.empty()) text += " @" + store;
  }
  return text;
}

// One connection to the daemon, authenticated when a token was given.
class Connection {
 public:
  explicit Connection(const Global& global)
      : global_(global),
        client_(global.connect,
                std::chrono::milliseconds(static_cast<int64_t>(global.timeout_s * 1000)),
                global.tls_context.get()) {
    if (global.token.empty()) return;
    std::string request;
    JsonWriter(request).BeginObject().Field("op", "auth").Field("token", global.token).EndObject();
    const dom::element answer = Call(request);
    if (!Flag(answer, "ok")) {
      throw Failure{kAuthRefused, "the daemon refused the token: " + ErrorText(answer)};
    }
  }

  // Sends one request and parses its answer (valid until the next call).
  dom::element Call(const std::string& request) {
    client_.Send(request);
    return Next(false);
  }

  // The next line from the daemon, parsed.
  dom::element Next(bool forever) {
    line_ = client_.ReadLine(forever);
    dom::element root;
    if (parser_.parse(line_).get(root) != simdjson::SUCCESS || !root.is_object()) {
      throw Failure{kUnexpected, "the daemon sent a line that is not a JSON object: " + line_};
    }
    return root;
  }

  void Send(const std::string& line) { client_.Send(line); }
  void Finish() { client_.Finish(); }
  bool HasLine() const { return client_.HasLine(); }
  const std::string& line() const { return line_; }

  static std::string ErrorText(dom::element answer) {
    return Cell(answer["error"], "code") + ": " + Cell(answer["error"], "message");
  }

  // For an ok:false answer: the exit code and message; nullopt when ok.
  std::optional<Failure> Refusal(dom::element answer) const {
    if (Flag(answer, "ok")) return std::nullopt;
    const std::string code = Cell(answer["error"], "code");
    std::string message = ErrorText(answer);
    if (code == "unauthorized" && global_.token.empty()) {
      message += " (pass --token or set HOURGLASS_TOKEN)";
    }
    if (code == "unknown_op") message += " (is the daemon older than this CLI?)";
    return Failure{ExitFor(code), message};
  }

 private:
  const Global& global_;
  LineClient client_;
  simdjson::dom::parser parser_;
  std::string line_;
};

// Runs one request: prints the raw answer with --json, else hands it to
// `render`, which returns the exit code.
template <typename Render>
int Request(const Global& global, const std::string& request, Render render) {
  Connection connection(global);
  const dom::element answer = connection.Call(request);
  if (global.json) std::printf("%s\n", connection.line().c_str());
  if (auto refusal = connection.Refusal(answer)) throw *refusal;
  return global.json ? render.exit_only(answer) : render(answer);
}

// --- route and explain --------------------------------------------------------------------

struct RouteArgs {
  std::optional<double> lat, lon;
  std::vector<std::string> items;  // SKU[:QTY]
  std::string order;
  bool reserve = false;
  std::optional<int64_t> ttl_s;
  std::optional<double> within_min;
  std::string mode, pickup_store, prefer_store, dealer, at, fallback;
  bool allow_split = false;
  std::optional<int64_t> max_parts;
};

void AddRouteOptions(CLI::App* cmd, RouteArgs& a, bool with_reserve) {
  cmd->add_option("--lat", a.lat, "latitude of the delivery point");
  cmd->add_option("--lon", a.lon, "longitude of the delivery point");
  cmd->add_option("-i,--item", a.items, "SKU or SKU:QTY (repeat for more items)")->required();
  cmd->add_option("--order", a.order, "order id");
  if (with_reserve) {
    cmd->add_flag("--reserve", a.reserve, "hold the units (needs --order)")->needs("--order");
    cmd->add_option("--ttl-s", a.ttl_s, "how long the hold lasts");
  }
  cmd->add_option("--within-min", a.within_min, "the promise in minutes");
  cmd->add_option("--mode", a.mode, "delivery (default), pickup or ship")
      ->check(CLI::IsMember({"delivery", "pickup", "ship"}));
  cmd->add_option("--pickup-store", a.pickup_store, "with --mode pickup: the store to collect at");
  cmd->add_option("--prefer-store", a.prefer_store, "the customer's own store");
  cmd->add_option("--dealer", a.dealer, "the order's dealer");
  cmd->add_option("--at", a.at,
                  "route for a later slot (RFC 3339, e.g. 2026-11-24T18:30:00+08:00)");
  cmd->add_option("--fallback", a.fallback, "ship: a warehouse when no store can deliver")
      ->check(CLI::IsMember({"ship"}));
  cmd->add_flag("--allow-split", a.allow_split, "several stores may deliver parts");
  cmd->add_option("--max-parts", a.max_parts, "with --allow-split: at most this many stores");
}

std::string RouteRequest(const RouteArgs& a, bool explain) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Field("op", "route");
  if (!a.order.empty()) w.Field("order", a.order);
  // The daemon judges the ranges (and says which bound was missed).
  if (a.lat) w.Key("lat").Fixed(*a.lat, 7);
  if (a.lon) w.Key("lon").Fixed(*a.lon, 7);
  w.Key("items").BeginArray();
  for (const std::string& item : a.items) {
    const size_t colon = item.rfind(':');
    std::string sku = item;
    int64_t qty = 1;
    if (colon != std::string::npos) {
      sku = item.substr(0, colon);
      const std::string q = item.substr(colon + 1);
      char* end = nullptr;
      const long long v = std::strtoll(q.c_str(), &end, 10);
      if (q.empty() || end != q.c_str() + q.size() || v < 1) {
        throw Failure{kUsage, "--item \"" + item + "\": expected SKU or SKU:QTY with QTY >= 1"};
      }
      qty = v;
    }
    if (sku.empty()) throw Failure{kUsage, "--item \"" + item + "\": the SKU is empty"};
    w.BeginObject().Field("sku", sku).Field("qty", qty).EndObject();
  }
  w.EndArray();
  if (a.reserve) w.Field("reserve", true);
  if (a.ttl_s) w.Field("ttl_s", *a.ttl_s);
  if (a.within_min) w.Key("within_min").Fixed(*a.within_min, 3);
  if (!a.mode.empty()) w.Field("mode", a.mode);
  if (!a.pickup_store.empty()) w.Field("pickup_store", a.pickup_store);
  if (!a.prefer_store.empty()) w.Field("prefer_store", a.prefer_store);
  if (!a.dealer.empty()) w.Field("dealer", a.dealer);
  if (!a.at.empty()) w.Field("at", a.at);
  if (!a.fallback.empty()) w.Field("fallback", a.fallback);
  if (a.allow_split) w.Field("allow_split", true);
  if (a.max_parts) w.Field("max_parts", *a.max_parts);
  if (explain) w.Field("explain", true);
  w.EndObject();
  return out;
}

int RouteExit(dom::element answer) { return Flag(answer, "found") ? kOk : kRefused; }

// The decision: a summary line, then the plan's parts.
void PrintPlan(dom::element answer) {
  if (!Flag(answer, "found")) {
    std::string reason = Cell(answer, "reason");
    for (const char* detail : {"sku", "store"}) {
      if (const std::string d = Cell(answer, detail); !d.empty()) reason += " (" + d + ")";
    }
    std::printf("not found: %s; rules version %s\n", reason.c_str(),
                Cell(answer, "rules_version").c_str());
    return;
  }
  std::string summary = "found: promise " + Cell(answer, "promise");
  if (const std::string order = Cell(answer, "order"); !order.empty()) {
    summary = "order " + order + " " + summary;
  }
  if (Flag(answer, "reserved")) {
    summary += "; " + Cell(answer, "state");
    if (const std::string s = Cell(answer, "expires_in_s"); !s.empty()) {
      summary += ", expires in " + s + " s";
    }
    if (Flag(answer, "already")) summary += " (already held)";
  }
  summary += "; rules version " + Cell(answer, "rules_version");
  std::printf("%s\n", summary.c_str());
  dom::element bound;
  if (answer["bound_store"].get(bound) == simdjson::SUCCESS) {
    std::printf("bound store %s: %s%s\n", Cell(bound, "store").c_str(),
                Flag(bound, "chosen") ? "chosen" : "not chosen",
                Cell(bound, "why").empty() ? "" : (" (" + Cell(bound, "why") + ")").c_str());
  }
  Table plan({"STORE", "ROLE", "ETA_MIN", "DISTANCE_KM", "TIER", "DEALER", "ITEMS"});
  dom::array parts;
  if (answer["plan"].get_array().get(parts) == simdjson::SUCCESS) {
    for (dom::element p : parts) {
      plan.Row({Cell(p, "store"), Cell(p, "role"), Cell(p, "eta_min"), Cell(p, "distance_km"),
                Cell(p, "tier"), Cell(p, "dealer"), Items(p)});
    }
  }
  plan.Print(stdout);
  dom::array options;
  if (answer["options"].get_array().get(options) == simdjson::SUCCESS && options.size() > 0) {
    std::printf("\npickup options:\n");
    Table t({"STORE", "ETA_MIN", "DISTANCE_KM"});
    for (dom::element o : options) {
      t.Row({Cell(o, "store"), Cell(o, "eta_min"), Cell(o, "distance_km")});
    }
    t.Print(stdout);
  }
}

struct RouteRender {
  int operator()(dom::element answer) const {
    PrintPlan(answer);
    return RouteExit(answer);
  }
  int exit_only(dom::element answer) const { return RouteExit(answer); }
};

struct ExplainRender {
  int operator()(dom::element answer) const {
    PrintPlan(answer);
    std::printf("\ncandidates, in the order they rank:\n");
    Table t({"RANK", "STORE", "TIER", "DEALER", "ELIGIBLE", "ETA_MIN", "DISTANCE_KM", "SCORE",
             "WHY NOT"});
    dom::array candidates;
    int rank = 0;
    if (answer["candidates"].get_array().get(candidates) == simdjson::SUCCESS) {
      for (dom::element c : candidates) {
        const bool eligible = Flag(c, "eligible");
        dom::element score;
        const std::string total =
            c["score"].get(score) == simdjson::SUCCESS ? Cell(score, "total") : "";
        t.Row({eligible ? std::to_string(++rank) : "", Cell(c, "store"), Cell(c, "tier"),
               Cell(c, "dealer"), eligible ? "yes" : "no", Cell(c, "eta_min"),
               Cell(c, "distance_km"), total, Cell(c, "why")});
      }
    }
    t.Print(stdout);
    if (const std::string omitted = Cell(answer, "candidates_omitted"); !omitted.empty()) {
      std::printf("(%s more candidates not listed)\n", omitted.c_str());
    }
    return RouteExit(answer);
  }
  int exit_only(dom::element answer) const { return RouteExit(answer); }
};

// --- the other request/answer commands ----------------------------------------------------

// Renders with `print` and exits 0: for answers where ok:true is success.
template <typename Print>
struct Simple {
  Print print;
  int operator()(dom::element answer) const {
    print(answer);
    return kOk;
  }
  int exit_only(dom::element) const { return kOk; }
};
template <typename Print>
Simple(Print) -> Simple<Print>;

void PrintStock(dom::element answer) {
  const bool deducted = answer["deducted"].error() == simdjson::SUCCESS;
  std::vector<std::string> headers = {"STORE", "SKU", "ON_HAND", "RESERVED", "AVAILABLE"};
  std::vector<std::string> row = {Cell(answer, "store"), Cell(answer, "sku"),
                                  Cell(answer, "on_hand"), Cell(answer, "reserved"),
                                  Cell(answer, "available")};
  if (deducted) {
    headers.push_back("DEDUCTED");
    row.push_back(Cell(answer, "deducted"));
  }
  Table t(headers);
  t.Row(row);
  t.Print(stdout);
}

// Every field of a value as KEY VALUE rows: nested objects as "a.b", list
// elements as "a[0].b"; a list of plain values stays one cell.
void Flatten(dom::element value, const std::string& name, Table& t) {
  dom::object obj;
  dom::array list;
  if (value.get_object().get(obj) == simdjson::SUCCESS) {
    for (auto [key, inner] : obj) {
      if (name.empty() && (key == "ok" || key == "id")) continue;
      Flatten(inner, name.empty() ? std::string(key) : name + "." + std::string(key), t);
    }
  } else if (value.get_array().get(list) == simdjson::SUCCESS && list.size() > 0 &&
             (list.at(0).is_object() || list.at(0).is_array())) {
    size_t i = 0;
    for (dom::element e : list) Flatten(e, name + "[" + std::to_string(i++) + "]", t);
  } else {
    t.Row({name, Cell(value)});
  }
}

void PrintReload(dom::element answer) {
  const bool dry = Flag(answer, "dry_run");
  std::printf("%s rules version %s\n",
              dry ? "valid; would replace" : "in force:", Cell(answer, "rules_version").c_str());
  dom::array restart;
  if (answer["restart_needed"].get_array().get(restart) == simdjson::SUCCESS &&
      restart.size() > 0) {
    std::string keys;
    for (dom::element k : restart) keys += (keys.empty() ? "" : ", ") + Cell(k);
    std::printf("changed but only applied by a restart: %s\n", keys.c_str());
  }
  if (!dry) return;
  Table counts({"ORDERS_REPLAYED", "CHANGED_STORE", "BECAME_UNFULFILLABLE", "BECAME_FULFILLABLE",
                "UNCHANGED"});
  counts.Row({Cell(answer, "orders_replayed"), Cell(answer, "changed_store"),
              Cell(answer, "became_unfulfillable"), Cell(answer, "became_fulfillable"),
              Cell(answer, "unchanged")});
  counts.Print(stdout);
  dom::array examples;
  if (answer["examples"].get_array().get(examples) == simdjson::SUCCESS && examples.size() > 0) {
    std::printf("\nexamples:\n");
    Table t({"ORDER", "BEFORE", "AFTER"});
    for (dom::element e : examples) t.Row({Cell(e, "order"), Cell(e, "before"), Cell(e, "after")});
    t.Print(stdout);
  }
}

// --- tail ---------------------------------------------------------------------------------

struct TailArgs {
  std::string name = "hourglass-tail";
  std::optional<int64_t> from;
  std::optional<int64_t> count;
  bool no_ack = false;
};

void PrintEvent(dom::element e) {
  const std::string type = Cell(e, "type");
  std::string who = Cell(e, "order");
  std::string detail;
  if (const std::string store = Cell(e, "store"); !store.empty()) detail = "store " + store;
  if (type == "stock_set") {
    detail += " sku " + Cell(e, "sku") + " on_hand " + Cell(e, "on_hand");
  } else if (const std::string items = Items(e); !items.empty()) {
    detail += " items " + items;
  }
  if (const std::string until = Cell(e, "expires_at"); !until.empty()) {
    detail += " until " + until;
  }
  std::printf("%-10s %-24s %-15s %-18s %s\n", Cell(e, "seq").c_str(), Cell(e, "ts").c_str(),
              type.c_str(), who.c_str(), detail.c_str());
}

// Subscribes, prints every event (raw with --json), and acks what it printed
// whenever it has caught up with what arrived, so `name` resumes after it.
int Tail(const Global& global, const TailArgs& args) {
  Connection connection(global);
  std::string request;
  JsonWriter w(request);
  w.BeginObject().Field("op", "subscribe").Field("name", args.name);
  if (args.from) w.Field("from", *args.from);
  w.EndObject();
  const dom::element answer = connection.Call(request);
  if (auto refusal = connection.Refusal(answer)) throw *refusal;
  std::fprintf(stderr,
               "hourglass: following the event stream as \"%s\" from seq %s (last seq %s)\n",
               args.name.c_str(), Cell(answer, "from").c_str(), Cell(answer, "last_seq").c_str());
  if (!global.json) {
    std::printf("%-10s %-24s %-15s %-18s %s\n", "SEQ", "TS", "TYPE", "ORDER", "DETAIL");
  }
  std::fflush(stdout);
  int64_t printed = 0;
  int64_t last_seq = 0, acked = 0;
  while (!args.count || printed < *args.count) {
    const dom::element event = connection.Next(/*forever=*/true);
    if (event["ok"].error() == simdjson::SUCCESS) {  // the stream ended with an error
      if (auto refusal = connection.Refusal(event)) throw *refusal;
      continue;
    }
    if (global.json) {
      std::printf("%s\n", connection.line().c_str());
    } else {
      PrintEvent(event);
    }
    ++printed;
    int64_t seq = 0;
    if (event["seq"].get_int64().get(seq) == simdjson::SUCCESS) last_seq = seq;
    if (!connection.HasLine() || (args.count && printed == *args.count)) {
      std::fflush(stdout);
      if (!args.no_ack && last_seq > acked) {
        std::string ack;
        JsonWriter(ack).BeginObject().Field("op", "ack").Field("seq", last_seq).EndObject();
        connection.Send(ack);
        acked = last_seq;
      }
    }
  }
  connection.Finish();  // the daemon has the last ack once it closes
  return kOk;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "hourglass: operate an hourglassd daemon over its line protocol.\n"
      "Exit codes: 0 done, 1 refused or not found, 2 usage, 3 cannot connect, 4 auth refused, "
      "5 unexpected answer."};
  app.fallthrough();
  app.require_subcommand(1);
  Global global;
  app.add_option("--connect", global.connect, "the daemon's host:port")
      ->capture_default_str()
      ->envname("HOURGLASS_CONNECT");
  app.add_option("--token", global.token,
                 "access token of [[security.tokens]] (prefer HOURGLASS_TOKEN: arguments are "
                 "visible to other users)")
      ->envname("HOURGLASS_TOKEN");
  app.add_flag("--json", global.json, "print the daemon's answer lines as they are");
  app.add_option("--timeout-s", global.timeout_s, "how long to wait to connect and for an answer")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  app.add_flag("--tls", global.tls, "speak TLS, trusting the system's CA store");
  app.add_option("--tls-ca", global.tls_ca,
                 "speak TLS, trusting the CA certificates in this PEM file")
      ->check(CLI::ExistingFile);
  CLI::Option* cert = app.add_option("--tls-cert", global.tls_cert,
                                     "client certificate (PEM) for a daemon with [tls] client_ca")
                          ->check(CLI::ExistingFile);
  CLI::Option* key = app.add_option("--tls-key", global.tls_key, "the client certificate's key")
                         ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);

  RouteArgs route_args, explain_args;
  CLI::App* route = app.add_subcommand("route", "route an order (and hold it with --reserve)");
  AddRouteOptions(route, route_args, true);
  CLI::App* explain =
      app.add_subcommand("explain", "route with explain: every candidate store and why");
  AddRouteOptions(explain, explain_args, false);

  std::string order;
  CLI::App* commit = app.add_subcommand("commit", "commit a held order (paid)");
  commit->add_option("order", order, "order id")->required();
  CLI::App* release = app.add_subcommand("release", "release a held order (cancelled)");
  release->add_option("order", order, "order id")->required();

  std::string store, sku;
  int64_t on_hand = 0;
  std::optional<int64_t> as_of_seq;
  CLI::App* stock = app.add_subcommand("stock", "a store's stock of one SKU");
  stock->add_option("store", store, "store id")->required();
  stock->add_option("sku", sku, "SKU")->required();
  CLI::App* stock_set =
      app.add_subcommand("stock-set", "set a store's on-hand level of one SKU (stock.set)");
  stock_set->add_option("store", store, "store id")->required();
  stock_set->add_option("sku", sku, "SKU")->required();
  stock_set->add_option("on_hand", on_hand, "units on hand")
      ->required()
      ->check(CLI::NonNegativeNumber);
  stock_set->add_option("--as-of-seq", as_of_seq,
                        "the level already reflects our commits up to this journal seq");

  bool dry_run = false;
  CLI::App* reload = app.add_subcommand("reload", "re-read the config file's [rules]");
  reload->add_flag("--dry-run", dry_run,
                   "validate and replay recent orders under the new rules; swap nothing");

  CLI::App* stats = app.add_subcommand("stats", "the daemon's counters");

  TailArgs tail_args;
  CLI::App* tail = app.add_subcommand("tail", "follow the event stream (subscribe, print, ack)");
  tail->add_option("--name", tail_args.name,
                   "subscription name; its acked position is kept, so the next tail resumes "
                   "after it")
      ->capture_default_str();
  tail->add_option("--from", tail_args.from, "start at this seq instead")
      ->check(CLI::Range(int64_t{1}, std::numeric_limits<int64_t>::max()));
  tail->add_option("--count", tail_args.count, "stop after this many events")
      ->check(CLI::PositiveNumber);
  tail->add_flag("--no-ack", tail_args.no_ack,
                 "do not ack: the name keeps its position (a new name starts before --from)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the usage
    return kUsage;
  }
  if (global.tls || !global.tls_ca.empty() || !global.tls_cert.empty()) {
    try {
      global.tls_context =
          hourglass::io::MakeClientTlsContext(global.tls_ca, global.tls_cert, global.tls_key);
    } catch (const hourglass::io::LoadError& e) {
      std::fprintf(stderr, "hourglass: %s\n", e.what());
      return kUsage;
    }
  }
  // A daemon that closes mid-write is an error to report, not a reason to die.
  ::signal(SIGPIPE, SIG_IGN);

  const auto simple = [](const std::string& op, auto&& fields) {
    std::string out;
    JsonWriter w(out);
    w.BeginObject().Field("op", op);
    fields(w);
    w.EndObject();
    return out;
  };
  try {
    if (route->parsed()) return Request(global, RouteRequest(route_args, false), RouteRender{});
    if (explain->parsed()) {
      return Request(global, RouteRequest(explain_args, true), ExplainRender{});
    }
    if (commit->parsed() || release->parsed()) {
      const std::string request = simple(commit->parsed() ? "commit" : "release",
                                         [&](JsonWriter& w) { w.Field("order", order); });
      return Request(global, request, Simple{[](dom::element a) {
                       std::printf("order %s: %s%s\n", Cell(a, "order").c_str(),
                                   Cell(a, "state").c_str(),
                                   Flag(a, "already") ? " (already)" : "");
                     }});
    }
    if (stock->parsed()) {
      const std::string request =
          simple("stock", [&](JsonWriter& w) { w.Field("store", store).Field("sku", sku); });
      return Request(global, request, Simple{PrintStock});
    }
    if (stock_set->parsed()) {
      const std::string request = simple("stock.set", [&](JsonWriter& w) {
        w.Field("store", store).Field("sku", sku).Field("on_hand", on_hand);
        if (as_of_seq) w.Field("as_of_seq", *as_of_seq);
      });
      return Request(global, request, Simple{PrintStock});
    }
    if (reload->parsed()) {
      const std::string request =
          simple("reload", [&](JsonWriter& w) { w.Field("dry_run", dry_run); });
      return Request(global, request, Simple{PrintReload});
    }
    if (stats->parsed()) {
      return Request(global, simple("stats", [](JsonWriter&) {}), Simple{[](dom::element a) {
                       Table t({"KEY", "VALUE"});
                       Flatten(a, "", t);
                       t.Print(stdout);
                     }});
    }
    if (tail->parsed()) return Tail(global, tail_args);
  } catch (const Failure& f) {
    std::fflush(stdout);
    std::fprintf(stderr, "hourglass: %s\n", f.message.c_str());
    return f.exit_code;
  } catch (const ConnectError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "hourglass: %s\n", e.what());
    return kNoConnection;
  }
  return kUsage;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
