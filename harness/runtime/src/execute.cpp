// execute (run.hpp): the measured part of the run. Rank 0 drives the workload while telemetry is
// sampled, migrations happen and the progress line is drawn; the other ranks serve their kernels until
// rank 0 ends the run. An interrupt drains what is queued. Collective.
#include <thread>

#include "migrations.hpp"
#include "run.hpp"
#include "sampler.hpp"

namespace rk::harness {

namespace {

/// Let kernels finish what is queued (bounded by the drain timeout).
bool drain(RingKernelRuntime& rt, const scenario::Scenario& sc) {
  const auto deadline = Clock::now() + sc.drain_timeout;
  for (;;) {
    bool idle = true;
    for (const auto& k : sc.kernels) {
      const auto m = rt.telemetry(k.id);
      const auto st = rt.metrics(k.id);
      if (m.messages_in_flight || st.input.total_enqueued != st.input.total_dequeued) idle = false;
    }
    if (idle) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

/// The link's traffic of every rank, as events at rank 0. Collective.
void record_link_traffic(Run& run, const LinkCounters& mine) {
  const std::vector<LinkCounters> all = run.cluster.gather(mine);
  for (std::size_t r = 0; r < all.size(); ++r) {
    const LinkCounters& c = all[r];
    run.sink->event(c.dead_letters || c.unread_host_messages ? "warning" : "info", "mpi", "",
                    "rank " + std::to_string(r) + " (" + run.hosts[r] + "): sent " + std::to_string(c.messages_sent) +
                        " messages in " + std::to_string(c.batches_sent) + " batches (" + std::to_string(c.bytes_sent) +
                        " bytes), received " + std::to_string(c.messages_received) + ", outbox full " +
                        std::to_string(c.full_outbox) + " times, " + std::to_string(c.dead_letters) +
                        " undeliverable, " + std::to_string(c.unread_host_messages) + " never read by the host");
  }
}

}  // namespace

void execute(Run& run) {
  const scenario::Scenario& sc = run.prepared.sc;
  RingKernelRuntime& rt = run.runtime();
  run.link->start();
  std::optional<Sampler> sampler;
  std::optional<ProgressLine> progress;
  MultiGpuCoordinator coordinator(rt, run.policy);
  std::optional<MigrationDriver> migrations;
  if (run.root()) {
    sampler.emplace(rt, *run.file, sc, *run.control);
    migrations.emplace(coordinator, sc.coordinator, *run.sink, *run.control);
    if (run.opts.progress) {
      std::optional<std::chrono::nanoseconds> planned_time;
      if (sc.duration) planned_time = *sc.duration + sc.warmup;
      progress.emplace(*run.control, planned_time);
    }
    run.sink->event("info", "lifecycle", "", "run started");
  }
  std::exception_ptr failure;
  try {
    if (run.root()) run.prepared.workload->run(rt, *run.control, *run.sink);
    else run.link->wait_for_stop();
  } catch (...) {
    failure = std::current_exception();
  }
  if (migrations) migrations->stop();
  if (progress) progress->stop();
  run.interrupted = run.root() && stop_flag().load();
  if (run.interrupted) {
    run.sink->event("warning", "lifecycle", "", "interrupted: draining");
    if (!drain(rt, sc)) run.sink->event("warning", "lifecycle", "", "drain timed out with messages still queued");
  }
  if (run.cluster.distributed()) record_link_traffic(run, run.link->stop());  // collective, also after a failure
  if (sampler) sampler->stop();
  if (!failure && !run.link->error().empty()) failure = std::make_exception_ptr(std::runtime_error(run.link->error()));
  agree(run.cluster, failure);
  if (run.cluster.distributed()) run.interrupted = run.cluster.broadcast(run.interrupted ? 1 : 0) != 0;
}

}  // namespace rk::harness
