// Google Benchmark micro-benchmarks of route decisions, on the demo data set
// (run ./run.sh once, or hourglass-gen --out demo) and, for the scaling
// curve over store counts, on the sets bench/make_scale_data.sh writes.
//
//   build/bin/hourglass-microbench                      # data from ./demo
//   HOURGLASS_DEMO_DIR=/path build/bin/hourglass-microbench
//   HOURGLASS_SCALE_DIR=/tmp/scale build/bin/hourglass-microbench --benchmark_filter=Stores
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_data.h"
#include "io/config.h"
#include "io/log.h"
#include "io/request_handler.h"
#include "io/request_sampler.h"

namespace {

using namespace hourglass;
using bench::Data;
using bench::Requests;

// Quotes (nothing held) over `reqs`, round and round.
void QuoteLoop(benchmark::State& state, const Data& data, const Requests& reqs) {
  if (reqs.requests.empty()) return state.SkipWithError("no orders of that size");
  alloc::AllocScratch scratch;
  size_t i = 0;
  int64_t found = 0;
  for (auto _ : state) {
    const auto& r = data.allocator->Route(reqs.requests[i], 0, scratch);
    found += r.found;
    benchmark::DoNotOptimize(r.plan.primary().store);
    if (++i == reqs.requests.size()) i = 0;
  }
  state.counters["found_pct"] =
      100.0 * static_cast<double>(found) / static_cast<double>(state.iterations());
}

// One decision without reserving: index query, ranking, stock probes.
// Orders as generated, with exactly `items` lines (0: any).
void BM_RouteQuote(benchmark::State& state) {
  Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  QuoteLoop(state, demo, bench::OrdersWithItems(demo, static_cast<size_t>(state.range(0))));
}
BENCHMARK(BM_RouteQuote)->Arg(0)->Arg(1)->Arg(3)->Arg(5)->ArgName("items");

// The distribution of one decision's time (3-item orders): each is timed on
// its own, so p50 and p99 are real percentiles, not a mean. The clock reads
// add about 40 ns to each.
void BM_RouteDecision(benchmark::State& state) {
  Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  const Requests reqs = bench::OrdersWithItems(demo, 3);
  if (reqs.requests.empty()) return state.SkipWithError("no 3-item orders");
  alloc::AllocScratch scratch;
  std::vector<int64_t> ns;
  ns.reserve(1 << 22);
  size_t i = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const auto& r = demo.allocator->Route(reqs.requests[i], 0, scratch);
    benchmark::DoNotOptimize(r.plan.primary().store);
    const auto took = std::chrono::steady_clock::now() - start;
    if (ns.size() < ns.capacity()) ns.push_back(std::chrono::nanoseconds(took).count());
    if (++i == reqs.requests.size()) i = 0;
  }
  std::sort(ns.begin(), ns.end());
  const auto at = [&ns](double q) {
    return static_cast<double>(ns[static_cast<size_t>(q * (ns.size() - 1))]);
  };
  state.counters["p50_ns"] = at(0.50);
  state.counters["p99_ns"] = at(0.99);
  state.counters["p999_ns"] = at(0.999);
}
BENCHMARK(BM_RouteDecision);

// Cost per item: orders of 1, 5 and 20 distinct SKUs (lines of consecutive
// generated orders joined, so popularity stays realistic).
void BM_RouteQuoteItems(benchmark::State& state) {
  Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  QuoteLoop(state, demo, bench::JoinedOrders(demo, static_cast<size_t>(state.range(0))));
}
BENCHMARK(BM_RouteQuoteItems)->Arg(1)->Arg(5)->Arg(20)->ArgName("items");

// Cost per store count: the same generator at 1k / 10k / 100k stores, 3-item
// orders. Registered in main for each set found under HOURGLASS_SCALE_DIR.
void BM_RouteQuoteStores(benchmark::State& state, std::filesystem::path dir) {
  Data& data = bench::DataIn(dir);
  if (!data.error.empty()) return state.SkipWithError(data.error.c_str());
  QuoteLoop(state, data, bench::OrdersWithItems(data, 3));
  state.counters["stores"] = static_cast<double>(data.inventory->Stores()->stores.size());
}

