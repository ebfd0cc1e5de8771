// The prepare phase's checks of what the backend and this machine can hold. See footprint.hpp.
#include "footprint.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "rk/core/message.hpp"
#include "rk/core/ring.hpp"

namespace rk::harness {

namespace {

/// A simulated thread's fiber: its stack (kernels/cpu/src/thread_group.cpp: 64 KiB) and its context.
constexpr std::uint64_t kThreadBytes = (64 + 4) << 10;
/// A kernel's own memory besides its rings (control block, telemetry buffer, handler, worker and broker
/// entries, the driver's per-kernel state): about 56 KiB measured on the CPU backend (2000 echo kernels).
constexpr std::uint64_t kKernelBytes = 64 << 10;
/// With telemetry sampling on, each kernel's series in the results file (its datasets and their chunk
/// buffers): about 350 KiB measured, independent of the run's length.
constexpr std::uint64_t kTelemetryBytes = 384 << 10;

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

/// Reads "NAME: VALUE kB" from /proc/meminfo.
std::optional<std::uint64_t> meminfo(const std::string& name) {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) != 0) continue;
    std::istringstream s(line.substr(name.size() + 1));
    std::uint64_t kib = 0;
    if (s >> kib) return kib * 1024;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> read_number(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// This process's cgroup memory limit minus its usage (cgroup v2, else v1), when there is a limit.
std::optional<std::uint64_t> cgroup_headroom() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    // v2: "0::/path"; v1: "N:memory:/path" (or "N:...,memory,...:/path").
    const auto a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    std::optional<std::uint64_t> limit, usage;
    if (line.rfind("0::", 0) == 0) {
      limit = read_number("/sys/fs/cgroup" + path + "/memory.max");  // "max" reads as none
      usage = read_number("/sys/fs/cgroup" + path + "/memory.current");
    } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
      limit = read_number("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes");
      usage = read_number("/sys/fs/cgroup/memory" + path + "/memory.usage_in_bytes");
    }
    if (limit && *limit < (std::uint64_t{1} << 60)) return *limit > usage.value_or(0) ? *limit - usage.value_or(0) : 0;
  }
  return std::nullopt;
}

std::string what_kernel(const scenario::KernelSpec& k, const PlannedKernel& p, std::uint64_t threads) {
  std::string s = "kernel '" + k.id + "' (rings of " + std::to_string(p.options.input_capacity) + " + " +
                  std::to_string(p.options.output_capacity) + " slots";
  if (threads > 1) s += ", " + std::to_string(threads) + " simulated threads";
  return s + ")";
}

}  // namespace

std::uint64_t Footprint::total() const { return saturating_add(kernels(), workload.bytes); }

