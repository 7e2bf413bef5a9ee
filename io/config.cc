#include "io/config.h"

#include <toml++/toml.h>

#include <charconv>
#include <cmath>
#include <functional>
#include <string_view>
#include <vector>

#include "io/journal.h"
#include "io/load_error.h"

namespace hourglass::io {
namespace {

// One declared key: where it lives, its bounds, and where its value goes.
struct NumberKey {
  std::string_view table;
  std::string_view key;
  bool integer;
  double min;
  double max;
  std::function<void(Config&, double)> set;
};

std::vector<NumberKey> NumberKeys() {
  return {
      {"server", "io_threads", true, 1, 64, [](Config& c, double v) { c.io_threads = int64_t(v); }},
      {"rules", "promise_min", false, 1, 10080,
       [](Config& c, double v) { c.rules.promise_min = v; }},
      {"rules", "speed_kmh", false, 0.1, 500, [](Config& c, double v) { c.rules.speed_kmh = v; }},
      {"rules", "detour", false, 1, 10, [](Config& c, double v) { c.rules.detour = v; }},
      {"rules", "prep_min", false, 0, 1440, [](Config& c, double v) { c.rules.prep_min = v; }},
      {"rules", "radius_km", false, 0.01, 500, [](Config& c, double v) { c.rules.radius_km = v; }},
      {"rules", "reservation_ttl_s", true, 1, 604800,
       [](Config& c, double v) { c.rules.reservation_ttl_s = int64_t(v); }},
      {"limits", "max_line_bytes", true, 1024, 16 << 20,
       [](Config& c, double v) { c.limits.max_line_bytes = int64_t(v); }},
      {"limits", "max_items", true, 1, 10000,
       [](Config& c, double v) { c.limits.max_items = int64_t(v); }},
      {"limits", "finished_order_retention_s", true, 1, 30 * 86400,
       [](Config& c, double v) { c.limits.finished_order_retention_s = int64_t(v); }},
      {"limits", "max_connections", true, 1, 1e6,
       [](Config& c, double v) { c.limits.max_connections = int64_t(v); }},
      {"limits", "idle_timeout_s", true, 0, 86400,
       [](Config& c, double v) { c.limits.idle_timeout_s = int64_t(v); }},
      {"journal", "segment_bytes", true, 1 << 16, double(1ll << 34),
       [](Config& c, double v) { c.journal.segment_bytes = int64_t(v); }},
      {"journal", "sync_interval_ms", true, 1, 10000,
       [](Config& c, double v) { c.journal.sync_interval_ms = int64_t(v); }},
      {"journal", "snapshot_every_records", true, 100, 1e12,
       [](Config& c, double v) { c.journal.snapshot_every_records = int64_t(v); }},
      {"journal", "max_retained_bytes", true, 1 << 20, 1e15,
       [](Config& c, double v) { c.journal.max_retained_bytes = int64_t(v); }},
  };
}

// String keys: [server] listen and the [data] paths.
constexpr std::string_view kStringKeys[][2] = {{"server", "listen"},
                                               {"data", "stores"},
                                               {"data", "stock"},
                                               {"data", "dir"},
                                               {"journal", "sync"}};

std::string Where(const std::filesystem::path& file, const toml::source_region& src) {
  return file.string() + ":" + std::to_string(src.begin.line);
}

[[noreturn]] void Fail(const std::filesystem::path& file, const toml::node& node,
                       std::string_view table, std::string_view key, std::string_view why) {
  throw LoadError(Where(file, node.source()) + ": [" + std::string(table) + "] " +
                  std::string(key) + ": " + std::string(why));
}

std::string KnownKeys(std::string_view table, const std::vector<NumberKey>& numbers) {
  std::string out;
  for (const auto& k : numbers) {
    if (k.table == table) out += (out.empty() ? "" : ", ") + std::string(k.key);
  }
  for (const auto& k : kStringKeys) {
    if (k[0] == table) out += (out.empty() ? "" : ", ") + std::string(k[1]);
  }
  return out;
}

}  // namespace

void SetListen(Config& config, std::string_view listen, std::string_view where) {
  const size_t colon = listen.rfind(':');
  auto fail = [&](std::string_view why) {
    throw LoadError(std::string(where) + ": listen \"" + std::string(listen) +
                    "\": " + std::string(why));
  };
  if (colon == std::string_view::npos || colon == 0)
    fail("expected host:port, e.g. 127.0.0.1:7878");
  std::string_view host = listen.substr(0, colon);
  const std::string_view port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    fail("the port must be a number in [0, 65535] (0 picks a free port)");
  }
  config.listen_host = std::string(host);
  config.listen_port = static_cast<uint16_t>(port);
}

Config LoadConfig(const std::filesystem::path& path) {
  Config config;
  config.file = path;
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    throw LoadError(path.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                    std::string(e.description()));
  }
  const std::filesystem::path base = path.parent_path();
  std::string stores = "stores.csv";
  std::string stock = "stock.csv";
  std::string dir = "var";
  const auto numbers = NumberKeys();

  for (auto& [table_key, table_node] : root) {
    const std::string_view table = table_key.str();
    const toml::table* t = table_node.as_table();
    if (t == nullptr || (table != "server" && table != "data" && table != "rules" &&
                         table != "limits" && table != "journal")) {
      throw LoadError(Where(path, table_node.source()) + ": unknown table [" + std::string(table) +
                      "] (known: [server], [data], [rules], [limits], [journal])");
    }
    for (auto& [key_obj, node] : *t) {
      const std::string_view key = key_obj.str();
      bool handled = false;
      for (const auto& k : kStringKeys) {
        if (k[0] != table || k[1] != key) continue;
        const auto* s = node.as_string();
        if (s == nullptr) Fail(path, node, table, key, "must be a string");
        const std::string value = s->get();
        if (value.empty()) Fail(path, node, table, key, "must not be empty");
        if (key == "listen") SetListen(config, value, Where(path, node.source()));
        if (key == "stores") stores = value;
        if (key == "stock") stock = value;
        if (key == "dir") dir = value;
        if (key == "sync") {
          if (!ParseSyncMode(value)) {
            Fail(path, node, table, key, "must be \"always\", \"batch\" or \"none\"");
          }
          config.journal.sync = value;
        }
        handled = true;
      }
      for (const auto& k : numbers) {
        if (k.table != table || k.key != key) continue;
        double v = 0;
        if (const auto* i = node.as_integer()) {
          v = static_cast<double>(i->get());
        } else if (const auto* f = node.as_floating_point(); f != nullptr && !k.integer) {
          v = f->get();
        } else {
          Fail(path, node, table, key, k.integer ? "must be a whole number" : "must be a number");
        }
        if (!std::isfinite(v) || v < k.min || v > k.max) {
          char bounds[96];
          std::snprintf(bounds, sizeof bounds, "must be within [%g, %g]", k.min, k.max);
          Fail(path, node, table, key, bounds);
        }
        k.set(config, v);
        handled = true;
      }
      if (!handled) {
        Fail(path, node, table, key,
             "unknown key (known in [" + std::string(table) + "]: " + KnownKeys(table, numbers) +
                 ")");
      }
    }
  }
  config.stores_csv = base / stores;
  config.stock_csv = base / stock;
  config.data_dir = base / dir;
  return config;
}

}  // namespace hourglass::io
