// Duration literals: exact decimal arithmetic in nanoseconds, no floating point.
#include "rk/scenario/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace rk::scenario {

namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t nanoseconds;
};

// Longest suffixes first so that "ms" is not read as "m" followed by junk.
constexpr std::array<Unit, 7> units{{{"ns", 1},
                                     {"us", 1'000},
                                     {"\xC2\xB5s", 1'000},
                                     {"ms", 1'000'000},
                                     {"s", 1'000'000'000},
                                     {"m", 60'000'000'000},
                                     {"h", 3'600'000'000'000}}};

}  // namespace

namespace {

enum class Parsed { ok, malformed, too_large };

/// The grammar of parse_duration; `too_large` for well-formed literals beyond int64 nanoseconds.
Parsed parse(std::string_view text, std::int64_t& out) {
  out = 0;
  if (text == "0") return Parsed::ok;
  const Unit* unit = nullptr;
  for (const Unit& candidate : units) {
    if (text.size() > candidate.suffix.size() && text.ends_with(candidate.suffix)) {
      unit = &candidate;
      break;
    }
  }
  if (unit == nullptr) return Parsed::malformed;
  const std::string_view number = text.substr(0, text.size() - unit->suffix.size());

  using Wide = __int128;
  constexpr Wide limit = std::numeric_limits<std::int64_t>::max();
  Wide whole = 0;
  Wide fraction = 0;
  Wide scale = 1;
  bool huge = false;  // the whole part alone exceeds the limit (keep reading to check the syntax)
  std::size_t digits = 0;
  std::size_t i = 0;
  for (; i < number.size() && number[i] >= '0' && number[i] <= '9'; ++i, ++digits) {
    if (!huge) whole = whole * 10 + (number[i] - '0');
    if (whole > limit) huge = true;
  }
  if (i < number.size() && number[i] == '.') {
    ++i;
    for (; i < number.size() && number[i] >= '0' && number[i] <= '9'; ++i, ++digits) {
      if (scale > Wide{1'000'000'000'000'000'000}) {
        // Digits beyond 10^-18 can only matter when non-zero, and then they are sub-nanosecond.
        if (number[i] != '0') return Parsed::malformed;
        continue;
      }
      fraction = fraction * 10 + (number[i] - '0');
      scale *= 10;
    }
  }
  if (digits == 0 || i != number.size()) return Parsed::malformed;
  const Wide fraction_ns = fraction * unit->nanoseconds;
  if (fraction_ns % scale != 0) return Parsed::malformed;
  if (huge) return Parsed::too_large;
  const Wide total = whole * unit->nanoseconds + fraction_ns / scale;
  if (total > limit) return Parsed::too_large;
  out = static_cast<std::int64_t>(total);
  return Parsed::ok;
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  std::int64_t ns = 0;
  if (parse(text, ns) != Parsed::ok) return std::nullopt;
  return std::chrono::nanoseconds(ns);
}

bool exceeds_max_duration(std::string_view text) {
  std::int64_t ns = 0;
  const Parsed p = parse(text, ns);
  return p == Parsed::too_large || (p == Parsed::ok && std::chrono::nanoseconds(ns) > max_duration);
}

std::string format_duration(std::chrono::nanoseconds value) {
  const std::int64_t ns = value.count();
  if (ns == 0) return "0s";
  for (std::string_view suffix : {"h", "m", "s", "ms", "us"}) {
    for (const Unit& unit : units) {
      if (unit.suffix == suffix && ns % unit.nanoseconds == 0) {
        return std::to_string(ns / unit.nanoseconds) + std::string(suffix);
      }
    }
  }
  return std::to_string(ns) + "ns";
}

}  // namespace rk::scenario
