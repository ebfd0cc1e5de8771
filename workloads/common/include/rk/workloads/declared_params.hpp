// Reading a workload's parameters against its declaration (rk::ParamSpec): DeclaredParams does the part
// every source shares — the key must be declared and read as its declared type, defaults and choices come
// from the declaration — and a source supplies the values (the harness: a scenario mapping with
// file:line errors; MapParams below: a map of strings, for programs and tests without a scenario file).
#pragma once

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "rk/workloads/workload.hpp"

namespace rk::workloads {

class DeclaredParams : public Params {
 public:
  explicit DeclaredParams(std::vector<ParamSpec> specs) : specs_(std::move(specs)) {}

  std::int64_t get_int(const std::string& key) const final {
    const ParamSpec& s = spec(key, ParamSpec::Type::Int);
    if (!s.has_default) throw std::logic_error("parameter '" + key + "' has a computed default: pass it");
    return read_int(s, s.int_default);
  }
  std::int64_t get_int(const std::string& key, std::int64_t computed) const final {
    const ParamSpec& s = spec(key, ParamSpec::Type::Int);
    if (s.has_default) throw std::logic_error("parameter '" + key + "' has a declared default: read it without one");
    return read_int(s, computed);
  }
  double get_double(const std::string& key) const final { return read_double(spec(key, ParamSpec::Type::Real)); }
  bool get_bool(const std::string& key) const final { return read_bool(spec(key, ParamSpec::Type::Flag)); }
  std::string get_string(const std::string& key) const final {
    const ParamSpec& s = spec(key, ParamSpec::Type::Text);
    if (!s.has_default && !contains(key))
      throw std::logic_error("parameter '" + key + "' is optional and absent: check has() first");
    std::string v = read_string(s);
    if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), v) == s.choices.end())
      fail(key, "'" + key + "' must be one of " + s.type_text() + " (got '" + v + "')");
    return v;
  }
  bool has(const std::string& key) const final {
    (void)declared(key);
    return contains(key);
  }
  const std::vector<ParamSpec>& specs() const { return specs_; }

 protected:
  /// The value of a present key, or `absent`; type and range errors through fail().
  virtual std::int64_t read_int(const ParamSpec& s, std::int64_t absent) const = 0;
  /// The value, or s.real_default when absent.
  virtual double read_double(const ParamSpec& s) const = 0;
  virtual bool read_bool(const ParamSpec& s) const = 0;
  virtual std::string read_string(const ParamSpec& s) const = 0;
  virtual bool contains(const std::string& key) const = 0;

 private:
  const ParamSpec& declared(const std::string& key) const {
    const ParamSpec* s = find_param(specs_, key);
    if (s == nullptr) throw std::logic_error("parameter '" + key + "' is read but not declared");
    return *s;
  }
  const ParamSpec& spec(const std::string& key, ParamSpec::Type type) const {
    const ParamSpec& s = declared(key);
    const bool text = type == ParamSpec::Type::Text && s.type == ParamSpec::Type::Path;
    if (s.type != type && !text) throw std::logic_error("parameter '" + key + "' is read as another type than declared");
    return s;
  }

  std::vector<ParamSpec> specs_;
};

/// Parameters from a map of strings. Errors are InputError("<path>.<key>: message").
class MapParams final : public DeclaredParams {
 public:
  explicit MapParams(std::vector<ParamSpec> specs, std::string path = "workload")
      : DeclaredParams(std::move(specs)), path_(std::move(path)) {}
  /// The `workload` mapping of a registered workload; with `with_generator`, `gen` is its generator mapping.
  static MapParams of(const WorkloadInfo& info, bool with_generator = false) {
    MapParams p(info.params);
    if (with_generator) p.gen = std::make_unique<MapParams>(info.generator_params, "workload.generator");
    return p;
  }

  std::map<std::string, std::string> values;
  std::unique_ptr<MapParams> gen;  ///< the generator mapping; nullptr: none

  [[noreturn]] void fail(const std::string& key, const std::string& message) const override {
    throw InputError(path_ + (key.empty() ? "" : "." + key) + ": " + message);
  }
  const Params* generator() const override { return gen.get(); }

 protected:
  std::int64_t read_int(const ParamSpec& s, std::int64_t absent) const override {
    const auto it = values.find(s.name);
    if (it == values.end()) return absent;
    std::int64_t v = 0;
    const std::string& t = it->second;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc{} || ptr != t.data() + t.size()) fail(s.name, "'" + t + "' is not an integer");
    if (v < s.int_min || v > s.int_max) fail(s.name, "out of range (" + s.type_text() + ")");
    return v;
  }
  double read_double(const ParamSpec& s) const override {
    const auto it = values.find(s.name);
    if (it == values.end()) return s.real_default;
    double v = 0;
    std::size_t used = 0;
    try {
      v = std::stod(it->second, &used);
    } catch (const std::logic_error&) {
      used = 0;
    }
    if (used == 0 || used != it->second.size()) fail(s.name, "'" + it->second + "' is not a number");
    if (v < s.real_min || v > s.real_max) fail(s.name, "out of range (" + s.type_text() + ")");
    return v;
  }
  bool read_bool(const ParamSpec& s) const override {
    const auto it = values.find(s.name);
    if (it == values.end()) return s.flag_default;
    if (it->second != "true" && it->second != "false") fail(s.name, "'" + it->second + "' is not true or false");
    return it->second == "true";
  }
  std::string read_string(const ParamSpec& s) const override {
    const auto it = values.find(s.name);
    return it == values.end() ? s.text_default : it->second;
  }
  bool contains(const std::string& key) const override { return values.count(key) != 0; }

 private:
  std::string path_;
};

}  // namespace rk::workloads
