// json_string, json_number. See json.hpp.
#include "rk/record/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace rk::record {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0)
    return std::to_string(static_cast<std::int64_t>(value));
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);  // shortest form that reads back exactly
  return ec == std::errc() ? std::string(buf, end) : "null";
}

}  // namespace rk::record
