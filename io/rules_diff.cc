#include "io/rules_diff.h"

#include <cstdio>

namespace hourglass::io {
namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string Offset(int minutes) {
  char buf[16];
  const int m = minutes < 0 ? -minutes : minutes;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+', m / 60, m % 60);
  return buf;
}

bool SameEta(const geo::EtaModel& a, const geo::EtaModel& b) {
  return a.speed_kmh == b.speed_kmh && a.detour == b.detour;
}

bool SameCities(const alloc::RoutingRules& a, const alloc::RoutingRules& b) {
  if (a.city_eta.size() != b.city_eta.size()) return false;
  for (const auto& [city, model] : a.city_eta) {
    const auto it = b.city_eta.find(city);
    if (it == b.city_eta.end() || !SameEta(model, it->second)) return false;
  }
  return true;
}

bool SameBands(const std::vector<alloc::SpeedBand>& a, const std::vector<alloc::SpeedBand>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].from_min != b[i].from_min || a[i].to_min != b[i].to_min ||
        a[i].speed_factor != b[i].speed_factor) {
      return false;
    }
  }
  return true;
}

bool SameSafetyStock(const alloc::SafetyStock& a, const alloc::SafetyStock& b) {
  if (a.direct != b.direct || a.franchise != b.franchise ||
      a.sku_prefixes.size() != b.sku_prefixes.size()) {
    return false;
  }
  for (size_t i = 0; i < a.sku_prefixes.size(); ++i) {
    if (a.sku_prefixes[i].prefix != b.sku_prefixes[i].prefix ||
        a.sku_prefixes[i].units != b.sku_prefixes[i].units) {
      return false;
    }
  }
  return true;
}

bool SameObjective(const alloc::Objective& a, const alloc::Objective& b) {
  return a.eta == b.eta && a.distance == b.distance && a.depth == b.depth && a.load == b.load &&
         a.franchise == b.franchise;
}

}  // namespace

std::vector<std::string> ChangedRules(const alloc::RoutingRules& before,
                                      const alloc::RoutingRules& after) {
  std::vector<std::string> changed;
  const auto value = [&changed](const char* key, double a, double b) {
    if (a != b)
      changed.push_back(std::string("rules.") + key + " " + Number(a) + " -> " + Number(b));
  };
  const auto table = [&changed](const char* key, bool same) {
    if (!same) changed.push_back(std::string("rules.") + key);
  };
  value("promise_min", before.promise_min, after.promise_min);
  value("reservation_ttl_s", static_cast<double>(before.reservation_ttl_s),
        static_cast<double>(after.reservation_ttl_s));
  value("speed_kmh", before.eta.speed_kmh, after.eta.speed_kmh);
  value("detour", before.eta.detour, after.eta.detour);
  if (before.utc_offset_min != after.utc_offset_min) {
    changed.push_back("rules.utc_offset " + Offset(before.utc_offset_min) + " -> " +
                      Offset(after.utc_offset_min));
  }
  value("bound_store_slack_min", before.bound_store_slack_min, after.bound_store_slack_min);
  value("pickup_options", before.pickup_options, after.pickup_options);
  value("pickup_search_km", before.pickup_search_km, after.pickup_search_km);
  value("transfer_radius_km", before.transfer_radius_km, after.transfer_radius_km);
  value("transfer_handling_min", before.transfer_handling_min, after.transfer_handling_min);
  if (before.dealer_scope != after.dealer_scope) {
    changed.push_back(std::string("rules.dealer_scope ") +
                      (before.dealer_scope ? "true" : "false") + " -> " +
                      (after.dealer_scope ? "true" : "false"));
  }
  table("city", SameCities(before, after));
  table("speed_bands", SameBands(before.speed_bands, after.speed_bands));
  table("safety_stock", SameSafetyStock(before.safety_stock, after.safety_stock));
  table("score", SameObjective(before.objective, after.objective));
  return changed;
}

}  // namespace hourglass::io
