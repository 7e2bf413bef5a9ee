// The PostgreSQL system-of-record sink: turns journal event lines from
// hourglassd's subscription stream into rows, one transaction per batch.
//
// Schema (created by PgSink::Connect, all IF NOT EXISTS, in one transaction):
//
//   CREATE TABLE reservation_events (      -- every event, known type or not
//     seq      bigint PRIMARY KEY,
//     type     text NOT NULL,
//     order_id text,                        -- NULL when the event has no "order"
//     store_id text,                        -- NULL when the event has no "store"
//     event    jsonb NOT NULL,              -- the line as received
//     ts       timestamptz);                -- NULL when "ts" is missing or malformed
//   CREATE TABLE reservations (             -- one row per (order, SKU): its latest state
//     order_id text, store_id text NOT NULL, sku text,
//     qty int NOT NULL,
//     state text NOT NULL,                  -- held | committed | released | expired
//     reserved_at timestamptz,              -- ts of the latest reserved event
//     expires_at  timestamptz,              -- of the latest reserved event
//     updated_at  timestamptz NOT NULL,     -- ts of the latest event
//     last_seq    bigint NOT NULL,          -- seq of the latest event
//     PRIMARY KEY (order_id, sku));
//   CREATE TABLE stock_levels (             -- the latest stock_set per (store, SKU)
//     store_id text, sku text,
//     on_hand bigint NOT NULL,
//     as_of_seq bigint NOT NULL,            -- the event's "as_of_seq", else its seq
//     updated_seq bigint NOT NULL,          -- seq of the stock_set event
//     PRIMARY KEY (store_id, sku));
//   CREATE TABLE hourglass_cursor (         -- last applied seq per subscription name
//     name text PRIMARY KEY,
//     seq bigint NOT NULL);
//
// Exactly once: a batch's events, their projections and the cursor move in one
// transaction, and the transaction first locks the cursor row and skips every
// event at or below it. A sink killed mid-batch leaves nothing of that batch;
// a replayed event is skipped.
//
// Events (one JSON object per line; seq, type and ts on all):
//   reserved   order, store, items[{sku,qty}], expires_at -> reservations state 'held'
//   committed / released / expired   order, store, items  -> state of the same name
//   stock_set  store, sku, on_hand [, as_of_seq]          -> stock_levels
// Any other type is only stored in reservation_events (forward compatibility).
// A known type missing a field, or with a malformed one, is stored the same
// way and reported in Event::problem: bad data never blocks the stream.
//
// Threading: a PgSink owns one libpq connection and is used by one thread.
// ParseEvent is pure. Errors are Status values; nothing here throws except
// std::bad_alloc.
#ifndef HOURGLASS_IO_PG_SINK_H_
#define HOURGLASS_IO_PG_SINK_H_

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;

namespace hourglass::io {

// The longest event line accepted from the daemon; a longer one is a protocol
// error (the daemon's own request lines are at most 64 KiB).
inline constexpr size_t kMaxEventLineBytes = 1 << 20;

class [[nodiscard]] Status {
 public:
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }
  bool ok() const { return !message_.has_value(); }
  const std::string& message() const { return *message_; }

 private:
  Status() = default;
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
};

enum class EventType { kReserved, kCommitted, kReleased, kExpired, kStockSet, kOther };

struct EventItem {
  std::string sku;
  int32_t qty = 0;  // a SKU listed twice in one event is merged, quantities added
  // The store serving this item when an order is served by several (a split
  // delivery, a pickup with transfers); else the event's store.
  std::optional<std::string> store;
};

// One journal event, validated at the edge. Text fields hold no NUL bytes and
// timestamps are checked ISO-8601 UTC ("2026-11-24T10:00:00.123Z"), so every
// value below is one PostgreSQL accepts.
struct Event {
  int64_t seq = 0;  // >= 1
  EventType type = EventType::kOther;
  std::string type_name;
  std::optional<std::string> order;
  std::optional<std::string> store;
  std::optional<std::string> ts;
  std::string json;  // the line, for the jsonb column
  // Why a known type is not applied to reservations/stock_levels ("" = it is).
  std::string problem;

  // reserved / committed / released / expired
  std::vector<EventItem> items;
  std::optional<std::string> expires_at;  // reserved
  // stock_set
  std::string sku;
  int64_t on_hand = 0;
  int64_t as_of_seq = 0;

  bool applies() const { return type != EventType::kOther && problem.empty(); }
};

// Parses one event line. An error means the line cannot be stored at all (not
// JSON, not an object, no positive integer seq, no string type, too long):
// a protocol error. `parser` is reused between calls.
Status ParseEvent(std::string_view line, simdjson::dom::parser& parser, Event& out);

// True when `text` is "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" with a real calendar date.
bool IsUtcTimestamp(std::string_view text);

class PgSink {
 public:
  // `conninfo` is a libpq connection string; `name` the subscription name,
  // the key of this sink's row in hourglass_cursor.
  PgSink(std::string conninfo, std::string name);
  ~PgSink();
  PgSink(const PgSink&) = delete;
  PgSink& operator=(const PgSink&) = delete;

  // (Re)connects, creates the schema if missing, prepares the statements and
  // reads the cursor. On error the sink is left disconnected.
  Status Connect();
  void Disconnect();
  bool connected() const { return conn_ != nullptr; }

  // The last seq applied, as committed in PostgreSQL (0 when none yet).
  // Valid after a successful Connect; advanced by Apply.
  int64_t cursor() const { return cursor_; }

  // Applies `batch` (seq ascending) in one transaction, skipping events at or
  // below the cursor, and moves the cursor to the batch's last seq. On error
  // the transaction is rolled back (or the connection is gone), nothing of
  // the batch is applied, and the sink is disconnected: Connect again, which
  // rereads the cursor (a lost COMMIT answer may still have committed).
  Status Apply(std::span<const Event> batch);

 private:
  Status Fail(const std::string& what);
  Status Exec(const char* statement, std::span<const std::string* const> params,
              int64_t* single_value = nullptr);

  std::string conninfo_;
  std::string name_;
  pg_conn* conn_ = nullptr;
  int64_t cursor_ = 0;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_PG_SINK_H_
