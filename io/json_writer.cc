#include "io/json_writer.h"

#include <simdjson.h>

#include <charconv>
#include <cstring>

namespace hourglass::io {
namespace {

// Keys, names and ids almost never need escaping: one branch-free pass tells,
// and they are then copied whole (a scan that stopped at each byte cost a
// third of writing an answer).
bool NeedsEscape(std::string_view s) {
  unsigned special = 0;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    special |= static_cast<unsigned>(c < 0x20) | static_cast<unsigned>(c == '"') |
               static_cast<unsigned>(c == '\\');
  }
  return special != 0;
}

}  // namespace

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_[depth_]) out_.push_back(',');
  first_[depth_] = false;
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  first_[++depth_] = true;
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_.push_back('}');
  --depth_;
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  first_[++depth_] = true;
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_.push_back(']');
  --depth_;
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  if (NeedsEscape(key)) {
    BeforeValue();
    EscapeInto(key);
    out_.push_back(':');
    after_key_ = true;
    return *this;
  }
  // The usual case, in one copy: [,]"key":
  const bool comma = !after_key_ && !first_[depth_];
  first_[depth_] = false;
  after_key_ = true;
  const size_t at = out_.size();
  out_.resize(at + key.size() + 3 + (comma ? 1 : 0));
  char* p = out_.data() + at;
  if (comma) *p++ = ',';
  *p++ = '"';
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  p[0] = '"';
  p[1] = ':';
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
  BeforeValue();
  EscapeInto(s);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Fixed(double v, int decimals) {
  BeforeValue();
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (ec != std::errc()) {
    out_.append("null");
    return *this;
  }
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  BeforeValue();
  out_.append(v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Element(const simdjson::dom::element& e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY: {
      const simdjson::dom::array array = e.get_array().value_unsafe();
      BeginArray();
      for (simdjson::dom::element child : array) Element(child);
      return EndArray();
    }
    case element_type::OBJECT: {
      const simdjson::dom::object object = e.get_object().value_unsafe();
      BeginObject();
      for (auto field : object) Key(field.key).Element(field.value);
      return EndObject();
    }
    case element_type::STRING:
      return String(e.get_string().value_unsafe());
    case element_type::INT64:
      return Int(e.get_int64().value_unsafe());
    case element_type::UINT64: {
      BeforeValue();
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, e.get_uint64().value_unsafe());
      out_.append(buf, end);
      return *this;
    }
    case element_type::DOUBLE: {
      BeforeValue();
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, e.get_double().value_unsafe());
      out_.append(buf, end);
      return *this;
    }
    case element_type::BOOL:
      return Bool(e.get_bool().value_unsafe());
    case element_type::NULL_VALUE:
      BeforeValue();
      out_.append("null");
      return *this;
  }
  return *this;
}

void JsonWriter::EscapeInto(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto plain = [](unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; };
  if (!NeedsEscape(s)) {
    const size_t at = out_.size();
    out_.resize(at + s.size() + 2);
    char* p = out_.data() + at;
    *p = '"';
    std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    return;
  }
  out_.push_back('"');
  // Names and ids rarely need escaping: copy runs of plain bytes at once.
  size_t from = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (plain(c)) continue;
    out_.append(s.data() + from, i - from);
    from = i + 1;
    switch (c) {
      case '"':
        out_.append("\\\"");
        break;
      case '\\':
        out_.append("\\\\");
        break;
      case '\n':
        out_.append("\\n");
        break;
      case '\r':
        out_.append("\\r");
        break;
      case '\t':
        out_.append("\\t");
        break;
      default:
        out_.append("\\u00");
        out_.push_back(kHex[c >> 4]);
        out_.push_back(kHex[c & 0xF]);
    }
  }
  out_.append(s.data() + from, s.size() - from);
  out_.push_back('"');
}

}  // namespace hourglass::io
