// The routing rules ops tune by editing the config and reloading it live.
//
// A RoutingRules value is immutable once published: the allocator swaps in a
// whole new one on reload (RulesHolder), so each request sees the old rules or
// the new ones, never a mix. With no objective, city override, speed band,
// safety stock or dealer scope configured, routing is the pinned default
// ranking of the core exactly (ETA, then distance, then store id).
#ifndef HOURGLASS_ALLOC_ROUTING_RULES_H_
#define HOURGLASS_ALLOC_ROUTING_RULES_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alloc/published.h"
#include "alloc/store_set.h"
#include "geo/eta.h"

namespace hourglass::alloc {

// A time-of-day window in which couriers are slower or faster (rush hour):
// speed is multiplied by `speed_factor` for departures in [from_min, to_min)
// local time. An overnight band has from_min > to_min.
struct SpeedBand {
  int from_min = 0;
  int to_min = 0;
  double speed_factor = 1.0;
  bool Contains(int minute_of_day) const {
    return from_min <= to_min ? minute_of_day >= from_min && minute_of_day < to_min
                              : minute_of_day >= from_min || minute_of_day < to_min;
  }
};

// Units kept back for walk-in customers: a store offers an order only what
// it has above this. The larger of the tier's and the SKU prefix's applies.
struct SafetyStock {
  int32_t direct = 0;
  int32_t franchise = 0;
  struct Prefix {
    std::string prefix;
    int32_t units = 0;
  };
  std::vector<Prefix> sku_prefixes;

  int32_t ForTier(StoreTier tier) const {
    return tier == StoreTier::kDirect ? direct : tier == StoreTier::kFranchise ? franchise : 0;
  }
  int32_t ForSku(std::string_view sku) const {
    int32_t units = 0;
    for (const Prefix& p : sku_prefixes) {
      if (sku.starts_with(p.prefix)) units = std::max(units, p.units);
    }
    return units;
  }
};

// A non-default objective: candidates that can serve the order are ordered by
// a weighted sum (lower is better); ties fall back to the default ranking.
struct Objective {
  double eta = 0;        // per minute of ETA
  double distance = 0;   // per km
  double depth = 0;      // times 1 / (1 + the fewest units the store keeps of a line after it)
  double load = 0;       // times the share of the store's hourly capacity already taken
  double franchise = 0;  // added for a franchise store (tier preference; negative favours them)

  bool configured() const {
    return eta != 0 || distance != 0 || depth != 0 || load != 0 || franchise != 0;
  }
};

struct RoutingRules {
  uint64_t version = 1;  // rises by one on each successful reload

  double promise_min = 60;            // default promise (a request's within_min overrides)
  int64_t reservation_ttl_s = 900;    // default hold (a request's ttl_s overrides)
  geo::EtaModel eta;                  // default courier model
  int utc_offset_min = 480;           // local time for opening hours and speed bands (+08:00)
  double bound_store_slack_min = 10;  // a prefer_store wins within this of the best ETA
  int pickup_options = 3;             // pickup by location: this many options
  double pickup_search_km = 10;       // pickup by location: stores within this distance
  double transfer_radius_km = 15;     // pickup: stores this close to it may send missing items
  double transfer_handling_min = 20;  // pickup: receiving a transfer at the pickup store
  bool dealer_scope = false;          // a request's dealer limits it to that dealer's stores
  std::unordered_map<std::string, geo::EtaModel, StringHash, std::equal_to<>> city_eta;
  std::vector<SpeedBand> speed_bands;
  SafetyStock safety_stock;
  Objective objective;

  // The courier model for a store at a local minute of the day.
  geo::EtaModel EtaFor(const Store& store, int minute_of_day) const {
    geo::EtaModel model = eta;
    if (!city_eta.empty() && !store.city.empty()) {
      if (auto it = city_eta.find(store.city); it != city_eta.end()) model = it->second;
    }
    for (const SpeedBand& band : speed_bands) {
      if (band.Contains(minute_of_day)) {
        model.speed_kmh *= band.speed_factor;
        break;
      }
    }
    return model;
  }

  // No store's courier covers a km in fewer minutes than this at that minute
  // (the fastest of the default and per-city models, with the speed band):
  // a bound that lets ranking stop looking further out.
  double FastestMinPerKm(int minute_of_day) const {
    double fastest = eta.TravelMin(1.0);
    for (const auto& [city, model] : city_eta) fastest = std::min(fastest, model.TravelMin(1.0));
    for (const SpeedBand& band : speed_bands) {
      if (band.Contains(minute_of_day)) return fastest / band.speed_factor;
    }
    return fastest;
  }
};

// The rules in force (see Published).
class RulesHolder : public Published<RoutingRules> {
 public:
  explicit RulesHolder(RoutingRules rules)
      : Published(std::make_shared<RoutingRules>(std::move(rules))) {}
  uint64_t Publish(RoutingRules next) {
    return Published::Publish(std::make_shared<RoutingRules>(std::move(next)));
  }
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_ROUTING_RULES_H_
