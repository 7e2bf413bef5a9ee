// Reads a CSV file with a header line (RFC 4180 quoting: "a,b" and "say ""hi""").
// The whole file is read into memory and fields are views into it, so
// loading millions of rows costs one read and no per-field allocation.
// Errors throw LoadError naming the file and line.
#ifndef HOURGLASS_IO_CSV_READER_H_
#define HOURGLASS_IO_CSV_READER_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hourglass::io {

class CsvReader {
 public:
  explicit CsvReader(std::filesystem::path path);

  // Column position of `name` in the header, if present.
  std::optional<size_t> Column(std::string_view name) const;
  // Throws unless the header has `name`.
  size_t RequireColumn(std::string_view name) const;

  // Reads the next non-empty data row into fields(); false at end of file.
  bool Next();
  const std::vector<std::string_view>& fields() const { return fields_; }
  size_t line() const { return line_; }

  // "stores.csv:12: field lat: <why>" — for errors about the current row.
  [[noreturn]] void Fail(std::string_view field, std::string_view why) const;

  // Field parsers that throw through Fail with a helpful message.
  double Double(size_t column, std::string_view name) const;
  int64_t Int(size_t column, std::string_view name, int64_t min, int64_t max) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  bool SplitLine();

  std::filesystem::path path_;
  std::string data_;
  size_t pos_ = 0;
  size_t line_ = 0;
  std::vector<std::string_view> header_;
  std::vector<std::string_view> fields_;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_CSV_READER_H_
