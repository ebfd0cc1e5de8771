// launch_kernels (run.hpp): placement sees every device and places every kernel (the same decisions on
// every rank); each rank launches and activates what landed on its own devices, then prepares what its
// kernels need in its process, before any message crosses ranks.
#include "run.hpp"

namespace rk::harness {

void launch_kernels(Run& run) {
  const scenario::Scenario& sc = run.prepared.sc;
  const std::vector<PlannedKernel>& planned = run.prepared.planned;
  workloads::ResultSink& sink = *run.sink;
  const bool distributed = run.cluster.distributed();
  const int rank = run.cluster.rank();

  MultiGpuCoordinator placement(*run.local, run.policy);
  run.kernel_device.assign(planned.size(), 0);
  run.kernel_owner.assign(planned.size(), 0);
  for (std::size_t i = 0; i < planned.size(); ++i) {
    const scenario::KernelSpec& k = sc.kernels[planned[i].index];
    run.kernel_device[i] = static_cast<int>(placement.place(k.id, k.device));
    run.kernel_owner[i] = run.layout->owner(static_cast<std::uint32_t>(run.kernel_device[i]));
  }
  run.link = run.cluster.link(*run.local, run.kernel_owner, run.names, run.devices);
  if (distributed && sc.devices < run.cluster.size())
    sink.event("info", "placement", "", "the scenario asks for " + std::to_string(sc.devices) + " device(s); " +
                                            std::to_string(run.cluster.size()) + " ranks run one each");
  for (std::size_t i = 0; i < planned.size(); ++i) {
    const scenario::KernelSpec& k = sc.kernels[planned[i].index];
    std::string where = "device " + std::to_string(run.kernel_device[i]);
    if (distributed) where += " (rank " + std::to_string(run.kernel_owner[i]) + ")";
    throw_if_interrupted();  // thousands of kernels take a while
    if (run.kernel_owner[i] == rank) {
      LaunchOptions o = planned[i].options;
      o.device = run.kernel_device[i];
      run.local->launch(k.id, Dim3{k.grid.x, k.grid.y, k.grid.z}, Dim3{k.block.x, k.block.y, k.block.z}, o);
    }
    sink.event("info", "lifecycle", k.id, "launched (" + k.type + ") on " + where);
  }
  for (std::size_t i = 0; i < planned.size(); ++i) {
    if (run.kernel_owner[i] == rank) run.local->activate(run.names[i]);
    sink.event("info", "lifecycle", run.names[i], "activated");
  }
  // Each rank prepares what its own kernels need in its process (until the link starts, this rank's
  // kernel outputs stay here).
  // The workload may keep `is_local` for the whole run: it owns what it needs.
  if (workloads::SharedArenas* arenas = run.link->arenas())
    run.prepared.workload->prepare_process(
        *run.local, [owner = run.kernel_owner, rank](KernelId k) { return k < owner.size() && owner[k] == rank; },
        *arenas);
}

}  // namespace rk::harness
