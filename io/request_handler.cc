#include "io/request_handler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "io/data_loader.h"
#include "io/iso_time.h"
#include "io/json_writer.h"
#include "io/store_fields.h"

namespace hourglass::io {
namespace {

namespace dom = simdjson::dom;

// Nesting deeper than this is refused as bad_json; keeps the echoed "id"
// writable with a fixed-size writer stack.
constexpr size_t kMaxJsonDepth = 64;
// More fields than any request has; bounds the duplicate-key check.
constexpr size_t kMaxFields = 32;
// Candidates listed by explain, at most (the rest are counted).
constexpr size_t kMaxExplained = 50;
// Changed decisions a dry run shows as examples.
constexpr size_t kWhatIfExamples = 5;

// A key given twice makes a request ambiguous ("lat":1,...,"lat":2): refuse it
// rather than guess which one the client meant. Returns the key, or "".
std::string_view DuplicateKey(const dom::object& obj) {
  for (auto a = obj.begin(); a != obj.end(); ++a) {
    auto b = a;
    for (++b; b != obj.end(); ++b) {
      if (a.key() == b.key()) return a.key();
    }
  }
  return {};
}

// Empty when `obj` is acceptable as a request object, else why not.
std::string CheckShape(const dom::object& obj) {
  if (obj.size() > kMaxFields) {
    return "has more than " + std::to_string(kMaxFields) + " fields";
  }
  if (const auto dup = DuplicateKey(obj); !dup.empty()) {
    return "has the field \"" + std::string(dup) + "\" twice";
  }
  return "";
}

}  // namespace

// Writes one answer object; the first error wins and the rest is skipped.
class RequestHandler::Answer {
 public:
  // `fail_code` (may be null) hears the error code, for the metrics.
  Answer(std::string& out, const dom::element* id, std::string_view* fail_code = nullptr)
      : out_(out), w_(out), fail_code_(fail_code) {
    w_.BeginObject();
    if (id != nullptr) w_.Key("id").Element(*id);
  }
  ~Answer() {
    w_.EndObject();
    out_.push_back('\n');
  }

  JsonWriter& Ok() {
    w_.Field("ok", true);
    return w_;
  }
  void Fail(std::string_view code, std::string_view message) {
    failed_ = true;
    if (fail_code_ != nullptr) *fail_code_ = code;
    w_.Field("ok", false).Key("error").BeginObject();
    w_.Field("code", code).Field("message", message).EndObject();
  }
  bool failed() const { return failed_; }

 private:
  std::string& out_;
  JsonWriter w_;
  std::string_view* fail_code_;
  bool failed_ = false;
};

namespace {

// Typed field access that turns every wrong shape into one bad_request.
template <typename AnswerT>
class Fields {
 public:
  // Fields of a list element name themselves `items[3].qty` in errors.
  Fields(const dom::object& obj, AnswerT& answer, std::string_view list = {}, size_t index = 0)
      : obj_(obj), answer_(answer), list_(list), index_(index) {
    for (const dom::key_value_pair field : obj) present_ |= KeyBit(field.key);
  }

  bool failed() const { return answer_.failed(); }

  std::optional<std::string_view> Name(std::string_view key, bool required) {
    dom::element e;
    if (!Get(key, required, e)) return std::nullopt;
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) return Bad(key, "must be a string");
    if (s.empty() || s.size() > kMaxNameBytes) {
      return Bad(key, "must be 1 to " + std::to_string(kMaxNameBytes) + " bytes long");
    }
    return s;
  }

  std::optional<double> Number(std::string_view key, bool required, double min, double max) {
    dom::element e;
    if (!Get(key, required, e)) return std::nullopt;
    if (!e.is_number()) return Bad(key, "must be a number");
    double v = 0;
    if (e.is_int64()) {
      v = static_cast<double>(e.get_int64().value_unsafe());
    } else if (e.is_uint64()) {
      v = static_cast<double>(e.get_uint64().value_unsafe());
    } else {
      v = e.get_double().value_unsafe();
    }
    if (!std::isfinite(v) || v < min || v > max) return Bad(key, Range(min, max));
    return v;
  }

  std::optional<int64_t> Integer(std::string_view key, bool required, int64_t min, int64_t max) {
    dom::element e;
    if (!Get(key, required, e)) return std::nullopt;
    int64_t v = 0;
    if (e.get_int64().get(v) != simdjson::SUCCESS || v < min || v > max) {
      return Bad(key, "must be a whole number within [" + std::to_string(min) + ", " +
                          std::to_string(max) + "]");
    }
    return v;
  }

  std::optional<bool> Boolean(std::string_view key) {
    dom::element e;
    if (!Get(key, false, e)) return std::nullopt;
    bool v = false;
    if (e.get_bool().get(v) != simdjson::SUCCESS) return Bad(key, "must be true or false");
    return v;
  }

