// The synthetic workloads' registry entries.
#include "rk/workloads/synthetic/workloads.hpp"

namespace rk::workloads::synthetic {

std::unique_ptr<Workload> make_ping_pong();
std::unique_ptr<Workload> make_pipeline();
std::unique_ptr<Workload> make_fan_out();
std::unique_ptr<Workload> make_all_to_all();
std::unique_ptr<Workload> make_migration_cost();

std::vector<WorkloadInfo> workloads() {
  return {
      {"ping_pong", "host → kernel → host round trips, beside a two-thread atomic bounce baseline", &make_ping_pong},
      {"pipeline", "a chain of kernels over K2K: end-to-end and per-hop latency, throughput", &make_pipeline},
      {"fan_out", "one producer, many consumers; consumer counts reduced and checked", &make_fan_out},
      {"all_to_all", "every kernel messages every other; HLC causality checked on receipt", &make_all_to_all},
      {"migration_cost", "live migration time by kernel state size, count checked across moves", &make_migration_cost},
  };
}

}  // namespace rk::workloads::synthetic
