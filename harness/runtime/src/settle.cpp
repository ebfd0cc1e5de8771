// settle (run.hpp): after the workload, every kernel's errors reported and the kernels terminated, the
// dead letters of every rank recorded, and what the other ranks' processes hold that rank 0 needs for
// verification merged into rank 0's workload. Collective.
#include "run.hpp"

namespace rk::harness {

namespace {

/// A message that could not be delivered, as rank 0 records it.
struct DeadLetterRecord {
  KernelId from = 0, to = 0;
  SendStatus reason = SendStatus::Ok;
};

}  // namespace

void settle(Run& run) {
  std::vector<DeadLetterRecord> dead;
  collectively(run.cluster, [&] {
    RingKernelRuntime& rt = run.runtime();
    for (std::size_t i = 0; i < run.names.size(); ++i) {
      // Interrupted while terminating thousands of kernels: stop here (shutdown ends the rest at once);
      // the run ends as interrupted, not complete.
      if (stop_flag().load(std::memory_order_relaxed) && !run.cluster.distributed()) {
        run.interrupted = true;
        run.sink->event("warning", "lifecycle", "", "interrupted while terminating kernels: " +
                                                        std::to_string(run.names.size() - i) + " left to shutdown");
        break;
      }
      const std::string& id = run.names[i];
      const auto st = rt.status(id);
      if (st.error_count)
        run.sink->event("error", "error", id, std::to_string(st.error_count) + " handler errors, last code " +
                                                  std::to_string(static_cast<int>(st.last_error)));
      if (run.kernel_owner[i] == run.cluster.rank()) run.local->terminate(id);
      run.sink->event("info", "lifecycle", id, "terminated");
    }
    for (const auto& d : run.local->drain_dead_letters())
      dead.push_back({d.message.header.source_kernel, d.message.header.dest_kernel, d.reason});
  });
  for (const auto& of_rank : run.cluster.gather_all(std::span<const DeadLetterRecord>(dead)))
    for (const DeadLetterRecord& d : of_rank)
      run.sink->event("warning", "dead_letter", std::to_string(d.from),
                      "undeliverable message to kernel " + std::to_string(d.to) + ": " + to_string(d.reason));

  if (!run.cluster.distributed()) return;
  std::string mine;
  collectively(run.cluster, [&] {
    if (!run.root()) mine = run.prepared.workload->process_results();
  });
  const std::vector<std::string> all = run.cluster.gather_bytes(mine);
  if (run.root()) run.prepared.workload->merge_process_results(all);
}

}  // namespace rk::harness
