// ScenarioParams: workloads::Params over a scenario mapping. See params.hpp.
#include "params.hpp"

namespace rk::harness {

ScenarioParams::ScenarioParams(const scenario::ParamMap& params, const scenario::SourceLocation& where,
                               const scenario::ParamMap* generator)
    : params_(params), where_(where) {
  if (generator) generator_ = std::make_unique<ScenarioParams>(*generator, generator->where());
}

ScenarioParams::ScenarioParams(const scenario::WorkloadSpec& w)
    : ScenarioParams(w.params, w.where, w.generator ? &*w.generator : nullptr) {}

std::int64_t ScenarioParams::get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                                     std::int64_t max) const {
  return params_.get_int(key, fallback, scenario::IntRange{min, max});
}

double ScenarioParams::get_double(const std::string& key, double fallback, double min, double max) const {
  return params_.get_double(key, fallback, scenario::DoubleRange{min, max});
}

std::string ScenarioParams::get_string(const std::string& key, const std::string& fallback) const {
  return params_.get_string(key, fallback);
}

bool ScenarioParams::get_bool(const std::string& key, bool fallback) const { return params_.get_bool(key, fallback); }

bool ScenarioParams::has(const std::string& key) const { return params_.contains(key); }

void ScenarioParams::fail(const std::string& key, const std::string& message) const {
  if (!key.empty() && params_.contains(key)) params_.fail(key, message);
  throw scenario::ScenarioError(where_, message);
}

}  // namespace rk::harness
