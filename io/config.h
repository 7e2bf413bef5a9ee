// The daemon's TOML config. Every key is declared once in config.cc (table,
// type, default, bounds); unknown keys are refused so a typo never passes
// silently. Paths are relative to the config file.
#ifndef HOURGLASS_IO_CONFIG_H_
#define HOURGLASS_IO_CONFIG_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "alloc/routing_rules.h"

namespace hourglass::io {

struct Rules {
  double promise_min = 60;  // default delivery promise (a request's within_min overrides)
  double speed_kmh = 20.0;  // courier speed
  double detour = 1.3;      // road distance / straight-line distance
  double prep_min = 10.0;   // store default when stores.csv has no prep_min
  double radius_km = 8.0;   // store default when stores.csv has no radius_km
  int64_t reservation_ttl_s = 900;
  // Everything [rules] says about routing, the fields above included; this is
  // what a reload replaces.
  alloc::RoutingRules routing;
};

// [[security.tokens]]: with any configured, a connection must send
// {"op":"auth","token":...} first and may then use its role's ops only.
struct SecurityToken {
  std::string token;  // 16 to 256 bytes
  std::string role;   // "order" | "ops"
};

// [[warehouses]]: sites that only ship (mode "ship", or "fallback":"ship").
// Their stock comes from stock.set like a store's. Changing them needs a restart.
struct WarehouseConfig {
  std::string id;
  double lat = 0;
  double lon = 0;
  int64_t ship_days = 2;
};

struct Limits {
  int64_t max_line_bytes = 64 * 1024;  // a longer request line: too_large, then close
  int64_t max_items = 100;             // items per route request
  // How long a finished (committed/released/expired) order is remembered so
  // that retries stay idempotent.
  int64_t finished_order_retention_s = 3600;
  int64_t max_connections = 10000;  // beyond: too_many_connections, then close
  int64_t idle_timeout_s = 600;     // silent connections are closed (0: never)
  // Route requests kept for reload dry runs (what-if); 0 keeps none.
  int64_t what_if_orders = 100'000;
  // Stores store.upsert may add while the daemon runs (each takes a stock slot).
  int64_t max_added_stores = 1000;
  // A change (a hold, commit, release, stock or store change) is refused with
  // deadline_exceeded, before anything is decided, while the journal has left
  // a record unacknowledged for longer than this (0: never refused).
  int64_t request_deadline_ms = 1000;
};

struct JournalConfig {
  std::string sync = "always";  // always | batch | none (see io/journal.h)
  int64_t segment_bytes = 64ll << 20;
  int64_t sync_interval_ms = 50;  // with sync = "batch"
  // A snapshot is written after this many records (and at a clean stop);
  // it bounds restart time and lets old segments go.
  int64_t snapshot_every_records = 1'000'000;
  // Segments are kept until every named subscription acked past them, but
  // never more than this: past it, the oldest go anyway and a subscriber
  // that far behind gets a `gap` error and must resync.
  int64_t max_retained_bytes = 8ll << 30;
};

// [log]: see io/log.h. Applied at start; a reload reports changes as
// needing a restart.
struct LogConfig {
  std::string level = "info";   // debug | info | warn | error
  std::string format = "text";  // text ("hourglassd: ..." lines) | json (one object per line)
  std::filesystem::path file;   // empty: stderr (journald under systemd); reopened on SIGUSR1
  // The share of requests logged with op, outcome and latency (0: none, 1: all).
  double sample_requests = 0;
};

// [tls]: with cert and key the order listener speaks only TLS (1.2 or newer);
// with client_ca too, clients must present a certificate that CA signed.
// PEM files; paths relative to the config file. Empty: plain TCP.
struct TlsConfig {
  std::filesystem::path cert;
  std::filesystem::path key;
  std::filesystem::path client_ca;
  bool enabled() const { return !cert.empty(); }
  bool operator==(const TlsConfig&) const = default;
};

struct Config {
  std::filesystem::path file;
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 7878;
  int64_t io_threads = 2;
  std::filesystem::path stores_csv;
  std::filesystem::path stock_csv;
  // [data] store_filter_bits: bits per stock row for the per-SKU store filters
  // (alloc/sku_store_filter.h), which spare probes of stores without the SKU;
  // 0 turns them off. 4 bits cost 0.5 bytes a row.
  int64_t store_filter_bits = 4;
  std::filesystem::path data_dir;
  Rules rules;
  Limits limits;
  JournalConfig journal;
  LogConfig log;
  TlsConfig tls;
  std::vector<WarehouseConfig> warehouses;
  std::vector<SecurityToken> tokens;
  // [admin] listen: the HTTP admin listener (metrics, health, map); off when
  // absent or "" (admin_host empty).
  std::string admin_host;
  uint16_t admin_port = 0;
};

// Reads and validates `path`. Throws LoadError naming the file, line and key.
Config LoadConfig(const std::filesystem::path& path);

// Parses "host:port" or "[v6]:port" into the config; throws LoadError.
void SetListen(Config& config, std::string_view listen, std::string_view where);
// The same for [admin] listen.
void SetAdminListen(Config& config, std::string_view listen, std::string_view where);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_CONFIG_H_
