// The PageRank workload (`pagerank`): registry entry and handler registration.
#pragma once

#include <vector>

#include "rk/workloads/pagerank/graph.hpp"
#include "rk/workloads/pagerank/kernels.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::workloads::pagerank {

/// Every PageRank workload with its factory (one: "pagerank").
std::vector<WorkloadInfo> workloads();

}  // namespace rk::workloads::pagerank
