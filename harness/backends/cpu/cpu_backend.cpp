// The CPU backend as the driver sees it: its factory and its catalog of kernel types (every workload's
// handlers, instantiated for rk::cpu::CpuRuntime). Simulated devices: any number, on this machine's cores.
#include <algorithm>
#include <ostream>
#include <thread>

#include "rk/cpu/runtime.hpp"
#include "rk/harness/backend.hpp"
#include "rk/harness/generated/kernel_catalog.hpp"

namespace rk::harness::backends {

namespace {

/// Collects kernel type names (for validation and `list`) without making a runtime.
struct NameRegistrar {
  std::vector<std::string> names;
  template <class H>
  void add(const std::string& name) {
    names.push_back(name);
  }
};

std::unique_ptr<RingKernelRuntime> make_cpu_runtime(const BackendConfig& c) {
  cpu::CpuRuntimeConfig cfg;
  cfg.command_timeout = c.command_timeout;
  cfg.devices = c.devices;
  cfg.rank = c.rank;
  // Several processes sharing a node: this one's workers share the cores it may use among its devices
  // (the other ranks' devices exist here only as placement targets).
  if (c.cpus > 0) cfg.workers = std::max(1u, c.cpus / std::max(1u, c.local_devices));
  auto rt = std::make_unique<cpu::CpuRuntime>(cfg);
  auto r = rt->registrar();
  generated::register_all_kernel_types(r);
  return rt;
}

void describe(std::ostream& out) {
  const unsigned threads = std::thread::hardware_concurrency();
  out << "  cpu    available (always): simulated devices on " << threads << " hardware threads\n"
      << "         a scenario's `devices: N` creates N simulated devices (cpu-sim-0 … cpu-sim-<N-1>), each with\n"
      << "         max(1, " << threads << " / N) worker threads and its own memory arena\n";
}

}  // namespace

Backend cpu_backend() {
  Backend b;
  b.name = "cpu";
  b.simulated = true;
  b.max_threads_per_kernel = cpu::CpuRuntimeConfig{}.max_threads_per_kernel;  // make_cpu_runtime keeps the default
  b.physical_devices = [] { return 0u; };
  b.make_runtime = &make_cpu_runtime;
  b.kernel_types = [] {
    NameRegistrar r;
    generated::register_all_kernel_types(r);
    return r.names;
  };
  b.describe = &describe;
  return b;
}

}  // namespace rk::harness::backends
