// The device_latency workload's registry entry: its declared parameters (every key a scenario may give).
#include "rk/workloads/device_latency/workloads.hpp"

namespace rk::workloads::device_latency {

std::unique_ptr<Workload> make_device_latency();

std::vector<WorkloadInfo> workloads() {
  using P = ParamSpec;
  return {
      {"device_latency",
       "separate figures: host injection cost, round trip, K2K hop, sustained throughput; device baselines beside them",
       &make_device_latency,
       {P::integer("injection_samples", 20000, 1, 100000000, "try_send calls timed (64-byte payloads into the echo kernel)"),
        P::integer("injection_window", 32, 1, 1 << 20,
                   "messages sent before their echoes are drained (untimed); below the echo kernel's queue capacity"),
        P::integer("round_trips", 20000, 1, 100000000, "host → echo → host round trips timed, one at a time (64-byte payload)"),
        P::integer("hop_samples", 20000, 1, 100000000, "messages sent through forward → forward → host, one at a time, each a K2K hop sample"),
        P::integer("messages", 200000, 1, std::int64_t{1} << 40, "64-byte messages per throughput round into the counter kernel"),
        P::integer("throughput_rounds", 3, 1, 1000, "throughput rounds, each of `messages` messages, each a sample"),
        P::integer("baseline_samples", 1000, 1, 10000000, "samples of each device baseline (launch_sync, graph_replay; real GPUs only)"),
        P::flag("atomic_bounce", true, "also measure the host's two-thread atomic bounce (ping_pong's baseline), kernels paused"),
        P::integer("atomic_bounce_samples", 20000, 1000, 100000000, "atomic bounces measured"),
        P::integer("atomic_bounce_lines", 64, 1, 4096, "atomics the bounces are shared among, each on its own page")},
       {},
       {.duration = false, .iterations = false, .warmup = true}},
  };
}

}  // namespace rk::workloads::device_latency
