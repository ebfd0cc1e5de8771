// Declared parameters: what a workload, its generator or a kernel type accepts, with type, range,
// default and a one-line doc. The declaration is the one source of truth: the harness rejects keys that
// are not declared (did-you-mean), checks types and ranges against it, takes defaults from it, lists it
// (`ringkernel list`), and sweeps iterate over it. Host-only.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace rk {

struct ParamSpec {
  enum class Type : std::uint8_t { Int, Real, Text, Flag, Path };

  std::string name;
  Type type = Type::Int;
  std::int64_t int_min = std::numeric_limits<std::int64_t>::min();
  std::int64_t int_max = std::numeric_limits<std::int64_t>::max();
  double real_min = -std::numeric_limits<double>::infinity();
  double real_max = std::numeric_limits<double>::infinity();
  /// The default: `has_default` with the typed value; otherwise `default_text` says what applies when the
  /// key is absent (computed from other parameters, or none: the input it names is optional).
  bool has_default = false;
  std::int64_t int_default = 0;
  double real_default = 0.0;
  bool flag_default = false;
  std::string text_default;
  std::string default_text;
  std::vector<std::string> choices;  ///< Text: the accepted values (empty: any)
  std::string doc;

  static ParamSpec integer(std::string name, std::int64_t def, std::int64_t min, std::int64_t max, std::string doc) {
    ParamSpec p = base(std::move(name), Type::Int, std::move(doc));
    p.int_min = min;
    p.int_max = max;
    p.has_default = true;
    p.int_default = def;
    p.default_text = std::to_string(def);
    return p;
  }
  /// An integer whose default is computed when it is absent (`default_text` says how).
  static ParamSpec integer_computed(std::string name, std::string default_text, std::int64_t min, std::int64_t max,
                                    std::string doc) {
    ParamSpec p = base(std::move(name), Type::Int, std::move(doc));
    p.int_min = min;
    p.int_max = max;
    p.default_text = std::move(default_text);
    return p;
  }
  static ParamSpec real(std::string name, double def, double min, double max, std::string doc) {
    ParamSpec p = base(std::move(name), Type::Real, std::move(doc));
    p.real_min = min;
    p.real_max = max;
    p.has_default = true;
    p.real_default = def;
    p.default_text = shortest(def);
    return p;
  }
  static ParamSpec flag(std::string name, bool def, std::string doc) {
    ParamSpec p = base(std::move(name), Type::Flag, std::move(doc));
    p.has_default = true;
    p.flag_default = def;
    p.default_text = def ? "true" : "false";
    return p;
  }
  static ParamSpec text(std::string name, std::string def, std::vector<std::string> choices, std::string doc) {
    ParamSpec p = base(std::move(name), Type::Text, std::move(doc));
    p.has_default = true;
    p.text_default = def;
    p.default_text = std::move(def);
    p.choices = std::move(choices);
    return p;
  }
  /// A data file (resolved against the scenario's folder); optional: absent means another input is used.
  static ParamSpec path(std::string name, std::string when_absent, std::string doc) {
    ParamSpec p = base(std::move(name), Type::Path, std::move(doc));
    p.default_text = std::move(when_absent);
    return p;
  }

  /// "int 1..1048576", "real 0..1", "true|false", "rmat|uniform", "file".
  std::string type_text() const {
    switch (type) {
      case Type::Int: return "int " + std::to_string(int_min) + ".." + std::to_string(int_max);
      case Type::Real: return "real " + shortest(real_min) + ".." + shortest(real_max);
      case Type::Flag: return "true|false";
      case Type::Path: return "file";
      case Type::Text: break;
    }
    if (choices.empty()) return "string";
    std::string out;
    for (const auto& c : choices) out += (out.empty() ? "" : "|") + c;
    return out;
  }

 private:
  static ParamSpec base(std::string name, Type type, std::string doc) {
    ParamSpec p;
    p.name = std::move(name);
    p.type = type;
    p.doc = std::move(doc);
    return p;
  }
  static std::string shortest(double v) {
    std::string s = std::to_string(v);
    if (s.find('.') != std::string::npos) {
      while (!s.empty() && s.back() == '0') s.pop_back();
      if (!s.empty() && s.back() == '.') s.pop_back();
    }
    return s;
  }
};

/// The declared parameter `name` in `specs`, or nullptr.
inline const ParamSpec* find_param(const std::vector<ParamSpec>& specs, const std::string& name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace rk
