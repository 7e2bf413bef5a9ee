#include "bench/bench_data.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>

#include "io/config.h"
#include "io/data_loader.h"

namespace hourglass::bench {
namespace {

Data Load(const std::filesystem::path& dir, size_t max_orders) {
  Data d;
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
  for (std::string line; std::getline(in, line) && d.orders.size() < max_orders;) {
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
}

// Points the requests at `r.items` once it stops growing, so spans stay valid.
void Finish(Requests& r, const std::vector<geo::LatLon>& where) {
  for (size_t i = 0; i < r.items.size(); ++i) {
    alloc::RouteRequest req;
    req.at = where[i];
    req.items = r.items[i];
    r.requests.push_back(req);
  }
}

}  // namespace

Data& DataIn(const std::filesystem::path& dir, size_t max_orders) {
  static std::map<std::filesystem::path, Data> loaded;
  auto it = loaded.find(dir);
  if (it == loaded.end()) it = loaded.emplace(dir, Load(dir, max_orders)).first;
  return it->second;
}

std::filesystem::path DemoDir() {
  const char* env = std::getenv("HOURGLASS_DEMO_DIR");
  return env != nullptr ? env : "demo";
}

Data& Demo() { return DataIn(DemoDir()); }

Data OwnDemo() { return Load(DemoDir(), 20000); }

Requests OrdersWithItems(const Data& data, size_t items) {
  Requests r;
  std::vector<geo::LatLon> where;
  for (const Order& o : data.orders) {
    if (items != 0 && o.skus.size() != items) continue;
    std::vector<alloc::OrderItem> lines;
    for (size_t i = 0; i < o.skus.size(); ++i) lines.push_back({o.skus[i], o.qtys[i]});
    r.items.push_back(std::move(lines));
    where.push_back(o.at);
  }
  Finish(r, where);
  return r;
}

Requests JoinedOrders(const Data& data, size_t items) {
  Requests r;
  std::vector<geo::LatLon> where;
  std::vector<alloc::OrderItem> lines;
  for (const Order& o : data.orders) {
    if (lines.empty()) where.push_back(o.at);
    for (size_t i = 0; i < o.skus.size() && lines.size() < items; ++i) {
      const bool seen = std::any_of(lines.begin(), lines.end(),
                                    [&](const alloc::OrderItem& l) { return l.sku == o.skus[i]; });
      if (!seen) lines.push_back({o.skus[i], o.qtys[i]});
    }
    if (lines.size() == items) {
      r.items.push_back(std::move(lines));
      lines.clear();
    }
  }
  if (!lines.empty()) where.pop_back();
  Finish(r, where);
  return r;
}

}  // namespace hourglass::bench
