#include "io/daemon_stats.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "io/journal.h"
#include "io/rules_reload.h"
#include "io/subscription.h"

namespace hourglass::io {
namespace {

using alloc::EventType;

constexpr std::array<std::string_view, 4> kReservationEvents = {"held", "committed", "released",
                                                                "expired"};
constexpr std::array<EventType, 4> kReservationTypes = {EventType::kReserved, EventType::kCommitted,
                                                        EventType::kReleased, EventType::kExpired};

// Reasons a route finds nothing, as the protocol names them (kNone skipped).
std::string_view ReasonAt(size_t i) {
  return alloc::ReasonName(static_cast<alloc::NoRouteReason>(i));
}

// Upper bound (µs) of the bucket holding the `q` quantile; 0 when empty.
double QuantileUs(const std::array<uint64_t, kLatencyBoundsNs.size() + 1>& buckets, double q) {
  uint64_t total = 0;
  for (const uint64_t b : buckets) total += b;
  if (total == 0) return 0;
  const auto rank = static_cast<uint64_t>(q * static_cast<double>(total) + 0.999999);
  uint64_t seen = 0;
  for (size_t i = 0; i < kLatencyBoundsNs.size(); ++i) {
    seen += buckets[i];
    if (seen >= rank) return static_cast<double>(kLatencyBoundsNs[i]) / 1000.0;
  }
  return static_cast<double>(kLatencyBoundsNs.back()) / 1000.0;
}

// A histogram's buckets, read once so its figures agree with each other.
struct HistogramRead {
  std::array<uint64_t, kLatencyBoundsNs.size() + 1> buckets{};
  uint64_t sum_ns = 0;
  uint64_t count() const {
    uint64_t n = 0;
    for (const uint64_t b : buckets) n += b;
    return n;
  }
};

HistogramRead ReadOp(const Metrics& m, size_t op) {
  HistogramRead h;
  for (size_t i = 0; i < h.buckets.size(); ++i) h.buckets[i] = m.LatencyBucket(op, i);
  h.sum_ns = m.LatencySumNs(op);
  return h;
}

HistogramRead ReadHistogram(const DurationHistogram& d) {
  HistogramRead h;
  for (size_t i = 0; i < h.buckets.size(); ++i) h.buckets[i] = d.Bucket(i);
  h.sum_ns = d.SumNs();
  return h;
}

void WriteLatencyJson(JsonWriter& w, const HistogramRead& h) {
  const uint64_t n = h.count();
  w.BeginObject().Field("count", static_cast<int64_t>(n));
  w.Key("mean_us").Fixed(n == 0 ? 0 : static_cast<double>(h.sum_ns) / n / 1000.0, 1);
  w.Key("p50_us").Fixed(QuantileUs(h.buckets, 0.5), 1);
  w.Key("p99_us").Fixed(QuantileUs(h.buckets, 0.99), 1);
  w.EndObject();
}

// Prometheus text: "# HELP", "# TYPE" once per family, then samples.
class PromWriter {
 public:
  explicit PromWriter(std::string& out) : out_(out) {}
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // `labels` is `key="value",...` without braces ("" : none); values are
  // names the daemon chose or store / subscription ids (escaped).
  void Sample(std::string_view name, std::string_view labels, double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    char buf[48];
    if (value == static_cast<double>(static_cast<int64_t>(value))) {
      std::snprintf(buf, sizeof buf, " %" PRId64 "\n", static_cast<int64_t>(value));
    } else {
      std::snprintf(buf, sizeof buf, " %.9g\n", value);
    }
    out_ += buf;
  }
  void Histogram(std::string_view name, std::string_view labels, const HistogramRead& h) {
    uint64_t cumulative = 0;
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < h.buckets.size(); ++i) {
      cumulative += h.buckets[i];
      char le[32];
      if (i < kLatencyBoundsNs.size()) {
        std::snprintf(le, sizeof le, "%g", static_cast<double>(kLatencyBoundsNs[i]) / 1e9);
      } else {
        std::snprintf(le, sizeof le, "+Inf");
      }
      Sample(std::string(name) + "_bucket", std::string(labels) + sep + "le=\"" + le + "\"",
             static_cast<double>(cumulative));
    }
    Sample(std::string(name) + "_sum", labels, static_cast<double>(h.sum_ns) / 1e9);
    Sample(std::string(name) + "_count", labels, static_cast<double>(cumulative));
  }

 private:
  std::string& out_;
};

std::string Label(std::string_view key, std::string_view value) {
  std::string s(key);
  s += "=\"";
  for (const char c : value) {
    if (c == '\\' || c == '"') s += '\\';
    if (c == '\n') {
      s += "\\n";
      continue;
    }
    s += c;
  }
  s += '"';
  return s;
}

}  // namespace

