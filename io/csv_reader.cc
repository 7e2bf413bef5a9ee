#include "io/csv_reader.h"

#include <charconv>
#include <cmath>
#include <fstream>

#include "io/load_error.h"

namespace hourglass::io {

CsvReader::CsvReader(std::filesystem::path path) : path_(std::move(path)) {
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  if (!in) throw LoadError(path_.string() + ": cannot open file for reading");
  data_.resize(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  if (!in.read(data_.data(), static_cast<std::streamsize>(data_.size()))) {
    throw LoadError(path_.string() + ": read failed");
  }
  if (!SplitLine())
    throw LoadError(path_.string() + ": the file is empty; a header line is needed");
  header_ = fields_;
}

std::optional<size_t> CsvReader::Column(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  return std::nullopt;
}

size_t CsvReader::RequireColumn(std::string_view name) const {
  if (auto c = Column(name)) return *c;
  throw LoadError(path_.string() + ":1: the header has no \"" + std::string(name) +
                  "\" column (it is required)");
}

bool CsvReader::Next() {
  while (SplitLine()) {
    if (fields_.size() == 1 && fields_[0].empty()) continue;  // blank line
    if (fields_.size() != header_.size()) {
      Fail("", "has " + std::to_string(fields_.size()) + " fields, the header has " +
                   std::to_string(header_.size()));
    }
    return true;
  }
  return false;
}

// Splits the line at pos_ into fields_, unquoting in place (an unquoted
// field is never longer than its quoted form, so the text can shrink where
// it stands).
bool CsvReader::SplitLine() {
  if (pos_ >= data_.size()) return false;
  ++line_;
  fields_.clear();
  char* const base = data_.data();
  size_t i = pos_;
  const size_t n = data_.size();
  while (true) {
    size_t start = i;
    size_t out = i;
    if (i < n && base[i] == '"') {
      ++i;
      while (true) {
        if (i >= n) Fail("", "a quoted field is not closed");
        if (base[i] == '"') {
          if (i + 1 < n && base[i + 1] == '"') {
            base[out++] = '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        base[out++] = base[i++];
      }
      fields_.emplace_back(base + start, out - start);
      if (i < n && base[i] != ',' && base[i] != '\n' && base[i] != '\r') {
        Fail("", "unexpected text after a closing quote");
      }
    } else {
      while (i < n && base[i] != ',' && base[i] != '\n' && base[i] != '\r') ++i;
      fields_.emplace_back(base + start, i - start);
    }
    if (i < n && base[i] == ',') {
      ++i;
      continue;
    }
    if (i < n && base[i] == '\r') ++i;
    if (i < n && base[i] == '\n') ++i;
    pos_ = i;
    return true;
  }
}

void CsvReader::Fail(std::string_view field, std::string_view why) const {
  std::string msg = path_.string() + ":" + std::to_string(line_) + ": ";
  if (!field.empty()) msg += "field " + std::string(field) + ": ";
  msg += why;
  throw LoadError(msg);
}

double CsvReader::Double(size_t column, std::string_view name) const {
  const std::string_view text = fields_[column];
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    Fail(name, "\"" + std::string(text) + "\" is not a number");
  }
  return v;
}

int64_t CsvReader::Int(size_t column, std::string_view name, int64_t min, int64_t max) const {
  const std::string_view text = fields_[column];
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    Fail(name, "\"" + std::string(text) + "\" is not a whole number in [" + std::to_string(min) +
                   ", " + std::to_string(max) + "]");
  }
  return v;
}

}  // namespace hourglass::io
