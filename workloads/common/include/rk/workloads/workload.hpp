// The workload plug-in interface. A workload is a topology of ring kernels plus a host driver that
// injects messages, records probes and verifies its own results (a failed check fails the run).
// Workloads see only kernels/core and the backend-agnostic runtime interface; the harness hands them
// parameters, the launched topology and a sink for results through the small interfaces below.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "rk/core/param_spec.hpp"
#include "rk/core/runtime.hpp"

namespace rk::workloads {

/// Invalid input a workload finds itself, e.g. a malformed line of a data file (exit code 2). The
/// message names the file and line: "FILE:LINE: error: ...".
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A run-time failure of a workload (exit code 1). Input errors come from Params (exit code 2).
class WorkloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The workload's parameters, read against its declaration (WorkloadInfo::params, ::generator_params):
/// types, ranges, choices and defaults come from there. Getters throw an error that names the scenario
/// file and line when a value has the wrong type or is out of range (the harness maps it to exit code 2);
/// reading a key the workload did not declare, or asking a declared default where the declaration has
/// none (or the reverse), is a programming error (std::logic_error).
class Params {
 public:
  virtual ~Params() = default;
  /// The value, or the declared default when the key is absent.
  virtual std::int64_t get_int(const std::string& key) const = 0;
  virtual double get_double(const std::string& key) const = 0;
  virtual std::string get_string(const std::string& key) const = 0;
  virtual bool get_bool(const std::string& key) const = 0;
  /// For a parameter declared with a computed default (ParamSpec::integer_computed): `computed` when absent.
  virtual std::int64_t get_int(const std::string& key, std::int64_t computed) const = 0;
  /// Whether the scenario gives the key (for optional inputs such as data files).
  virtual bool has(const std::string& key) const = 0;
  /// Raise an input error located at `key` (or at the workload section when the key is absent).
  [[noreturn]] virtual void fail(const std::string& key, const std::string& message) const = 0;
  /// The `workload.generator` mapping (synthetic input), or nullptr when the scenario has none — also
  /// when a data file (`workload.graph`, `workload.orders`) replaced it through --set. Data-file
  /// parameters are absolute paths by the time a workload reads them.
  virtual const Params* generator() const = 0;
};

/// One launched kernel as the workload sees it.
struct KernelInfo {
  std::string name;
  std::string type;
  KernelId id = 0;
  int device = 0;
  std::vector<KernelId> outputs;  ///< K2K routes out of this kernel, in scenario order
  RouteRule rule = RouteRule::Direct;  ///< how the kernel spreads messages over those routes
  bool outputs_to_host = false;   ///< a route from this kernel to the host exists
  bool input_from_host = false;   ///< a route from the host to this kernel exists
};

struct Topology {
  std::vector<KernelInfo> kernels;

  const KernelInfo* find(const std::string& name) const {
    for (const auto& k : kernels)
      if (k.name == name) return &k;
    return nullptr;
  }
  std::vector<const KernelInfo*> of_type(const std::string& type) const {
    std::vector<const KernelInfo*> out;
    for (const auto& k : kernels)
      if (k.type == type) out.push_back(&k);
    return out;
  }
  const KernelInfo& by_id(KernelId id) const {
    for (const auto& k : kernels)
      if (k.id == id) return k;
    throw WorkloadError("no kernel with id " + std::to_string(id));
  }
};

/// A latency probe named in the scenario: from → to ("host" or a kernel id).
struct LatencyProbe {
  std::string name, from, to;
};

/// How long to run and with what seed.
struct RunLimits {
  std::optional<std::chrono::nanoseconds> duration;
  std::optional<std::uint64_t> iterations;
  std::chrono::nanoseconds warmup{0};
  std::chrono::nanoseconds drain_timeout{std::chrono::seconds(5)};
  std::uint64_t seed = 1;
  std::vector<LatencyProbe> latency_probes;
  /// True once the run must stop (SIGINT/SIGTERM): long steps of configure() (reading or generating an
  /// input) check it between steps and throw Interrupted.
  std::function<bool()> stop_requested = [] { return false; };
};

/// A workload gave up a long step because the run was interrupted (exit code 130, not an error).
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

/// The harness's side of a run: the stop flag (SIGINT, deadline) and progress reporting.
class RunControl {
 public:
  virtual ~RunControl() = default;
  /// True once the run must stop (interrupt). Workloads poll it in every loop.
  virtual bool stop_requested() const = 0;
  /// Messages completed so far (for the progress line and ETA), and the planned total (0: unknown).
  virtual void progress(std::uint64_t messages_done, std::uint64_t messages_planned) = 0;
  /// Run clock: ns since the run's origin (the same clock telemetry and throughput use).
  virtual std::uint64_t now_ns() const = 0;
};

/// Where a workload's measurements and outputs go (the HDF5 results file in the harness).
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  /// Raw latency samples of a probe (/latency/<probe>/samples_ns).
  virtual void latency(const std::string& probe, std::span<const std::uint64_t> samples_ns) = 0;
  /// Messages and bytes delivered at a probe in the interval ending at t_ns (run clock).
  virtual void throughput(const std::string& probe, std::uint64_t t_ns, std::uint64_t messages, std::uint64_t bytes) = 0;
  /// An event (/events): severity "info" | "warning" | "error".
  virtual void event(const std::string& severity, const std::string& kind, const std::string& kernel,
                     const std::string& message) = 0;
  /// Arrays and attributes under /workloads/<workload>/.
  virtual void write_f64(const std::string& name, std::span<const double> values) = 0;
  virtual void write_u64(const std::string& name, std::span<const std::uint64_t> values) = 0;
  virtual void write_i64(const std::string& name, std::span<const std::int64_t> values) = 0;
  virtual void write_strings(const std::string& name, const std::vector<std::string>& values) = 0;
  /// A compound dataset of trivially copyable rows: one column per field.
  enum class ColumnType : std::uint8_t { U32, U64, I32, I64, F64 };
  struct Column {
    std::string name;
    std::size_t offset;
    ColumnType type;
  };
  virtual void write_table(const std::string& name, const std::vector<Column>& columns, std::size_t row_size,
                           const void* rows, std::size_t count) = 0;
  virtual void attr(const std::string& name, double value) = 0;
  virtual void attr(const std::string& name, std::int64_t value) = 0;
  virtual void attr(const std::string& name, const std::string& value) = 0;
};

