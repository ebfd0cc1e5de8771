// Internal: a workload's (or kernel type's) parameters backed by a scenario mapping, read against the
// declaration (rk::workloads::DeclaredParams): every error carries file:line:col.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rk/scenario/scenario.hpp"
#include "rk/workloads/declared_params.hpp"

namespace rk::harness {

class ScenarioParams final : public workloads::DeclaredParams {
 public:
  /// `specs`: what the mapping may hold; `generator`/`generator_specs`: the `generator` mapping, if any.
  ScenarioParams(const scenario::ParamMap& params, const scenario::SourceLocation& where, std::vector<ParamSpec> specs,
                 const scenario::ParamMap* generator = nullptr, const std::vector<ParamSpec>* generator_specs = nullptr);
  ScenarioParams(const scenario::WorkloadSpec& w, const workloads::WorkloadInfo& info);

  [[noreturn]] void fail(const std::string& key, const std::string& message) const override;
  const workloads::Params* generator() const override { return generator_.get(); }

 protected:
  std::int64_t read_int(const ParamSpec& s, std::int64_t absent) const override;
  double read_double(const ParamSpec& s) const override;
  bool read_bool(const ParamSpec& s) const override;
  std::string read_string(const ParamSpec& s) const override;
  bool contains(const std::string& key) const override { return params_.contains(key); }

 private:
  const scenario::ParamMap& params_;
  scenario::SourceLocation where_;
  std::unique_ptr<ScenarioParams> generator_;
};

/// Throws ScenarioError at the first key of `map` that `specs` does not declare, with a did-you-mean
/// suggestion; the message names the mapping (e.g. `workload`, `kernels[2].params`).
void expect_declared(const scenario::ParamMap& map, const std::vector<ParamSpec>& specs);

}  // namespace rk::harness
