#include "io/admin_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "io/admin_assets.h"
#include "io/json_writer.h"

namespace hourglass::io {
namespace {

// Decisions the map may ask for at once.
constexpr size_t kMaxDecisions = 2000;
// Readable bytes after a line the protocol parser needs (simdjson's padding).
constexpr size_t kLinePadding = 64;
// Stock rows listed for one store (the emptiest first).
constexpr size_t kStoreRowsListed = 40;

AdminResponse Json(std::string body, unsigned status = 200) {
  AdminResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.body.push_back('\n');
  return r;
}

AdminResponse JsonError(unsigned status, std::string_view code, std::string_view message) {
  std::string body;
  JsonWriter w(body);
  w.BeginObject().Field("ok", false).Key("error").BeginObject();
  w.Field("code", code).Field("message", message).EndObject().EndObject();
  return Json(std::move(body), status);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of `key` in a query string ("a=1&b=2"), percent-decoded; "" when absent.
std::string QueryParam(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != key) continue;
    std::string out;
    const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        out += ' ';
      } else if (raw[i] == '%' && i + 2 < raw.size() + 0 && HexDigit(raw[i + 1]) >= 0 &&
                 HexDigit(raw[i + 2]) >= 0) {
        out += static_cast<char>(HexDigit(raw[i + 1]) * 16 + HexDigit(raw[i + 2]));
        i += 2;
      } else {
        out += raw[i];
      }
    }
    return out;
  }
  return "";
}

// How far a store delivers within its promise outside rush hours: the radius,
// cut by the courier model (the "1-hour zone" the map draws).
double ReachKm(const alloc::Store& s, const alloc::RoutingRules& rules) {
  const geo::EtaModel model = rules.EtaFor(s, /*minute_of_day=*/-1);
  const double minutes = std::max(0.0, rules.promise_min - s.prep_min);
  const double by_time = minutes / 60.0 * model.speed_kmh / model.detour;
  return std::min(s.radius_km, by_time);
}

void WriteStoreBasics(JsonWriter& w, const alloc::Store& s) {
  w.Field("id", s.id);
  w.Key("lat").Fixed(s.at.lat_deg, 5).Key("lon").Fixed(s.at.lon_deg, 5);
  if (!s.city.empty()) w.Field("city", s.city);
  if (s.tier != alloc::StoreTier::kUnset) w.Field("tier", alloc::TierName(s.tier));
  if (!s.dealer.empty()) w.Field("dealer", s.dealer);
  if (s.kind == alloc::SiteKind::kWarehouse) w.Field("warehouse", true);
  if (s.paused) w.Field("paused", true);
  if (s.removed) w.Field("removed", true);
}

}  // namespace

void AdminApi::Attach(AdminParts parts) {
  std::lock_guard lock(mu_);
  parts_ = std::move(parts);
  session_ = parts_.quoter != nullptr ? parts_.quoter->NewSession() : Session{};
}

void AdminApi::Detach() {
  std::lock_guard lock(mu_);
  parts_ = {};
}

AdminResponse AdminApi::Handle(const AdminRequest& request) {
  const size_t q = request.target.find('?');
  const std::string_view path = request.target.substr(0, q);
  const std::string_view query =
      q == std::string_view::npos ? std::string_view{} : request.target.substr(q + 1);
  if (path == "/healthz") return AdminResponse{200, "text/plain; charset=utf-8", "ok\n"};
  if (path == "/readyz") {
    if (metrics_.ready()) return AdminResponse{200, "text/plain; charset=utf-8", "ready\n"};
    return AdminResponse{503, "text/plain; charset=utf-8",
                         "not ready: loading data or replaying the journal\n"};
  }
  if (const AdminAsset* asset = FindAdminAsset(path)) {
    AdminResponse r{200, std::string(asset->content_type), std::string(asset->body)};
    r.cache_control = "max-age=60";
    return r;
  }
  std::lock_guard lock(mu_);
  const bool attached = parts_.stats != nullptr;
  if (path == "/metrics") {
    if (!attached) {
      return AdminResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                           "# TYPE hourglass_ready gauge\nhourglass_ready 0\n"};
    }
    return Metrics();
  }
  if (path.starts_with("/api/")) {
    if (!attached) {
      return JsonError(503, "not_ready", "the daemon is loading its data; retry in a moment");
    }
    if (path == "/api/stats") return Stats();
    if (path == "/api/stores") return Stores();
    if (path == "/api/store") return StoreDetail(query);
    if (path == "/api/decisions") return Decisions(query);
    if (path == "/api/route") return Route(query);
  }
  return AdminResponse{404, "text/plain; charset=utf-8",
                       "not found: try /metrics, /healthz, /readyz or / (the map)\n"};
}

