// Internal: facts about this machine and build for the results file and `ringkernel devices`.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace rk::harness {

std::string cpu_model();
std::uint64_t memory_bytes();
std::uint32_t cpu_clock_khz();
/// Library and compiler versions compiled into this executable.
std::map<std::string, std::string> library_versions();
/// The git revision the build was configured from, and whether the tree had local changes.
std::string git_revision();
bool git_dirty();
std::string build_type();
/// gethostname(): the host this process runs on.
std::string host_name();
/// CPUs this process may run on (its affinity mask; hardware threads when it cannot be read).
unsigned allowed_cpus();

}  // namespace rk::harness
