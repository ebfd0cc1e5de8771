// Internal: the state of one run as it goes through the driver's phases (driver.cpp lists them in
// order), and the phases themselves, each in its own file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster.hpp"
#include "plan.hpp"
#include "progress.hpp"
#include "system_info.hpp"
#include "rk/harness/coordinator.hpp"
#include "rk/harness/driver.hpp"
#include "rk/record/record.hpp"

namespace rk::harness {

struct Run {
  Run(const RunOptions& o, Cluster& c) : opts(o), cluster(c) {}
  bool root() const { return cluster.rank() == 0; }
  /// Every kernel of the run as the host sees it (through the cluster link once it exists).
  RingKernelRuntime& runtime() { return link ? link->runtime() : *local; }

  const RunOptions& opts;
  Cluster& cluster;
  Prepared prepared;                           // prepare
  std::optional<DeviceLayout> layout;
  std::vector<std::string> hosts;              // by rank
  RunResult result;
  std::optional<record::ResultsFile> file;     // rank 0: open_results
  std::unique_ptr<RingKernelRuntime> local;    // this process's kernels: start_backend
  std::vector<DeviceProperties> devices;       // every device of the run, rank filled in
  std::unique_ptr<workloads::ResultSink> sink;
  std::optional<Control> control;
  std::vector<std::string> names;              // by kernel id: launch_kernels
  std::vector<int> kernel_device, kernel_owner;
  LoadBalancing policy = LoadBalancing::LeastLoaded;
  std::unique_ptr<ClusterLink> link;
  workloads::Verification verification;        // finish_results
  bool interrupted = false;
  LoadAverage load_start;                      // open_results
};

/// Thrown between steps of a phase once SIGINT/SIGTERM asked the run to stop.
void throw_if_interrupted();

// The phases, in the order run_scenario calls them. The collective ones are called on every rank.
/// plan.cpp's prepare(), plus the checks that need the cluster (input errors: exit 2).
void prepare_run(Run& run);
/// Rank 0 creates the results file with the run's metadata (results.cpp).
void open_results(Run& run);
/// This process's runtime from the chosen backend, the devices recorded, the sink (backend_setup.cpp).
void start_backend(Run& run);
/// Placement, the cluster link, launch and activation of this rank's kernels (launch.cpp).
void launch_kernels(Run& run);
/// The workload's run with telemetry sampling, migrations and the progress line; drains when
/// interrupted (execute.cpp). Collective.
void execute(Run& run);
/// Kernels terminated, dead letters and the other ranks' results collected at rank 0 (settle.cpp).
void settle(Run& run);
/// Rank 0: /environment, at the start (open_results), once the devices are known (start_backend) and at
/// the end, with the oversubscription verdict (finish_results, record_failure) (machine.cpp).
void record_environment_start(Run& run);
void record_environment_devices(Run& run);
void record_environment_end(Run& run);
/// Rank 0: verification, the workload's results, the file's final status (results.cpp).
void finish_results(Run& run);
/// Rank 0: a failed run's error recorded, the file finished as failed or interrupted (results.cpp).
void record_failure(Run& run, const std::exception& e);

}  // namespace rk::harness
