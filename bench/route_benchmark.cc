// Google Benchmark micro-benchmarks of one route decision on the demo data
// set (run ./run.sh once, or hourglass-gen --out demo, to create it).
//
//   build/bin/hourglass-microbench            # data from ./demo
//   HOURGLASS_DEMO_DIR=/path build/bin/hourglass-microbench
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "alloc/allocator.h"
#include "io/config.h"
#include "io/data_loader.h"
#include "io/request_handler.h"

namespace {

using namespace hourglass;

struct Order {
  std::string line;  // the request as the client sends it
  geo::LatLon at;
  std::vector<std::string> skus;
  std::vector<int32_t> qtys;
};

struct Demo {
  std::unique_ptr<alloc::Inventory> inventory;
  std::unique_ptr<alloc::Allocator> allocator;
  std::vector<Order> orders;
  std::string error;
};

Demo& LoadDemo() {
  static Demo demo = [] {
    Demo d;
    const char* env = std::getenv("HOURGLASS_DEMO_DIR");
    const std::filesystem::path dir = env != nullptr ? env : "demo";
    try {
      io::Rules rules;
      d.inventory = io::LoadInventory(dir / "stores.csv", dir / "stock.csv", rules);
      d.allocator = std::make_unique<alloc::Allocator>(
          *d.inventory, geo::EtaModel{rules.speed_kmh, rules.detour},
          alloc::RouteDefaults{rules.promise_min, rules.reservation_ttl_s}, 3'600'000);
    } catch (const std::exception& e) {
      d.error = std::string(e.what()) + " (create the demo data with ./run.sh or hourglass-gen)";
      return d;
    }
    std::ifstream in(dir / "orders.ndjson");
    simdjson::dom::parser parser;
    for (std::string line; std::getline(in, line) && d.orders.size() < 20000;) {
      simdjson::dom::element e = parser.parse(line).value();
      Order o;
      o.line = line;
      o.at = {e["lat"].get_double().value(), e["lon"].get_double().value()};
      const simdjson::dom::array items = e["items"].get_array().value();
      for (simdjson::dom::element item : items) {
        o.skus.emplace_back(item["sku"].get_string().value());
        o.qtys.push_back(static_cast<int32_t>(item["qty"].get_int64().value()));
      }
      d.orders.push_back(std::move(o));
    }
    if (d.orders.empty()) d.error = "no orders in " + (dir / "orders.ndjson").string();
    return d;
  }();
  return demo;
}

// Orders with exactly `items` lines, as RouteRequests over stable storage.
struct Requests {
  std::vector<std::vector<alloc::OrderItem>> items;
  std::vector<alloc::RouteRequest> requests;
};

Requests MakeRequests(const Demo& demo, size_t want_items) {
  Requests r;
  std::vector<geo::LatLon> where;
  for (const Order& o : demo.orders) {
    if (want_items != 0 && o.skus.size() != want_items) continue;
    std::vector<alloc::OrderItem> items;
    for (size_t i = 0; i < o.skus.size(); ++i) items.push_back({o.skus[i], o.qtys[i]});
    r.items.push_back(std::move(items));
    where.push_back(o.at);
  }
  // Built after `items` stops growing, so the spans stay valid.
  for (size_t i = 0; i < r.items.size(); ++i) {
    alloc::RouteRequest req;
    req.at = where[i];
    req.items = r.items[i];
    r.requests.push_back(req);
  }
  return r;
}

// One decision without reserving: index query, ranking, stock probes.
void BM_RouteQuote(benchmark::State& state) {
  Demo& demo = LoadDemo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  const Requests reqs = MakeRequests(demo, static_cast<size_t>(state.range(0)));
  alloc::AllocScratch scratch;
  size_t i = 0;
  int64_t found = 0;
  for (auto _ : state) {
    const auto& r = demo.allocator->Route(reqs.requests[i], 0, scratch);
    found += r.found;
    benchmark::DoNotOptimize(r.plan.primary().store);
    if (++i == reqs.requests.size()) i = 0;
  }
  state.counters["found_pct"] =
      100.0 * static_cast<double>(found) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_RouteQuote)->Arg(0)->Arg(1)->Arg(3)->Arg(5)->ArgName("items");

// A decision that holds the stock, then releases it (so stock never runs out).
void BM_RouteReserveRelease(benchmark::State& state) {
  Demo& demo = LoadDemo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  Requests reqs = MakeRequests(demo, 0);
  alloc::AllocScratch scratch;
  size_t i = 0;
  for (auto _ : state) {
    alloc::RouteRequest req = reqs.requests[i];
    req.order = "bench-order";
    req.reserve = true;
    const auto& r = demo.allocator->Route(req, 0, scratch);
    if (r.reserved) (void)demo.allocator->Release("bench-order", 0);
    if (++i == reqs.requests.size()) i = 0;
  }
}
BENCHMARK(BM_RouteReserveRelease);

// The whole request path without the socket: parse, validate, route, write.
void BM_HandleRouteLine(benchmark::State& state) {
  Demo& demo = LoadDemo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  io::Limits limits;
  io::RequestHandler handler(*demo.allocator, limits, [] { return int64_t{0}; });
  // Lines need simdjson's padding after them: keep each in a padded string.
  std::vector<simdjson::padded_string> lines;
  for (const Order& o : demo.orders) lines.emplace_back(o.line);
  std::string out;
  io::Session session;
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    handler.Handle(std::string_view(lines[i].data(), lines[i].size()), out, session);
    benchmark::DoNotOptimize(out.data());
    if (++i == lines.size()) i = 0;
  }
}
BENCHMARK(BM_HandleRouteLine);

}  // namespace

BENCHMARK_MAIN();
