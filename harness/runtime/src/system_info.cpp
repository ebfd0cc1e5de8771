// Facts about this machine and build.
#include "system_info.hpp"

#include <algorithm>
#include <thread>
#include <sched.h>
#include <unistd.h>

#include <fstream>

#include <CLI/Version.hpp>
#include <spdlog/version.h>

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

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

}  // namespace rk::harness
