#include "io/pg_sink.h"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <unordered_map>

namespace hourglass::io {
namespace dom = simdjson::dom;

namespace {

// ---------------------------------------------------------------- parsing

// PostgreSQL text and jsonb cannot hold U+0000, which JSON can ("\u0000").
// Such a character becomes U+FFFD in the extracted fields and in the stored
// line alike, so the row and its jsonb agree and the event is never a poison
// pill that fails every retry.
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

std::string Text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '\0') {
      out += kReplacement;
    } else {
      out += c;
    }
  }
  return out;
}

// The line with every "\u0000" escape (outside other escapes) as "\ufffd".
std::string StorableJson(std::string_view line) {
  if (line.find("\\u0000") == std::string_view::npos) return std::string(line);
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '\\' || i + 1 == line.size()) {
      out += line[i];
      continue;
    }
    if (line.compare(i, 6, "\\u0000") == 0) {
      out += "\\ufffd";
      i += 5;
    } else {
      out += line[i];
      out += line[i + 1];  // an escaped character, possibly a backslash
      ++i;
    }
  }
  return out;
}

bool Digits(std::string_view s, size_t pos, size_t n, int& value) {
  value = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<size_t>(month - 1)];
}

// The fields of one JSON object this sink reads, found in one pass. A key
// seen twice keeps its last value, as jsonb does; known events with such a
// key are still not applied (which one did the daemon mean?).
template <size_t N>
struct Fields {
  std::array<dom::element, N> value;
  std::array<bool, N> seen{};
  bool duplicate = false;

  Fields(const dom::object& obj, const std::array<std::string_view, N>& keys) {
    for (const auto field : obj) {
      for (size_t i = 0; i < N; ++i) {
        if (field.key != keys[i]) continue;
        if (seen[i]) duplicate = true;
        seen[i] = true;
        value[i] = field.value;
      }
    }
  }
  bool String(size_t i, std::optional<std::string>& out) const {
    std::string_view s;
    if (!seen[i] || value[i].get_string().get(s) != simdjson::SUCCESS) return false;
    out = Text(s);
    return true;
  }
  bool Int(size_t i, int64_t& out) const {
    return seen[i] && value[i].get_int64().get(out) == simdjson::SUCCESS;
  }
};

enum Key : size_t { kSeq, kType, kTs, kOrder, kStore, kItems, kExpiresAt, kSku, kOnHand, kAsOfSeq };
constexpr std::array<std::string_view, 10> kKeys = {
    "seq", "type", "ts", "order", "store", "items", "expires_at", "sku", "on_hand", "as_of_seq"};

EventType TypeOf(std::string_view name) {
  if (name == "reserved") return EventType::kReserved;
  if (name == "committed") return EventType::kCommitted;
  if (name == "released") return EventType::kReleased;
  if (name == "expired") return EventType::kExpired;
  if (name == "stock_set") return EventType::kStockSet;
  return EventType::kOther;
}

// Fills out.items from "items"; returns "" or why the list is unusable.
std::string ParseItems(const Fields<kKeys.size()>& f, Event& out) {
  dom::array items;
  if (!f.seen[kItems] || f.value[kItems].get_array().get(items) != simdjson::SUCCESS) {
    return "items must be an array";
  }
  if (items.size() == 0) return "items must not be empty";
  // Quantities of a SKU listed twice add up, as the daemon counts them.
  std::vector<int64_t> sums;
  for (const dom::element item : items) {
    dom::object obj;
    if (item.get_object().get(obj) != simdjson::SUCCESS) return "items[] must be objects";
    const Fields<3> g(obj, {"sku", "qty", "store"});
    std::optional<std::string> sku;
    std::optional<std::string> store;
    int64_t qty = 0;
    if (g.duplicate) return "an item has a key twice";
    if (!g.String(0, sku)) return "items[].sku must be a string";
    if (g.seen[2] && !g.String(2, store)) return "items[].store must be a string";
    if (!g.Int(1, qty) || qty < 1 || qty > std::numeric_limits<int32_t>::max()) {
      return "items[].qty must be a whole number within [1, 2147483647]";
    }
    const auto same = std::find_if(out.items.begin(), out.items.end(),
                                   [&](const EventItem& it) { return it.sku == *sku; });
    if (same == out.items.end()) {
      out.items.push_back({std::move(*sku), 0, std::move(store)});
      sums.push_back(qty);
    } else {
      sums[static_cast<size_t>(same - out.items.begin())] += qty;
    }
  }
  for (size_t i = 0; i < sums.size(); ++i) {
    if (sums[i] > std::numeric_limits<int32_t>::max()) return "the quantities of a SKU overflow";
    out.items[i].qty = static_cast<int32_t>(sums[i]);
  }
  return "";
}