std::string format_bytes(std::uint64_t bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  char buf[48];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string Footprint::describe() const {
  std::string s = "rings " + format_bytes(rings);
  if (thread_stacks) s += ", simulated thread stacks " + format_bytes(thread_stacks);
  s += ", kernel state " + format_bytes(kernel_state);
  if (workload.bytes) s += ", " + (workload.what.empty() ? std::string("workload inputs") : workload.what) + " " + format_bytes(workload.bytes);
  return s;
}

std::optional<AvailableMemory> available_memory() {
  std::optional<AvailableMemory> out;
  if (const auto m = meminfo("MemAvailable")) out = AvailableMemory{*m, "MemAvailable"};
  if (const auto c = cgroup_headroom(); c && (!out || *c < out->bytes)) out = AvailableMemory{*c, "the cgroup's memory limit"};
  return out;
}

Footprint estimate_footprint(const Prepared& p) {
  Footprint f;
  for (const PlannedKernel& pk : p.planned) {
    const scenario::KernelSpec& k = p.sc.kernels[pk.index];
    const std::uint64_t rings = MpscRing<Slot>::bytes_required(pk.options.input_capacity) +
                                SpscRing<Slot>::bytes_required(pk.options.output_capacity);
    const std::uint64_t threads = k.grid.volume() * k.block.volume();
    const std::uint64_t stacks = threads > 1 ? threads * kThreadBytes : 0;
    std::uint64_t state = kKernelBytes + (p.sc.probes.telemetry_interval.count() > 0 ? kTelemetryBytes : 0);
    if (const scenario::Value* v = k.params.find("state_bytes"); v && v->is_int() && std::get<std::int64_t>(v->data) > 0)
      state = saturating_add(state, static_cast<std::uint64_t>(std::get<std::int64_t>(v->data)));  // the ballast kernel's state
    f.rings = saturating_add(f.rings, rings);
    f.thread_stacks = saturating_add(f.thread_stacks, stacks);
    f.kernel_state = saturating_add(f.kernel_state, state);
    const std::uint64_t mine = saturating_add(saturating_add(rings, stacks), state);
    if (mine > f.largest_kernel_bytes) {
      f.largest_kernel_bytes = mine;
      f.largest_kernel = pk.index;
    }
  }
  if (p.workload) f.workload = p.workload->memory_estimate();
  return f;
}

void check_backend_limits(const Prepared& p) {
  const scenario::Scenario& sc = p.sc;
  if (sc.kernels.size() > kMaxKernels)
    throw scenario::ScenarioError(sc.kernels[kMaxKernels].where,
                                  "the scenario has " + std::to_string(sc.kernels.size()) + " kernels; a run holds at most " +
                                      std::to_string(kMaxKernels) + " (kernel '" + sc.kernels[kMaxKernels].id + "' is one too many)");
  const std::uint32_t limit = p.backend ? p.backend->max_threads_per_kernel : 0;
  if (limit == 0) return;
  for (const scenario::KernelSpec& k : sc.kernels) {
    const std::uint64_t threads = k.grid.volume() * k.block.volume();
    if (threads > limit)
      throw scenario::ScenarioError(
          k.where, "kernel '" + k.id + "': grid × block is " + std::to_string(threads) + " threads, above the " +
                       p.backend->name + " backend's limit of " + std::to_string(limit) + " threads per kernel");
  }
}

std::optional<std::string> check_footprint(const Prepared& p, const Footprint& f,
                                           const std::optional<AvailableMemory>& available, bool allow_overcommit) {
  if (!available || f.total() <= available->bytes) return std::nullopt;
  const std::string figures = "the run needs about " + format_bytes(f.total()) + " of memory (" + f.describe() +
                              "), more than the " + format_bytes(available->bytes) + " this machine has available (" +
                              available->source + ")";
  if (allow_overcommit) return figures + "; running anyway (" + kAllowOvercommitEnv + "=1)";
  // Located at the largest contributor: the workload's input, or the kernel with the largest share.
  const scenario::Scenario& sc = p.sc;
  scenario::SourceLocation where = sc.workload.where;
  std::string hint;
  if (f.workload.bytes >= f.kernels() || sc.kernels.empty()) {
    if (const scenario::Value* v = sc.workload.params.find(f.workload.key); v && !f.workload.key.empty()) where = v->where;
    else if (f.workload.key == "generator" && sc.workload.generator) where = sc.workload.generator->where();
    hint = "a smaller input";
  } else {
    const scenario::KernelSpec& k = sc.kernels[f.largest_kernel];
    where = k.where;
    const std::uint64_t threads = k.grid.volume() * k.block.volume();
    hint = "smaller queue_capacity" + std::string(threads > 1 ? ", grid or block" : "") + " or fewer kernels (largest: " +
           what_kernel(k, p.planned[f.largest_kernel], threads) + " " + format_bytes(f.largest_kernel_bytes) + ", " +
           std::to_string(sc.kernels.size()) + " kernels in all)";
  }
  throw scenario::ScenarioError(where, figures + "; use " + hint + ", or set " + kAllowOvercommitEnv +
                                           "=1 in the environment to run anyway");
}

void check_run_fits(const Prepared& p) {
  check_backend_limits(p);
  const char* env = std::getenv(kAllowOvercommitEnv);
  const bool allow = env != nullptr && std::string(env) == "1";
  if (const auto warning = check_footprint(p, estimate_footprint(p), available_memory(), allow))
    spdlog::warn("{}: {}", p.sc.source_path, *warning);
}

}  // namespace rk::harness
