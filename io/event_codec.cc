#include "io/event_codec.h"

#include <vector>

#include "io/clock.h"
#include "io/iso_time.h"
#include "io/json_writer.h"
#include "io/load_error.h"

namespace hourglass::io {
namespace {

void WriteItems(JsonWriter& w, const alloc::ReservationEvent& e) {
  w.Key("items").BeginArray();
  for (size_t i = 0; i < e.lines.size(); ++i) {
    w.BeginObject().Field("sku", e.skus[i]).Field("qty", e.lines[i].qty).EndObject();
  }
  w.EndArray();
}

void WriteTime(JsonWriter& w, std::string_view key, int64_t unix_ms) {
  char iso[25];
  FormatIsoUtc(unix_ms, iso);
  w.Field(key, std::string_view(iso, 24));
}

}  // namespace

void EncodeEvent(uint64_t seq, const alloc::ReservationEvent& e, const alloc::StoreSet& stores,
                 std::string& out) {
  JsonWriter w(out);
  w.BeginObject().Field("seq", static_cast<int64_t>(seq));
  w.Field("type", alloc::EventTypeName(e.type)).Field("order", e.order);
  const alloc::Store& store = stores[e.store];
  w.Field("store", store.id);
  // Attribution: who shares the revenue, without a second lookup.
  if (store.tier != alloc::StoreTier::kUnset) w.Field("tier", alloc::TierName(store.tier));
  if (!store.dealer.empty()) w.Field("dealer", store.dealer);
  if (e.bound != alloc::kNoStore) w.Field("bound_store", stores[e.bound].id);
  WriteItems(w, e);
  if (e.type == alloc::EventType::kReserved) {
    w.Key("eta_min").Fixed(e.eta_min, 6);
    w.Key("distance_km").Fixed(e.distance_km, 6);
    WriteTime(w, "expires_at", e.expires_at_wall_ms);
    w.Field("expires_at_ms", e.expires_at_wall_ms);
    // A scheduled order's slot; otherwise the slot is `ts`.
    if (e.slot_wall_ms != e.wall_ms) {
      WriteTime(w, "at", e.slot_wall_ms);
      w.Field("at_ms", e.slot_wall_ms);
    }
  }
  WriteTime(w, "ts", e.wall_ms);
  w.EndObject();
}

void EncodeEvent(uint64_t seq, const alloc::StockSetEvent& e, const alloc::StoreSet& stores,
                 std::string& out) {
  JsonWriter w(out);
  w.BeginObject().Field("seq", static_cast<int64_t>(seq)).Field("type", "stock_set");
  w.Field("store", stores[e.store].id).Field("sku", e.sku).Field("on_hand", e.on_hand);
  if (e.as_of_seq != 0) {
    w.Field("as_of_seq", static_cast<int64_t>(e.as_of_seq));
    w.Field("reported_on_hand", e.reported_on_hand);
  }
  WriteTime(w, "ts", e.wall_ms);
  w.EndObject();
}

void EventReplayer::Apply(uint64_t seq, std::string_view json, const std::string& where) {
  auto fail = [&](const std::string& why) {
    throw LoadError(where + ": record seq " + std::to_string(seq) + ": " + why);
  };
  simdjson::dom::element doc;
  if (parser_.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    fail("not a JSON event");
  }
  std::string_view type;
  std::string_view store_id;
  uint64_t logged_seq = 0;
  if (doc["type"].get(type) || doc["store"].get(store_id) || doc["seq"].get(logged_seq)) {
    fail("missing type, store or seq");
  }
  if (logged_seq != seq) fail("its text says seq " + std::to_string(logged_seq));
  const auto store = allocator_.inventory().stores.Find(store_id);
  if (!store) fail("store " + std::string(store_id) + " is not in the stores file any more");

  if (type == "stock_set") {
    std::string_view sku;
    int64_t on_hand = 0;
    if (doc["sku"].get(sku) || doc["on_hand"].get(on_hand)) fail("missing sku or on_hand");
    alloc::StockSetEvent e;
    e.store = *store;
    e.reported_on_hand = static_cast<int32_t>(on_hand);
    e.sku = sku;
    e.on_hand = static_cast<int32_t>(on_hand);
    allocator_.Replay(e);
    return;
  }
  alloc::ReservationEvent e;
  if (type == "reserved") {
    e.type = alloc::EventType::kReserved;
  } else if (type == "committed") {
    e.type = alloc::EventType::kCommitted;
  } else if (type == "released") {
    e.type = alloc::EventType::kReleased;
  } else if (type == "expired") {
    e.type = alloc::EventType::kExpired;
  } else {
    fail("unknown event type \"" + std::string(type) + "\"");
  }
  simdjson::dom::array items;
  if (doc["order"].get(e.order) || doc["items"].get(items)) fail("missing order or items");
  std::vector<alloc::Line> lines;
  std::vector<std::string> skus;
  for (simdjson::dom::element item : items) {
    std::string_view sku;
    int64_t qty = 0;
    if (item["sku"].get(sku) || item["qty"].get(qty)) fail("an item lacks sku or qty");
    lines.push_back({allocator_.inventory().skus.Intern(sku), static_cast<int32_t>(qty)});
    skus.emplace_back(sku);
  }
  e.store = *store;
  e.seq = seq;
  e.lines = lines;
  e.skus = skus;
  if (e.type == alloc::EventType::kReserved) {
    if (doc["eta_min"].get(e.eta_min) || doc["distance_km"].get(e.distance_km) ||
        doc["expires_at_ms"].get(e.expires_at_wall_ms)) {
      fail("a reserved event lacks eta_min, distance_km or expires_at_ms");
    }
    std::string_view ts;
    if (doc["at_ms"].get(e.slot_wall_ms) != simdjson::SUCCESS) {
      if (doc["ts"].get(ts) == simdjson::SUCCESS) e.slot_wall_ms = ParseIsoTime(ts).value_or(0);
    }
    std::string_view bound;
    if (doc["bound_store"].get(bound) == simdjson::SUCCESS) {
      const auto b = allocator_.inventory().stores.Find(bound);
      if (b) e.bound = *b;
    }
  }
  allocator_.Replay(e, now_);
}

}  // namespace hourglass::io
