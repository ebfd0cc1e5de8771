// The all-reduce benchmark workload (`allreduce`): the CPU backend's device-level collective across the
// run's simulated devices, recorded to HDF5 the nccl-tests way (latency, algbw, busbw per size).
#pragma once

#include <vector>

#include "rk/workloads/workload.hpp"

namespace rk::workloads::allreduce {

/// Every all-reduce workload with its factory (one: "allreduce").
std::vector<WorkloadInfo> workloads();

}  // namespace rk::workloads::allreduce