// Fills the type-specific fields; returns "" or why the event is not applied.
std::string ParseKnown(const Fields<kKeys.size()>& f, Event& out) {
  if (f.duplicate) return "a key appears twice";
  if (!out.ts) return "ts must be an ISO-8601 UTC timestamp";
  if (!out.store) return "store must be a string";
  if (out.type == EventType::kStockSet) {
    std::optional<std::string> sku;
    if (!f.String(kSku, sku)) return "sku must be a string";
    out.sku = std::move(*sku);
    if (!f.Int(kOnHand, out.on_hand) || out.on_hand < 0) {
      return "on_hand must be a whole number >= 0";
    }
    out.as_of_seq = out.seq;
    if (f.seen[kAsOfSeq] && (!f.Int(kAsOfSeq, out.as_of_seq) || out.as_of_seq < 0)) {
      return "as_of_seq must be a whole number >= 0";
    }
    return "";
  }
  if (!out.order) return "order must be a string";
  if (std::string why = ParseItems(f, out); !why.empty()) return why;
  if (out.type == EventType::kReserved) {
    if (!f.String(kExpiresAt, out.expires_at) || !IsUtcTimestamp(*out.expires_at)) {
      out.expires_at.reset();
      return "expires_at must be an ISO-8601 UTC timestamp";
    }
  }
  return "";
}

// ---------------------------------------------------------------- SQL

// Each statement runs once per batch over arrays (one element per row):
// unnest() turns them into rows, so a batch costs a handful of round trips
// whatever its size.
struct Statement {
  const char* name;
  const char* sql;
  int params;
};

constexpr const char* kSchema = R"sql(
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE TABLE IF NOT EXISTS reservation_events (
  seq bigint PRIMARY KEY,
  type text NOT NULL,
  order_id text,
  store_id text,
  event jsonb NOT NULL,
  ts timestamptz);
CREATE TABLE IF NOT EXISTS reservations (
  order_id text,
  store_id text NOT NULL,
  sku text,
  qty int NOT NULL,
  state text NOT NULL,
  reserved_at timestamptz,
  expires_at timestamptz,
  updated_at timestamptz NOT NULL,
  last_seq bigint NOT NULL,
  PRIMARY KEY (order_id, sku));
CREATE TABLE IF NOT EXISTS stock_levels (
  store_id text,
  sku text,
  on_hand bigint NOT NULL,
  as_of_seq bigint NOT NULL,
  updated_seq bigint NOT NULL,
  PRIMARY KEY (store_id, sku));
CREATE TABLE IF NOT EXISTS hourglass_cursor (
  name text PRIMARY KEY,
  seq bigint NOT NULL);
COMMIT;
)sql";

constexpr Statement kReadCursor = {"hg_read_cursor",
                                   "SELECT seq FROM hourglass_cursor WHERE name = $1", 1};
// Locking the row serialises two sinks that share a name: the second one
// waits, then sees the first one's cursor and skips what it applied.
constexpr Statement kLockCursor = {
    "hg_lock_cursor", "SELECT seq FROM hourglass_cursor WHERE name = $1 FOR UPDATE", 1};
// The events go as text[] and become jsonb row by row: PostgreSQL 15 takes
// twice as long to unnest the same lines passed as one jsonb[].
constexpr Statement kInsertEvents = {
    "hg_insert_events",
    "INSERT INTO reservation_events (seq, type, order_id, store_id, event, ts) "
    "SELECT seq, type, order_id, store_id, event::jsonb, ts FROM unnest($1::bigint[], "
    "$2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) "
    "AS e(seq, type, order_id, store_id, event, ts)",
    6};
// Rows whose latest event in the batch follows a reserved event in the batch:
// every column comes from the batch.
constexpr Statement kUpsertHeld = {
    "hg_upsert_held",
    "INSERT INTO reservations AS r (order_id, store_id, sku, qty, state, reserved_at, expires_at, "
    "updated_at, last_seq) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], "
    "$6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::bigint[]) "
    "ON CONFLICT (order_id, sku) DO UPDATE SET store_id = EXCLUDED.store_id, qty = EXCLUDED.qty, "
    "state = EXCLUDED.state, reserved_at = EXCLUDED.reserved_at, "
    "expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at, "
    "last_seq = EXCLUDED.last_seq WHERE r.last_seq < EXCLUDED.last_seq",
    9};
