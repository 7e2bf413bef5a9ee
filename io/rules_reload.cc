#include "io/rules_reload.h"

#include "io/load_error.h"
#include "io/log.h"
#include "io/rules_diff.h"

namespace hourglass::io {
namespace {

bool SameWarehouses(const std::vector<WarehouseConfig>& a, const std::vector<WarehouseConfig>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].lat != b[i].lat || a[i].lon != b[i].lon ||
        a[i].ship_days != b[i].ship_days) {
      return false;
    }
  }
  return true;
}

// The keys whose new values only a restart would apply.
std::vector<std::string> RestartNeeded(const Config& running, const Config& next) {
  std::vector<std::string> keys;
  const auto check = [&keys](bool same, const char* key) {
    if (!same) keys.emplace_back(key);
  };
  check(running.listen_host == next.listen_host && running.listen_port == next.listen_port,
        "server.listen");
  check(running.io_threads == next.io_threads, "server.io_threads");
  check(running.admin_host == next.admin_host && running.admin_port == next.admin_port,
        "admin.listen");
  check(running.stores_csv == next.stores_csv, "data.stores");
  check(running.stock_csv == next.stock_csv, "data.stock");
  check(running.data_dir == next.data_dir, "data.dir");
  check(running.rules.prep_min == next.rules.prep_min, "rules.prep_min");
  check(running.rules.radius_km == next.rules.radius_km, "rules.radius_km");
  const Limits& a = running.limits;
  const Limits& b = next.limits;
  check(a.max_line_bytes == b.max_line_bytes, "limits.max_line_bytes");
  check(a.max_items == b.max_items, "limits.max_items");
  check(a.finished_order_retention_s == b.finished_order_retention_s,
        "limits.finished_order_retention_s");
  check(a.max_connections == b.max_connections, "limits.max_connections");
  check(a.idle_timeout_s == b.idle_timeout_s, "limits.idle_timeout_s");
  check(a.what_if_orders == b.what_if_orders, "limits.what_if_orders");
  check(a.max_added_stores == b.max_added_stores, "limits.max_added_stores");
  check(a.request_deadline_ms == b.request_deadline_ms, "limits.request_deadline_ms");
  const JournalConfig& j = running.journal;
  const JournalConfig& k = next.journal;
  check(j.sync == k.sync, "journal.sync");
  check(j.segment_bytes == k.segment_bytes, "journal.segment_bytes");
  check(j.sync_interval_ms == k.sync_interval_ms, "journal.sync_interval_ms");
  check(j.snapshot_every_records == k.snapshot_every_records, "journal.snapshot_every_records");
  check(j.max_retained_bytes == k.max_retained_bytes, "journal.max_retained_bytes");
  check(SameWarehouses(running.warehouses, next.warehouses), "warehouses");
  check(running.log.level == next.log.level, "log.level");
  check(running.log.format == next.log.format, "log.format");
  check(running.log.file == next.log.file, "log.file");
  check(running.log.sample_requests == next.log.sample_requests, "log.sample_requests");
  check(running.tls == next.tls, "tls");
  return keys;
}

}  // namespace

RulesReloader::RulesReloader(std::filesystem::path config_file, alloc::Allocator& allocator,
                             Config running, std::function<void(const std::string&)> log)
    : file_(std::move(config_file)),
      allocator_(allocator),
      running_(std::move(running)),
      log_(std::move(log)) {}

ReloadOutcome RulesReloader::Reload(bool publish, std::string_view by) {
  std::lock_guard lock(mu_);
  ReloadOutcome out;
  const std::string what =
      std::string(publish ? "reload" : "reload dry run") + " (" + std::string(by) + ")";
  try {
    out.config = LoadConfig(file_);
  } catch (const LoadError& e) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    out.error = e.what();
    out.rules_version = allocator_.rules()->version;
    const std::string line = what + " failed, rules version " + std::to_string(out.rules_version) +
                             " keeps serving: " + out.error;
    Log(LogLevel::kError, "reload", line,
        {LogField::Str("by", by), LogField::Bool("dry_run", !publish), LogField::Bool("ok", false),
         LogField::Int("rules_version", static_cast<int64_t>(out.rules_version)),
         LogField::Str("error", out.error)});
    if (log_) log_(line);
    return out;
  }
  // The command line may override these; a reload keeps what is running.
  out.config.listen_host = running_.listen_host;
  out.config.listen_port = running_.listen_port;
  out.config.data_dir = running_.data_dir;
  out.restart_needed = RestartNeeded(running_, out.config);
  out.ok = true;
  const std::vector<std::string> changed =
      ChangedRules(*allocator_.rules(), out.config.rules.routing);
  out.rules_version =
      publish ? allocator_.PublishRules(out.config.rules.routing) : allocator_.rules()->version;
  const auto join = [](const std::vector<std::string>& list) {
    std::string text;
    for (const auto& k : list) text += (text.empty() ? "" : ", ") + k;
    return text;
  };
  const std::string restart = join(out.restart_needed);
  const std::string line =
      what + ": " + (publish ? "" : "valid; ") + "rules version " +
      std::to_string(out.rules_version) + " in force" +
      (changed.empty()
           ? "; no rule changed"
           : std::string(publish ? "; changed: " : "; would change: ") + join(changed)) +
      (restart.empty() ? "" : "; changed but only applied by a restart: " + restart);
  Log(LogLevel::kInfo, "reload", line,
      {LogField::Str("by", by), LogField::Bool("dry_run", !publish), LogField::Bool("ok", true),
       LogField::Int("rules_version", static_cast<int64_t>(out.rules_version)),
       LogField::List("changed", changed), LogField::List("restart_needed", out.restart_needed)});
  if (log_) log_(line);
  return out;
}

}  // namespace hourglass::io
