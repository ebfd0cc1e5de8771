// The order-matching workload (`order_matching`): registry entry, kernel types and the host driver's
// public pieces (so tests and benchmarks can drive it without the harness).
#pragma once

#include <memory>
#include <vector>

#include "rk/workloads/order_matching/kernels.hpp"
#include "rk/workloads/order_matching/orders.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::workloads::order_matching {

/// The order-matching workload with its factory.
std::vector<WorkloadInfo> workloads();

/// A new instance of the workload (what workloads().front().create() returns).
std::unique_ptr<Workload> make_workload();

}  // namespace rk::workloads::order_matching
