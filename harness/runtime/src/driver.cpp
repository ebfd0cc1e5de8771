// run_scenario: the life of one run, phase by phase (run.hpp; each phase in its own file). See driver.hpp.
#include "rk/harness/driver.hpp"

#include <spdlog/spdlog.h>

#include "run.hpp"
#include "summary.hpp"
#include "system_info.hpp"

namespace rk::harness {

std::atomic<bool>& stop_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

void throw_if_interrupted() {
  if (stop_flag().load(std::memory_order_relaxed)) throw workloads::Interrupted();
}

scenario::Scenario validate_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  return prepare(path, overrides, "").sc;
}

void prepare_run(Run& run) {
  run.prepared = prepare(run.opts.scenario, run.opts.overrides, run.opts.backend);
  throw_if_interrupted();
  const Prepared& p = run.prepared;
  if (run.cluster.distributed() && !p.workload->spans_processes())
    throw InputError(p.sc.source_path + ": workload '" + p.sc.workload.name + "' runs in one process only (its "
                     "kernels share memory), but this run has " + std::to_string(run.cluster.size()) +
                     " MPI ranks; run it without mpirun");
  run.cluster.check_environment();  // input errors (exit 2) before any results file exists
  if (!p.backend_note.empty()) spdlog::warn("{}", p.backend_note);
}

namespace {

/// Runs one phase and logs how long it took (--log-level debug).
template <class F>
void phase(const char* name, F&& f) {
  const auto start = Clock::now();
  spdlog::debug("phase {}: start", name);
  f();
  spdlog::debug("phase {}: done in {:.3f} ms", name, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
}

}  // namespace

RunResult run_scenario(const RunOptions& opts, std::ostream& out) {
  const std::unique_ptr<Cluster> cluster = make_cluster();
  Run run(opts, *cluster);
  // Before the results file exists, every failure is thrown: input errors exit 2 on every rank; an
  // interrupt ends the run with 130 and no file.
  try {
    phase("prepare", [&] { collectively(*cluster, [&] { prepare_run(run); }); });
  } catch (const workloads::Interrupted&) {
    return RunResult{kExitInterrupted, cluster->rank(), "interrupted", {}, "interrupted before the run started", false, {}};
  }
  run.layout.emplace(run.prepared.sc.devices, cluster->size(), cluster->rank());
  run.hosts = cluster->gather_bytes(host_name());
  phase("open results", [&] { collectively(*cluster, [&] { open_results(run); }); });
  phase("start backend", [&] { start_backend(run); });
  for (const auto& p : run.prepared.planned) run.names.push_back(run.prepared.sc.kernels[p.index].id);
  run.policy = parse_load_balancing(run.prepared.sc.coordinator.placement).value_or(LoadBalancing::LeastLoaded);
  if (run.root()) run.file->set_attr("placement", std::string(to_string(run.policy)));
  run.control.emplace(Clock::now());
  // From here on everything is recorded (by rank 0): failures end the run as `failed`, not as a crash.
  try {
    phase("launch", [&] { collectively(*cluster, [&] { launch_kernels(run); }); });  // every rank's kernels run before any message flows
    phase("run", [&] { execute(run); });
    phase("settle", [&] { settle(run); });
    phase("finish", [&] { finish_results(run); });
  } catch (const std::exception& e) {
    record_failure(run, e);
  }
  // Kernels stop before the link goes: a kernel still running could be inside its forward() otherwise.
  run.local->shutdown();
  run.link.reset();
  run.result.exit_code = cluster->broadcast(run.result.exit_code);  // every rank ends with rank 0's verdict
  const double seconds = std::chrono::duration<double>(Clock::now() - run.control->origin()).count();
  if (run.root() && !opts.quiet) {
    const SummaryFacts facts{run.prepared.sc.name, run.prepared.sc.workload.name, run.prepared.backend->name,
                             run.layout->devices, run.prepared.backend->simulated, cluster->size(), seconds};
    if (opts.format == "json") print_summary_json(out, facts, run.result, run.verification);
    else if (opts.format == "csv") print_summary_csv(out, facts, run.result, run.verification);
    else print_summary(out, facts, run.result, run.verification);
  }
  return run.result;
}

}  // namespace rk::harness
