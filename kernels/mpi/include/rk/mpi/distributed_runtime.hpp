// DistributedRuntime: the whole run's kernels as one RingKernelRuntime, on the rank that drives the run
// (rank 0), when they are spread over the ranks of an MPI job. Kernels of this rank are the local
// runtime's (any backend that can span processes); a kernel of another rank is reached through the MpiBridge: host sends are stamped here
// (the host's HLC) and forwarded, its output arrives through the bridge, and its status, metrics and
// telemetry are what its rank last reported. Lifecycle calls (launch, activate, deactivate, terminate)
// and migration apply to this rank's kernels only; each rank manages its own.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rk/core/runtime.hpp"
#include "rk/mpi/bridge.hpp"

namespace rk::mpi {

class DistributedRuntime final : public RingKernelRuntime {
 public:
  /// `names[k]`: the name of kernel id k of the run; `devices`: every device of the run (rank filled in).
  DistributedRuntime(RingKernelRuntime& local, MpiBridge& bridge, std::vector<std::string> names,
                     std::vector<DeviceProperties> devices);

  std::string_view backend_name() const override { return local_.backend_name(); }
  std::vector<std::string> kernel_types() const override { return local_.kernel_types(); }
  std::unique_ptr<DeviceReduction> make_device_reduction() override { return local_.make_device_reduction(); }
  HlcClock& host_clock() override { return local_.host_clock(); }
  KernelId launch(const std::string& name, Dim3 grid, Dim3 block, const LaunchOptions& opts) override;
  void activate(const std::string& name) override;
  void deactivate(const std::string& name) override;
  void terminate(const std::string& name) override;
  /// Shuts the local runtime down (each rank its own).
  void shutdown() override { local_.shutdown(); }
  KernelId kernel_id(const std::string& name) const override;
  SendStatus try_send(KernelId kernel, Slot& message) override;
  QueueStatus try_receive(KernelId kernel, Slot& out) override;
  KernelStatus status(const std::string& name) const override;
  KernelMetrics metrics(const std::string& name) const override;
  TelemetrySnapshot telemetry(const std::string& name) const override;
  std::vector<std::string> list_kernels() const override { return names_; }
  std::vector<DeadLetter> drain_dead_letters() override { return local_.drain_dead_letters(); }
  std::vector<DeviceProperties> devices() const override { return devices_; }
  MigrationReport migrate(const std::string& name, std::uint32_t device) override;

  /// True when kernel `name` runs on this rank.
  bool is_local(const std::string& name) const;

 private:
  KernelId id_of(const std::string& name) const;
  [[noreturn]] void not_here(const std::string& name, const char* what) const;

  RingKernelRuntime& local_;
  MpiBridge& bridge_;
  std::vector<std::string> names_;
  std::map<std::string, KernelId> ids_;
  std::vector<DeviceProperties> devices_;
};

}  // namespace rk::mpi