/// A sink that keeps nothing: what ranks other than 0 of an MPI run write to, and the base of test sinks
/// that record only what they look at.
class NullSink : public ResultSink {
 public:
  void latency(const std::string&, std::span<const std::uint64_t>) override {}
  void throughput(const std::string&, std::uint64_t, std::uint64_t, std::uint64_t) override {}
  void event(const std::string&, const std::string&, const std::string&, const std::string&) override {}
  void write_f64(const std::string&, std::span<const double>) override {}
  void write_u64(const std::string&, std::span<const std::uint64_t>) override {}
  void write_i64(const std::string&, std::span<const std::int64_t>) override {}
  void write_strings(const std::string&, const std::vector<std::string>&) override {}
  void write_table(const std::string&, const std::vector<Column>&, std::size_t, const void*, std::size_t) override {}
  void attr(const std::string&, double) override {}
  void attr(const std::string&, std::int64_t) override {}
  void attr(const std::string&, const std::string&) override {}
};

/// The outcome of a workload's self-check. `figures` feed the summary table.
struct Verification {
  bool ok = true;
  std::vector<std::string> failures;
  std::vector<std::pair<std::string, std::string>> figures;  ///< (label, value) in display order

  void check(bool condition, const std::string& failure) {
    if (!condition) {
      ok = false;
      failures.push_back(failure);
    }
  }
};

/// Arenas a workload's kernels pass payloads by reference into (PayloadRef). In an MPI run the harness
/// registers them with the bridge, so a by-reference payload crosses ranks: the referenced bytes travel
/// with the message into the receiving rank's arena of the same id, at the same offset.
class SharedArenas {
 public:
  virtual ~SharedArenas() = default;
  virtual void register_arena(const ArenaView& arena) = 0;
};

/// Host memory a workload needs for its inputs and state (a graph, an order stream), as it knows after
/// configure() and before it loads them.
struct MemoryEstimate {
  std::uint64_t bytes = 0;
  std::string what;  ///< what needs it, for messages: "a graph of 2147483648 vertices and 2 edges in 4 partitions"
  std::string key;   ///< the workload parameter it follows from ("graph", "generator"), to locate messages; "" for the workload
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string name() const = 0;
  /// After configure(): the host memory the workload's inputs and state will take (0 bytes when small or
  /// not known). The harness adds it to the kernels' rings and refuses a run that does not fit in the
  /// machine's available memory (exit 2), so configure() should check its inputs without loading what
  /// is large (a streaming pass) and load them in prepare_process() or run().
  virtual MemoryEstimate memory_estimate() const { return {}; }
  /// Whether its kernels may run in several processes (an MPI run). A workload whose kernels need memory
  /// only the driver's process has runs in one process only.
  virtual bool spans_processes() const { return true; }

  // MPI runs only (rank 0 runs the workload; the hooks below let each rank serve its own kernels).
  /// Every rank, rank 0 included, once its kernels are launched and active and before any message crosses
  /// ranks: set up in this process what this rank's kernels need (e.g. state handed over by pointer),
  /// talking to them through `local` (only this rank's kernels). `is_local(k)`: kernel k runs here.
  virtual void prepare_process(RingKernelRuntime& /*local*/, const std::function<bool(KernelId)>& /*is_local*/,
                               SharedArenas& /*arenas*/) {}
  /// Ranks other than 0, after the run: what rank 0 needs from this process to verify and record (bytes).
  virtual std::string process_results() { return {}; }
  /// Rank 0, after the run and before verify(): every rank's process_results(), indexed by rank.
  virtual void merge_process_results(const std::vector<std::string>& /*by_rank*/) {}
  /// Read and check parameters and the topology before anything runs (input errors → exit 2).
  virtual void configure(const Params& params, const Topology& topology, const RunLimits& limits) = 0;
  /// Drive the run on launched, active kernels. Returns when done or when stop is requested.
  virtual void run(RingKernelRuntime& rt, RunControl& control, ResultSink& sink) = 0;
  /// Check what the run produced (message counts, ordering, causality, reference results).
  virtual Verification verify() = 0;
  /// Write /workloads/<name>/... and final probe data.
  virtual void write_results(ResultSink& sink) = 0;
};

/// Which of the scenario's top-level run limits a workload honours; a scenario that sets one it does not
/// is refused (exit 2) rather than silently run without it.
struct LimitsHonoured {
  bool duration = false;    ///< runs for `duration` when given
  bool iterations = false;  ///< runs `iterations` of its unit of work when given
  bool warmup = false;      ///< runs `warmup` unmeasured first
};

struct WorkloadInfo {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<Workload>()> create;
  std::vector<ParamSpec> params;            ///< the `workload` mapping's keys
  std::vector<ParamSpec> generator_params;  ///< the `workload.generator` mapping's keys (empty: no generator)
  LimitsHonoured limits;
};

}  // namespace rk::workloads
