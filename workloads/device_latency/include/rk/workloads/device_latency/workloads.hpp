// The device_latency workload: separate figures for injection, round trip, K2K hop and throughput.
#pragma once

#include <vector>

#include "rk/workloads/workload.hpp"

namespace rk::workloads::device_latency {

/// The device_latency workload with its factory and declared parameters.
std::vector<WorkloadInfo> workloads();

}  // namespace rk::workloads::device_latency
