// What the executable knows: workloads and kernel types, and their registration with a backend.
#include <set>

#include "catalog.hpp"
#include "rk/workloads/synthetic/kernels.hpp"
#include "rk/workloads/synthetic/workloads.hpp"

namespace rk::harness {

namespace {
/// Collects kernel type names (for validation and `list`).
struct NameRegistrar {
  std::vector<std::string> names;
  template <class H>
  void add(const std::string& name) {
    names.push_back(name);
  }
};
}  // namespace

std::vector<workloads::WorkloadInfo> registered_workloads() { return workloads::synthetic::workloads(); }

std::vector<std::string> registered_kernel_types() {
  NameRegistrar r;
  workloads::synthetic::register_kernel_types(r);
  return r.names;
}

void register_kernel_types(cpu::CpuRuntime& rt) {
  auto r = rt.registrar();
  workloads::synthetic::register_kernel_types(r);
}

scenario::ValidationContext validation_context() {
  scenario::ValidationContext ctx;
  for (const auto& t : registered_kernel_types()) ctx.kernel_types.insert(t);
  for (const auto& w : registered_workloads()) ctx.workloads.insert(w.name);
  return ctx;
}

}  // namespace rk::harness
