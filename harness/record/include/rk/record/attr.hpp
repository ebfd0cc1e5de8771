// Attribute values accepted by set_attr(): strings become variable-length UTF-8 strings, numbers keep
// their native width class (int64, uint64, float64) and bools are stored the way h5py stores bools.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace rk::record {

/// The value of one scalar attribute.
using AttrValue = std::variant<std::string, double, std::int64_t, std::uint64_t, bool>;

/// Types set_attr() accepts: strings, bools and arithmetic types.
template <class T>
concept AttrConvertible = std::is_arithmetic_v<T> || std::convertible_to<const T&, std::string_view>;

/// Maps a C++ value onto the attribute type it is stored as (signed → int64, unsigned → uint64,
/// floating → float64, bool → bool, anything string-like → UTF-8 string).
template <AttrConvertible T>
[[nodiscard]] AttrValue to_attr_value(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value;
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(value);
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    return static_cast<std::int64_t>(value);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<std::uint64_t>(value);
  } else {
    return std::string(std::string_view(value));
  }
}

}  // namespace rk::record
