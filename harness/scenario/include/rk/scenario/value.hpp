// Parameter values of kernels and workloads. The scenario library does not know what parameters a
// kernel type or a workload takes; it keeps them as located values, and the typed getters below
// let the code that does know check them with errors that point into the scenario file.
#pragma once

#include "rk/scenario/error.hpp"

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace rk::scenario {

/// One parameter value: null, bool, integer, floating point, string or a list of values.
/// Plain YAML scalars are typed by the YAML 1.2 core schema (`10` integer, `0.5` double, `true`
/// bool); quoted scalars are always strings. Durations such as `10ms` are strings until read with
/// ParamMap::get_duration.
struct Value {
  using List = std::vector<Value>;
  std::variant<std::monostate, bool, std::int64_t, double, std::string, List> data;
  /// The scalar as written in the input (empty for lists).
  std::string text;
  SourceLocation where;

  bool is_null() const { return std::holds_alternative<std::monostate>(data); }
  bool is_bool() const { return std::holds_alternative<bool>(data); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(data); }
  bool is_double() const { return std::holds_alternative<double>(data); }
  bool is_string() const { return std::holds_alternative<std::string>(data); }
  bool is_list() const { return std::holds_alternative<List>(data); }

  /// "null", "bool", "integer", "number", "string" or "list", for messages.
  std::string_view type_name() const;
};

/// Inclusive bounds for ParamMap::get_int.
struct IntRange {
  std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
};

/// Inclusive bounds for ParamMap::get_double.
struct DoubleRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

/// Inclusive bounds for ParamMap::get_duration. The upper bound is never above max_duration
/// (rk/scenario/duration.hpp: 365 days), whatever `max` says.
struct DurationRange {
  std::chrono::nanoseconds min = std::chrono::nanoseconds::zero();
  std::chrono::nanoseconds max = std::chrono::nanoseconds::max();
};

/// Parameters in the order they were written, keyed by name. Every getter throws ScenarioError at
/// the value's location when the value has the wrong type or is out of range, and at the map's
/// location when a required parameter is missing. Data-file parameters (`graph`, `orders`, keys
/// ending in `_file`) already hold the absolute path of an existing file.
class ParamMap {
 public:
  ParamMap() = default;
  /// `path` names the map in messages, e.g. `workload` or `kernels[2].params`.
  ParamMap(std::string path, SourceLocation where);

  const std::string& path() const noexcept { return path_; }
  const SourceLocation& where() const noexcept { return where_; }
  const std::vector<std::pair<std::string, Value>>& entries() const noexcept { return entries_; }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }

  bool contains(std::string_view key) const { return find(key) != nullptr; }
  /// The value under `key`, or nullptr.
  const Value* find(std::string_view key) const;
  /// Adds or replaces a value (used by the parser; workloads normally only read).
  void set(std::string key, Value value);
  /// Removes `key` if present; returns whether it was.
  bool erase(std::string_view key);

  /// Throws at the first key not in `allowed`, with a did-you-mean suggestion. For code that knows
  /// the complete parameter set of its kernel type or workload.
  void expect_only(std::initializer_list<std::string_view> allowed) const;
  void expect_only(const std::vector<std::string>& allowed) const;

  std::int64_t get_int(std::string_view key, IntRange range = {}) const;
  std::int64_t get_int(std::string_view key, std::int64_t fallback, IntRange range = {}) const;
  /// Accepts integers and floating-point numbers.
  double get_double(std::string_view key, DoubleRange range = {}) const;
  double get_double(std::string_view key, double fallback, DoubleRange range = {}) const;
  bool get_bool(std::string_view key) const;
  bool get_bool(std::string_view key, bool fallback) const;
  std::string get_string(std::string_view key) const;
  std::string get_string(std::string_view key, std::string fallback) const;
  /// A string that must be one of `choices`; the error lists them and suggests the nearest.
  std::string get_choice(std::string_view key, std::string fallback,
                         std::initializer_list<std::string_view> choices) const;
  /// A duration literal such as `10ms` (see parse_duration).
  std::chrono::nanoseconds get_duration(std::string_view key, DurationRange range = {}) const;
  std::chrono::nanoseconds get_duration(std::string_view key, std::chrono::nanoseconds fallback,
                                        DurationRange range = {}) const;

  /// Throws ScenarioError at the value's location, naming the parameter.
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;

 private:
  const Value& require(std::string_view key) const;
  std::string qualified(std::string_view key) const;

  std::string path_;
  SourceLocation where_;
  std::vector<std::pair<std::string, Value>> entries_;
};

}  // namespace rk::scenario
