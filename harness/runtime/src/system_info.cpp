// Facts about this machine and build.
#include "system_info.hpp"

#include <algorithm>
#include <thread>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string_view>

#include <CLI/Version.hpp>
#include <spdlog/version.h>

extern char** environ;

namespace rk::harness {

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

std::uint64_t memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
}

std::uint32_t cpu_clock_khz() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("cpu MHz", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return static_cast<std::uint32_t>(std::stod(line.substr(colon + 1)) * 1000.0);
    }
  }
  return 0;
}

std::map<std::string, std::string> library_versions() {
  std::map<std::string, std::string> v;
  v["ringkernel"] = RK_VERSION;
  v["cli11"] = CLI11_VERSION;
  v["spdlog"] = std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
                std::to_string(SPDLOG_VER_PATCH);
  v["compiler"] = std::string("gcc ") + __VERSION__;
  v["yaml_cpp"] = RK_YAML_CPP_VERSION;
  return v;
}

std::string git_revision() { return RK_GIT_REVISION; }
bool git_dirty() { return RK_GIT_DIRTY != 0; }
std::string build_type() { return RK_BUILD_TYPE; }

unsigned allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(CPU_COUNT(&set));
}

unsigned online_cpus() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : std::max(1u, std::thread::hardware_concurrency());
}

LoadAverage load_average() {
  double l[3] = {-1, -1, -1};
  if (getloadavg(l, 3) != 3) return {};
  return {l[0], l[1], l[2]};
}

std::string kernel_release() {
  struct utsname u {};
  return uname(&u) == 0 ? std::string(u.release) : std::string("unknown");
}

std::string machine_arch() {
  struct utsname u {};
  return uname(&u) == 0 ? std::string(u.machine) : std::string("unknown");
}

std::string compiler_name() {
#if defined(__clang__)
  return "clang";
#elif defined(__GNUC__)
  return "gcc";
#else
  return "unknown";
#endif
}

std::string compiler_version() { return __VERSION__; }

std::map<std::string, std::string> run_environment_variables() {
  static constexpr std::string_view kPrefixes[] = {"RK_",   "OMP_", "GOMP_",   "KMP_",   "OMPI_", "I_MPI_",
                                                    "MPICH_", "SLURM_", "NCCL_"};
  static constexpr std::string_view kNames[] = {"PMIX_RANK", "PMI_RANK", "PMI_SIZE", "CUDA_VISIBLE_DEVICES"};
  std::map<std::string, std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    const std::string_view name = entry.substr(0, eq);
    bool wanted = std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
    for (const auto p : kPrefixes) wanted |= name.starts_with(p);
    if (wanted) out.emplace(name, entry.substr(eq + 1));
  }
  return out;
}

std::string oversubscription(double load_start, double load_end, unsigned cpus_online, unsigned busy_threads,
                             unsigned cpus_allowed) {
  std::string why;
  const auto add = [&why](const std::string& clause) { why += (why.empty() ? "" : "; ") + clause; };
  const auto load = [&](const char* when, double l) {
    if (l > static_cast<double>(cpus_online)) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "load average %.2f at the %s of the run above %u CPUs", l, when, cpus_online);
      add(buf);
    }
  };
  load("start", load_start);
  load("end", load_end);
  if (busy_threads > cpus_allowed)
    add(std::to_string(busy_threads) + " busy threads (kernel workers + host) on " + std::to_string(cpus_allowed) +
        " CPU(s) this process may use");
  return why;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

}  // namespace rk::harness
