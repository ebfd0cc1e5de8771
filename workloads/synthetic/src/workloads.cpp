// The synthetic workloads' registry entries: each with its declared parameters and the run limits it honours.
#include "rk/core/message.hpp"
#include "rk/workloads/synthetic/workloads.hpp"

namespace rk::workloads::synthetic {

std::unique_ptr<Workload> make_ping_pong();
std::unique_ptr<Workload> make_pipeline();
std::unique_ptr<Workload> make_fan_out();
std::unique_ptr<Workload> make_all_to_all();
std::unique_ptr<Workload> make_migration_cost();

std::vector<WorkloadInfo> workloads() {
  using P = ParamSpec;
  const LimitsHonoured by_count_or_time{.duration = true, .iterations = true, .warmup = false};
  return {
      {"ping_pong", "host → kernel → host round trips, beside a two-thread atomic bounce baseline", &make_ping_pong,
       {P::integer("payload_bytes", 8, 0, Slot::kPayloadCapacity, "payload per message; 0 = header only, one cache line each way"),
        P::flag("baseline", true, "measure atomic bounces in blocks alternating with the round trips"),
        P::integer("baseline_samples", 200000, 1000, 100000000, "atomic bounces measured in all"),
        P::integer("baseline_block", 10000, 100, 100000000, "round trips, and bounces, per block"),
        P::integer("baseline_lines", 64, 1, 4096, "atomics the bounces are shared among, each on its own page")},
       {},
       {.duration = true, .iterations = true, .warmup = true}},
      {"pipeline", "a chain of kernels over K2K: end-to-end and per-hop latency, throughput", &make_pipeline,
       {P::integer("window", 256, 1, 1 << 20, "messages in flight")},
       {},
       by_count_or_time},
      {"fan_out", "one producer, many consumers; consumer counts reduced and checked", &make_fan_out,
       {P::integer("batch", 256, 1, 1 << 20, "messages the producer is told to send per request"),
        P::integer("window", 4096, 1, 1 << 24, "messages in flight")},
       {},
       by_count_or_time},
      {"all_to_all", "every kernel messages every other; HLC causality checked on receipt", &make_all_to_all,
       {P::integer("rounds_per_batch", 4, 1, 1 << 16, "rounds each start message asks every peer for"),
        P::integer("window_rounds", 32, 1, 1 << 20, "rounds in flight")},
       {},
       by_count_or_time},
      {"migration_cost", "live migration time by kernel state size, count checked across moves", &make_migration_cost,
       {P::integer("migrations", 50, 1, 1000000, "migrations timed (each a latency sample)"),
        P::integer("messages_between", 4, 1, 100000, "messages exchanged with the kernel between moves")},
       {},
       {}},
  };
}

}  // namespace rk::workloads::synthetic
