// The scenario model: what a scenario file describes (kernel topology, routes, probes, workload,
// run length), as plain structs, and the entry points that parse and validate a file into it.
// This library knows no kernels and no workloads: the caller passes the names it knows.
#pragma once

#include "rk/scenario/error.hpp"
#include "rk/scenario/value.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rk::scenario {

/// Largest scenario file accepted, in bytes.
inline constexpr std::size_t max_file_bytes = 16u << 20;
/// Deepest nesting of YAML collections accepted.
inline constexpr int max_nesting_depth = 64;
/// Most kernels a scenario may declare, after replica expansion.
inline constexpr std::size_t max_kernels = 65536;
/// Most devices a scenario may ask for.
inline constexpr int max_devices = 1024;

enum class Backend { automatic, cpu, cuda };
enum class IdlePolicy { spin, yield, park, adaptive };
enum class RouteRule { direct, round_robin, hash, broadcast };

std::string_view to_string(Backend backend);
std::string_view to_string(IdlePolicy idle);
std::string_view to_string(RouteRule rule);

/// CUDA-style launch dimensions.
struct Dim3 {
  std::uint32_t x = 1;
  std::uint32_t y = 1;
  std::uint32_t z = 1;

  std::uint64_t volume() const { return std::uint64_t{x} * y * z; }
  friend bool operator==(const Dim3&, const Dim3&) = default;
};

/// One ring kernel (one replica of a replicated entry).
struct KernelSpec {
  /// Unique id: `name`, or `group[i]` for replica i of `group[a..b]`.
  std::string id;
  /// The replica group (`book` for `book[3]`); empty for a kernel without replicas.
  std::string group;
  /// Replica index within the group; -1 for a kernel without replicas.
  int replica = -1;
  /// Kernel type, one of ValidationContext::kernel_types.
  std::string type;
  /// Device index, or -1 to let the coordinator place the kernel.
  int device = -1;
  Dim3 grid;
  Dim3 block;
  /// Capacity of the kernel's input queue in messages: a power of two in [2, 2^24].
  std::uint32_t queue_capacity = 1024;
  IdlePolicy idle = IdlePolicy::adaptive;
  /// Parameters for the kernel type; data-file parameters hold absolute paths.
  ParamMap params;
  /// The kernel's entry in the file.
  SourceLocation where;
};

/// A route end: `host`, one kernel, or every replica of a group (`book[*]`).
struct Endpoint {
  /// As written: `host`, `router`, `book[3]` or `book[*]`.
  std::string name;
  /// Ids of the kernels it denotes, in replica order; empty for the host.
  std::vector<std::string> kernel_ids;

  bool is_host() const { return kernel_ids.empty(); }
  bool is_group() const { return kernel_ids.size() > 1 || name.ends_with("[*]"); }
};

/// A kernel-to-kernel (or host) message edge.
struct RouteSpec {
  Endpoint from;
  Endpoint to;
  RouteRule rule = RouteRule::direct;
  SourceLocation where;
};

/// Latency between two points, e.g. host injection to a kernel's completion.
struct LatencyProbe {
  std::string name;
  Endpoint from;
  Endpoint to;
  SourceLocation where;
};

/// Message throughput measured at a point.
struct ThroughputProbe {
  std::string name;
  Endpoint at;
  SourceLocation where;
};

/// What to record besides the workload's own metrics.
struct Probes {
  std::vector<LatencyProbe> latency;
  std::vector<ThroughputProbe> throughput;
  /// Telemetry sampling period; zero turns sampling off.
  std::chrono::nanoseconds telemetry_interval = std::chrono::milliseconds(10);
};

/// The workload to run and its parameters.
struct WorkloadSpec {
  /// One of ValidationContext::workloads; empty when the scenario names none.
  std::string name;
  /// Every key of the `workload` mapping except `name` and `generator`.
  ParamMap params;
  /// The `generator` mapping (synthetic input), absent when none was given or a data file
  /// (`graph`, `orders`) set with --set replaced it.
  std::optional<ParamMap> generator;
  SourceLocation where;

  std::int64_t get_int(std::string_view key, std::int64_t fallback, IntRange range = {}) const {
    return params.get_int(key, fallback, range);
  }
  double get_double(std::string_view key, double fallback, DoubleRange range = {}) const {
    return params.get_double(key, fallback, range);
  }
  bool get_bool(std::string_view key, bool fallback) const { return params.get_bool(key, fallback); }
  std::string get_string(std::string_view key, std::string fallback) const {
    return params.get_string(key, std::move(fallback));
  }
  std::chrono::nanoseconds get_duration(std::string_view key, std::chrono::nanoseconds fallback,
                                        DurationRange range = {}) const {
    return params.get_duration(key, fallback, range);
  }
};

/// A migration the coordinator performs at a given time into the run.
struct MigrationSpec {
  std::string kernel;
  int to = 0;
  std::chrono::nanoseconds at{0};
  SourceLocation where;
};

/// `coordinator`: how kernels are placed on devices and when they move.
struct CoordinatorSpec {
  /// first_available | round_robin | least_loaded | memory_based | pinned
  std::string placement = "least_loaded";
  std::vector<MigrationSpec> migrations;
  /// Load-triggered migration: when the busiest device's message rate exceeds `threshold` times the
  /// idlest's, move one kernel. 0 turns it off.
  double rebalance_threshold = 0.0;
  std::chrono::nanoseconds rebalance_interval{0};
  SourceLocation where;
};

/// A validated scenario with all --set overrides applied. See scenarios/README.md for the file
/// format and every default.
struct Scenario {
  std::string name;
  std::string description;
  Backend backend = Backend::automatic;
  int devices = 1;
  bool allow_simulated_devices = false;
  std::uint64_t seed = 1;
  /// Exactly one of duration and iterations is set.
  std::optional<std::chrono::nanoseconds> duration;
  std::optional<std::uint64_t> iterations;
  std::chrono::nanoseconds warmup{0};
  std::chrono::nanoseconds drain_timeout = std::chrono::seconds(5);
  /// The run limits the scenario (or --set) gives explicitly (`duration`, `iterations`, `warmup`), with
  /// the location of each key; `duration`'s 1s default is not among them.
  std::vector<std::pair<std::string, SourceLocation>> limits_given;
  std::vector<KernelSpec> kernels;
  std::vector<RouteSpec> routes;
  Probes probes;
  WorkloadSpec workload;
  CoordinatorSpec coordinator;
  /// The scenario as YAML after overrides (comments dropped), for the results file.
  std::string source_text;
  /// The display name errors use: the path given to load_scenario, or parse_scenario's name.
  std::string source_path;
  /// The --set overrides, as given.
  std::vector<std::string> overrides;

  /// The kernel with this id, or nullptr.
  const KernelSpec* find_kernel(std::string_view id) const;
};

/// The names the caller knows: kernel types and workloads registered in the executable.
struct ValidationContext {
  std::set<std::string> kernel_types;
  std::set<std::string> workloads;
};

/// Reads, overrides and validates a scenario file. Data files are resolved relative to the
/// file's directory. Throws ScenarioError on any problem.
/// @param overrides `KEY=VALUE` strings from --set, applied in order before validation.
Scenario load_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                       const ValidationContext& ctx);

/// As load_scenario, for text already in memory.
/// @param display_name the "file" that error locations name.
/// @param base_dir directory that relative data-file paths are resolved against.
Scenario parse_scenario(std::string_view text, const std::string& display_name,
                        const std::filesystem::path& base_dir,
                        const std::vector<std::string>& overrides, const ValidationContext& ctx);

}  // namespace rk::scenario
