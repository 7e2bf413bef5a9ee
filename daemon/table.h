// Aligned text tables for the CLI: a header row, then rows, each column as
// wide as its widest cell (counted in characters, not bytes: "SKU×2").
// Columns whose every cell is a number are right-aligned.
#ifndef HOURGLASS_DAEMON_TABLE_H_
#define HOURGLASS_DAEMON_TABLE_H_

#include <cstdio>
#include <string>
#include <vector>

namespace hourglass::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  // Missing cells print empty; extra cells are dropped.
  void Row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  void Print(std::FILE* out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace hourglass::cli

#endif  // HOURGLASS_DAEMON_TABLE_H_
