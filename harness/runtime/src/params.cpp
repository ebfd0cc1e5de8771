// ScenarioParams: declared parameters over a scenario mapping. See params.hpp.
#include "params.hpp"

namespace rk::harness {

ScenarioParams::ScenarioParams(const scenario::ParamMap& params, const scenario::SourceLocation& where,
                               std::vector<ParamSpec> specs, const scenario::ParamMap* generator,
                               const std::vector<ParamSpec>* generator_specs)
    : DeclaredParams(std::move(specs)), params_(params), where_(where) {
  if (generator && generator_specs)
    generator_ = std::make_unique<ScenarioParams>(*generator, generator->where(), *generator_specs);
}

ScenarioParams::ScenarioParams(const scenario::WorkloadSpec& w, const workloads::WorkloadInfo& info)
    : ScenarioParams(w.params, w.where, info.params, w.generator ? &*w.generator : nullptr, &info.generator_params) {}

std::int64_t ScenarioParams::read_int(const ParamSpec& s, std::int64_t absent) const {
  return params_.get_int(s.name, absent, scenario::IntRange{s.int_min, s.int_max});
}

double ScenarioParams::read_double(const ParamSpec& s) const {
  return params_.get_double(s.name, s.real_default, scenario::DoubleRange{s.real_min, s.real_max});
}

bool ScenarioParams::read_bool(const ParamSpec& s) const { return params_.get_bool(s.name, s.flag_default); }

std::string ScenarioParams::read_string(const ParamSpec& s) const { return params_.get_string(s.name, s.text_default); }

void ScenarioParams::fail(const std::string& key, const std::string& message) const {
  if (!key.empty() && params_.contains(key)) params_.fail(key, message);
  throw scenario::ScenarioError(where_, message);
}

void expect_declared(const scenario::ParamMap& map, const std::vector<ParamSpec>& specs) {
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  map.expect_only(names);
}

}  // namespace rk::harness
