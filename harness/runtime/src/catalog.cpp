// What the executable knows: workloads and kernel types, and their registration with a backend.
#include <set>

#include "catalog.hpp"
#include "rk/workloads/allreduce/workloads.hpp"
#include "rk/workloads/order_matching/kernels.hpp"
#include "rk/workloads/order_matching/workloads.hpp"
#include "rk/workloads/pagerank/kernels.hpp"
#include "rk/workloads/pagerank/workloads.hpp"
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

/// Every workload's handler types, registered with a backend's registrar.
template <class Registrar>
void register_all(Registrar& r) {
  workloads::synthetic::register_kernel_types(r);
  workloads::pagerank::register_kernel_types(r);
  workloads::order_matching::register_kernel_types(r);
}
}  // namespace

std::vector<workloads::WorkloadInfo> registered_workloads() {
  auto all = workloads::synthetic::workloads();
  for (auto& w : workloads::pagerank::workloads()) all.push_back(std::move(w));
  for (auto& w : workloads::order_matching::workloads()) all.push_back(std::move(w));
  for (auto& w : workloads::allreduce::workloads()) all.push_back(std::move(w));
  return all;
}

std::vector<std::string> registered_kernel_types() {
  NameRegistrar r;
  register_all(r);
  return r.names;
}

void register_kernel_types(cpu::CpuRuntime& rt) {
  auto r = rt.registrar();
  register_all(r);
}

scenario::ValidationContext validation_context() {
  scenario::ValidationContext ctx;
  for (const auto& t : registered_kernel_types()) ctx.kernel_types.insert(t);
  for (const auto& w : registered_workloads()) ctx.workloads.insert(w.name);
  return ctx;
}

}  // namespace rk::harness
