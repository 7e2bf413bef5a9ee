#include "io/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <string_view>
#include <vector>

#include "alloc/local_time.h"
#include "io/journal.h"
#include "io/load_error.h"
#include "io/log.h"

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
      {"rules", "bound_store_slack_min", false, 0, 1440,
       [](Config& c, double v) { c.rules.routing.bound_store_slack_min = v; }},
      {"rules", "pickup_options", true, 1, 20,
       [](Config& c, double v) { c.rules.routing.pickup_options = int(v); }},
      {"rules", "pickup_search_km", false, 0.1, 500,
       [](Config& c, double v) { c.rules.routing.pickup_search_km = v; }},
      {"rules", "transfer_radius_km", false, 0, 500,
       [](Config& c, double v) { c.rules.routing.transfer_radius_km = v; }},
      {"rules", "transfer_handling_min", false, 0, 1440,
       [](Config& c, double v) { c.rules.routing.transfer_handling_min = v; }},

      {"data", "store_filter_bits", true, 0, 32,
       [](Config& c, double v) { c.store_filter_bits = int64_t(v); }},

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
      {"limits", "what_if_orders", true, 0, 10'000'000,
       [](Config& c, double v) { c.limits.what_if_orders = int64_t(v); }},
      {"limits", "max_added_stores", true, 0, 1'000'000,
       [](Config& c, double v) { c.limits.max_added_stores = int64_t(v); }},
      {"limits", "request_deadline_ms", true, 0, 3'600'000,
       [](Config& c, double v) { c.limits.request_deadline_ms = int64_t(v); }},
      {"journal", "segment_bytes", true, 1 << 16, double(1ll << 34),
       [](Config& c, double v) { c.journal.segment_bytes = int64_t(v); }},
      {"journal", "sync_interval_ms", true, 1, 10000,
       [](Config& c, double v) { c.journal.sync_interval_ms = int64_t(v); }},
      {"journal", "snapshot_every_records", true, 100, 1e12,
       [](Config& c, double v) { c.journal.snapshot_every_records = int64_t(v); }},
      {"journal", "max_retained_bytes", true, 1 << 20, 1e15,
       [](Config& c, double v) { c.journal.max_retained_bytes = int64_t(v); }},
      {"log", "sample_requests", false, 0, 1,
       [](Config& c, double v) { c.log.sample_requests = v; }},
  };
}

// String keys: [server] listen and the [data] paths.
constexpr std::string_view kStringKeys[][2] = {
    {"server", "listen"},    {"data", "stores"}, {"data", "stock"}, {"data", "dir"},
    {"journal", "sync"},     {"log", "level"},   {"log", "format"}, {"log", "file"},
    {"rules", "utc_offset"}, {"tls", "cert"},    {"tls", "key"},    {"tls", "client_ca"}};
// Boolean keys.
constexpr std::string_view kBoolKeys[][2] = {{"rules", "dealer_scope"}};
// Sub-tables of [rules], read by ReadRuleTable.
constexpr std::string_view kRuleTables[] = {"city", "speed_bands", "safety_stock", "score"};

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
  for (const auto& k : kBoolKeys) {
    if (k[0] == table) out += (out.empty() ? "" : ", ") + std::string(k[1]);
  }
  if (table == "rules") {
    for (const auto t : kRuleTables) out += ", [rules." + std::string(t) + "]";
  }
  return out;
}

// A number at `key` of `t` within [min, max]; `fallback` when absent.
double RuleNumber(const std::filesystem::path& file, const toml::table& t, std::string_view table,
                  std::string_view key, double min, double max, double fallback) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return fallback;
  double v = 0;
  if (const auto* i = node->as_integer()) {
    v = static_cast<double>(i->get());
  } else if (const auto* f = node->as_floating_point()) {
    v = f->get();
  } else {
    Fail(file, *node, table, key, "must be a number");
  }
  if (!std::isfinite(v) || v < min || v > max) {
    char bounds[96];
    std::snprintf(bounds, sizeof bounds, "must be within [%g, %g]", min, max);
    Fail(file, *node, table, key, bounds);
  }
  return v;
}

