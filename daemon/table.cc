#include "daemon/table.h"

#include <algorithm>
#include <cstdlib>

namespace hourglass::cli {
namespace {

// UTF-8 characters: every byte but the continuation bytes starts one.
size_t Width(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool IsNumber(const std::string& s) {
  if (s.empty()) return true;  // an empty cell does not make a column text
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

}  // namespace

void Table::Row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::Print(std::FILE* out) const {
  std::vector<size_t> width(headers_.size());
  std::vector<bool> numeric(headers_.size(), true);
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = Width(headers_[c]);
    for (const auto& row : rows_) {
      width[c] = std::max(width[c], Width(row[c]));
      numeric[c] = numeric[c] && IsNumber(row[c]);
    }
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - Width(cells[c]), ' ');
      const bool last = c + 1 == cells.size();
      text += numeric[c] ? pad + cells[c] : cells[c] + (last ? "" : pad);
      if (!last) text += "  ";
    }
    text.erase(text.find_last_not_of(' ') + 1);  // an empty last cell leaves no trailing blanks
    std::fprintf(out, "%s\n", text.c_str());
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
}

}  // namespace hourglass::cli
