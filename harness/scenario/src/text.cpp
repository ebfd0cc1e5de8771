// Scalar resolution, did-you-mean suggestions and node-to-value conversion.
#include "text.hpp"

#include "rk/scenario/error.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

namespace rk::scenario::detail {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  // Three rows suffice for the transposition term.
  std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  std::iota(prev.begin(), prev.end(), std::size_t{0});
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  // Long words make the distance quadratic in size; nobody mistypes a kilobyte.
  if (word.size() > 256) return {};
  std::string_view best;
  std::size_t best_distance = 3;
  for (std::string_view candidate : candidates) {
    // The distance is at least the difference in length.
    const std::size_t gap = candidate.size() > word.size() ? candidate.size() - word.size()
                                                           : word.size() - candidate.size();
    if (gap > 2) continue;
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance && d < std::max(candidate.size(), word.size())) {
      best = candidate;
      best_distance = d;
    }
  }
  if (best.empty()) return {};
  return " (did you mean '" + std::string(best) + "'?)";
}

std::string quoted_list(const std::vector<std::string_view>& names, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i == limit) {
      out += ", ...";
      break;
    }
    if (i > 0) out += ", ";
    out += '\'';
    out += names[i];
    out += '\'';
  }
  return out;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool all_of(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

bool is_hex_literal(std::string_view text) {
  return text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
         all_of(text.substr(2), is_hex);
}

}  // namespace

bool looks_like_int(std::string_view text) {
  if (is_hex_literal(text)) return true;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  return all_of(text, is_digit);
}

bool looks_like_double(std::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  std::size_t i = 0;
  std::size_t digits = 0;
  while (i < text.size() && is_digit(text[i])) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && is_digit(text[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    std::size_t exponent_digits = 0;
    while (i < text.size() && is_digit(text[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == text.size();
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  std::int64_t value = 0;
  if (is_hex_literal(text)) {
    auto [end, ec] = std::from_chars(text.data() + 2, text.data() + text.size(), value, 16);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
  }
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> parse_uint64(std::string_view text) {
  std::uint64_t value = 0;
  int base = 10;
  if (is_hex_literal(text)) {
    text.remove_prefix(2);
    base = 16;
  } else if (!text.empty() && text[0] == '+') {
    text.remove_prefix(1);
  }
  if (!text.empty() && text[0] == '-') return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

bool resolves_to_non_string(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL" ||
         parse_bool(text).has_value() || looks_like_int(text) || looks_like_double(text);
}

std::string describe_string(std::string_view text) {
  std::string shown = text.size() > 40 ? std::string(text.substr(0, 40)) + "..." : std::string(text);
  if (resolves_to_non_string(text)) return "the string \"" + shown + "\"";
  return "'" + shown + "'";
}

std::string describe(const Node& node) {
  switch (node.kind) {
    case Node::Kind::null:
      return "null";
    case Node::Kind::sequence:
      return "a list";
    case Node::Kind::mapping:
      return "a mapping";
    case Node::Kind::scalar:
      break;
  }
  if (!node.plain) return describe_string(node.text);
  return "'" + (node.text.size() > 40 ? node.text.substr(0, 40) + "..." : node.text) + "'";
}

Value to_value(const Node& node, const std::string& path) {
  Value value;
  value.where = node.where;
  switch (node.kind) {
    case Node::Kind::null:
      return value;
    case Node::Kind::mapping:
      throw ScenarioError(node.where, "parameter '" + path +
                                          "' must be a scalar or a list, not a mapping");
    case Node::Kind::sequence: {
      Value::List items;
      items.reserve(node.items.size());
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        items.push_back(to_value(node.items[i], path + "[" + std::to_string(i) + "]"));
      }
      value.data = std::move(items);
      return value;
    }
    case Node::Kind::scalar:
      break;
  }
  value.text = node.text;
  if (!node.plain) {
    value.data = node.text;
  } else if (auto b = parse_bool(node.text)) {
    value.data = *b;
  } else if (looks_like_int(node.text)) {
    auto i = parse_int64(node.text);
    if (!i) {
      throw ScenarioError(node.where, "parameter '" + path + "': integer " + node.text +
                                          " does not fit in 64 bits");
    }
    value.data = *i;
  } else if (looks_like_double(node.text)) {
    auto d = parse_double(node.text);
    if (!d) {
      throw ScenarioError(node.where, "parameter '" + path + "': number " + node.text +
                                          " is out of range");
    }
    value.data = *d;
  } else {
    value.data = node.text;
  }
  return value;
}

}  // namespace rk::scenario::detail

namespace rk::scenario {

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  return detail::did_you_mean(word, candidates);
}

}  // namespace rk::scenario
