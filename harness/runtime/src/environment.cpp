// check_environment_variables. See environment.hpp.
#include "environment.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "footprint.hpp"
#include "rk/harness/backend.hpp"
#include "rk/harness/driver.hpp"
#include "rk/scenario/error.hpp"

extern char** environ;

namespace rk::harness {

namespace {
/// Every RK_* variable `ringkernel` reads, and where: the override of the memory check (footprint.cpp),
/// the MPI bridge's buffer sizes (cluster_mpi.cpp, checked there), the CPU backend's host-reader fallback,
/// and what each backend declares (Backend::environment).
std::vector<std::string_view> known_variables() {
  std::vector<std::string_view> known = {kAllowOvercommitEnv, "RK_MPI_BRIDGE", "RK_HOST_READERS_FENCE"};
  for (const Backend& b : registered_backends())
    for (const std::string& v : b.environment) known.push_back(v);
  return known;
}
}  // namespace

void check_environment_variables() {
  const std::vector<std::string_view> kKnown = known_variables();
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    if (!name.starts_with("RK_")) continue;
    const std::string_view value = entry.size() > name.size() ? entry.substr(name.size() + 1) : std::string_view{};
    bool known = false;
    for (const auto k : kKnown) known |= k == name;
    if (!known) {
      // RK_* names of other tools (the test and fuzz scripts' RK_FUZZ_SEED, RK_SKIP_TSAN…) are none of ours;
      // a name close to one of ours is a typo.
      const std::string hint = scenario::did_you_mean(name, kKnown);
      if (!hint.empty()) throw InputError("environment variable " + std::string(name) + " is not one ringkernel reads" + hint);
      continue;
    }
    if ((name == kAllowOvercommitEnv || name == "RK_HOST_READERS_FENCE") && value != "0" && value != "1")
      throw InputError("environment variable " + std::string(name) + "=" + std::string(value) + ": expected 0 or 1");
    for (const Backend& b : registered_backends()) {
      if (std::find(b.environment.begin(), b.environment.end(), name) == b.environment.end() || !b.check_environment) continue;
      const std::string wrong = b.check_environment(std::string(name), std::string(value));
      if (!wrong.empty()) throw InputError("environment variable " + std::string(name) + "=" + std::string(value) + ": " + wrong);
    }
  }
}

}  // namespace rk::harness
