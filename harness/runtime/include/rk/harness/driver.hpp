// The harness driver: turns a validated scenario into a run — picks the backend, launches the kernel
// topology, drives the workload, samples telemetry and throughput probes, records everything to one
// HDF5 file, drains on interrupt, verifies, and reports. The command line is a thin layer over it.
#pragma once

#include <atomic>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "rk/scenario/scenario.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::harness {

/// Exit codes (ARCHITECTURE.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitInvalidInput = 2;
inline constexpr int kExitInterrupted = 130;

/// Invalid input that is not a scenario-file error (e.g. a backend this machine cannot run): exit 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  std::filesystem::path scenario;
  std::vector<std::string> overrides;  ///< --set KEY=VALUE
  std::string backend;                 ///< --backend: "", "auto", "cpu", "cuda"
  std::filesystem::path output;        ///< --output; empty: results/<name>-<UTC>.h5
  std::vector<std::string> argv;
  bool progress = false;               ///< draw a progress line (a terminal, not --quiet)
  bool quiet = false;                  ///< no summary table
  std::string format = "text";        ///< --format of the summary on stdout: text, json or csv
};

struct RunResult {
  int exit_code = kExitOk;  ///< under MPI: rank 0's, on every rank
  int rank = 0;             ///< this process's MPI rank (0 without mpirun); only rank 0 reports
  std::string status;  ///< complete | interrupted | failed
  std::filesystem::path results;
  std::string error;
  /// Whether the machine was oversubscribed (results/SCHEMA.md, /environment) and why.
  bool oversubscribed = false;
  std::string oversubscription;
};

/// Set by the SIGINT/SIGTERM handler: the run drains and ends as `interrupted`.
std::atomic<bool>& stop_flag();

/// What this executable can run: the scenario validator's view of kernel types and workloads.
scenario::ValidationContext validation_context();
/// Registered workloads and kernel types, for `ringkernel list`.
std::vector<workloads::WorkloadInfo> registered_workloads();
std::vector<std::string> registered_kernel_types();
/// The parameters a kernel type declares (empty for an unknown type or one that takes none).
std::vector<ParamSpec> kernel_type_params(const std::string& type);

/// Everything `run` checks before it starts (scenario, backend, devices, workload parameters and
/// topology), without running: what `ringkernel validate` does. Throws like run_scenario.
scenario::Scenario validate_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides);

/// This process's rank as the MPI launcher announced it (0 without mpirun/srun). Ranks other than 0 leave
/// reporting to rank 0.
int launcher_rank();
/// Whether an MPI launcher (mpirun, srun) started this process (and MPI support is built).
bool started_by_mpi_launcher();

/// Load, validate and run a scenario. Started by an MPI launcher (`mpirun -np R ringkernel run ...`), every
/// rank calls it: the scenario's devices are split into R groups (device d on rank d·R/N; at least one
/// each), each rank runs the kernels placed on its devices, K2K and host messages cross ranks through
/// rk::mpi::MpiBridge, and rank 0 drives the workload and writes the one results file. Input errors throw scenario::ScenarioError or InputError
/// (before any results file exists); everything after that is reported through RunResult.
RunResult run_scenario(const RunOptions& options, std::ostream& out);

/// The backends and devices this machine offers (for `ringkernel devices`).
void describe_devices(std::ostream& out);

}  // namespace rk::harness
