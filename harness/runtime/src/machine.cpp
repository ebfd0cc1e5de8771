// The machine a run ran on, into /environment (results/SCHEMA.md): what is known at the start (CPU, kernel,
// compiler, build, environment variables, load), the GPUs once the backend runs, and at the end the load
// again and whether the machine was oversubscribed (a warning on stderr when it was). Rank 0 only.
#include <map>

#include <spdlog/spdlog.h>

#include "run.hpp"
#include "system_info.hpp"

namespace rk::harness {

namespace {

/// Threads of this process that are busy for the whole run: on each of its CPU-simulated devices, the
/// workers that have a kernel to run (at most one kernel per worker keeps a worker busy); on the fake CUDA
/// layer, a host thread per kernel; plus the host loop that drives the workload and, under MPI, the bridge.
unsigned busy_threads(const Run& run) {
  std::map<int, unsigned> kernels_on;
  for (std::size_t i = 0; i < run.kernel_device.size(); ++i)
    if (i < run.kernel_owner.size() && run.kernel_owner[i] == run.cluster.rank()) ++kernels_on[run.kernel_device[i]];
  unsigned busy = 1 + (run.cluster.distributed() ? 1u : 0u);
  for (const DeviceProperties& d : run.devices) {
    if (d.rank != run.cluster.rank()) continue;
    const auto it = kernels_on.find(static_cast<int>(d.index));
    if (it == kernels_on.end()) continue;
    if (d.kind == "cpu-simulated") busy += std::min(it->second, d.compute_units);
    else if (d.kind == "cuda-fake") busy += it->second;
  }
  return busy;
}

}  // namespace

void record_environment_start(Run& run) {
  if (!run.root()) return;
  record::WorkloadGroup env = run.file->environment();
  env.set_attr("cpu_model", cpu_model());
  env.set_attr("cpus_online", static_cast<std::uint64_t>(online_cpus()));
  env.set_attr("cpus_allowed", static_cast<std::uint64_t>(allowed_cpus()));
  run.load_start = load_average();
  env.set_attr("load_1m_start", run.load_start.one);
  env.set_attr("load_5m_start", run.load_start.five);
  env.set_attr("load_15m_start", run.load_start.fifteen);
  env.set_attr("kernel_release", kernel_release());
  env.set_attr("machine", machine_arch());
  env.set_attr("compiler", compiler_name());
  env.set_attr("compiler_version", compiler_version());
  env.set_attr("build_type", build_type());
  const auto vars = run_environment_variables();
  std::vector<std::string> names, values;
  for (const auto& [name, value] : vars) {
    names.push_back(name);
    values.push_back(value);
  }
  env.write_strings("variable_names", names);
  env.write_strings("variable_values", values);
}

void record_environment_devices(Run& run) {
  if (!run.root()) return;
  std::vector<std::string> gpus;
  std::string driver, runtime;
  for (const DeviceProperties& d : run.devices) {
    if (d.kind.rfind("cuda", 0) != 0) continue;
    gpus.push_back(d.name);
    if (driver.empty()) driver = d.driver_version;
    if (runtime.empty()) runtime = d.runtime_version;
  }
  if (gpus.empty()) return;
  record::WorkloadGroup env = run.file->environment();
  env.write_strings("gpu_names", gpus);
  env.set_attr("cuda_driver_version", driver);
  env.set_attr("cuda_runtime_version", runtime);
}

void record_environment_end(Run& run) {
  if (!run.root() || !run.file || !run.file->is_open()) return;
  const LoadAverage end = load_average();
  const unsigned busy = busy_threads(run);
  run.result.oversubscription = oversubscription(run.load_start.one, end.one, online_cpus(), busy, allowed_cpus());
  run.result.oversubscribed = !run.result.oversubscription.empty();
  record::WorkloadGroup env = run.file->environment();
  env.set_attr("load_1m_end", end.one);
  env.set_attr("load_5m_end", end.five);
  env.set_attr("load_15m_end", end.fifteen);
  env.set_attr("busy_threads", static_cast<std::uint64_t>(busy));
  env.set_attr("oversubscribed", run.result.oversubscribed);
  if (run.result.oversubscribed) {
    env.set_attr("oversubscription", run.result.oversubscription);
    spdlog::warn("the machine was oversubscribed during this run ({}): its latencies include waits for a CPU", run.result.oversubscription);
  }
}

}  // namespace rk::harness
