#include "io/store_fields.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "io/load_error.h"
#include "io/zone_loader.h"

namespace hourglass::io {
namespace {

std::optional<double> Number(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::string NotANumber(std::string_view text) {
  return "\"" + std::string(text) + "\" is not a number";
}

// A number within [min, max] into `out`; "" or why not.
std::string Bounded(std::string_view text, double min, double max, bool open_min, double& out) {
  const auto v = Number(text);
  if (!v) return NotANumber(text);
  if ((open_min ? *v <= min : *v < min) || *v > max) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "must be within %s%g, %g]", open_min ? "(" : "[", min, max);
    return buf;
  }
  out = *v;
  return "";
}

}  // namespace

std::string SetStoreField(alloc::Store& s, std::string_view key, std::string_view text,
                          const std::filesystem::path& base_dir) {
  if (text.empty() && key != "lat" && key != "lon") return "";
  if (key == "lat") return Bounded(text, -90, 90, false, s.at.lat_deg);
  if (key == "lon") return Bounded(text, -180, 180, false, s.at.lon_deg);
  if (key == "radius_km") return Bounded(text, 0, 500, true, s.radius_km);
  if (key == "prep_min") return Bounded(text, 0, 1440, false, s.prep_min);
  if (key == "city") {
    s.city = std::string(text);
    return "";
  }
  if (key == "dealer") {
    s.dealer = std::string(text);
    return "";
  }
  if (key == "tier") {
    if (text == "direct") {
      s.tier = alloc::StoreTier::kDirect;
    } else if (text == "franchise") {
      s.tier = alloc::StoreTier::kFranchise;
    } else {
      return "\"" + std::string(text) + "\" must be direct or franchise (or empty)";
    }
    return "";
  }
  if (key == "open") {
    std::string why;
    const auto hours = alloc::OpeningHours::Parse(text, why);
    if (!hours) return why;
    s.hours = *hours;
    return "";
  }
  if (key == "capacity_per_hour") {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < 0 || v > 1'000'000) {
      return "\"" + std::string(text) + "\" is not a whole number in [0, 1000000]";
    }
    s.capacity_per_hour = static_cast<int32_t>(v);
    return "";
  }
  if (key == "paused") {
    if (text != "true" && text != "false" && text != "1" && text != "0") {
      return "must be true, false, 1 or 0";
    }
    s.paused = text == "true" || text == "1";
    return "";
  }
  if (key == "zone") {
    try {
      s.zone = std::make_shared<const geo::DeliveryZone>(LoadZoneFile(base_dir / text));
    } catch (const LoadError& e) {
      return e.what();
    }
    s.zone_file = std::string(text);
    return "";
  }
  return "is not a store field";
}

void WriteStoreFields(JsonWriter& w, const alloc::Store& s) {
  w.Key("lat").Fixed(s.at.lat_deg, 7).Key("lon").Fixed(s.at.lon_deg, 7);
  w.Key("radius_km").Fixed(s.radius_km, 6).Key("prep_min").Fixed(s.prep_min, 6);
  if (!s.city.empty()) w.Field("city", s.city);
  if (s.tier != alloc::StoreTier::kUnset) w.Field("tier", alloc::TierName(s.tier));
  if (!s.dealer.empty()) w.Field("dealer", s.dealer);
  if (!s.hours.AlwaysOpen()) w.Field("open", s.hours.ToString());
  if (s.capacity_per_hour > 0)
    w.Field("capacity_per_hour", static_cast<int64_t>(s.capacity_per_hour));
  w.Field("paused", s.paused);
  if (!s.zone_file.empty()) w.Field("zone", s.zone_file);
  if (s.removed) w.Field("removed", true);
}

std::string FieldText(const simdjson::dom::element& value) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) return std::string(text);
  bool flag = false;
  if (value.get_bool().get(flag) == simdjson::SUCCESS) return flag ? "true" : "false";
  int64_t whole = 0;
  if (value.get_int64().get(whole) == simdjson::SUCCESS) return std::to_string(whole);
  double number = 0;
  if (value.get_double().get(number) == simdjson::SUCCESS) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", number);
    return buf;
  }
  return "(not a number, string or boolean)";
}

std::string ReadStoreRecord(const simdjson::dom::element& record,
                            const std::filesystem::path& base_dir, alloc::Store& out) {
  std::string_view id;
  if (record["store"].get_string().get(id) != simdjson::SUCCESS || id.empty()) {
    return "a store record lacks its \"store\" id";
  }
  out = alloc::Store{};
  out.id = std::string(id);
  out.dynamic = true;
  for (const std::string_view key : kStoreFields) {
    simdjson::dom::element value;
    if (record[key].get(value) != simdjson::SUCCESS) {
      if (key == "lat" || key == "lon")
        return "store " + out.id + ": " + std::string(key) + " is missing";
      continue;
    }
    if (const std::string why = SetStoreField(out, key, FieldText(value), base_dir); !why.empty()) {
      return "store " + out.id + ": " + std::string(key) + ": " + why;
    }
  }
  bool removed = false;
  if (record["removed"].get_bool().get(removed) == simdjson::SUCCESS) out.removed = removed;
  return "";
}

}  // namespace hourglass::io
