// Data sets for the micro-benchmarks: files written by hourglass-gen, loaded
// once per folder and kept for the whole run.
//
//   HOURGLASS_DEMO_DIR   the demo set (default ./demo, as ./run.sh makes it)
//   HOURGLASS_SCALE_DIR  a folder of stores-<N>/ sets for the scaling curves
//                        (bench/make_scale_data.sh creates them)
#ifndef HOURGLASS_BENCH_BENCH_DATA_H_
#define HOURGLASS_BENCH_BENCH_DATA_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "alloc/allocator.h"

namespace hourglass::bench {

struct Order {
  std::string line;  // the request as the client sends it
  geo::LatLon at;
  std::vector<std::string> skus;
  std::vector<int32_t> qtys;
};

struct Data {
  std::unique_ptr<alloc::Inventory> inventory;
  std::unique_ptr<alloc::Allocator> allocator;
  std::vector<Order> orders;
  std::string error;  // why the set could not be loaded ("" : loaded)
};

// The set in `dir`, loaded on first use (at most `max_orders` orders).
Data& DataIn(const std::filesystem::path& dir, size_t max_orders = 20000);
// The demo set (HOURGLASS_DEMO_DIR).
Data& Demo();
// A copy of the demo set of its own, for a benchmark that leaves its state
// changed (the others share theirs).
Data OwnDemo();

// Orders with exactly `items` lines (0: all), as RouteRequests whose spans
// point into `items` (so keep the whole struct).
struct Requests {
  std::vector<std::vector<alloc::OrderItem>> items;
  std::vector<alloc::RouteRequest> requests;
};
Requests OrdersWithItems(const Data& data, size_t items);
// Orders of exactly `items` distinct SKUs, each made by joining the lines of
// consecutive orders (so SKU popularity stays the generator's), placed at
// the first one's location.
Requests JoinedOrders(const Data& data, size_t items);

}  // namespace hourglass::bench

#endif  // HOURGLASS_BENCH_BENCH_DATA_H_
