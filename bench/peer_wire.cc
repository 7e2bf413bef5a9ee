#include "bench/peer_wire.h"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace hourglass::bench::peer {
namespace {

// A RESP header line or a PostgreSQL message longer than this is not what the peers send.
constexpr size_t kMaxHeaderBytes = 64;
constexpr uint32_t kMaxPgMessageBytes = 1 << 24;
// Replies nest no deeper than the script's [store, distance].
constexpr int kMaxRespDepth = 4;

void AppendBulk(std::string& out, std::string_view s) {
  out += '$';
  out += std::to_string(s.size());
  out += "\r\n";
  out += s;
  out += "\r\n";
}

std::string Coordinate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// One RESP2 value at the front of `b`: its bytes, 0 when incomplete, kProtocolError. When `top`
// is set, the value is classified into it.
size_t RespValue(std::string_view b, int depth, Reply* top) {
  if (b.empty()) return 0;
  if (depth > kMaxRespDepth) return kProtocolError;
  const size_t eol = b.find("\r\n");
  if (eol == std::string_view::npos) return b.size() > kMaxHeaderBytes ? kProtocolError : 0;
  const std::string_view head = b.substr(1, eol - 1);
  const size_t header = eol + 2;
  const auto set = [top](Reply::Kind kind, std::string_view detail) {
    if (top != nullptr) *top = {kind, detail};
  };
  switch (b[0]) {
    case '-':
      set(Reply::Kind::kError, head);
      return header;
    case '+':
    case ':':
      set(Reply::Kind::kError, "unexpected status or integer reply");
      return header;
    case '$': {
      const std::optional<int64_t> n = ParseInt(head);
      if (!n || *n < -1) return kProtocolError;
      if (*n == -1) {
        set(Reply::Kind::kNotFound, {});
        return header;
      }
      const size_t total = header + static_cast<size_t>(*n) + 2;
      if (b.size() < total) return 0;
      if (b.substr(total - 2, 2) != "\r\n") return kProtocolError;
      set(Reply::Kind::kError, "unexpected bulk reply");
      return total;
    }
    case '*': {
      const std::optional<int64_t> n = ParseInt(head);
      if (!n || *n < -1) return kProtocolError;
      if (*n <= 0) {
        set(Reply::Kind::kNotFound, {});
        return header;
      }
      size_t off = header;
      for (int64_t i = 0; i < *n; ++i) {
        const size_t used = RespValue(b.substr(off), depth + 1, nullptr);
        if (used == 0 || used == kProtocolError) return used;
        off += used;
      }
      set(Reply::Kind::kReserved, {});
      return off;
    }
    default:
      return kProtocolError;
  }
}

void PutU32(std::string& out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 4);
}

void PutU16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}

uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} << 24 | uint32_t{u[1]} << 16 | uint32_t{u[2]} << 8 | uint32_t{u[3]};
}

// The human-readable message ('M' field) of an ErrorResponse body.
std::string_view PgErrorMessage(std::string_view body) {
  size_t i = 0;
  while (i < body.size() && body[i] != '\0') {
    const char code = body[i++];
    const size_t end = body.find('\0', i);
    if (end == std::string_view::npos) break;
    if (code == 'M') return body.substr(i, end - i);
    i = end + 1;
  }
  return "PostgreSQL error";
}

}  // namespace

std::string RedisRouteCommand(std::string_view script_sha, const Order& order, double search_km) {
  std::string out = "*" + std::to_string(6 + 2 * order.lines.size()) + "\r\n";
  AppendBulk(out, "EVALSHA");
  AppendBulk(out, script_sha);
  AppendBulk(out, "0");
  AppendBulk(out, Coordinate(order.lat));
  AppendBulk(out, Coordinate(order.lon));
  AppendBulk(out, Coordinate(search_km));
  for (const OrderLine& line : order.lines) {
    AppendBulk(out, line.sku);
    AppendBulk(out, std::to_string(line.qty));
  }
  return out;
}

std::optional<uint32_t> NumericId(std::string_view id) {
  const size_t dash = id.rfind('-');
  const std::string_view digits = dash == std::string_view::npos ? id : id.substr(dash + 1);
  uint32_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> PgRouteMessages(const Order& order, double search_km) {
  std::string skus = "{";
  std::string qtys = "{";
  for (const OrderLine& line : order.lines) {
    const std::optional<uint32_t> sku = NumericId(line.sku);
    if (!sku) return std::nullopt;
    if (skus.size() > 1) {
      skus += ',';
      qtys += ',';
    }
    skus += std::to_string(*sku);
    qtys += std::to_string(line.qty);
  }
  skus += '}';
  qtys += '}';
  const std::string params[] = {Coordinate(order.lat), Coordinate(order.lon), skus, qtys,
                                Coordinate(search_km)};

  std::string bind;
  bind += '\0';  // unnamed portal
  bind.append(kPgStatement, sizeof kPgStatement);
  PutU16(bind, 0);  // every parameter in text format
  PutU16(bind, static_cast<uint16_t>(std::size(params)));
  for (const std::string& p : params) {
    PutU32(bind, static_cast<uint32_t>(p.size()));
    bind += p;
  }
  PutU16(bind, 0);  // result columns in text format

  std::string out = "B";
  PutU32(out, static_cast<uint32_t>(4 + bind.size()));
  out += bind;
  out += 'E';
  PutU32(out, 4 + 1 + 4);
  out += '\0';     // unnamed portal
  PutU32(out, 0);  // all rows
  out += 'S';      // Sync: the order's transaction ends here
  PutU32(out, 4);
  return out;
}

size_t FrameRedisReply(std::string_view buf, Reply& out) { return RespValue(buf, 0, &out); }

size_t FramePgReply(std::string_view buf, Reply& out) {
  size_t off = 0;
  size_t rows = 0;
  bool failed = false;
  while (buf.size() - off >= 5) {
    const char type = buf[off];
    const uint32_t len = GetU32(buf.data() + off + 1);
    if (len < 4 || len > kMaxPgMessageBytes) return kProtocolError;
    if (buf.size() - off < 1 + size_t{len}) return 0;
    const std::string_view body = buf.substr(off + 5, len - 4);
    off += 1 + len;
    switch (type) {
      case 'D':
        ++rows;
        break;
      case 'E':
        failed = true;
        out = {Reply::Kind::kError, PgErrorMessage(body)};
        break;
      case 'Z':
        if (!failed) out = {rows > 0 ? Reply::Kind::kReserved : Reply::Kind::kNotFound, {}};
        return off;
      default:  // BindComplete, CommandComplete, notices, parameter status
        break;
    }
  }
  return 0;
}

}  // namespace hourglass::bench::peer