AdminResponse AdminApi::Metrics() const {
  AdminResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  parts_.stats->WritePrometheus(r.body);
  return r;
}

AdminResponse AdminApi::Stats() const {
  std::string body;
  JsonWriter w(body);
  w.BeginObject().Field("ok", true);
  parts_.stats->WriteJson(w);
  w.EndObject();
  return Json(std::move(body));
}

AdminResponse AdminApi::Stores() const {
  const auto view = parts_.allocator->stores();
  const auto rules = parts_.allocator->rules();
  const std::vector<uint32_t> rows_out = parts_.stats->RowsOutByStore();
  const std::vector<StoreSaturation> sat = parts_.stats->Saturation();
  std::vector<const StoreSaturation*> sat_by_store(view->stores.size(), nullptr);
  for (const StoreSaturation& s : sat) {
    if (alloc::Raw(s.store) < sat_by_store.size()) sat_by_store[alloc::Raw(s.store)] = &s;
  }
  const size_t stock_stores = parts_.allocator->inventory().stock.stores();
  std::string body;
  JsonWriter w(body);
  w.BeginObject().Field("ok", true).Key("stores").BeginArray();
  for (uint32_t i = 0; i < view->stores.size(); ++i) {
    const alloc::Store& s = view->stores[alloc::StoreIdx{i}];
    w.BeginObject();
    WriteStoreBasics(w, s);
    w.Key("reach_km").Fixed(s.zone ? s.ReachKm() : ReachKm(s, *rules), 2);
    if (i < rows_out.size()) w.Field("rows_out", static_cast<int64_t>(rows_out[i]));
    if (i < stock_stores) {
      w.Field("skus", static_cast<int64_t>(
                          parts_.allocator->inventory().stock.RowCount(alloc::StoreIdx{i})));
    }
    if (const StoreSaturation* c = sat_by_store[i]) {
      w.Field("capacity", c->capacity).Field("used", c->used);
      w.Key("load").Fixed(c->share(), 3);
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Json(std::move(body));
}

AdminResponse AdminApi::StoreDetail(std::string_view query) const {
  const std::string id = QueryParam(query, "id");
  const auto view = parts_.allocator->stores();
  const auto idx = view->stores.Find(id);
  if (!idx) return JsonError(404, "unknown_store", "store \"" + id + "\" is not known");
  const alloc::Store& s = view->stores[*idx];
  const auto rules = parts_.allocator->rules();
  alloc::Inventory& inv = parts_.allocator->inventory();
  struct Row {
    alloc::SkuIdx sku;
    int32_t on_hand, reserved;
  };
  std::vector<Row> rows;
  int64_t units = 0, held = 0, out = 0;
  inv.stock.ForEachRow(*idx, [&](alloc::SkuIdx sku, int32_t on_hand, int32_t reserved) {
    rows.push_back({sku, on_hand, reserved});
    units += on_hand;
    held += reserved;
    if (on_hand <= reserved) ++out;
  });
  const auto available = [](const Row& r) { return std::max(0, r.on_hand - r.reserved); };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const Row& a, const Row& b) { return available(a) < available(b); });

  std::string body;
  JsonWriter w(body);
  w.BeginObject().Field("ok", true).Key("store").BeginObject();
  WriteStoreBasics(w, s);
  w.Key("radius_km").Fixed(s.radius_km, 2).Key("prep_min").Fixed(s.prep_min, 1);
  w.Key("reach_km").Fixed(s.zone ? s.ReachKm() : ReachKm(s, *rules), 2);
  if (s.capacity_per_hour > 0) {
    w.Field("capacity", s.capacity_per_hour);
    w.Field("used", parts_.allocator->load().Count(*idx, parts_.wall_ms()));
  }
  if (s.zone) {
    // GeoJSON order: [lon, lat].
    w.Key("zone").BeginArray();
    for (const geo::ZoneRing& ring : s.zone->OuterRings()) {
      w.BeginArray();
      for (const geo::LatLon& p : ring) {
        w.BeginArray().Fixed(p.lon_deg, 5).Fixed(p.lat_deg, 5).EndArray();
      }
      w.EndArray();
    }
    w.EndArray();
  }
  w.EndObject();
  w.Key("stock").BeginObject();
  w.Field("skus", static_cast<int64_t>(rows.size())).Field("on_hand", units);
  w.Field("reserved", held).Field("rows_out", out);
  w.Key("emptiest").BeginArray();
  for (size_t i = 0; i < rows.size() && i < kStoreRowsListed; ++i) {
    w.BeginObject().Field("sku", inv.skus.NameOf(rows[i].sku));
    w.Field("on_hand", rows[i].on_hand).Field("reserved", rows[i].reserved);
    w.Field("available", available(rows[i])).EndObject();
  }
  w.EndArray().EndObject().EndObject();
  return Json(std::move(body));
}