  std::nullopt_t Bad(std::string_view key, const std::string& why) {
    if (answer_.failed()) return std::nullopt;
    std::string name;
    if (!list_.empty()) name = std::string(list_) + "[" + std::to_string(index_) + "].";
    answer_.Fail("bad_request", name + std::string(key) + " " + why);
    return std::nullopt;
  }

 private:
  // True when the field is present; reports a missing required one.
  bool Get(std::string_view key, bool required, dom::element& e) {
    if (answer_.failed()) return false;
    if ((present_ & KeyBit(key)) != 0 && obj_[key].get(e) == simdjson::SUCCESS) return true;
    if (required) Bad(key, "is required");
    return false;
  }

  static std::string Range(double min, double max) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "must be within [%g, %g]", min, max);
    return buf;
  }

  // Most keys asked for are optional and absent: one bit per key's length
  // and ends says "surely absent" without a walk over the object's fields.
  static uint64_t KeyBit(std::string_view key) {
    if (key.empty()) return 1;
    return uint64_t{1} << ((key.size() * 7 + static_cast<unsigned char>(key.front()) * 3 +
                            static_cast<unsigned char>(key.back())) &
                           63);
  }

  const dom::object& obj_;
  AnswerT& answer_;
  std::string_view list_;
  size_t index_;
  uint64_t present_ = 0;  // KeyBit of every key in obj_
};

}  // namespace

RequestHandler::RequestHandler(alloc::Allocator& allocator, const Limits& limits, Clock clock,
                               Subscriptions* subscriptions, HandlerOps ops)
    : allocator_(allocator),
      limits_(limits),
      clock_(std::move(clock)),
      subscriptions_(subscriptions),
      reloader_(ops.reloader),
      history_(ops.history),
      history_ring_(ops.history_ring),
      ops_(std::move(ops)) {
  // Sized once for the largest line, so parsing never allocates afterwards.
  if (parser_.allocate(static_cast<size_t>(limits_.max_line_bytes), kMaxJsonDepth) !=
      simdjson::SUCCESS) {
    throw std::bad_alloc();
  }
  items_.reserve(static_cast<size_t>(limits_.max_items));
}

void RequestHandler::TooManyConnections(size_t limit, std::string& out) {
  if (ops_.metrics != nullptr) {
    ops_.metrics->requests[kOpInvalid][MetricOutcomeIndex("too_many_connections")].Add();
  }
  Answer answer(out, nullptr);
  answer.Fail("too_many_connections",
              "the daemon already serves " + std::to_string(limit) +
                  " connections ([limits] max_connections); this one is closed — retry later or "
                  "reuse a connection (requests may be pipelined)");
}

void RequestHandler::TooLarge(size_t limit_bytes, std::string& out) {
  if (ops_.metrics != nullptr) {
    ops_.metrics->requests[kOpInvalid][MetricOutcomeIndex("too_large")].Add();
  }
  Answer answer(out, nullptr);
  answer.Fail("too_large", "request line is longer than " + std::to_string(limit_bytes) +
                               " bytes ([limits] max_line_bytes); the connection is closed");
}

