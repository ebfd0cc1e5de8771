// Duration literals of scenario files (`10s`, `250ms`, `1.5s`): parsing and formatting.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rk::scenario {

/// Longest duration a scenario may give anywhere (`duration`, `warmup`, `drain_timeout`, migration
/// times, intervals, and parameters read with ParamMap::get_duration): 365 days. Far below the 2^63 ns
/// (about 292 years) a std::chrono::nanoseconds holds, so sums such as warmup + duration + drain_timeout
/// and deadlines `now + duration` cannot overflow.
inline constexpr std::chrono::nanoseconds max_duration = std::chrono::hours(24 * 365);

/// Parses a non-negative duration: a decimal number followed by a unit `ns`, `us` (or `µs`), `ms`,
/// `s`, `m` or `h`, e.g. `10s`, `250ms`, `1.5s`. A bare `0` is accepted; any other number needs a
/// unit. Returns nullopt for malformed or negative text, fractions finer than a nanosecond, and
/// values that do not fit in int64 nanoseconds. It does not apply max_duration: the getters that read
/// scenario values do, with a message that names the limit.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// True for a well-formed duration literal longer than max_duration (also one beyond int64
/// nanoseconds, which parse_duration rejects), so that messages can name the limit.
bool exceeds_max_duration(std::string_view text);

/// Formats a duration with the largest unit that represents it exactly (`1500ms`, `10s`, `0s`);
/// the result parses back to the same value.
std::string format_duration(std::chrono::nanoseconds value);

}  // namespace rk::scenario
