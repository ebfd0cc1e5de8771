// The seam between the run driver and the backends. Each backend folder under harness/backends/ defines
// one `Backend` (its factory, its catalog of kernel types, what it tells `ringkernel devices`) and
// registers it with rk_add_backend() in its CMakeLists.txt; the driver finds it by name and sees only
// rk::RingKernelRuntime. Adding a backend touches only its own folder.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "rk/core/runtime.hpp"

namespace rk::harness {

/// What the driver asks of a backend's runtime.
struct BackendConfig {
  std::uint32_t devices = 1;  ///< devices of the whole run (every rank's)
  int rank = 0;               ///< this process's MPI rank (its devices carry it)
  /// Devices this process drives, and the cores it may use when several processes share a node (0: the
  /// process has the machine to itself and the backend sizes itself).
  std::uint32_t local_devices = 0;
  std::uint32_t cpus = 0;
  std::chrono::milliseconds command_timeout{5000};  ///< deactivate/terminate wait at most this long
};

struct Backend {
  std::string name;  ///< "cpu", "cuda": the scenario's `backend`
  /// Physical devices of this machine the backend can use; `simulated` backends make any number.
  std::function<std::uint32_t()> physical_devices;
  bool simulated = false;
  /// Most threads (grid × block) one kernel may have; 0: no limit. The driver refuses a scenario above it
  /// before anything runs (exit 2).
  std::uint32_t max_threads_per_kernel = 0;
  /// A runtime with every kernel type of the executable registered. Throws RuntimeError when it cannot.
  std::function<std::unique_ptr<RingKernelRuntime>(const BackendConfig&)> make_runtime;
  /// The kernel types the runtime will accept (without making one).
  std::function<std::vector<std::string>()> kernel_types;
  /// Lines for `ringkernel devices`.
  std::function<void(std::ostream&)> describe;
  /// RK_* environment variables the backend reads; `check_environment(name, value)` returns what is wrong
  /// with a value ("" when it is fine). The driver refuses a misspelt name or a bad value (exit 2).
  std::vector<std::string> environment;
  std::function<std::string(const std::string&, const std::string&)> check_environment;
};

/// Every backend built into this executable, in order of preference for `backend: auto`.
const std::vector<Backend>& registered_backends();

}  // namespace rk::harness
