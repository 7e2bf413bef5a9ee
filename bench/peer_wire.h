// The wire formats hourglass-bench speaks to the peer baselines of bench/peers/ — Redis (one Lua
// script by EVALSHA) and PostgreSQL (one prepared SQL function call per order) — so that the
// same closed/open loop, the same orders and the same latency histogram measure all three
// systems. Pure functions over bytes: no sockets, no state; callable from any thread.
//
// Requests are built before the run, one byte string per order, and copied to the socket as
// they are, like the daemon's NDJSON lines. Answers are framed and classified here:
//   * Redis: RESP2. The script answers an array [store, distance_km] when it reserved, nil when
//     no store could; "-ERR ..." is an error.
//   * PostgreSQL: the extended query protocol (Bind, Execute, Sync per order, so each order is
//     its own transaction). An answer runs up to ReadyForQuery; one DataRow means reserved,
//     none means no store could; an ErrorResponse is an error. Asynchronous messages (notices,
//     parameter status) are skipped.

#ifndef HOURGLASS_BENCH_PEER_WIRE_H_
#define HOURGLASS_BENCH_PEER_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::bench::peer {

// The name hourglass-bench prepares the route statement under (see peer_pg_session.h).
inline constexpr char kPgStatement[] = "hourglass_route";

struct OrderLine {
  std::string sku;
  uint32_t qty = 0;
};

// One route order as the peers take it.
struct Order {
  double lat = 0;
  double lon = 0;
  std::vector<OrderLine> lines;
};

// EVALSHA <sha> 0 <lat> <lon> <search_km> <sku> <qty> ... as one RESP command.
std::string RedisRouteCommand(std::string_view script_sha, const Order& order, double search_km);

// The PostgreSQL peer keys stores and SKUs by number: "S-0042" and "SKU-00042" are both 42 (the
// digits after the last '-'; hourglass-gen's ids). nullopt when the id has no such digits.
std::optional<uint32_t> NumericId(std::string_view id);

// Bind (the kPgStatement portal, params lat, lon, '{sku,...}', '{qty,...}', search_km as text),
// Execute, Sync. nullopt when a SKU has no numeric id.
std::optional<std::string> PgRouteMessages(const Order& order, double search_km);

struct Reply {
  enum class Kind { kReserved, kNotFound, kError };
  Kind kind = Kind::kError;
  std::string_view detail;  // the error text, into the framed bytes
};

// Bytes of one complete reply at the front of `buf`, 0 when it is not complete yet, or
// kProtocolError when `buf` does not start with a reply of the expected shape.
inline constexpr size_t kProtocolError = static_cast<size_t>(-1);
size_t FrameRedisReply(std::string_view buf, Reply& out);
size_t FramePgReply(std::string_view buf, Reply& out);

}  // namespace hourglass::bench::peer

#endif  // HOURGLASS_BENCH_PEER_WIRE_H_
