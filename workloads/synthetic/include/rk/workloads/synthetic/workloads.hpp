// The synthetic workloads: ping_pong, pipeline, fan_out, all_to_all.
#pragma once

#include <vector>

#include "rk/workloads/workload.hpp"

namespace rk::workloads::synthetic {

/// Every synthetic workload with its factory.
std::vector<WorkloadInfo> workloads();

/// Two threads bouncing one atomic: the physical floor of a cross-core round trip on this machine.
/// Returns `samples` round-trip times in ns (stops early when `stop()` becomes true).
std::vector<std::uint64_t> atomic_bounce_round_trips(std::uint64_t samples, const std::function<bool()>& stop);

}  // namespace rk::workloads::synthetic
