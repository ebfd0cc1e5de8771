// Duration literals of scenario files (`10s`, `250ms`, `1.5s`): parsing and formatting.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rk::scenario {

/// Parses a non-negative duration: a decimal number followed by a unit `ns`, `us` (or `µs`), `ms`,
/// `s`, `m` or `h`, e.g. `10s`, `250ms`, `1.5s`. A bare `0` is accepted; any other number needs a
/// unit. Returns nullopt for malformed or negative text, fractions finer than a nanosecond, and
/// values that do not fit in int64 nanoseconds.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// Formats a duration with the largest unit that represents it exactly (`1500ms`, `10s`, `0s`);
/// the result parses back to the same value.
std::string format_duration(std::chrono::nanoseconds value);

}  // namespace rk::scenario
