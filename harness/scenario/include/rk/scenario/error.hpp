// Located errors for scenario input: every problem in a scenario file, a --set override or a
// workload parameter is reported as FILE:LINE:COL: error: MESSAGE and maps to exit code 2.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rk::scenario {

/// A position in scenario input. `file` is the scenario's display name, or `--set KEY=VALUE` for a
/// value that came from an override. `line` and `column` are 1-based; columns count bytes.
struct SourceLocation {
  std::string file;
  int line = 1;
  int column = 1;

  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

/// Formats a location as `FILE:LINE:COL`.
std::string to_string(const SourceLocation& where);

/// The one exception type of this library: invalid scenario input at a known place.
/// `what()` is `FILE:LINE:COL: error: MESSAGE`.
class ScenarioError : public std::runtime_error {
 public:
  /// Exit code the command line returns for invalid input (see ARCHITECTURE.md, "Exit codes").
  static constexpr int exit_code = 2;

  ScenarioError(SourceLocation where, std::string message);

  const SourceLocation& where() const noexcept { return where_; }
  const std::string& file() const noexcept { return where_.file; }
  int line() const noexcept { return where_.line; }
  int column() const noexcept { return where_.column; }
  /// The message without the location prefix.
  const std::string& message() const noexcept { return message_; }

 private:
  SourceLocation where_;
  std::string message_;
};

/// " (did you mean 'x'?)" for the candidate nearest to `word` within edit distance 2, or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace rk::scenario