// A decision that holds the stock, then releases it (so stock never runs out).
void BM_RouteReserveRelease(benchmark::State& state) {
  Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  Requests reqs = bench::OrdersWithItems(demo, 0);
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

// Holds of orders never seen before, as in a sale. The book grows (its maps
// rehash as they grow, its pages are touched for the first time), which the
// benchmark above, one id held and released, never shows. Every 2^19 orders
// all are released, untimed, so stock never runs out; released orders stay
// remembered, so the book keeps growing.
void BM_RouteReserveFresh(benchmark::State& state) {
  Data demo = bench::OwnDemo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  Requests reqs = bench::OrdersWithItems(demo, 0);
  constexpr size_t kBatch = size_t{1} << 19;
  std::vector<std::string> ids;
  ids.reserve(kBatch);
  alloc::AllocScratch scratch;
  size_t i = 0;
  size_t batch = 0;
  int64_t held = 0;
  for (auto _ : state) {
    if (ids.size() == kBatch) {
      state.PauseTiming();
      for (const std::string& id : ids) (void)demo.allocator->Release(id, 0);
      ids.clear();
      ++batch;
      state.ResumeTiming();
    }
    ids.push_back("O-" + std::to_string(batch) + "-" + std::to_string(ids.size()));
    alloc::RouteRequest req = reqs.requests[i];
    req.order = ids.back();
    req.reserve = true;
    held += demo.allocator->Route(req, 0, scratch).reserved;
    if (++i == reqs.requests.size()) i = 0;
  }
  state.counters["held_pct"] =
      100.0 * static_cast<double>(held) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_RouteReserveFresh);

// Demo orders as request lines through `handler`, round and round.
void HandleLoop(benchmark::State& state, const Data& demo, io::LineHandler& handler) {
  // Lines need simdjson's padding after them: keep each in a padded string.
  std::vector<simdjson::padded_string> lines;
  for (const bench::Order& o : demo.orders) lines.emplace_back(o.line);
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

// The whole request path without the socket: parse, validate, route, write.
// counted:1 adds what the daemon adds: the per-thread metrics (op, outcome,
// latency, route result) and the live map's decision ring.
void BM_HandleRouteLine(benchmark::State& state) {
  Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  io::Limits limits;
  io::Metrics metrics;
  io::DecisionLog decisions(1, 1000);
  io::HandlerOps ops;
  if (state.range(0) == 1) {
    ops.metrics = &metrics.AddThread();
    ops.decisions = &decisions;
  }
  io::RequestHandler handler(
      *demo.allocator, limits, [] { return int64_t{0}; }, nullptr, ops);
  HandleLoop(state, demo, handler);
}
BENCHMARK(BM_HandleRouteLine)->Arg(0)->Arg(1)->ArgName("counted");

// The same behind the log's request sampler ([log] sample_requests = 1 / N):
// an unsampled line costs one xorshift step; a sampled one is timed, parsed
// again and logged (to /dev/null here).
void BM_HandleRouteLineSampled(benchmark::State& state) {
  Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  io::ConfigureLog({io::LogLevel::kInfo, true, "/dev/null"});
  io::Limits limits;
  io::SampledHandler handler(
      std::make_unique<io::RequestHandler>(*demo.allocator, limits, [] { return int64_t{0}; }),
      1.0 / static_cast<double>(state.range(0)), 42);
  HandleLoop(state, demo, handler);
}
BENCHMARK(BM_HandleRouteLineSampled)->Arg(1000)->Arg(1)->ArgName("one_in");

}  // namespace

int main(int argc, char** argv) {
  if (const char* scale = std::getenv("HOURGLASS_SCALE_DIR")) {
    std::vector<std::filesystem::path> sets;
    for (const auto& e : std::filesystem::directory_iterator(scale)) {
      if (e.path().filename().string().starts_with("stores-")) sets.push_back(e.path());
    }
    // Smallest first: "stores-1000" < "stores-10000" by length, then text.
    std::sort(sets.begin(), sets.end(), [](const auto& a, const auto& b) {
      const auto sa = a.string(), sb = b.string();
      return sa.size() != sb.size() ? sa.size() < sb.size() : sa < sb;
    });
    for (const auto& dir : sets) {
      benchmark::RegisterBenchmark(("BM_RouteQuoteStores/" + dir.filename().string()).c_str(),
                                   BM_RouteQuoteStores, dir);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
