// DistributedRuntime: see distributed_runtime.hpp.
#include "rk/mpi/distributed_runtime.hpp"

namespace rk::mpi {

DistributedRuntime::DistributedRuntime(RingKernelRuntime& local, MpiBridge& bridge, std::vector<std::string> names,
                                       std::vector<DeviceProperties> devices)
    : local_(local), bridge_(bridge), names_(std::move(names)), devices_(std::move(devices)) {
  for (KernelId k = 0; k < names_.size(); ++k) ids_.emplace(names_[k], k);
}

KernelId DistributedRuntime::id_of(const std::string& name) const {
  const auto it = ids_.find(name);
  if (it == ids_.end()) throw RuntimeError("unknown kernel '" + name + "'");
  return it->second;
}

bool DistributedRuntime::is_local(const std::string& name) const { return bridge_.owner(id_of(name)) == bridge_.rank(); }

void DistributedRuntime::not_here(const std::string& name, const char* what) const {
  throw RuntimeError(std::string(what) + " '" + name + "': the kernel runs on rank " +
                     std::to_string(bridge_.owner(id_of(name))) + ", and only that rank manages it");
}

KernelId DistributedRuntime::launch(const std::string& name, Dim3 grid, Dim3 block, const LaunchOptions& opts) {
  if (!is_local(name)) not_here(name, "launch");
  return local_.launch(name, grid, block, opts);
}
void DistributedRuntime::activate(const std::string& name) {
  if (!is_local(name)) not_here(name, "activate");
  local_.activate(name);
}
void DistributedRuntime::deactivate(const std::string& name) {
  if (!is_local(name)) not_here(name, "deactivate");
  local_.deactivate(name);
}
void DistributedRuntime::terminate(const std::string& name) {
  if (!is_local(name)) not_here(name, "terminate");
  local_.terminate(name);
}

KernelId DistributedRuntime::kernel_id(const std::string& name) const { return id_of(name); }

SendStatus DistributedRuntime::try_send(KernelId kernel, Slot& message) {
  if (bridge_.owner(kernel) == bridge_.rank()) return local_.try_send(kernel, message);
  if (bridge_.owner(kernel) < 0) return SendStatus::UnknownKernel;
  if (message.header.payload_size > Slot::kPayloadCapacity) return SendStatus::TooLarge;
  // What CpuRuntime::try_send stamps for a local kernel, stamped here for a remote one.
  if (message.header.message_id.is_nil()) message.header.message_id = new_message_id();
  message.header.source_kernel = kHostKernel;
  message.header.dest_kernel = kernel;
  message.header.timestamp = local_.host_clock().now();
  return bridge_.forward(kernel, message);
}

QueueStatus DistributedRuntime::try_receive(KernelId kernel, Slot& out) {
  if (bridge_.owner(kernel) == bridge_.rank()) return local_.try_receive(kernel, out);
  if (bridge_.owner(kernel) < 0) throw RuntimeError("receive: unknown kernel id " + std::to_string(kernel));
  const QueueStatus s = bridge_.host_receive(kernel, out);
  if (s == QueueStatus::Ok) local_.host_clock().observe(out.header.timestamp);
  return s;
}

KernelStatus DistributedRuntime::status(const std::string& name) const {
  if (is_local(name)) return local_.status(name);
  KernelStatus s;
  s.name = name;
  s.id = id_of(name);
  if (const auto r = bridge_.remote_state(s.id)) {
    s.state = r->state;
    s.messages_processed = r->messages_processed;
    s.messages_in_flight = r->messages_in_flight;
    s.error_count = r->error_count;
    s.last_error = r->last_error;
    s.device = r->device;
  }
  return s;
}

KernelMetrics DistributedRuntime::metrics(const std::string& name) const {
  if (is_local(name)) return local_.metrics(name);
  const auto r = bridge_.remote_state(id_of(name));
  return r ? r->metrics : KernelMetrics{};
}

TelemetrySnapshot DistributedRuntime::telemetry(const std::string& name) const {
  if (is_local(name)) return local_.telemetry(name);
  const auto r = bridge_.remote_state(id_of(name));
  return r ? r->telemetry : TelemetrySnapshot{};
}

MigrationReport DistributedRuntime::migrate(const std::string& name, std::uint32_t device) {
  if (!is_local(name)) not_here(name, "migrate");
  if (device >= devices_.size() || devices_[device].rank != bridge_.rank())
    throw RuntimeError("migrate '" + name + "' to device " + std::to_string(device) +
                       ": that device belongs to another rank; kernels move between the devices of one rank only");
  return local_.migrate(name, device);
}

}  // namespace rk::mpi
