// What the executable knows: its workloads, kernel types and backends (all registered by their own
// folders through cmake/RkRegistry.cmake), and the validator's view of them.
#include <algorithm>
#include <map>
#include <ostream>

#include "rk/harness/backend.hpp"
#include "rk/harness/driver.hpp"
#include "rk/harness/generated/kernel_catalog.hpp"
#include "rk/harness/generated/workload_catalog.hpp"
#include "system_info.hpp"

namespace rk::harness {

std::vector<workloads::WorkloadInfo> registered_workloads() { return generated::all_workloads(); }

namespace {
/// Collects each kernel type's declared parameters (`static std::vector<ParamSpec> params()` of its handler).
struct ParamRegistrar {
  std::map<std::string, std::vector<ParamSpec>> params;
  template <class H>
  void add(const std::string& name) {
    if constexpr (requires { H::params(); }) params[name] = H::params();
    else params[name] = {};
  }
};
}  // namespace

std::vector<ParamSpec> kernel_type_params(const std::string& type) {
  static const std::map<std::string, std::vector<ParamSpec>> all = [] {
    ParamRegistrar r;
    generated::register_all_kernel_types(r);
    return r.params;
  }();
  const auto it = all.find(type);
  return it == all.end() ? std::vector<ParamSpec>{} : it->second;
}

std::vector<std::string> registered_kernel_types() {
  std::vector<std::string> all;
  for (const Backend& b : registered_backends())
    for (auto& t : b.kernel_types())
      if (std::find(all.begin(), all.end(), t) == all.end()) all.push_back(std::move(t));
  return all;
}

scenario::ValidationContext validation_context() {
  scenario::ValidationContext ctx;
  for (const auto& t : registered_kernel_types()) ctx.kernel_types.insert(t);
  for (const auto& w : registered_workloads()) ctx.workloads.insert(w.name);
  return ctx;
}

void describe_devices(std::ostream& out) {
  out << "machine: " << cpu_model() << ", " << memory_bytes() / (1u << 20) << " MiB\n";
  out << "backends:\n";
  for (const Backend& b : registered_backends()) b.describe(out);
}

}  // namespace rk::harness