// Rows with only commits/releases/expiries in the batch: the state moves, the
// held quantity and times stay (a new row takes the event's quantity).
constexpr Statement kUpsertState = {
    "hg_upsert_state",
    "INSERT INTO reservations AS r (order_id, store_id, sku, qty, state, updated_at, last_seq) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], "
    "$6::timestamptz[], $7::bigint[]) "
    "ON CONFLICT (order_id, sku) DO UPDATE SET store_id = EXCLUDED.store_id, "
    "state = EXCLUDED.state, updated_at = EXCLUDED.updated_at, last_seq = EXCLUDED.last_seq "
    "WHERE r.last_seq < EXCLUDED.last_seq",
    7};
constexpr Statement kUpsertStock = {
    "hg_upsert_stock",
    "INSERT INTO stock_levels AS s (store_id, sku, on_hand, as_of_seq, updated_seq) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) "
    "ON CONFLICT (store_id, sku) DO UPDATE SET on_hand = EXCLUDED.on_hand, "
    "as_of_seq = EXCLUDED.as_of_seq, updated_seq = EXCLUDED.updated_seq "
    "WHERE s.updated_seq < EXCLUDED.updated_seq",
    5};
constexpr Statement kSetCursor = {"hg_set_cursor",
                                  "INSERT INTO hourglass_cursor (name, seq) VALUES ($1, $2) "
                                  "ON CONFLICT (name) DO UPDATE SET seq = EXCLUDED.seq",
                                  2};
constexpr std::array<const Statement*, 7> kStatements = {
    &kReadCursor,  &kLockCursor,  &kInsertEvents, &kUpsertHeld,
    &kUpsertState, &kUpsertStock, &kSetCursor};

// A PostgreSQL array literal in text form, built one element at a time.
class ArrayText {
 public:
  ArrayText() { text_ = "{"; }
  void Add(std::string_view s) {
    Comma();
    text_ += '"';
    for (const char c : s) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  void Add(const std::optional<std::string>& s) {
    if (s) {
      Add(std::string_view(*s));
    } else {
      Comma();
      text_ += "NULL";
    }
  }
  void Add(int64_t v) {
    Comma();
    char buf[24];
    text_.append(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
  }
  const std::string& Finish() {
    text_ += '}';
    return text_;
  }

 private:
  void Comma() {
    if (text_.size() > 1) text_ += ',';
  }
  std::string text_;
};

const char* StateName(EventType type) {
  switch (type) {
    case EventType::kReserved:
      return "held";
    case EventType::kCommitted:
      return "committed";
    case EventType::kReleased:
      return "released";
    case EventType::kExpired:
      return "expired";
    default:
      return nullptr;
  }
}

// The final row of one (order, SKU) after the batch's events, in seq order.
struct ReservationRow {
  const std::string* sku = nullptr;
  const Event* last = nullptr;     // the latest event: store, state, updated_at, last_seq
  const Event* reserve = nullptr;  // the latest reserved event in the batch, if any
  int32_t qty = 0;
  const std::string* store = nullptr;  // the item's own store (several-store orders)
};

struct StockRow {
  const Event* last = nullptr;
};

std::string PairKey(std::string_view a, std::string_view b) {
  std::string key;
  key.reserve(a.size() + b.size() + 1);
  key.append(a).append(1, '\0').append(b);  // neither part holds a NUL
  return key;
}

}  // namespace

bool IsUtcTimestamp(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fffffffff]Z
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s.back() != 'Z') {
    return false;
  }
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, year) || !Digits(s, 5, 2, month) || !Digits(s, 8, 2, day) ||
      !Digits(s, 11, 2, hour) || !Digits(s, 14, 2, minute) || !Digits(s, 17, 2, second)) {
    return false;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return false;
  }
  if (s.size() == 20) return true;
  const size_t frac = s.size() - 21;  // digits between '.' and 'Z'
  int unused;
  return s[19] == '.' && frac >= 1 && frac <= 9 && Digits(s, 20, frac, unused);
}

