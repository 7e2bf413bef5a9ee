// Appends JSON to a caller-owned string. No allocation beyond the string's
// own growth, so an answer buffer reused per connection stops allocating once
// it is large enough. Commas are placed automatically.
#ifndef HOURGLASS_IO_JSON_WRITER_H_
#define HOURGLASS_IO_JSON_WRITER_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace simdjson::dom {
class element;
}

namespace hourglass::io {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  // Fixed-point with `decimals` digits: enough for minutes and kilometres,
  // and stable for people reading answers.
  JsonWriter& Fixed(double v, int decimals);
  JsonWriter& Bool(bool v);
  // Re-serializes a parsed value (the echoed request "id").
  JsonWriter& Element(const simdjson::dom::element& e);

  // Shorthands for "key": value.
  JsonWriter& Field(std::string_view key, std::string_view v) { return Key(key).String(v); }
  JsonWriter& Field(std::string_view key, const char* v) { return Key(key).String(v); }
  JsonWriter& Field(std::string_view key, bool v) { return Key(key).Bool(v); }
  JsonWriter& Field(std::string_view key, int64_t v) { return Key(key).Int(v); }
  JsonWriter& Field(std::string_view key, int32_t v) { return Key(key).Int(v); }

 private:
  void BeforeValue();
  void EscapeInto(std::string_view s);

  std::string& out_;
  // first_[depth_]: no value written yet at this nesting level.
  // Requests are parsed with a depth limit below this (see RequestHandler).
  static constexpr int kMaxDepth = 72;
  std::array<bool, kMaxDepth> first_{true};
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_JSON_WRITER_H_