namespace {

// Longest token accepted; also the span every comparison covers.
constexpr size_t kMaxTokenBytes = 256;

// Equal without an early exit, so the time taken says nothing about how much
// of a guess was right.
bool SameToken(std::string_view a, std::string_view b) {
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < kMaxTokenBytes; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

// The role an op needs; kNone for ops anyone may send.
Role RoleFor(std::string_view op) {
  if (op == "route" || op == "commit" || op == "release" || op == "stock") return Role::kOrder;
  if (op == "stock.set" || op == "store.upsert" || op == "store.remove" || op == "reload" ||
      op == "subscribe" || op == "stats") {
    return Role::kOps;
  }
  return Role::kNone;
}

const char* RoleName(Role role) {
  return role == Role::kOrder ? "order" : role == Role::kOps ? "ops" : "all";
}

}  // namespace

Session RequestHandler::NewSession() const {
  return Session{ops_.tokens.empty() ? Role::kAll : Role::kNone};
}

void RequestHandler::Auth(const dom::object& req, Answer& answer, Session& session) {
  dom::element e;
  std::string_view token;
  if (req["token"].get(e) != simdjson::SUCCESS || e.get_string().get(token) != simdjson::SUCCESS ||
      token.empty() || token.size() > kMaxTokenBytes) {
    answer.Fail("bad_request", "token is required: the string configured in [[security.tokens]]");
    return;
  }
  if (ops_.tokens.empty()) {
    answer.Ok().Field("role", "all");  // nothing to check: every op is open
    return;
  }
  // Every token is compared, whichever matches.
  const SecurityToken* match = nullptr;
  for (const SecurityToken& t : ops_.tokens) {
    if (SameToken(token, t.token)) match = &t;
  }
  if (match == nullptr) {
    answer.Fail("unauthorized", "the token is not one configured in [[security.tokens]]");
    return;
  }
  session.role = match->role == "ops" ? Role::kOps : Role::kOrder;
  answer.Ok().Field("role", RoleName(session.role));
}

void RequestHandler::BeginBatch() {
  in_batch_ = true;
  batch_now_.reset();
  last_end_ = {};
}

alloc::Now RequestHandler::Now() {
  if (!in_batch_) return clock_();
  if (!batch_now_) batch_now_ = clock_();
  return *batch_now_;
}

HandleResult RequestHandler::Handle(std::string_view line, std::string& out, Session& session) {
  using SteadyClock = std::chrono::steady_clock;
  const bool timed = ops_.metrics != nullptr;
  SteadyClock::time_point start{};
  if (timed) start = last_end_ != SteadyClock::time_point{} ? last_end_ : SteadyClock::now();
  op_index_ = kOpInvalid;
  fail_code_ = {};
  HandleResult result = Dispatch(line, out, session);
  // Only quick ops share a batch's clock reading: after a slow one (a
  // reload's dry run, a store change) the next request reads afresh.
  constexpr size_t kLastQuickOp = 4;
  static_assert(kMetricOps[kLastQuickOp] == "stock.set");
  const bool quick = op_index_ <= kLastQuickOp;
  if (!quick) batch_now_.reset();
  if (!timed) return result;
  const auto end = SteadyClock::now();
  last_end_ = in_batch_ && quick ? end : SteadyClock::time_point{};
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
  ThreadMetrics& m = *ops_.metrics;
  m.requests[op_index_][fail_code_.empty() ? kOutcomeOk : MetricOutcomeIndex(fail_code_)].Add();
  m.latency[op_index_].Record(static_cast<uint64_t>(ns));
  return result;
}

HandleResult RequestHandler::Dispatch(std::string_view line, std::string& out, Session& session) {
  HandleResult result;
  dom::element doc;
  const auto parse_error =
      parser_.parse(reinterpret_cast<const uint8_t*>(line.data()), line.size(), false).get(doc);
  if (parse_error != simdjson::SUCCESS) {
    Answer answer(out, nullptr, &fail_code_);
    answer.Fail("bad_json",
                std::string("the line is not valid JSON: ") + simdjson::error_message(parse_error));
    return result;
  }
  dom::object req;
  if (doc.get_object().get(req) != simdjson::SUCCESS) {
    Answer answer(out, nullptr, &fail_code_);
    answer.Fail("bad_request", "a request must be a JSON object, e.g. {\"op\":\"ping\"}");
    return result;
  }
  dom::element id;
  const bool has_id = req["id"].get(id) == simdjson::SUCCESS;
  Answer answer(out, has_id ? &id : nullptr, &fail_code_);
  if (const std::string why = CheckShape(req); !why.empty()) {
    answer.Fail("bad_request", "the request " + why);
    return result;
  }
  Fields fields(req, answer);
  const auto op = fields.Name("op", true);
  if (!op) return result;
  op_index_ = MetricOpIndex(*op);
  if (*op == "auth") {
    Auth(req, answer, session);
    return result;
  }
  if (const Role needed = RoleFor(*op); needed != Role::kNone && session.role != Role::kAll) {
    if (session.role == Role::kNone) {
      answer.Fail("unauthorized",
                  "send {\"op\":\"auth\",\"token\":\"...\"} first: this "
                  "daemon requires a token ([security] tokens)");
      return result;
    }
    if (session.role != needed) {
      answer.Fail("forbidden", "op " + std::string(*op) + " needs the " + RoleName(needed) +
                                   " role; this connection has " + RoleName(session.role));
      return result;
    }
  }
  if (*op == "route") {
    result.wait_seq = Route(req, line, answer);
  } else if (*op == "commit" || *op == "release") {
    result.wait_seq = Finish(req, *op == "commit", answer);
  } else if (*op == "stock") {
    Stock(req, answer);
  } else if (*op == "stock.set") {
    result.wait_seq = StockSet(req, answer);
  } else if (*op == "subscribe") {
    result.stream = Subscribe(req, answer);
  } else if (*op == "reload") {
    Reload(req, answer);
  } else if (*op == "store.upsert") {
    result.wait_seq = StoreUpsert(req, answer);
  } else if (*op == "store.remove") {
    result.wait_seq = StoreRemove(req, answer);
  } else if (*op == "ping") {
    answer.Ok();
  } else if (*op == "stats") {
    if (!ops_.stats) {
      answer.Fail("unavailable", "this daemon keeps no statistics (embedded use)");
    } else {
      ops_.stats(answer.Ok());
    }
  } else if (*op == "ack") {
    answer.Fail("not_subscribed", "ack is for a connection that sent subscribe first");
  } else {
    answer.Fail(
        "unknown_op",
        "unknown op \"" + std::string(*op) +
            "\" (known: route, commit, release, stock, stock.set, store.upsert, store.remove, "
            "subscribe, ack, reload, stats, auth, ping)");
  }
  return result;
}

namespace {

// The store fields every plan part carries, so the system of record can split
// revenue without a second lookup.
void WriteStore(JsonWriter& w, const alloc::Store& store) {
  w.Field("store", store.id);
  if (store.tier != alloc::StoreTier::kUnset) w.Field("tier", alloc::TierName(store.tier));
  if (!store.dealer.empty()) w.Field("dealer", store.dealer);
}

void WriteItems(JsonWriter& w, const alloc::Plan& plan, size_t begin, size_t end) {
  w.Key("items").BeginArray();
  for (size_t k = begin; k < end && k < plan.item_count; ++k) {
    w.BeginObject().Field("sku", plan.items[k].sku).Field("qty", plan.items[k].qty).EndObject();
  }
  w.EndArray();
}

}  // namespace

bool RequestHandler::ParseRoute(const dom::object& req, Answer& answer,
                                alloc::RouteRequest& request) {
  Fields f(req, answer);
  const auto mode_text = f.Name("mode", false);
  alloc::FulfilMode mode = alloc::FulfilMode::kDelivery;
  if (mode_text) {
    if (*mode_text == "pickup") {
      mode = alloc::FulfilMode::kPickup;
    } else if (*mode_text == "ship") {
      mode = alloc::FulfilMode::kShip;
    } else if (*mode_text != "delivery") {
      f.Bad("mode", "must be \"delivery\", \"pickup\" or \"ship\"");
      return false;
    }
  }
  const auto pickup_store = f.Name("pickup_store", false);
  if (pickup_store && mode != alloc::FulfilMode::kPickup) {
    f.Bad("pickup_store", "goes with \"mode\":\"pickup\"");
    return false;
  }
  // A pickup at a named store needs no customer location.
  const bool located =
      !(mode == alloc::FulfilMode::kPickup && pickup_store) && mode != alloc::FulfilMode::kShip;
  const auto lat = f.Number("lat", located, -90, 90);
  const auto lon = f.Number("lon", located, -180, 180);
  if (!f.failed() && lat.has_value() != lon.has_value()) {
    f.Bad(lat ? "lon" : "lat", "is required with " + std::string(lat ? "lat" : "lon"));
    return false;
  }
  const auto reserve = f.Boolean("reserve").value_or(false);
  const auto order = f.Name("order", reserve);
  const auto ttl_s = f.Integer("ttl_s", false, 1, 604800);
  const auto within_min = f.Number("within_min", false, 0.001, 10080);
  const auto prefer_store = f.Name("prefer_store", false);
  const auto dealer = f.Name("dealer", false);
  const auto fallback = f.Name("fallback", false);
  if (fallback && (*fallback != "ship" || mode != alloc::FulfilMode::kDelivery)) {
    f.Bad("fallback", "may only be \"ship\", with mode delivery");
    return false;
  }
  const auto explain = f.Boolean("explain").value_or(false);
  const auto allow_split = f.Boolean("allow_split").value_or(false);
  const auto max_parts = f.Integer("max_parts", false, 2, 3);
  if (max_parts && !allow_split) {
    f.Bad("max_parts", "goes with \"allow_split\":true");
    return false;
  }
  if (allow_split && mode != alloc::FulfilMode::kDelivery) {
    f.Bad("allow_split", "is for mode delivery (a pickup is completed by transfers)");
    return false;
  }
  const auto at_text = f.Name("at", false);
  std::optional<int64_t> at_ms;
  if (at_text) {
    at_ms = ParseIsoTime(*at_text);
    if (!at_ms) {
      f.Bad("at", "must be a date-time with an offset, like \"2026-11-24T18:30:00+08:00\"");
      return false;
    }
  }
  if (f.failed()) return false;

  dom::array items;
  dom::element items_el;
  if (req["items"].get(items_el) != simdjson::SUCCESS) {
    f.Bad("items", "is required: a list like [{\"sku\":\"A\",\"qty\":1}]");
    return false;
  }
  if (items_el.get_array().get(items) != simdjson::SUCCESS) {
    f.Bad("items", "must be a list like [{\"sku\":\"A\",\"qty\":1}]");
    return false;
  }
  const size_t count = items.size();
  if (count == 0 || count > static_cast<size_t>(limits_.max_items)) {
    f.Bad("items",
          "must hold 1 to " + std::to_string(limits_.max_items) + " entries ([limits] max_items)");
    return false;
  }
  items_.clear();
  size_t i = 0;
  for (dom::element item : items) {
    dom::object obj;
    if (item.get_object().get(obj) != simdjson::SUCCESS) {
      f.Bad("items[" + std::to_string(i) + "]", "must be an object like {\"sku\":\"A\",\"qty\":1}");
      return false;
    }
    if (const std::string why = CheckShape(obj); !why.empty()) {
      f.Bad("items[" + std::to_string(i) + "]", why);
      return false;
    }
    Fields item_fields(obj, answer, "items", i++);
    const auto sku = item_fields.Name("sku", true);
    const auto qty = item_fields.Integer("qty", true, 1, kMaxLineQty);
    if (item_fields.failed()) return false;
    items_.push_back({*sku, static_cast<int32_t>(*qty)});
  }

  request = {};
  request.order = order.value_or(std::string_view{});
  request.at = {lat.value_or(0), lon.value_or(0)};
  request.items = items_;
  request.reserve = reserve;
  request.ttl_s = ttl_s.value_or(0);
  request.within_min = within_min.value_or(0);
  request.mode = mode;
  request.pickup_store = pickup_store.value_or(std::string_view{});
  request.prefer_store = prefer_store.value_or(std::string_view{});
  request.dealer = dealer.value_or(std::string_view{});
  request.fallback_ship = fallback.has_value();
  request.at_wall_ms = at_ms.value_or(0);
  request.explain = explain;
  request.located = lat.has_value();
  request.allow_split = allow_split;
  request.max_parts = static_cast<int>(max_parts.value_or(2));
  return true;
}

bool RequestHandler::CanChange(Answer& answer) {
  if (ops_.journal == nullptr) return true;
  switch (ops_.journal->Health(limits_.request_deadline_ms)) {
    case JournalHealth::kOk:
      return true;
    case JournalHealth::kStalled:
      answer.Fail("deadline_exceeded",
                  "the journal has left a change unconfirmed for more than [limits] "
                  "request_deadline_ms (" +
                      std::to_string(limits_.request_deadline_ms) +
                      " ms), so this one could not be answered in time; nothing changed — retry "
                      "later (a retried order id never holds twice)");
      return false;
    case JournalHealth::kFailing:
      answer.Fail("unavailable",
                  "the journal cannot write to " + ops_.journal->options().dir.string() + " (" +
                      std::strerror(ops_.journal->failing_errno()) +
                      "), so no change can be confirmed; nothing changed — retry later: the "
                      "daemon resumes by itself once it can write (routes without reserve and "
                      "stock reads still work)");
      return false;
  }
  return true;
}

uint64_t RequestHandler::Route(const dom::object& req, std::string_view line, Answer& answer) {
  alloc::RouteRequest request;
  if (!ParseRoute(req, answer, request)) return 0;
  if (request.reserve && !CanChange(answer)) return 0;
  if (history_ != nullptr) history_->Record(history_ring_, line);
  const alloc::Now now = Now();
  const alloc::RouteResult& r = allocator_.Route(request, now, scratch_);
  CountRoute(request, r, now);
  const alloc::StoreSet& stores = r.view->stores;
  const bool explain = request.explain;
  const std::string_view pickup_store = request.pickup_store;
  const std::string_view prefer_store = request.prefer_store;

  JsonWriter& w = answer.Ok();
  if (!request.order.empty()) w.Field("order", request.order);
  w.Field("found", r.found);
  if (!r.found) {
    w.Field("reason", alloc::ReasonName(r.reason));
    if (r.reason == alloc::NoRouteReason::kUnknownSku) w.Field("sku", r.unknown_sku);
    if (r.reason == alloc::NoRouteReason::kUnknownStore) {
      w.Field("store", !pickup_store.empty() ? pickup_store : prefer_store);
    }
  } else {
    const alloc::Plan& plan = r.plan;
    w.Key("plan").BeginArray();
    size_t begin = 0;
    for (const alloc::OrderPart& part : plan.parts) {
      const alloc::Store& store = stores[part.store];
      w.BeginObject();
      WriteStore(w, store);
      w.Field("role", alloc::RoleName(part.role));
      if (part.role == alloc::PartRole::kShip) {
        w.Field("ship_days", static_cast<int64_t>(store.ship_days));
      } else {
        // Pickup: when the order is ready; transfer: when it reaches the pickup store.
        w.Key("eta_min").Fixed(part.eta_min, 1);
        w.Key("distance_km").Fixed(part.distance_km, 2);
      }
      WriteItems(w, plan, begin, part.end_line);
      begin = part.end_line;
      w.EndObject();
    }
    w.EndArray();
    w.Field("promise", r.mode == alloc::FulfilMode::kShip ? "standard" : "express");
    w.Field("reserved", r.reserved);
    if (r.reserved) {
      w.Field("state", alloc::StateName(plan.state));
      if (plan.state == alloc::OrderState::kHeld) {
        w.Field("expires_in_s",
                std::max<int64_t>(0, (plan.expires_at_ms - now.mono_ms + 999) / 1000));
      }
      if (r.already) w.Field("already", true);
    }
  }
  if (r.bound != alloc::BoundOutcome::kNotAsked) {
    w.Key("bound_store").BeginObject().Field("store", prefer_store);
    w.Field("chosen", r.bound == alloc::BoundOutcome::kChosen);
    if (r.bound == alloc::BoundOutcome::kNotChosen) {
      w.Field("why", r.bound_reject == alloc::Reject::kNone ? "slower_than_slack"
                                                            : alloc::RejectName(r.bound_reject));
    }
    w.EndObject();
  }
  if (!r.options.empty()) {
    w.Key("options").BeginArray();
    for (const alloc::Candidate& c : r.options) {
      w.BeginObject();
      WriteStore(w, stores[c.store]);
      w.Field("role", "pickup");
      w.Key("eta_min").Fixed(c.eta_min, 1);
      w.Key("distance_km").Fixed(c.distance_km, 2);
      w.EndObject();
    }
    w.EndArray();
  }
  if (explain) {
    w.Key("candidates").BeginArray();
    size_t shown = 0;
    for (const alloc::ExplainEntry& e : r.explain) {
      if (++shown > kMaxExplained) break;
      const alloc::Candidate& c = e.candidate;
      w.BeginObject();
      WriteStore(w, stores[c.store]);
      w.Key("eta_min").Fixed(c.eta_min, 1);
      w.Key("distance_km").Fixed(c.distance_km, 2);
      if (e.eligible) {
        w.Field("eligible", true);
        w.Key("score").BeginObject();
        w.Key("eta").Fixed(c.score.eta, 3).Key("distance").Fixed(c.score.distance, 3);
        w.Key("depth").Fixed(c.score.depth, 3).Key("load").Fixed(c.score.load, 3);
        w.Key("tier").Fixed(c.score.tier, 3).Key("total").Fixed(c.score.total(), 3);
        w.EndObject();
      } else {
        w.Field("eligible", false);
        if (c.reject == alloc::Reject::kMissing && !e.missing_sku.empty()) {
          w.Field("why", "missing: " + std::string(e.missing_sku) + "\u00d7" +
                             std::to_string(e.missing_qty));
        } else {
          w.Field("why", alloc::RejectName(c.reject));
        }
      }
      w.EndObject();
    }
    w.EndArray();
    if (r.explain.size() > kMaxExplained)
      w.Field("candidates_omitted", int64_t(r.explain.size() - kMaxExplained));
  }
  w.Field("rules_version", static_cast<int64_t>(r.rules_version));
  return r.found ? r.plan.seq : 0;
}

void RequestHandler::CountRoute(const alloc::RouteRequest& request, const alloc::RouteResult& r,
                                alloc::Now now) {
  if (ops_.metrics != nullptr) {
    if (r.found) {
      ops_.metrics->routes_found.Add();
    } else {
      ops_.metrics->routes_not_found[static_cast<size_t>(r.reason) % kNoRouteReasons].Add();
    }
  }
  if (ops_.decisions == nullptr) return;
  Decision d;
  d.wall_ms = now.wall_ms;
  d.lat = request.at.lat_deg;
  d.lon = request.at.lon_deg;
  d.located = request.located;
  d.found = r.found;
  d.reserved = r.reserved;
  d.reason = r.reason;
  if (r.found && !r.plan.parts.empty()) {
    d.store = r.plan.primary().store;
    d.parts = static_cast<uint8_t>(std::min<size_t>(r.plan.parts.size(), 255));
    d.eta_min = static_cast<float>(r.plan.primary().eta_min);
  }
  const size_t n = std::min(request.order.size(), Decision::kOrderChars);
  std::copy_n(request.order.data(), n, d.order);
  d.order_len = static_cast<uint8_t>(n);
  ops_.decisions->Record(ops_.decision_ring, d);
}

uint64_t RequestHandler::Finish(const dom::object& req, bool commit, Answer& answer) {
  Fields f(req, answer);
  const auto order = f.Name("order", true);
  if (f.failed() || !CanChange(answer)) return 0;
  const alloc::Now now = Now();
  const alloc::FinishResult r =
      commit ? allocator_.Commit(*order, now) : allocator_.Release(*order, now);
  const auto id = [&] { return std::string(*order); };
  switch (r.status) {
    case alloc::FinishStatus::kDone:
    case alloc::FinishStatus::kAlready: {
      JsonWriter& w = answer.Ok();
      w.Field("order", *order).Field("state", alloc::StateName(r.state));
      if (r.status == alloc::FinishStatus::kAlready) w.Field("already", true);
      return r.seq;
    }
    case alloc::FinishStatus::kUnknownOrder:
      answer.Fail("unknown_order", "order " + id() +
                                       " holds no reservation (never reserved, or finished more "
                                       "than [limits] finished_order_retention_s ago)");
      return r.seq;
    case alloc::FinishStatus::kOrderReleased:
      answer.Fail("order_released", "order " + id() + " was released; it cannot be committed");
      return r.seq;
    case alloc::FinishStatus::kOrderExpired:
      answer.Fail("order_expired", "order " + id() +
                                       "'s reservation expired and its units went back to "
                                       "stock; route it again to reserve anew");
      return r.seq;
    case alloc::FinishStatus::kOrderCommitted:
      answer.Fail("order_committed",
                  "order " + id() + " was committed (paid); it cannot be released");
      return r.seq;
  }
  return r.seq;
}

void RequestHandler::Stock(const dom::object& req, Answer& answer) {
  Fields f(req, answer);
  const auto store_id = f.Name("store", true);
  const auto sku_name = f.Name("sku", true);
  if (f.failed()) return;
  alloc::Inventory& inv = allocator_.inventory();
  const auto store = allocator_.stores()->stores.Find(*store_id);
  if (!store) {
    answer.Fail("unknown_store", "store " + std::string(*store_id) + " is not known");
    return;
  }
  alloc::StockLevel level;
  if (const auto sku = inv.skus.Find(*sku_name)) level = inv.stock.Level(*store, *sku);
  answer.Ok()
      .Field("store", *store_id)
      .Field("sku", *sku_name)
      .Field("on_hand", level.on_hand)
      .Field("reserved", level.reserved)
      .Field("available", level.available());
}

uint64_t RequestHandler::StockSet(const dom::object& req, Answer& answer) {
  Fields f(req, answer);
  const auto store_id = f.Name("store", true);
  const auto sku_name = f.Name("sku", true);
  const auto on_hand = f.Integer("on_hand", true, 0, kMaxOnHand);
  const auto as_of_seq = f.Integer("as_of_seq", false, 1, std::numeric_limits<int64_t>::max());
  if (f.failed()) return 0;
  const auto store = allocator_.stores()->stores.Find(*store_id);
  if (!store) {
    answer.Fail("unknown_store", "store " + std::string(*store_id) + " is not known");
    return 0;
  }
  if (!CanChange(answer)) return 0;
  const auto result = allocator_.SetStock(*store, *sku_name, static_cast<int32_t>(*on_hand),
                                          as_of_seq.value_or(0), Now());
  const auto& outcome = result.outcome;
  if (outcome.stale) {
    answer.Fail("stale_level", "as_of_seq " + std::to_string(*as_of_seq) +
                                   " is older than the commit history kept for store " +
                                   std::string(*store_id) + " (from seq " +
                                   std::to_string(outcome.history_from) +
                                   "); send a level as of a newer seq, or without as_of_seq");
    return 0;
  }
  JsonWriter& w = answer.Ok()
                      .Field("store", *store_id)
                      .Field("sku", *sku_name)
                      .Field("on_hand", outcome.level.on_hand)
                      .Field("reserved", outcome.level.reserved)
                      .Field("available", outcome.level.available());
  if (as_of_seq) w.Field("deducted", outcome.deducted);
  return result.seq;
}

uint64_t RequestHandler::StoreUpsert(const dom::object& req, Answer& answer) {
  Fields f(req, answer);
  const auto id = f.Name("store", true);
  if (f.failed()) return 0;
  const std::optional<alloc::Store> existing = allocator_.FindStore(*id);
  if (existing && existing->kind == alloc::SiteKind::kWarehouse) {
    f.Bad("store", "is a warehouse: change [[warehouses]] in the config and restart");
    return 0;
  }
  // A known store keeps what the request does not name; a new one starts
  // from the [rules] defaults.
  alloc::Store store;
  if (existing) {
    store = *existing;
  } else {
    store.id = std::string(*id);
    store.radius_km = ops_.default_radius_km;
    store.prep_min = ops_.default_prep_min;
  }
  int located = 0;
  for (const std::string_view key : kStoreFields) {
    dom::element value;
    if (req[key].get(value) != simdjson::SUCCESS) continue;
    const bool number = key == "lat" || key == "lon" || key == "radius_km" || key == "prep_min" ||
                        key == "capacity_per_hour";
    if (number && !value.is_number()) return f.Bad(key, "must be a number"), 0;
    if (key == "paused" && !value.is_bool()) return f.Bad(key, "must be true or false"), 0;
    if (!number && key != "paused" && !value.is_string()) return f.Bad(key, "must be a string"), 0;
    if (key == "lat" || key == "lon") ++located;
    const std::string why = SetStoreField(store, key, FieldText(value), ops_.stores_dir);
    if (!why.empty()) return f.Bad(key, why), 0;
  }
  if (!existing && located < 2) {
    f.Bad(located == 0 ? "lat" : "lon", "is required for a new store (with lat and lon)");
    return 0;
  }
  if (!CanChange(answer)) return 0;
  const auto change = allocator_.ChangeStore(std::move(store), /*remove=*/false, Now());
  if (change.status == alloc::Allocator::StoreChangeStatus::kNoRoom) {
    answer.Fail("store_limit",
                "the daemon has no room for another store ([limits] "
                "max_added_stores since start); add it to the stores file and "
                "restart");
    return 0;
  }
  answer.Ok().Field("store", *id).Field("created", change.created);
  return change.seq;
}

uint64_t RequestHandler::StoreRemove(const dom::object& req, Answer& answer) {
  Fields f(req, answer);
  const auto id = f.Name("store", true);
  if (f.failed()) return 0;
  if (!CanChange(answer)) return 0;
  alloc::Store store;
  store.id = std::string(*id);
  const auto change = allocator_.ChangeStore(std::move(store), /*remove=*/true, Now());
  switch (change.status) {
    case alloc::Allocator::StoreChangeStatus::kUnknownStore:
      answer.Fail("unknown_store", "store " + std::string(*id) + " is not known");
      return 0;
    case alloc::Allocator::StoreChangeStatus::kWarehouse:
      f.Bad("store", "is a warehouse: change [[warehouses]] in the config and restart");
      return 0;
    default:
      break;
  }
  answer.Ok().Field("store", *id).Field("removed", true);
  return change.seq;
}

void RequestHandler::Reload(const dom::object& req, Answer& answer) {
  Fields f(req, answer);
  const bool dry_run = f.Boolean("dry_run").value_or(false);
  if (f.failed()) return;
  if (reloader_ == nullptr) {
    answer.Fail("unavailable", "this daemon has no config file to reload");
    return;
  }
  const std::shared_ptr<const alloc::RoutingRules> before = allocator_.rules();
  ReloadOutcome out = reloader_->Reload(/*publish=*/!dry_run);
  if (!out.ok) {
    answer.Fail("reload_failed", out.error + " — nothing changed: rules version " +
                                     std::to_string(before->version) + " keeps serving");
    return;
  }
  JsonWriter& w = answer.Ok();
  w.Field("dry_run", dry_run);
  w.Field("rules_version", static_cast<int64_t>(out.rules_version));
  w.Key("restart_needed").BeginArray();
  for (const std::string& key : out.restart_needed) w.String(key);
  w.EndArray();
  if (!dry_run) return;

  // What-if: the last routed orders under the rules in force and the new
  // ones, against the stock as it is now; nothing is reserved.
  alloc::RoutingRules next = out.config.rules.routing;
  next.version = before->version + 1;
  const std::vector<std::string> lines =
      history_ != nullptr ? history_->Lines() : std::vector<std::string>{};
  if (!what_if_parser_) what_if_parser_ = std::make_unique<dom::parser>();
  const alloc::Now now = Now();
  int64_t replayed = 0, changed = 0, lost = 0, gained = 0;
  struct Example {
    std::string order, before, after;
  };
  std::vector<Example> examples;
  std::string scratch_out;
  for (const std::string& line : lines) {
    dom::element doc;
    dom::object obj;
    if (what_if_parser_->parse(line).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(obj) != simdjson::SUCCESS) {
      continue;
    }
    alloc::RouteRequest request;
    scratch_out.clear();
    {
      Answer ignored(scratch_out, nullptr);
      if (!ParseRoute(obj, ignored, request)) continue;
    }
    ++replayed;
    const alloc::RouteResult& a = allocator_.Quote(*before, request, now, scratch_);
    const bool found_before = a.found;
    const alloc::StoreIdx store_before = a.plan.primary().store;
    const alloc::RouteResult& b = allocator_.Quote(next, request, now, scratch_);
    if (found_before == b.found && (!b.found || store_before == b.plan.primary().store)) continue;
    if (found_before && b.found) ++changed;
    if (found_before && !b.found) ++lost;
    if (!found_before && b.found) ++gained;
    if (examples.size() < kWhatIfExamples) {
      const auto view = allocator_.stores();
      const alloc::StoreSet& stores = view->stores;
      examples.push_back({std::string(request.order),
                          found_before ? stores[store_before].id : std::string("(none)"),
                          b.found ? stores[b.plan.primary().store].id : std::string("(none)")});
    }
  }
  w.Field("orders_replayed", replayed);
  w.Field("changed_store", changed);
  w.Field("became_unfulfillable", lost);
  w.Field("became_fulfillable", gained);
  w.Field("unchanged", replayed - changed - lost - gained);
  w.Key("examples").BeginArray();
  for (const Example& e : examples) {
    w.BeginObject();
    if (!e.order.empty()) w.Field("order", e.order);
    w.Field("before", e.before).Field("after", e.after).EndObject();
  }
  w.EndArray();
}

std::unique_ptr<Stream> RequestHandler::Subscribe(const dom::object& req, Answer& answer) {
  Fields f(req, answer);
  const auto name = f.Name("name", true);
  const auto from = f.Integer("from", false, 1, std::numeric_limits<int64_t>::max());
  if (f.failed()) return nullptr;
  if (subscriptions_ == nullptr) {
    answer.Fail("unavailable", "this daemon runs without a journal; there is nothing to stream");
    return nullptr;
  }
  const std::string id(*name);
  const uint64_t start = from ? static_cast<uint64_t>(*from) : subscriptions_->Acked(id) + 1;
  std::string error;
  auto stream = subscriptions_->Open(id, start, error);
  if (!stream) {
    answer.Fail("gap", error);
    return nullptr;
  }
  answer.Ok()
      .Field("subscribed", *name)
      .Field("from", static_cast<int64_t>(start))
      .Field("last_seq", static_cast<int64_t>(subscriptions_->journal().AckedSeq()));
  return stream;
}

}  // namespace hourglass::io
