// The two pieces of JSON the command line writes by hand (no JSON library is a dependency): strings,
// escaped per RFC 8259, and numbers. Used by `ringkernel run --format json` and `ringkernel trace`.
#pragma once

#include <string>
#include <string_view>

namespace rk::record {

/// `text` as a quoted JSON string: `"`, `\` and control characters escaped; other bytes (UTF-8) as they are.
[[nodiscard]] std::string json_string(std::string_view text);
/// `value` as a JSON number: an integer when it is one below 2^53, else the shortest form that reads back
/// exactly (std::to_chars); `null` for NaN and infinities, which JSON cannot hold.
[[nodiscard]] std::string json_number(double value);

}  // namespace rk::record
