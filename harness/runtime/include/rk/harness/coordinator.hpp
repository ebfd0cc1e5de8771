// MultiGpuCoordinator (seed section 7): where kernels go and when they move. Placement policies
// (first available, round robin, least loaded — the default —, memory based, pinned), device load
// tracked from kernel telemetry, and migration of a running kernel (through the backend's migrate():
// quiesce, checkpoint state and queued messages, move, resume) on request or on a load threshold.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rk/core/runtime.hpp"
#include "rk/harness/enterprise.hpp"

namespace rk::harness {

/// Parses "first_available", "round_robin", "least_loaded", "memory_based", "pinned".
std::optional<LoadBalancing> parse_load_balancing(const std::string& s);
const char* to_string(LoadBalancing p);

struct DeviceLoad {
  std::uint32_t device = 0;
  std::uint32_t kernels = 0;
  double messages_per_second = 0.0;  ///< over the last observation window
  std::uint64_t memory_available = 0;
};

class MultiGpuCoordinator {
 public:
  MultiGpuCoordinator(RingKernelRuntime& rt, LoadBalancing policy);

  /// The device for a kernel about to launch. `pinned` ≥ 0 always wins (it is the scenario's
  /// `device:`); the Pinned policy requires it. `memory_hint`: bytes the kernel will need.
  std::uint32_t place(const std::string& kernel, int pinned, std::uint64_t memory_hint = 0);
  /// Sample per-device message rates from kernel telemetry (call periodically).
  void observe();
  std::vector<DeviceLoad> loads() const;
  /// Move a kernel now.
  MigrationReport migrate(const std::string& kernel, std::uint32_t device);
  /// If the busiest device's rate exceeds `threshold` × the idlest's (and the busiest has more than one
  /// kernel), move its busiest kernel to the idlest device. Returns what moved, if anything.
  std::optional<MigrationReport> rebalance(double threshold);
  /// Migrations performed so far.
  const std::vector<MigrationReport>& history() const { return history_; }

 private:
  RingKernelRuntime& rt_;
  LoadBalancing policy_;
  std::uint32_t devices_;
  std::uint32_t next_rr_ = 0;
  std::vector<std::uint32_t> placed_;  // kernels placed per device by this coordinator
  struct Sample {
    std::uint64_t processed = 0;
    std::chrono::steady_clock::time_point t{};
    double rate = 0.0;
  };
  std::map<std::string, Sample> samples_;
  std::vector<MigrationReport> history_;
  mutable std::mutex mu_;
};

}  // namespace rk::harness
