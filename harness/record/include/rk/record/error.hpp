// The one exception type of the HDF5 results writer: every failed HDF5 call, file-system step or misuse
// of the writer ends in a RecordError that names the call, the object path and the file.
#pragma once

#include <stdexcept>
#include <string>

namespace rk::record {

/// Thrown by every rk::record operation that fails. `what()` names the failed call, the HDF5 object
/// path and the file, followed by HDF5's own error message when the failure came from the library.
class RecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rk::record