// Refuses keys of `t` that are not in `known`.
void OnlyKeys(const std::filesystem::path& file, const toml::table& t, std::string_view table,
              std::initializer_list<std::string_view> known) {
  for (auto& [key, node] : t) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    std::string list;
    for (const auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    Fail(file, node, table, key.str(), "unknown key (known: " + list + ")");
  }
}

int ParseHhMm(const std::filesystem::path& file, const toml::node& node, std::string_view table,
              std::string_view key) {
  const auto* s = node.as_string();
  int h = -1, m = -1;
  char tail = 0;
  if (s == nullptr || std::sscanf(s->get().c_str(), "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 ||
      h > 24 || m < 0 || m > 59 || (h == 24 && m != 0)) {
    Fail(file, node, table, key, "must be a time of day like \"07:30\"");
  }
  return h * 60 + m;
}

// One of the [rules.*] sub-tables.
void ReadRuleTable(const std::filesystem::path& file, std::string_view name, const toml::node& node,
                   alloc::RoutingRules& rules) {
  const std::string table = "rules." + std::string(name);
  if (name == "speed_bands") {
    const auto* bands = node.as_array();
    if (bands == nullptr) Fail(file, node, "rules", name, "must be written [[rules.speed_bands]]");
    for (const toml::node& b : *bands) {
      const auto* t = b.as_table();
      if (t == nullptr) Fail(file, b, "rules", name, "each band must be a table");
      OnlyKeys(file, *t, table, {"from", "to", "speed_factor"});
      alloc::SpeedBand band;
      if (!t->get("from") || !t->get("to"))
        Fail(file, b, table, "from", "from and to are required");
      band.from_min = ParseHhMm(file, *t->get("from"), table, "from");
      band.to_min = ParseHhMm(file, *t->get("to"), table, "to") % 1440;
      if (band.from_min % 1440 == band.to_min) Fail(file, b, table, "to", "must differ from from");
      band.from_min %= 1440;
      band.speed_factor = RuleNumber(file, *t, table, "speed_factor", 0.05, 5, 1.0);
      rules.speed_bands.push_back(band);
    }
    return;
  }
  const auto* t = node.as_table();
  if (t == nullptr) Fail(file, node, "rules", name, "must be a table [" + table + "]");
  if (name == "city") {
    for (auto& [city, sub] : *t) {
      const auto* c = sub.as_table();
      const std::string ctable = table + "." + std::string(city.str());
      if (c == nullptr) Fail(file, sub, table, city.str(), "must be a table of speed_kmh, detour");
      OnlyKeys(file, *c, ctable, {"speed_kmh", "detour"});
      geo::EtaModel model = rules.eta;
      model.speed_kmh = RuleNumber(file, *c, ctable, "speed_kmh", 0.1, 500, model.speed_kmh);
      model.detour = RuleNumber(file, *c, ctable, "detour", 1, 10, model.detour);
      rules.city_eta[std::string(city.str())] = model;
    }
  } else if (name == "safety_stock") {
    OnlyKeys(file, *t, table, {"direct", "franchise", "sku_prefix"});
    rules.safety_stock.direct =
        static_cast<int32_t>(RuleNumber(file, *t, table, "direct", 0, 1e6, 0));
    rules.safety_stock.franchise =
        static_cast<int32_t>(RuleNumber(file, *t, table, "franchise", 0, 1e6, 0));
    if (const toml::node* p = t->get("sku_prefix")) {
      const auto* prefixes = p->as_table();
      if (prefixes == nullptr)
        Fail(file, *p, table, "sku_prefix", "must be a table like {\"RX-\" = 2}");
      for (auto& [prefix, units] : *prefixes) {
        alloc::SafetyStock::Prefix entry;
        entry.prefix = std::string(prefix.str());
        entry.units = static_cast<int32_t>(
            RuleNumber(file, *prefixes, table + ".sku_prefix", prefix.str(), 0, 1e6, 0));
        rules.safety_stock.sku_prefixes.push_back(entry);
      }
    }
  } else if (name == "score") {
    OnlyKeys(file, *t, table, {"eta", "distance", "depth", "load", "franchise"});
    alloc::Objective& o = rules.objective;
    o.eta = RuleNumber(file, *t, table, "eta", -1e6, 1e6, 0);
    o.distance = RuleNumber(file, *t, table, "distance", -1e6, 1e6, 0);
    o.depth = RuleNumber(file, *t, table, "depth", -1e6, 1e6, 0);
    o.load = RuleNumber(file, *t, table, "load", -1e6, 1e6, 0);
    o.franchise = RuleNumber(file, *t, table, "franchise", -1e6, 1e6, 0);
  }
}

void ReadSecurity(const std::filesystem::path& file, const toml::node& node, Config& config) {
  const auto* t = node.as_table();
  if (t == nullptr) Fail(file, node, "security", "", "must be a table");
  OnlyKeys(file, *t, "security", {"tokens"});
  const toml::node* list_node = t->get("tokens");
  if (list_node == nullptr) return;
  const auto* list = list_node->as_array();
  if (list == nullptr)
    Fail(file, *list_node, "security", "tokens", "must be written [[security.tokens]]");
  for (const toml::node& entry : *list) {
    const auto* e = entry.as_table();
    if (e == nullptr) Fail(file, entry, "security.tokens", "", "each token must be a table");
    OnlyKeys(file, *e, "security.tokens", {"token", "role"});
    const auto* token = e->get("token") ? e->get("token")->as_string() : nullptr;
    const auto* role = e->get("role") ? e->get("role")->as_string() : nullptr;
    if (token == nullptr || token->get().size() < 16 || token->get().size() > 256) {
      Fail(file, entry, "security.tokens", "token", "is required: a string of 16 to 256 bytes");
    }
    if (role == nullptr || (role->get() != "order" && role->get() != "ops")) {
      Fail(file, entry, "security.tokens", "role", "must be \"order\" or \"ops\"");
    }
    for (const SecurityToken& other : config.tokens) {
      if (other.token == token->get())
        Fail(file, entry, "security.tokens", "token", "appears twice");
    }
    config.tokens.push_back({token->get(), role->get()});
  }
}

void ReadWarehouses(const std::filesystem::path& file, const toml::node& node, Config& config) {
  const auto* list = node.as_array();
  if (list == nullptr) Fail(file, node, "warehouses", "", "must be written [[warehouses]]");
  for (const toml::node& w : *list) {
    const auto* t = w.as_table();
    if (t == nullptr) Fail(file, w, "warehouses", "", "each warehouse must be a table");
    OnlyKeys(file, *t, "warehouses", {"id", "lat", "lon", "ship_days"});
    WarehouseConfig wh;
    const auto* id = t->get("id") ? t->get("id")->as_string() : nullptr;
    if (id == nullptr || id->get().empty())
      Fail(file, w, "warehouses", "id", "is required (a string)");
    wh.id = id->get();
    if (!t->get("lat") || !t->get("lon"))
      Fail(file, w, "warehouses", "lat", "lat and lon are required");
    wh.lat = RuleNumber(file, *t, "warehouses", "lat", -90, 90, 0);
    wh.lon = RuleNumber(file, *t, "warehouses", "lon", -180, 180, 0);
    wh.ship_days = static_cast<int64_t>(RuleNumber(file, *t, "warehouses", "ship_days", 0, 60, 2));
    for (const WarehouseConfig& other : config.warehouses) {
      if (other.id == wh.id) Fail(file, w, "warehouses", "id", "\"" + wh.id + "\" appears twice");
    }
    config.warehouses.push_back(wh);
  }
}

}  // namespace

