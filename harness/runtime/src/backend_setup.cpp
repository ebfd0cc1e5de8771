// start_backend (run.hpp): this process's runtime from the chosen backend, every device of the run
// recorded (rank 0), and the sink the workload writes to.
#include <iostream>
#include <thread>

#include "run.hpp"
#include "sinks.hpp"
#include "system_info.hpp"

namespace rk::harness {

namespace {

/// mpirun binds each rank to one core by default (np <= 2): the host loop, the bridge and the workers
/// then share it and every hop waits for a scheduler time slice (milliseconds). Warn when a rank cannot
/// give each of its devices, the host loop and the bridge a core of their own, and the binding, not the
/// machine, is the reason. Collective.
void warn_when_short_of_cores(Run& run) {
  const unsigned threads = run.layout->local_devices() + 2;
  const unsigned cpus = allowed_cpus();
  const bool short_by_binding = cpus < threads && cpus < std::thread::hardware_concurrency();
  const std::vector<std::uint32_t> cores = run.cluster.gather<std::uint32_t>(short_by_binding ? cpus : 0);
  for (std::size_t r = 0; r < cores.size(); ++r) {
    if (cores[r] == 0) continue;
    const std::string msg = "rank " + std::to_string(r) + " may use " + std::to_string(cores[r]) + " core(s) for " +
                            "at least " + std::to_string(threads) + " busy threads (workers, host, MPI bridge): latencies will be "
                            "scheduler time slices; run mpirun with --bind-to none or more cores per rank "
                            "(--map-by slot:PE=" + std::to_string(threads) + ", srun --cpus-per-task)";
    if (run.file) {
      record::Event e;
      e.severity = record::Severity::warning;
      e.kind = "mpi";
      e.message = msg;
      e.hlc = event_hlc(run.local.get());
      run.file->events().append(e);
    }
    if (run.root() && !run.opts.quiet) std::cerr << "ringkernel: warning: " << msg << "\n";
  }
}

}  // namespace

void start_backend(Run& run) {
  const scenario::Scenario& sc = run.prepared.sc;
  const DeviceLayout& layout = *run.layout;
  BackendConfig cfg;
  cfg.command_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(sc.drain_timeout) + std::chrono::seconds(1);
  cfg.devices = layout.devices;
  cfg.rank = layout.rank;
  if (run.cluster.distributed()) {
    cfg.local_devices = layout.local_devices();
    cfg.cpus = allowed_cpus();
  }
  run.local = run.prepared.backend->make_runtime(cfg);
  if (run.cluster.distributed()) warn_when_short_of_cores(run);

  run.devices = run.local->devices();
  for (auto& d : run.devices) d.rank = layout.owner(d.index);
  if (!run.root()) {
    run.sink = std::make_unique<workloads::NullSink>();  // what other ranks know reaches rank 0 through the link
    return;
  }
  for (const DeviceProperties& d : run.devices) {
    record::DeviceInfo dev;
    dev.index = d.index;
    dev.name = d.name;
    dev.kind = d.kind;
    dev.memory_bytes = d.memory_bytes;
    dev.clock_khz = cpu_clock_khz();
    dev.multiprocessor_count = d.compute_units;
    dev.cpu_model = cpu_model();
    dev.rank = d.rank;
    const auto r = static_cast<std::size_t>(d.rank);
    dev.host = r < run.hosts.size() ? run.hosts[r] : host_name();
    run.file->add_device(dev);
  }
  record_environment_devices(run);
  run.sink = std::make_unique<FileSink>(*run.file, sc.workload.name, run.local.get());
}

}  // namespace rk::harness
