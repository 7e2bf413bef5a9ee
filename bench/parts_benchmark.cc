// Micro-benchmarks of the parts of one request, on the demo data set: parse,
// index query, stock probe, hold, answer write. Together with the whole
// decision (route_benchmark.cc) they show where a request's time goes.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "bench/bench_data.h"
#include "io/json_writer.h"
#include "io/request_handler.h"

namespace {

using namespace hourglass;

// simdjson DOM parse of route lines as clients send them (the first step of
// every request; validates the whole line).
void BM_ParseRequest(benchmark::State& state) {
  bench::Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  std::vector<simdjson::padded_string> lines;
  for (const bench::Order& o : demo.orders) lines.emplace_back(o.line);
  simdjson::dom::parser parser;
  size_t i = 0;
  for (auto _ : state) {
    auto doc = parser.parse(lines[i].data(), lines[i].size(), false);
    benchmark::DoNotOptimize(doc.error());
    if (++i == lines.size()) i = 0;
  }
}
BENCHMARK(BM_ParseRequest);

// A route line naming an unknown SKU: parse, validate every field, intern,
// write the error answer — everything but the geo and stock work.
void BM_HandleRejectedLine(benchmark::State& state) {
  bench::Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  io::Limits limits;
  io::RequestHandler handler(*demo.allocator, limits, [] { return alloc::Now{}; });
  const simdjson::padded_string line(std::string_view(
      R"({"op":"route","order":"O-1","lat":31.23,"lon":121.47,"items":[{"sku":"NO-SUCH-SKU","qty":1}]})"));
  std::string out;
  io::Session session;
  for (auto _ : state) {
    out.clear();
    handler.Handle(std::string_view(line.data(), line.size()), out, session);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_HandleRejectedLine);

// Writing a found answer the size of a typical one.
void BM_WriteAnswer(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    io::JsonWriter w(out);
    w.BeginObject().Field("ok", true).Field("order", "O-123456").Field("found", true);
    w.Key("plan").BeginArray().BeginObject().Field("store", "S-1742").Field("tier", "direct");
    w.Field("role", "delivery").Key("eta_min").Fixed(31.42, 1).Key("distance_km").Fixed(4.213, 2);
    w.Key("items").BeginArray();
    for (int k = 0; k < 3; ++k) {
      w.BeginObject().Field("sku", "SKU-00022").Field("qty", int64_t{2}).EndObject();
    }
    w.EndArray().EndObject().EndArray();
    w.Field("promise", "express").Field("reserved", true).Field("state", "held");
    w.Field("expires_in_s", int64_t{900}).Field("rules_version", int64_t{1}).EndObject();
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_WriteAnswer);

// The R-tree query: every store within the largest delivery reach.
void BM_IndexWithin(benchmark::State& state) {
  bench::Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  const auto view = demo.inventory->Stores();
  std::vector<geo::NearbyStore> out;
  size_t i = 0, found = 0;
  for (auto _ : state) {
    out.clear();
    view->index.Within(demo.orders[i].at, view->max_reach_km, out);
    found += out.size();
    if (++i == demo.orders.size()) i = 0;
  }
  state.counters["stores_per_query"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_IndexWithin);

// Order lines as interned stock lines, one order per entry.
std::vector<std::vector<alloc::Line>> InternedLines(bench::Data& data) {
  std::vector<std::vector<alloc::Line>> all;
  for (const bench::Order& o : data.orders) {
    std::vector<alloc::Line> lines;
    for (size_t k = 0; k < o.skus.size(); ++k) {
      if (const auto sku = data.inventory->skus.Find(o.skus[k])) lines.push_back({*sku, o.qtys[k]});
    }
    all.push_back(std::move(lines));
  }
  return all;
}

// One stock probe: does this store have every line? (stores in turn)
void BM_StockCovers(benchmark::State& state) {
  bench::Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  const auto orders = InternedLines(demo);
  const uint32_t stores = static_cast<uint32_t>(demo.inventory->stock.stores());
  size_t i = 0;
  uint32_t s = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(demo.inventory->stock.Covers(alloc::StoreIdx{s}, orders[i]));
    if (++i == orders.size()) i = 0;
    s = (s + 7919) % stores;  // a prime stride: stores far apart in memory
  }
}
BENCHMARK(BM_StockCovers);

// Holding an order's lines at a store, then undoing it.
void BM_StockHoldUnhold(benchmark::State& state) {
  bench::Data& demo = bench::Demo();
  if (!demo.error.empty()) return state.SkipWithError(demo.error.c_str());
  const auto orders = InternedLines(demo);
  const uint32_t stores = static_cast<uint32_t>(demo.inventory->stock.stores());
  alloc::StockTable& stock = demo.inventory->stock;
  size_t i = 0;
  uint32_t s = 0;
  int64_t held = 0;
  for (auto _ : state) {
    if (stock.TryHold(alloc::StoreIdx{s}, orders[i])) {
      stock.Unhold(alloc::StoreIdx{s}, orders[i]);
      ++held;
    }
    if (++i == orders.size()) i = 0;
    s = (s + 7919) % stores;
  }
  state.counters["held_pct"] =
      100.0 * static_cast<double>(held) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_StockHoldUnhold);

}  // namespace