Status ParseEvent(std::string_view line, dom::parser& parser, Event& out) {
  out = Event{};
  if (line.size() > kMaxEventLineBytes) {
    return Status::Error("event line longer than " + std::to_string(kMaxEventLineBytes) + " bytes");
  }
  dom::element doc;
  if (const auto err = parser.parse(line.data(), line.size(), true).get(doc); err) {
    return Status::Error(std::string("event line is not valid JSON: ") +
                         simdjson::error_message(err));
  }
  dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::Error("event line is not a JSON object");
  }
  const Fields<kKeys.size()> f(obj, kKeys);
  if (!f.Int(kSeq, out.seq) || out.seq < 1) {
    return Status::Error("event has no \"seq\" that is a whole number >= 1");
  }
  std::optional<std::string> type;
  if (!f.String(kType, type)) return Status::Error("event has no string \"type\"");
  out.type_name = std::move(*type);
  out.type = TypeOf(out.type_name);
  if (f.String(kTs, out.ts) && !IsUtcTimestamp(*out.ts)) out.ts.reset();
  f.String(kOrder, out.order);
  f.String(kStore, out.store);
  out.json = StorableJson(line);
  if (out.type != EventType::kOther) out.problem = ParseKnown(f, out);
  return Status::Ok();
}

// ---------------------------------------------------------------- PgSink

PgSink::PgSink(std::string conninfo, std::string name)
    : conninfo_(std::move(conninfo)), name_(std::move(name)) {}

PgSink::~PgSink() { Disconnect(); }

void PgSink::Disconnect() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

Status PgSink::Fail(const std::string& what) {
  std::string message = what;
  if (conn_ != nullptr) {
    std::string_view pg = PQerrorMessage(conn_);
    while (!pg.empty() && (pg.back() == '\n' || pg.back() == ' ')) pg.remove_suffix(1);
    if (!pg.empty()) message.append(": ").append(pg);
    // Closing the connection rolls back whatever transaction is open.
    Disconnect();
  }
  return Status::Error(std::move(message));
}

Status PgSink::Connect() {
  Disconnect();
  const char* keys[] = {"dbname", "fallback_application_name", nullptr};
  const char* values[] = {conninfo_.c_str(), "hourglass-sink-pg", nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr) return Status::Error("connecting to PostgreSQL: out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) return Fail("connecting to PostgreSQL");

  PGresult* res = PQexec(conn_, kSchema);
  const bool schema_ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  if (!schema_ok) return Fail("creating the schema");

  for (const Statement* s : kStatements) {
    res = PQprepare(conn_, s->name, s->sql, s->params, nullptr);
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) return Fail(std::string("preparing ") + s->name);
  }
  const std::string* params[] = {&name_};
  cursor_ = 0;
  return Exec(kReadCursor.name, params, &cursor_);
}

Status PgSink::Exec(const char* statement, std::span<const std::string* const> params,
                    int64_t* single_value) {
  std::array<const char*, 9> values{};  // the most any statement takes (kUpsertHeld)
  for (size_t i = 0; i < params.size(); ++i) values[i] = params[i]->c_str();
  PGresult* res = PQexecPrepared(conn_, statement, static_cast<int>(params.size()), values.data(),
                                 nullptr, nullptr, 0);
  const ExecStatusType status = PQresultStatus(res);
  bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  if (ok && single_value != nullptr && PQntuples(res) == 1) {
    const std::string_view v = PQgetvalue(res, 0, 0);
    ok = std::from_chars(v.data(), v.data() + v.size(), *single_value).ec == std::errc();
  }
  PQclear(res);
  return ok ? Status::Ok() : Fail(statement);
}