DaemonStats::DaemonStats(StatsSources sources)
    : src_(std::move(sources)), start_wall_ms_(src_.wall_ms ? src_.wall_ms() : 0) {}

void DaemonStats::Refresh() {
  Slow next;
  const auto view = src_.allocator->stores();
  const alloc::StockTable& stock = src_.allocator->inventory().stock;
  const size_t stores = view->stores.size();
  next.rows_out_by_store.assign(stores, 0);
  for (uint32_t i = 0; i < stores && i < stock.stores(); ++i) {
    uint32_t out = 0;
    stock.ForEachRow(alloc::StoreIdx{i}, [&out](alloc::SkuIdx, int32_t on_hand, int32_t reserved) {
      if (on_hand <= reserved) ++out;
    });
    next.rows_out_by_store[i] = out;
    next.rows_out += out;
    if (out > 0) ++next.stores_with_stockouts;
  }
  next.held_now = src_.allocator->book().Counts().held;
  next.refreshed_wall_ms = src_.wall_ms ? src_.wall_ms() : 0;
  std::lock_guard lock(mu_);
  slow_ = std::move(next);
}

DaemonStats::Slow DaemonStats::SlowFigures() const {
  std::lock_guard lock(mu_);
  Slow s = slow_;
  s.rows_out_by_store.clear();
  return s;
}

std::vector<uint32_t> DaemonStats::RowsOutByStore() const {
  std::lock_guard lock(mu_);
  return slow_.rows_out_by_store;
}

std::vector<StoreSaturation> DaemonStats::Saturation() const {
  const auto view = src_.allocator->stores();
  const int64_t now = src_.wall_ms ? src_.wall_ms() : 0;
  std::vector<StoreSaturation> out;
  for (uint32_t i = 0; i < view->stores.size(); ++i) {
    const alloc::Store& s = view->stores[alloc::StoreIdx{i}];
    if (s.capacity_per_hour <= 0 || s.removed) continue;
    out.push_back({alloc::StoreIdx{i}, src_.allocator->load().Count(alloc::StoreIdx{i}, now),
                   s.capacity_per_hour});
  }
  std::stable_sort(out.begin(), out.end(), [](const StoreSaturation& a, const StoreSaturation& b) {
    return a.share() > b.share();
  });
  return out;
}

void DaemonStats::WriteJson(JsonWriter& w) const {
  const Metrics& m = *src_.metrics;
  const int64_t now = src_.wall_ms ? src_.wall_ms() : 0;
  const Slow slow = SlowFigures();
  w.Field("ready", m.ready());
  w.Field("uptime_s", (now - start_wall_ms_) / 1000);
  w.Field("connections_open",
          static_cast<int64_t>(src_.open_connections ? src_.open_connections() : 0));
  w.Field("rules_version", static_cast<int64_t>(src_.allocator->rules()->version));
  w.Field("reload_failures", static_cast<int64_t>(src_.reloader ? src_.reloader->failures() : 0));
  w.Field("stores", static_cast<int64_t>(src_.allocator->stores()->stores.size()));

  w.Key("requests").BeginObject();
  for (size_t op = 0; op < kMetricOps.size(); ++op) {
    bool any = false;
    for (size_t o = 0; o < kMetricOutcomes.size(); ++o) {
      const uint64_t n = m.Requests(op, o);
      if (n == 0 && !(op == 0 && o == kOutcomeOk)) continue;
      if (!any) w.Key(kMetricOps[op]).BeginObject();
      any = true;
      w.Field(kMetricOutcomes[o], static_cast<int64_t>(n));
    }
    if (any) w.EndObject();
  }
  w.EndObject();

  w.Key("latency").BeginObject();
  for (size_t op = 0; op < kMetricOps.size(); ++op) {
    const HistogramRead h = ReadOp(m, op);
    if (h.count() == 0) continue;
    w.Key(kMetricOps[op]);
    WriteLatencyJson(w, h);
  }
  w.EndObject();

  w.Key("routes").BeginObject().Field("found", static_cast<int64_t>(m.RoutesFound()));
  w.Key("not_found").BeginObject();
  for (size_t r = 1; r < kNoRouteReasons; ++r) {
    w.Field(ReasonAt(r), static_cast<int64_t>(m.RoutesNotFound(r)));
  }
  w.EndObject().EndObject();

  w.Key("reservations").BeginObject().Field("held_now", static_cast<int64_t>(slow.held_now));
  for (size_t i = 0; i < kReservationEvents.size(); ++i) {
    w.Field(kReservationEvents[i], static_cast<int64_t>(m.Events(kReservationTypes[i])));
  }
  w.EndObject();

  w.Key("stock").BeginObject();
  w.Field("rows_out", static_cast<int64_t>(slow.rows_out));
  w.Field("stores_with_stockouts", static_cast<int64_t>(slow.stores_with_stockouts));
  w.Field("stock_sets", static_cast<int64_t>(m.Events(EventType::kStockSet)));
  w.Field("counted_at_ms", slow.refreshed_wall_ms);
  w.EndObject();

  const std::vector<StoreSaturation> sat = Saturation();
  const auto view = src_.allocator->stores();
  w.Key("capacity").BeginObject();
  w.Field("stores_with_capacity", static_cast<int64_t>(sat.size()));
  w.Field("stores_at_capacity",
          static_cast<int64_t>(std::count_if(sat.begin(), sat.end(), [](const StoreSaturation& s) {
            return s.used >= s.capacity;
          })));
  w.Key("top").BeginArray();
  for (size_t i = 0; i < sat.size() && i < kSaturationTop; ++i) {
    w.BeginObject().Field("store", view->stores[sat[i].store].id);
    w.Field("used", sat[i].used).Field("capacity", sat[i].capacity);
    w.Key("saturation").Fixed(sat[i].share(), 3).EndObject();
  }
  w.EndArray().EndObject();

  w.Key("journal").BeginObject();
  if (src_.journal != nullptr) {
    const uint64_t last = src_.journal->last_seq();
    const uint64_t acked = src_.journal->AckedSeq();
    w.Field("last_seq", static_cast<int64_t>(last));
    w.Field("acked_seq", static_cast<int64_t>(acked));
    w.Field("synced_seq", static_cast<int64_t>(src_.journal->synced_seq()));
    w.Field("lag_records", static_cast<int64_t>(last > acked ? last - acked : 0));
    w.Field("retained_bytes", static_cast<int64_t>(src_.journal->RetainedBytes()));
    w.Key("ack_latency");
    WriteLatencyJson(w, ReadHistogram(src_.journal->AckLatencyLive()));
  }
  w.EndObject();

  w.Key("subscribers").BeginArray();
  if (src_.subscriptions != nullptr && src_.journal != nullptr) {
    const uint64_t acked = src_.journal->AckedSeq();
    for (const auto& [name, seq] : src_.subscriptions->AckedAll()) {
      w.BeginObject().Field("name", name).Field("acked_seq", static_cast<int64_t>(seq));
      w.Field("lag_records", static_cast<int64_t>(acked > seq ? acked - seq : 0)).EndObject();
    }
  }
  w.EndArray();
}

