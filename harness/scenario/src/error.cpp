// ScenarioError formatting.
#include "rk/scenario/error.hpp"

namespace rk::scenario {

std::string to_string(const SourceLocation& where) {
  return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
}

ScenarioError::ScenarioError(SourceLocation where, std::string message)
    : std::runtime_error(to_string(where) + ": error: " + message),
      where_(std::move(where)),
      message_(std::move(message)) {}

}  // namespace rk::scenario
