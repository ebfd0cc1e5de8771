// Internal: the prepare phase's last checks, on settings the scenario accepts but the chosen backend or this
// machine cannot run. Before any results file exists, so each is invalid input (exit 2) located in the
// scenario file:
//   - more kernels than the runtime holds (kMaxKernels);
//   - a kernel's grid × block above the backend's threads per kernel (the CPU backend: 4096);
//   - the run's memory estimate (rings, simulated threads' stacks, known handler state, the workload's
//     inputs: Workload::memory_estimate) above the memory this machine has available (MemAvailable, or
//     the cgroup's limit when lower). RK_ALLOW_OVERCOMMIT=1 in the environment turns that refusal into a
//     warning, for those who know better (swap, memory freed by then, pages never touched).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan.hpp"

namespace rk::harness {

/// The environment variable that lets a run exceed the memory estimate ("1": warn and run).
inline constexpr const char* kAllowOvercommitEnv = "RK_ALLOW_OVERCOMMIT";

/// Host memory a run needs, by what needs it (bytes; an estimate that errs on the high side).
struct Footprint {
  std::uint64_t rings = 0;          ///< every kernel's input and output ring (capacity × cell size)
  std::uint64_t thread_stacks = 0;  ///< stacks of simulated threads (kernels with grid × block > 1)
  std::uint64_t kernel_state = 0;   ///< per-kernel bookkeeping and telemetry series, plus handler state where known (`state_bytes`)
  workloads::MemoryEstimate workload;  ///< the workload's inputs and state
  std::size_t largest_kernel = 0;   ///< index of the kernel with the largest share (rings + stacks + state)
  std::uint64_t largest_kernel_bytes = 0;

  std::uint64_t kernels() const { return rings + thread_stacks + kernel_state; }
  std::uint64_t total() const;
  /// "rings 10.0 GiB, thread stacks 0 B, kernels 12.0 MiB, a graph of … 1.2 GiB".
  std::string describe() const;
};

/// Memory this process may still use: MemAvailable (/proc/meminfo), lowered to the cgroup's limit minus
/// its usage when that is smaller. `source` says which; nullopt when neither can be read.
struct AvailableMemory {
  std::uint64_t bytes = 0;
  std::string source;
};
std::optional<AvailableMemory> available_memory();

/// The estimate for a prepared run (after configure()).
Footprint estimate_footprint(const Prepared& p);

/// "1.5 GiB", "512 MiB", "300 B".
std::string format_bytes(std::uint64_t bytes);

/// Refuses (scenario::ScenarioError, exit 2) a run that cannot start: too many kernels, a kernel above the
/// backend's threads per kernel. Needs p.backend.
void check_backend_limits(const Prepared& p);

/// Refuses (scenario::ScenarioError, exit 2, located at the largest contributor) a footprint above
/// `available`, unless `allow_overcommit` (then returns the warning to print). Nothing when `available`
/// is unknown.
std::optional<std::string> check_footprint(const Prepared& p, const Footprint& f,
                                           const std::optional<AvailableMemory>& available, bool allow_overcommit);

/// prepare()'s call: check_backend_limits, then check_footprint with this machine's available memory and
/// RK_ALLOW_OVERCOMMIT; a warning (overcommit allowed) goes to the log.
void check_run_fits(const Prepared& p);

}  // namespace rk::harness
