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
/// CPUs the system has online (sysconf(_SC_NPROCESSORS_ONLN)).
unsigned online_cpus();

/// The system's load averages over 1, 5 and 15 minutes (getloadavg; negative when unavailable).
struct LoadAverage {
  double one = -1, five = -1, fifteen = -1;
};
LoadAverage load_average();
/// uname(): the kernel's release ("6.1.0-18-amd64") and the machine ("x86_64").
std::string kernel_release();
std::string machine_arch();
/// The compiler that built this executable ("gcc", "clang") and its version string.
std::string compiler_name();
std::string compiler_version();
/// The environment variables that shape a run and are set: RK_*, OpenMP (OMP_*, GOMP_*, KMP_*), MPI and
/// its launchers (OMPI_*, PMIX_RANK, PMI_RANK, PMI_SIZE, I_MPI_*, MPICH_*, SLURM_*), CUDA_VISIBLE_DEVICES
/// and NCCL_*; sorted by name.
std::map<std::string, std::string> run_environment_variables();

/// The oversubscription rule (results/SCHEMA.md, /environment): a run was oversubscribed when the 1-minute
/// load average at its start or end exceeded the CPUs online, or when its busy threads (the CPU workers
/// that run its kernels plus its host threads) exceeded the CPUs it may use. Returns why, one clause per
/// reason joined with "; " (empty: not oversubscribed). A negative load (unknown) never counts.
std::string oversubscription(double load_start, double load_end, unsigned cpus_online, unsigned busy_threads,
                             unsigned cpus_allowed);

}  // namespace rk::harness