void DaemonStats::WritePrometheus(std::string& out) const {
  const Metrics& m = *src_.metrics;
  const int64_t now = src_.wall_ms ? src_.wall_ms() : 0;
  const Slow slow = SlowFigures();
  PromWriter p(out);

  p.Family("hourglass_ready", "gauge", "1 once data is loaded and the journal replayed");
  p.Sample("hourglass_ready", "", m.ready() ? 1 : 0);
  p.Family("hourglass_uptime_seconds", "gauge", "seconds since the daemon started");
  p.Sample("hourglass_uptime_seconds", "", static_cast<double>((now - start_wall_ms_) / 1000));
  p.Family("hourglass_connections_open", "gauge", "protocol connections open now");
  p.Sample("hourglass_connections_open", "",
           static_cast<double>(src_.open_connections ? src_.open_connections() : 0));
  p.Family("hourglass_rules_version", "gauge", "version of the routing rules in force");
  p.Sample("hourglass_rules_version", "", static_cast<double>(src_.allocator->rules()->version));
  p.Family("hourglass_reload_failures_total", "counter",
           "reloads refused because the config file was invalid");
  p.Sample("hourglass_reload_failures_total", "",
           static_cast<double>(src_.reloader ? src_.reloader->failures() : 0));
  p.Family("hourglass_stores", "gauge", "stores and warehouses known");
  p.Sample("hourglass_stores", "", static_cast<double>(src_.allocator->stores()->stores.size()));

  p.Family("hourglass_requests_total", "counter", "requests answered, by op and outcome");
  for (size_t op = 0; op < kMetricOps.size(); ++op) {
    for (size_t o = 0; o < kMetricOutcomes.size(); ++o) {
      const uint64_t n = m.Requests(op, o);
      if (n == 0 && o != kOutcomeOk) continue;
      p.Sample("hourglass_requests_total",
               Label("op", kMetricOps[op]) + "," + Label("outcome", kMetricOutcomes[o]),
               static_cast<double>(n));
    }
  }
  p.Family("hourglass_request_duration_seconds", "histogram",
           "time from reading a request line to its answer written (before any journal wait)");
  for (size_t op = 0; op < kMetricOps.size(); ++op) {
    const HistogramRead h = ReadOp(m, op);
    if (h.count() == 0 && op != 0) continue;
    p.Histogram("hourglass_request_duration_seconds", Label("op", kMetricOps[op]), h);
  }

  p.Family("hourglass_routes_found_total", "counter", "route answers with found:true");
  p.Sample("hourglass_routes_found_total", "", static_cast<double>(m.RoutesFound()));
  p.Family("hourglass_routes_not_found_total", "counter",
           "route answers with found:false, by reason (out_of_stock: a stock-out)");
  for (size_t r = 1; r < kNoRouteReasons; ++r) {
    p.Sample("hourglass_routes_not_found_total", Label("reason", ReasonAt(r)),
             static_cast<double>(m.RoutesNotFound(r)));
  }

  p.Family("hourglass_reservations_total", "counter",
           "reservation changes confirmed since start, by event");
  for (size_t i = 0; i < kReservationEvents.size(); ++i) {
    p.Sample("hourglass_reservations_total", Label("event", kReservationEvents[i]),
             static_cast<double>(m.Events(kReservationTypes[i])));
  }
  p.Family("hourglass_reservations_held", "gauge",
           "orders holding stock now (recounted every 5 s)");
  p.Sample("hourglass_reservations_held", "", static_cast<double>(slow.held_now));
  p.Family("hourglass_stock_sets_total", "counter", "stock.set levels applied since start");
  p.Sample("hourglass_stock_sets_total", "", static_cast<double>(m.Events(EventType::kStockSet)));
  p.Family("hourglass_stock_rows_out", "gauge",
           "store-SKU rows with nothing available (recounted every 5 s)");
  p.Sample("hourglass_stock_rows_out", "", static_cast<double>(slow.rows_out));
  p.Family("hourglass_stores_with_stockouts", "gauge",
           "stores with at least one SKU at nothing available (recounted every 5 s)");
  p.Sample("hourglass_stores_with_stockouts", "", static_cast<double>(slow.stores_with_stockouts));

  const std::vector<StoreSaturation> sat = Saturation();
  const auto view = src_.allocator->stores();
  p.Family("hourglass_stores_at_capacity", "gauge",
           "stores whose capacity_per_hour is taken for the current hour");
  p.Sample("hourglass_stores_at_capacity", "",
           static_cast<double>(std::count_if(sat.begin(), sat.end(), [](const StoreSaturation& s) {
             return s.used >= s.capacity;
           })));
  p.Family("hourglass_store_capacity_saturation", "gauge",
           "share of capacity_per_hour taken this hour, the 10 fullest stores");
  for (size_t i = 0; i < sat.size() && i < kSaturationTop; ++i) {
    p.Sample("hourglass_store_capacity_saturation", Label("store", view->stores[sat[i].store].id),
             sat[i].share());
  }

  if (src_.journal != nullptr) {
    const uint64_t last = src_.journal->last_seq();
    const uint64_t acked = src_.journal->AckedSeq();
    p.Family("hourglass_journal_last_seq", "gauge", "seq of the last record appended");
    p.Sample("hourglass_journal_last_seq", "", static_cast<double>(last));
    p.Family("hourglass_journal_acked_seq", "gauge", "seq up to which answers may be sent");
    p.Sample("hourglass_journal_acked_seq", "", static_cast<double>(acked));
    p.Family("hourglass_journal_synced_seq", "gauge", "seq up to which records are on the disk");
    p.Sample("hourglass_journal_synced_seq", "", static_cast<double>(src_.journal->synced_seq()));
    p.Family("hourglass_journal_lag_records", "gauge",
             "records appended but not yet acknowledged (written or fsynced per sync mode)");
    p.Sample("hourglass_journal_lag_records", "",
             static_cast<double>(last > acked ? last - acked : 0));
    p.Family("hourglass_journal_retained_bytes", "gauge", "bytes of journal segments kept");
    p.Sample("hourglass_journal_retained_bytes", "",
             static_cast<double>(src_.journal->RetainedBytes()));
    p.Family("hourglass_journal_ack_duration_seconds", "histogram",
             "per record, append to acknowledgement (the latency the sync mode adds)");
    p.Histogram("hourglass_journal_ack_duration_seconds", "",
                ReadHistogram(src_.journal->AckLatencyLive()));
    if (src_.subscriptions != nullptr) {
      const auto all = src_.subscriptions->AckedAll();
      p.Family("hourglass_subscriber_acked_seq", "gauge", "last seq each subscription acked");
      for (const auto& [name, seq] : all) {
        p.Sample("hourglass_subscriber_acked_seq", Label("name", name), static_cast<double>(seq));
      }
      p.Family("hourglass_subscriber_lag_records", "gauge",
               "acknowledged records a subscription has not acked yet");
      for (const auto& [name, seq] : all) {
        p.Sample("hourglass_subscriber_lag_records", Label("name", name),
                 static_cast<double>(acked > seq ? acked - seq : 0));
      }
    }
  }
}

}  // namespace hourglass::io
