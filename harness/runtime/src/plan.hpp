// Internal: the prepare phase. A scenario loaded and checked, its backend chosen, its workload configured
// and its kernels turned into a launch plan (ids in scenario order, routes as data), before any results
// file exists: every error here is invalid input (exit 2).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "rk/core/runtime.hpp"
#include "rk/harness/backend.hpp"
#include "rk/harness/driver.hpp"
#include "rk/scenario/scenario.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::harness {

struct PlannedKernel {
  std::size_t index;  ///< into Scenario::kernels (= the kernel's id)
  LaunchOptions options;
};

struct Prepared {
  scenario::Scenario sc;         ///< as validated; never changed afterwards
  const Backend* backend = nullptr;
  std::string backend_note;      ///< why this backend, when it is not the one asked for (else empty)
  std::unique_ptr<workloads::Workload> workload;
  workloads::Topology topo;
  std::vector<PlannedKernel> planned;
  workloads::RunLimits limits;
};

Prepared prepare(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                 const std::string& backend_override);

/// The backend that runs a scenario: `requested` ("auto" or a backend's name) among `backends` (in order
/// of preference). Throws InputError when the named backend is not built or has too few devices and the
/// scenario does not allow simulated ones, or cannot run one of the scenario's kernel `types` (`auto` passes
/// over a device backend that cannot). `note` says why the choice differs from the request.
const Backend& choose_backend(const std::string& requested, std::uint32_t devices, bool allow_simulated_devices,
                              const std::vector<Backend>& backends, std::string& note,
                              const std::vector<std::string>& types = {});

}  // namespace rk::harness
