// The one exception type of start-up: a file that cannot be used. Its message
// names the file, the line and the field, and says what was expected.
#ifndef HOURGLASS_IO_LOAD_ERROR_H_
#define HOURGLASS_IO_LOAD_ERROR_H_

#include <stdexcept>
#include <string>

namespace hourglass::io {

class LoadError : public std::runtime_error {
 public:
  explicit LoadError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_LOAD_ERROR_H_