AdminResponse AdminApi::Decisions(std::string_view query) const {
  size_t limit = 500;
  const std::string text = QueryParam(query, "limit");
  if (!text.empty()) {
    size_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > kMaxDecisions) {
      return JsonError(400, "bad_request", "limit must be a whole number within [1, 2000]");
    }
    limit = v;
  }
  const std::vector<Decision> recent =
      parts_.decisions != nullptr ? parts_.decisions->Recent(limit) : std::vector<Decision>{};
  const auto view = parts_.allocator->stores();
  std::string body;
  JsonWriter w(body);
  w.BeginObject().Field("ok", true).Key("decisions").BeginArray();
  for (const Decision& d : recent) {
    w.BeginObject();
    if (!d.order_id().empty()) w.Field("order", d.order_id());
    w.Field("at_ms", d.wall_ms);
    if (d.located) w.Key("lat").Fixed(d.lat, 5).Key("lon").Fixed(d.lon, 5);
    w.Field("found", d.found);
    if (d.found && alloc::Raw(d.store) < view->stores.size()) {
      const alloc::Store& s = view->stores[d.store];
      w.Field("store", s.id);
      w.Key("store_lat").Fixed(s.at.lat_deg, 5).Key("store_lon").Fixed(s.at.lon_deg, 5);
      w.Key("eta_min").Fixed(d.eta_min, 1);
      w.Field("parts", static_cast<int64_t>(d.parts));
      w.Field("reserved", d.reserved);
    } else if (!d.found) {
      w.Field("reason", alloc::ReasonName(d.reason));
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Json(std::move(body));
}

AdminResponse AdminApi::Route(std::string_view query) {
  if (parts_.quoter == nullptr) return JsonError(503, "unavailable", "no quoter attached");
  // The map's form: lat, lon, items "SKU-1:2,SKU-2" (qty 1 when omitted),
  // optional within_min. Built into a protocol line, so every check and
  // error is the protocol's own; it is a quote with explain, never a hold.
  const std::string lat = QueryParam(query, "lat");
  const std::string lon = QueryParam(query, "lon");
  const std::string items = QueryParam(query, "items");
  const std::string within = QueryParam(query, "within_min");
  const auto number = [](const std::string& s, double& v) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() && std::isfinite(v);
  };
  double lat_deg = 0, lon_deg = 0, within_min = 0;
  if (!number(lat, lat_deg) || !number(lon, lon_deg)) {
    return JsonError(400, "bad_request", "lat and lon are required numbers (degrees)");
  }
  if (!within.empty() && !number(within, within_min)) {
    return JsonError(400, "bad_request", "within_min must be a number of minutes");
  }
  line_.clear();
  JsonWriter w(line_);
  w.BeginObject().Field("op", "route");
  w.Key("lat").Fixed(lat_deg, 7).Key("lon").Fixed(lon_deg, 7);
  w.Key("items").BeginArray();
  size_t start = 0;
  while (start <= items.size()) {
    const size_t comma = std::min(items.find(',', start), items.size());
    std::string_view entry = std::string_view(items).substr(start, comma - start);
    start = comma + 1;
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.empty()) continue;
    const size_t colon = entry.rfind(':');
    int64_t qty = 1;
    if (colon != std::string_view::npos) {
      const std::string_view q = entry.substr(colon + 1);
      const auto [end, ec] = std::from_chars(q.data(), q.data() + q.size(), qty);
      if (ec != std::errc() || end != q.data() + q.size()) {
        return JsonError(
            400, "bad_request",
            "items: write SKU or SKU:QTY, comma separated (\"SKU-00001:2,SKU-00002\")");
      }
      entry = entry.substr(0, colon);
    }
    w.BeginObject().Field("sku", entry).Field("qty", qty).EndObject();
  }
  w.EndArray();
  if (!within.empty()) w.Key("within_min").Fixed(within_min, 3);
  w.Field("explain", true).EndObject();
  const size_t length = line_.size();
  line_.append(kLinePadding, ' ');  // the parser reads past the end of the line
  answer_.clear();
  parts_.quoter->Handle(std::string_view(line_.data(), length), answer_, session_);
  const bool ok = answer_.find("\"ok\":true") != std::string::npos;
  if (!answer_.empty() && answer_.back() == '\n') answer_.pop_back();
  return Json(answer_, ok ? 200 : 400);
}

}  // namespace hourglass::io
