#include "io/event_codec.h"

#include <map>
#include <utility>
#include <vector>

#include "io/clock.h"
#include "io/data_loader.h"
#include "io/iso_time.h"
#include "io/json_writer.h"
#include "io/load_error.h"
#include "io/request_handler.h"
#include "io/store_fields.h"

namespace hourglass::io {
namespace {

// Items in part order; with several stores each names its own.
void WriteItems(JsonWriter& w, const alloc::ReservationEvent& e, const alloc::StoreSet& stores) {
  const bool several = e.parts.size() > 1;
  w.Key("items").BeginArray();
  size_t part = 0;
  for (size_t i = 0; i < e.lines.size(); ++i) {
    while (i >= e.parts[part].end_line) ++part;
    w.BeginObject().Field("sku", e.skus[i]).Field("qty", e.lines[i].qty);
    if (several) w.Field("store", stores[e.parts[part].store].id);
    w.EndObject();
  }
  w.EndArray();
}

void WriteAttribution(JsonWriter& w, const alloc::Store& store) {
  if (store.tier != alloc::StoreTier::kUnset) w.Field("tier", alloc::TierName(store.tier));
  if (!store.dealer.empty()) w.Field("dealer", store.dealer);
}

template <typename Fail>
alloc::PartRole ParseRole(std::string_view role, const Fail& fail) {
  for (const auto r : {alloc::PartRole::kDelivery, alloc::PartRole::kPickup,
                       alloc::PartRole::kTransfer, alloc::PartRole::kShip}) {
    if (role == alloc::RoleName(r)) return r;
  }
  fail("unknown role \"" + std::string(role) + "\"");
  return alloc::PartRole::kDelivery;
}

void WriteTime(JsonWriter& w, std::string_view key, int64_t unix_ms) {
  char iso[25];
  FormatIsoUtc(unix_ms, iso);
  w.Field(key, std::string_view(iso, 24));
}

template <typename Fail>
void CheckHoldFits(const alloc::Inventory& inventory, const alloc::ReservationEvent& e,
                   const Fail& fail) {
  // A replayed hold is not checked against stock (the journal is the record of what happened),
  // but no real hold makes a store's held units exceed the largest level it can have: a record
  // that would is damage, and would overflow the count.
  std::map<std::pair<alloc::StoreIdx, alloc::SkuIdx>, int64_t> held;
  size_t part = 0;
  for (size_t i = 0; i < e.lines.size(); ++i) {
    while (part + 1 < e.parts.size() && i >= e.parts[part].end_line) ++part;
    const alloc::StoreIdx store = e.parts[part].store;
    int64_t& units = held[{store, e.lines[i].sku}];
    if (units == 0) units = inventory.stock.Level(store, e.lines[i].sku).reserved;
    units += e.lines[i].qty;
    if (units > kMaxOnHand) {
      fail("holds " + std::to_string(units) + " units of " + e.skus[i] + ", more than " +
           std::to_string(kMaxOnHand));
    }
  }
}

}  // namespace

void EncodeEvent(uint64_t seq, const alloc::ReservationEvent& e, const alloc::StoreSet& stores,
                 std::string& out) {
  JsonWriter w(out);
  w.BeginObject().Field("seq", static_cast<int64_t>(seq));
  w.Field("type", alloc::EventTypeName(e.type)).Field("order", e.order);
  // The primary store (the pickup store of a pickup with transfers).
  const alloc::OrderPart& primary = e.parts.front();
  w.Field("store", stores[primary.store].id);
  // Attribution: who shares the revenue, without a second lookup.
  WriteAttribution(w, stores[primary.store]);
  if (primary.role != alloc::PartRole::kDelivery) w.Field("role", alloc::RoleName(primary.role));
  if (e.bound != alloc::kNoStore) w.Field("bound_store", stores[e.bound].id);
  WriteItems(w, e, stores);
  if (e.type == alloc::EventType::kReserved) {
    w.Key("eta_min").Fixed(primary.eta_min, 6);
    w.Key("distance_km").Fixed(primary.distance_km, 6);
    if (e.parts.size() > 1) {
      w.Key("parts").BeginArray();
      for (const alloc::OrderPart& p : e.parts) {
        w.BeginObject().Field("store", stores[p.store].id);
        WriteAttribution(w, stores[p.store]);
        w.Field("role", alloc::RoleName(p.role));
        w.Key("eta_min").Fixed(p.eta_min, 6);
        w.Key("distance_km").Fixed(p.distance_km, 6);
        w.EndObject();
      }
      w.EndArray();
    }
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

void EncodeEvent(uint64_t seq, const alloc::StoreEvent& e, const alloc::StoreSet&,
                 std::string& out) {
  JsonWriter w(out);
  w.BeginObject()
      .Field("seq", static_cast<int64_t>(seq))
      .Field("type", alloc::EventTypeName(e.type));
  w.Field("store", e.store->id);
  WriteStoreFields(w, *e.store);
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
  if (type == "store_upserted" || type == "store_removed") {
    alloc::Store record;
    if (const std::string why = ReadStoreRecord(doc, base_dir_, record); !why.empty()) fail(why);
    allocator_.ReplayStore(std::move(record), type == "store_removed");
    return;
  }
  const auto view = allocator_.stores();
  const auto store = view->stores.Find(store_id);
  if (!store) fail("store " + std::string(store_id) + " is not in the stores file any more");

  if (type == "stock_set") {
    std::string_view sku;
    int64_t on_hand = 0;
    if (doc["sku"].get(sku) || doc["on_hand"].get(on_hand)) fail("missing sku or on_hand");
    // The daemon never logs a level it would refuse from stock.set.
    if (on_hand < 0 || on_hand > kMaxOnHand) {
      fail("on_hand " + std::to_string(on_hand) + " is outside [0, " + std::to_string(kMaxOnHand) +
           "]");
    }
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
    // As a route request's lines are bounded: a quantity outside them would hold negative or
    // overflowing units.
    if (qty < 1 || qty > kMaxLineQty) {
      fail("qty " + std::to_string(qty) + " is outside [1, " + std::to_string(kMaxLineQty) + "]");
    }
    lines.push_back({allocator_.inventory().skus.Intern(sku), static_cast<int32_t>(qty)});
    skus.emplace_back(sku);
  }
  e.seq = seq;
  e.lines = lines;
  e.skus = skus;
  // Only a reservation's parts matter on replay: a finish applies to the
  // parts the order holds.
  std::vector<alloc::OrderPart> parts(1);
  parts[0].store = *store;
  parts[0].end_line = static_cast<uint32_t>(lines.size());
  if (e.type == alloc::EventType::kReserved) {
    std::string_view role;
    if (doc["role"].get(role) == simdjson::SUCCESS) parts[0].role = ParseRole(role, fail);
    if (doc["eta_min"].get(parts[0].eta_min) || doc["distance_km"].get(parts[0].distance_km) ||
        doc["expires_at_ms"].get(e.expires_at_wall_ms)) {
      fail("a reserved event lacks eta_min, distance_km or expires_at_ms");
    }
    simdjson::dom::array list;
    if (doc["parts"].get(list) == simdjson::SUCCESS) {
      // Items come grouped by part, each naming its store.
      parts.clear();
      for (simdjson::dom::element p : list) {
        alloc::OrderPart part;
        std::string_view id;
        if (p["store"].get(id) || p["role"].get(role) || p["eta_min"].get(part.eta_min) ||
            p["distance_km"].get(part.distance_km)) {
          fail("a part lacks store, role, eta_min or distance_km");
        }
        const auto at = view->stores.Find(id);
        if (!at) fail("store " + std::string(id) + " is not in the stores file any more");
        part.store = *at;
        part.role = ParseRole(role, fail);
        parts.push_back(part);
      }
      size_t k = 0;
      uint32_t i = 0;
      for (simdjson::dom::element item : items) {
        std::string_view id;
        if (item["store"].get(id)) fail("an item of a several-store order lacks its store");
        while (k < parts.size() && view->stores[parts[k].store].id != id) {
          parts[k++].end_line = i;
        }
        if (k == parts.size()) fail("item " + std::to_string(i) + " names a store out of order");
        ++i;
      }
      for (; k < parts.size(); ++k) parts[k].end_line = i;
    }
    std::string_view ts;
    if (doc["at_ms"].get(e.slot_wall_ms) != simdjson::SUCCESS) {
      if (doc["ts"].get(ts) == simdjson::SUCCESS) e.slot_wall_ms = ParseIsoTime(ts).value_or(0);
    }
    std::string_view bound;
    if (doc["bound_store"].get(bound) == simdjson::SUCCESS) {
      const auto b = view->stores.Find(bound);
      if (b) e.bound = *b;
    }
  }
  e.parts = parts;
  if (e.type == alloc::EventType::kReserved) CheckHoldFits(allocator_.inventory(), e, fail);
  allocator_.Replay(e, now_);
}

}  // namespace hourglass::io
