// Internal: a workload's parameters backed by the scenario's `workload` mapping (and its `generator`);
// every error carries file:line:col.
#pragma once

#include <memory>
#include <string>

#include "rk/scenario/scenario.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::harness {

class ScenarioParams final : public workloads::Params {
 public:
  ScenarioParams(const scenario::ParamMap& params, const scenario::SourceLocation& where,
                 const scenario::ParamMap* generator = nullptr);
  explicit ScenarioParams(const scenario::WorkloadSpec& w);
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) const override;
  double get_double(const std::string& key, double fallback, double min, double max) const override;
  std::string get_string(const std::string& key, const std::string& fallback) const override;
  bool get_bool(const std::string& key, bool fallback) const override;
  bool has(const std::string& key) const override;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const override;
  const workloads::Params* generator() const override { return generator_.get(); }

 private:
  const scenario::ParamMap& params_;
  scenario::SourceLocation where_;
  std::unique_ptr<ScenarioParams> generator_;
};

}  // namespace rk::harness
