// Fuzzes the protocol's line path: each input is a session of request lines
// ('\n'-separated) that RequestHandler answers over the fuzz world
// (fuzz_world.h), with two access tokens configured, no journal, and a clock that moves 7 s per
// line (so holds expire between lines).
//
// Checked for every line: exactly one answer line, a JSON object with a
// boolean "ok" (and error.code / error.message when false). After the
// session: no stock level below zero.
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/allocator.h"
#include "io/config.h"
#include "io/request_handler.h"
#include "io/route_history.h"
#include "io/rules_reload.h"
#include "tests/fuzz/fuzz_files.h"
#include "tests/fuzz/fuzz_world.h"

namespace hourglass::fuzz {
namespace {

constexpr int64_t kStartMs = 1'795'515'300'000;  // 2026-11-24T10:15:00Z
constexpr int64_t kStepMs = 7'000;
constexpr size_t kMaxLineBytes = 64 * 1024;  // the server's default limit
constexpr size_t kSpareStores = 8;           // room for store.upsert to add stores

void CheckAnswer(std::string_view answer, simdjson::dom::parser& parser) {
  if (answer.empty() || answer.back() != '\n' || answer.find('\n') != answer.size() - 1) {
    Broken("a request line got " + std::string(answer.empty() ? "no answer" : "not one line") +
           ": " + std::string(answer));
  }
  simdjson::dom::element doc;
  if (parser.parse(answer.data(), answer.size() - 1).get(doc) != simdjson::SUCCESS) {
    Broken("the answer is not JSON: " + std::string(answer));
  }
  bool ok = false;
  if (doc["ok"].get_bool().get(ok) != simdjson::SUCCESS)
    Broken("no boolean ok: " + std::string(answer));
  std::string_view text;
  if (!ok && (doc["error"]["code"].get_string().get(text) != simdjson::SUCCESS ||
              doc["error"]["message"].get_string().get(text) != simdjson::SUCCESS)) {
    Broken("an error answer without code and message: " + std::string(answer));
  }
}

}  // namespace
}  // namespace hourglass::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hourglass;
  // Two tokens, so sessions start unauthenticated and roles are checked.
  static const std::vector<io::SecurityToken> tokens = {{"order-token-0123456789", "order"},
                                                        {"ops-token-0123456789ab", "ops"}};
  const fuzz::World& base = fuzz::SampleWorld();
  auto inventory = fuzz::MakeInventory(base, fuzz::kSpareStores);
  alloc::Allocator allocator(*inventory, base.config.rules.routing,
                             base.config.limits.finished_order_retention_s * 1000);
  io::RulesReloader reloader(base.config.file, allocator, base.config);
  io::RouteHistory history(1, 64);
  int64_t now_ms = fuzz::kStartMs;
  io::RequestHandler handler(
      allocator, base.config.limits, [&now_ms] { return alloc::Now(now_ms); }, nullptr,
      io::HandlerOps{&reloader, &history, 0, base.config.stores_csv.parent_path(),
                     base.config.rules.radius_km, base.config.rules.prep_min, tokens});
  io::Session session = handler.NewSession();
  // HOURGLASS_FUZZ_ECHO=1 prints each request and its answer (to check what a seed reaches).
  static const bool echo = std::getenv("HOURGLASS_FUZZ_ECHO") != nullptr;
  simdjson::dom::parser answer_parser;
  std::string line;
  std::string out;
  std::string_view rest = fuzz::AsText(data, size);
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    std::string_view request = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    out.clear();
    if (request.size() > fuzz::kMaxLineBytes) {
      handler.TooLarge(fuzz::kMaxLineBytes, out);
      fuzz::CheckAnswer(out, answer_parser);
      break;  // the server closes the connection
    }
    // As the server splits lines: "\r\n" ends a line too, blank lines get no answer.
    if (!request.empty() && request.back() == '\r') request.remove_suffix(1);
    if (request.find_first_not_of(" \t") == std::string_view::npos) continue;
    // The handler may read SIMDJSON_PADDING bytes past the line, as it may in the server's buffer.
    line.assign(request);
    line.append(simdjson::SIMDJSON_PADDING, '\0');
    (void)handler.Handle(std::string_view(line.data(), request.size()), out, session);
    fuzz::CheckAnswer(out, answer_parser);
    if (echo)
      std::fprintf(stderr, "> %.*s\n< %s", static_cast<int>(request.size()), request.data(),
                   out.c_str());
    now_ms += fuzz::kStepMs;
    allocator.ExpireDue(alloc::Now(now_ms));
  }
  fuzz::CheckStockLevels(*inventory);
  return 0;
}