Status PgSink::Apply(std::span<const Event> batch) {
  if (conn_ == nullptr) return Status::Error("not connected to PostgreSQL");
  if (batch.empty()) return Status::Ok();

  PGresult* res = PQexec(conn_, "BEGIN");
  const bool began = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  if (!began) return Fail("BEGIN");
  int64_t committed = 0;
  {
    const std::string* params[] = {&name_};
    if (Status s = Exec(kLockCursor.name, params, &committed); !s.ok()) return s;
  }
  const auto first =
      std::find_if(batch.begin(), batch.end(), [&](const Event& e) { return e.seq > committed; });
  if (first == batch.end()) {
    // A replay of events already applied: nothing to write.
    res = PQexec(conn_, "ROLLBACK");
    PQclear(res);
    cursor_ = committed;
    return Status::Ok();
  }
  const std::span<const Event> fresh(first, batch.end());

  // Fold the batch into its final row per key, in seq order, so each
  // multi-row upsert touches a key once (PostgreSQL refuses twice).
  std::vector<ReservationRow> reservations;
  std::vector<StockRow> stock;
  std::unordered_map<std::string, size_t> reservation_at, stock_at;
  for (const Event& e : fresh) {
    if (!e.applies()) continue;
    if (e.type == EventType::kStockSet) {
      const auto [it, added] = stock_at.try_emplace(PairKey(*e.store, e.sku), stock.size());
      if (added) stock.emplace_back();
      stock[it->second].last = &e;
      continue;
    }
    for (const EventItem& item : e.items) {
      const auto [it, added] =
          reservation_at.try_emplace(PairKey(*e.order, item.sku), reservations.size());
      if (added) reservations.push_back({&item.sku, nullptr, nullptr, item.qty});
      ReservationRow& row = reservations[it->second];
      row.last = &e;
      row.store = item.store ? &*item.store : nullptr;
      if (e.type == EventType::kReserved) {
        row.reserve = &e;
        row.qty = item.qty;
      }
    }
  }

  {
    ArrayText seq, type, order, store, json, ts;
    for (const Event& e : fresh) {
      seq.Add(e.seq);
      type.Add(std::string_view(e.type_name));
      order.Add(e.order);
      store.Add(e.store);
      json.Add(std::string_view(e.json));
      ts.Add(e.ts);
    }
    const std::string* params[] = {&seq.Finish(),   &type.Finish(), &order.Finish(),
                                   &store.Finish(), &json.Finish(), &ts.Finish()};
    if (Status s = Exec(kInsertEvents.name, params); !s.ok()) return s;
  }

  for (const bool reserved_in_batch : {true, false}) {
    ArrayText order, store, sku, qty, state, reserved_at, expires_at, updated_at, last_seq;
    size_t rows = 0;
    for (const ReservationRow& r : reservations) {
      if ((r.reserve != nullptr) != reserved_in_batch) continue;
      ++rows;
      order.Add(r.last->order);
      if (r.store != nullptr) {
        store.Add(std::string_view(*r.store));
      } else {
        store.Add(r.last->store);
      }
      sku.Add(std::string_view(*r.sku));
      qty.Add(r.qty);
      state.Add(std::string_view(StateName(r.last->type)));
      if (reserved_in_batch) {
        reserved_at.Add(r.reserve->ts);
        expires_at.Add(r.reserve->expires_at);
      }
      updated_at.Add(r.last->ts);
      last_seq.Add(r.last->seq);
    }
    if (rows == 0) continue;
    Status s = Status::Ok();
    if (reserved_in_batch) {
      const std::string* params[] = {
          &order.Finish(),      &store.Finish(),      &sku.Finish(),
          &qty.Finish(),        &state.Finish(),      &reserved_at.Finish(),
          &expires_at.Finish(), &updated_at.Finish(), &last_seq.Finish()};
      s = Exec(kUpsertHeld.name, params);
    } else {
      const std::string* params[] = {&order.Finish(),   &store.Finish(), &sku.Finish(),
                                     &qty.Finish(),     &state.Finish(), &updated_at.Finish(),
                                     &last_seq.Finish()};
      s = Exec(kUpsertState.name, params);
    }
    if (!s.ok()) return s;
  }

  if (!stock.empty()) {
    ArrayText store, sku, on_hand, as_of_seq, updated_seq;
    for (const StockRow& r : stock) {
      store.Add(r.last->store);
      sku.Add(std::string_view(r.last->sku));
      on_hand.Add(r.last->on_hand);
      as_of_seq.Add(r.last->as_of_seq);
      updated_seq.Add(r.last->seq);
    }
    const std::string* params[] = {&store.Finish(), &sku.Finish(), &on_hand.Finish(),
                                   &as_of_seq.Finish(), &updated_seq.Finish()};
    if (Status s = Exec(kUpsertStock.name, params); !s.ok()) return s;
  }

  const std::string last = std::to_string(fresh.back().seq);
  {
    const std::string* params[] = {&name_, &last};
    if (Status s = Exec(kSetCursor.name, params); !s.ok()) return s;
  }
  res = PQexec(conn_, "COMMIT");
  const bool committed_ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  // The connection may have died with the COMMIT in flight: then only the
  // cursor, read back by Connect, tells whether it took effect.
  if (!committed_ok) return Fail("COMMIT");
  cursor_ = fresh.back().seq;
  return Status::Ok();
}

}  // namespace hourglass::io
