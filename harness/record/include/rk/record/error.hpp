// The one exception type of the HDF5 results writer: every failed HDF5 call, file-system step or misuse
// of the writer ends in a RecordError that names the call, the object path and the file.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace rk::record {

/// Thrown by every rk::record operation that fails. `what()` names the failed call, the HDF5 object
/// path and the file, followed by HDF5's own error message when the failure came from the library.
class RecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown by ResultsFile::finish() when the file's storage failed (during the run or while finishing):
/// nothing was put at the final path. what() is "<outcome>: <cause>".
class ResultsNotWritten : public RecordError {
 public:
  ResultsNotWritten(std::string outcome, std::string cause)
      : RecordError(outcome + ": " + cause), outcome_(std::move(outcome)), cause_(std::move(cause)) {}
  /// What became of the files: "results file 'X' was not written; the existing 'X' was left as it was, ...".
  [[nodiscard]] const std::string& outcome() const { return outcome_; }
  /// The failure (HDF5's or the system's message, with errno's text).
  [[nodiscard]] const std::string& cause() const { return cause_; }

 private:
  std::string outcome_;
  std::string cause_;
};

}  // namespace rk::record
