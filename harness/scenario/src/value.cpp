// Typed, located access to kernel and workload parameters.
#include "rk/scenario/value.hpp"

#include "rk/scenario/duration.hpp"
#include "text.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace rk::scenario {

namespace {

std::string format_double(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

std::string shown(const Value& value) {
  if (value.is_list()) return "a list";
  if (value.is_null()) return "null";
  if (value.is_string()) return detail::describe_string(value.text);
  return "'" + (value.text.size() > 40 ? value.text.substr(0, 40) + "..." : value.text) + "'";
}

void check_only(const ParamMap& params, const std::vector<std::string_view>& names) {
  for (const auto& [name, value] : params.entries()) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    std::string message = "unknown parameter '" + name + "' in " + params.path();
    message += detail::did_you_mean(name, names);
    message += names.empty() ? "; it takes no parameters" : "; known: " + detail::quoted_list(names, 64);
    throw ScenarioError(value.where, message);
  }
}

}  // namespace

std::string_view Value::type_name() const {
  switch (data.index()) {
    case 0: return "null";
    case 1: return "bool";
    case 2: return "integer";
    case 3: return "number";
    case 4: return "string";
    default: return "list";
  }
}

ParamMap::ParamMap(std::string path, SourceLocation where)
    : path_(std::move(path)), where_(std::move(where)) {}

const Value* ParamMap::find(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return &value;
  }
  return nullptr;
}

void ParamMap::set(std::string key, Value value) {
  for (auto& [name, existing] : entries_) {
    if (name == key) {
      existing = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

bool ParamMap::erase(std::string_view key) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const auto& entry) { return entry.first == key; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

void ParamMap::expect_only(std::initializer_list<std::string_view> allowed) const {
  check_only(*this, std::vector<std::string_view>(allowed.begin(), allowed.end()));
}

void ParamMap::expect_only(const std::vector<std::string>& allowed) const {
  check_only(*this, std::vector<std::string_view>(allowed.begin(), allowed.end()));
}

std::string ParamMap::qualified(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void ParamMap::fail(std::string_view key, const std::string& message) const {
  const Value* value = find(key);
  throw ScenarioError(value ? value->where : where_,
                      "parameter '" + qualified(key) + "' " + message);
}

const Value& ParamMap::require(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) {
    throw ScenarioError(where_, "missing required parameter '" + qualified(key) + "'");
  }
  return *value;
}

std::int64_t ParamMap::get_int(std::string_view key, IntRange range) const {
  const Value& value = require(key);
  if (!value.is_int()) fail(key, "must be an integer (got " + shown(value) + ")");
  const std::int64_t i = std::get<std::int64_t>(value.data);
  if (i < range.min || i > range.max) {
    fail(key, "must be between " + std::to_string(range.min) + " and " +
                  std::to_string(range.max) + " (got " + value.text + ")");
  }
  return i;
}

std::int64_t ParamMap::get_int(std::string_view key, std::int64_t fallback, IntRange range) const {
  return contains(key) ? get_int(key, range) : fallback;
}

double ParamMap::get_double(std::string_view key, DoubleRange range) const {
  const Value& value = require(key);
  double d = 0;
  if (value.is_double()) {
    d = std::get<double>(value.data);
  } else if (value.is_int()) {
    d = static_cast<double>(std::get<std::int64_t>(value.data));
  } else {
    fail(key, "must be a number (got " + shown(value) + ")");
  }
  if (!(d >= range.min && d <= range.max)) {
    fail(key, "must be between " + format_double(range.min) + " and " + format_double(range.max) +
                  " (got " + value.text + ")");
  }
  return d;
}

double ParamMap::get_double(std::string_view key, double fallback, DoubleRange range) const {
  return contains(key) ? get_double(key, range) : fallback;
}

bool ParamMap::get_bool(std::string_view key) const {
  const Value& value = require(key);
  if (!value.is_bool()) fail(key, "must be true or false (got " + shown(value) + ")");
  return std::get<bool>(value.data);
}

bool ParamMap::get_bool(std::string_view key, bool fallback) const {
  return contains(key) ? get_bool(key) : fallback;
}

std::string ParamMap::get_string(std::string_view key) const {
  const Value& value = require(key);
  if (!value.is_string()) fail(key, "must be a string (got " + shown(value) + ")");
  return std::get<std::string>(value.data);
}

std::string ParamMap::get_string(std::string_view key, std::string fallback) const {
  return contains(key) ? get_string(key) : fallback;
}

std::string ParamMap::get_choice(std::string_view key, std::string fallback,
                                 std::initializer_list<std::string_view> choices) const {
  if (!contains(key)) return fallback;
  std::string s = get_string(key);
  std::vector<std::string_view> names(choices.begin(), choices.end());
  if (std::find(names.begin(), names.end(), s) == names.end()) {
    fail(key, "must be one of " + detail::quoted_list(names, 64) + " (got '" + s + "')" +
                  detail::did_you_mean(s, names));
  }
  return s;
}

std::chrono::nanoseconds ParamMap::get_duration(std::string_view key, DurationRange range) const {
  const Value& value = require(key);
  std::optional<std::chrono::nanoseconds> d;
  if (value.is_string() || value.is_int()) d = parse_duration(value.text);
  // No duration exceeds max_duration, whatever range the caller asks for.
  const std::chrono::nanoseconds max = std::min(range.max, max_duration);
  if ((value.is_string() || value.is_int()) && exceeds_max_duration(value.text)) {
    fail(key, "must be at most " + format_duration(max) + (max == max_duration ? " (365 days)" : "") +
                  " (got " + value.text + ")");
  }
  if (!d) {
    fail(key, "must be a duration such as 10s, 250ms, 20us or 100ns (got " + shown(value) + ")");
  }
  if (*d < range.min || *d > max) {
    fail(key, "must be between " + format_duration(range.min) + " and " +
                  format_duration(max) + " (got " + value.text + ")");
  }
  return *d;
}

std::chrono::nanoseconds ParamMap::get_duration(std::string_view key,
                                                std::chrono::nanoseconds fallback,
                                                DurationRange range) const {
  return contains(key) ? get_duration(key, range) : fallback;
}

}  // namespace rk::scenario