namespace {

void ParseHostPort(std::string_view listen, std::string_view where, std::string& host_out,
                   uint16_t& port_out) {
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
  host_out = std::string(host);
  port_out = static_cast<uint16_t>(port);
}

// [admin]: `listen` only; "" turns the listener off.
void ReadAdmin(const std::filesystem::path& file, const toml::node& node, Config& config) {
  const auto* t = node.as_table();
  if (t == nullptr) Fail(file, node, "admin", "", "must be a table");
  OnlyKeys(file, *t, "admin", {"listen"});
  const toml::node* listen = t->get("listen");
  if (listen == nullptr) return;
  const auto* s = listen->as_string();
  if (s == nullptr)
    Fail(file, *listen, "admin", "listen", "must be a string like \"127.0.0.1:7879\"");
  config.admin_host.clear();
  if (!s->get().empty())
    SetAdminListen(config, s->get(), Where(file, listen->source()) + ": [admin]");
}

}  // namespace

void SetListen(Config& config, std::string_view listen, std::string_view where) {
  ParseHostPort(listen, where, config.listen_host, config.listen_port);
}

void SetAdminListen(Config& config, std::string_view listen, std::string_view where) {
  ParseHostPort(listen, where, config.admin_host, config.admin_port);
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
    if (table == "warehouses") {
      ReadWarehouses(path, table_node, config);
      continue;
    }
    if (table == "security") {
      ReadSecurity(path, table_node, config);
      continue;
    }
    if (table == "admin") {
      ReadAdmin(path, table_node, config);
      continue;
    }
    const toml::table* t = table_node.as_table();
    if (t == nullptr ||
        (table != "server" && table != "data" && table != "rules" && table != "limits" &&
         table != "journal" && table != "log" && table != "tls")) {
      throw LoadError(Where(path, table_node.source()) + ": unknown table [" + std::string(table) +
                      "] (known: [server], [data], [rules], [limits], [journal], [log], [tls], "
                      "[security], [admin], [[warehouses]])");
    }
    for (auto& [key_obj, node] : *t) {
      const std::string_view key = key_obj.str();
      bool handled = false;
      if (table == "rules" &&
          std::find(std::begin(kRuleTables), std::end(kRuleTables), key) != std::end(kRuleTables)) {
        ReadRuleTable(path, key, node, config.rules.routing);
        continue;
      }
      for (const auto& k : kBoolKeys) {
        if (k[0] != table || k[1] != key) continue;
        const auto* b = node.as_boolean();
        if (b == nullptr) Fail(path, node, table, key, "must be true or false");
        if (key == "dealer_scope") config.rules.routing.dealer_scope = b->get();
        handled = true;
      }
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
        if (key == "cert") config.tls.cert = base / value;
        if (key == "key") config.tls.key = base / value;
        if (key == "client_ca") config.tls.client_ca = base / value;
        if (key == "utc_offset") {
          const auto offset = alloc::ParseUtcOffset(value);
          if (!offset) Fail(path, node, table, key, "must be an offset like \"+08:00\"");
          config.rules.routing.utc_offset_min = offset->minutes;
        }
        if (table == "log" && key == "level") {
          if (!ParseLogLevel(value)) {
            Fail(path, node, table, key, "must be \"debug\", \"info\", \"warn\" or \"error\"");
          }
          config.log.level = value;
        }
        if (table == "log" && key == "format") {
          if (value != "text" && value != "json") {
            Fail(path, node, table, key, "must be \"text\" or \"json\"");
          }
          config.log.format = value;
        }
        if (table == "log" && key == "file") config.log.file = base / value;
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
  if (const toml::node* tls = root.get("tls")) {
    // Half a TLS setup would fall back to plain TCP, or refuse every client.
    if (config.tls.cert.empty() != config.tls.key.empty()) {
      Fail(path, *tls, "tls", config.tls.cert.empty() ? "cert" : "key",
           "is required with " + std::string(config.tls.cert.empty() ? "key" : "cert"));
    }
    if (!config.tls.client_ca.empty() && config.tls.cert.empty()) {
      Fail(path, *tls, "tls", "cert", "and key are required with client_ca");
    }
  }
  // The routing rules carry the [rules] scalars too (one value, one source).
  alloc::RoutingRules& routing = config.rules.routing;
  routing.promise_min = config.rules.promise_min;
  routing.reservation_ttl_s = config.rules.reservation_ttl_s;
  const geo::EtaModel base_eta{config.rules.speed_kmh, config.rules.detour};
  // City tables override only what they name; the rest follows [rules].
  for (auto& [city, model] : routing.city_eta) {
    const toml::node* c = root.at_path("rules.city").as_table()->get(city);
    const auto* ct = c->as_table();
    if (!ct->get("speed_kmh")) model.speed_kmh = base_eta.speed_kmh;
    if (!ct->get("detour")) model.detour = base_eta.detour;
  }
  routing.eta = base_eta;
  config.stores_csv = base / stores;
  config.stock_csv = base / stock;
  config.data_dir = base / dir;
  return config;
}

}  // namespace hourglass::io
