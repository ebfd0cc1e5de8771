// run_scenario: the life of one run. See driver.hpp.
#include "rk/harness/driver.hpp"

#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include "catalog.hpp"
#include "rk/harness/coordinator.hpp"
#include "rk/record/record.hpp"
#include "system_info.hpp"

#if RK_HAVE_MPI
#include "rk/mpi/bridge.hpp"
#include "rk/mpi/distributed_runtime.hpp"
#include "rk/mpi/environment.hpp"
#include "rk/mpi/gather.hpp"
#endif

namespace rk::harness {

std::atomic<bool>& stop_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

namespace {

using Clock = std::chrono::steady_clock;

/// Workload parameters backed by a scenario mapping (`workload`, or its `generator`): errors carry
/// file:line:col.
class ScenarioParams final : public workloads::Params {
 public:
  ScenarioParams(const scenario::ParamMap& params, const scenario::SourceLocation& where,
                 const scenario::ParamMap* generator = nullptr)
      : params_(params), where_(where) {
    if (generator) generator_ = std::make_unique<ScenarioParams>(*generator, generator->where());
  }
  explicit ScenarioParams(const scenario::WorkloadSpec& w)
      : ScenarioParams(w.params, w.where, w.generator ? &*w.generator : nullptr) {}
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) const override {
    return params_.get_int(key, fallback, scenario::IntRange{min, max});
  }
  double get_double(const std::string& key, double fallback, double min, double max) const override {
    return params_.get_double(key, fallback, scenario::DoubleRange{min, max});
  }
  std::string get_string(const std::string& key, const std::string& fallback) const override {
    return params_.get_string(key, fallback);
  }
  bool get_bool(const std::string& key, bool fallback) const override { return params_.get_bool(key, fallback); }
  bool has(const std::string& key) const override { return params_.contains(key); }
  [[noreturn]] void fail(const std::string& key, const std::string& message) const override {
    if (!key.empty() && params_.contains(key)) params_.fail(key, message);
    throw scenario::ScenarioError(where_, message);
  }
  const workloads::Params* generator() const override { return generator_.get(); }

 private:
  const scenario::ParamMap& params_;
  scenario::SourceLocation where_;
  std::unique_ptr<ScenarioParams> generator_;
};

/// Where the workload's results go: the HDF5 file.
class FileSink final : public workloads::ResultSink {
 public:
  FileSink(record::ResultsFile& file, std::string workload) : file_(file), workload_(std::move(workload)) {}
  void latency(const std::string& probe, std::span<const std::uint64_t> s) override {
    if (!s.empty()) series_for(probe).append(s);
    else (void)series_for(probe);
  }
  void throughput(const std::string& probe, std::uint64_t t, std::uint64_t m, std::uint64_t b) override {
    std::lock_guard lk(mu_);
    auto it = tp_.find(probe);
    if (it == tp_.end()) it = tp_.emplace(probe, file_.throughput(probe)).first;
    it->second.append(t, m, b);
  }
  void event(const std::string& severity, const std::string& kind, const std::string& kernel,
             const std::string& message) override {
    record::Event e;
    e.severity = severity == "error" ? record::Severity::error : severity == "warning" ? record::Severity::warning
                                                                                      : record::Severity::info;
    e.kind = kind;
    e.kernel = kernel;
    e.message = message;
    file_.events().append(e);
  }
  void write_f64(const std::string& n, std::span<const double> v) override { group().write_f64(n, v); }
  void write_u64(const std::string& n, std::span<const std::uint64_t> v) override { group().write_u64(n, v); }
  void write_i64(const std::string& n, std::span<const std::int64_t> v) override { group().write_i64(n, v); }
  void write_strings(const std::string& n, const std::vector<std::string>& v) override { group().write_strings(n, v); }
  void write_table(const std::string& n, const std::vector<Column>& cols, std::size_t row_size, const void* rows,
                   std::size_t count) override {
    std::vector<record::Column> out;
    for (const auto& c : cols) {
      record::Column rc;
      rc.name = c.name;
      rc.offset = c.offset;
      switch (c.type) {
        case ColumnType::U32: rc.type = record::ScalarType::u32; rc.size = 4; break;
        case ColumnType::U64: rc.type = record::ScalarType::u64; rc.size = 8; break;
        case ColumnType::I32: rc.type = record::ScalarType::i32; rc.size = 4; break;
        case ColumnType::I64: rc.type = record::ScalarType::i64; rc.size = 8; break;
        case ColumnType::F64: rc.type = record::ScalarType::f64; rc.size = 8; break;
      }
      out.push_back(rc);
    }
    group().write_table_raw(n, out, row_size, rows, count);
  }
  void attr(const std::string& n, double v) override { group().set_attr(n, v); }
  void attr(const std::string& n, std::int64_t v) override { group().set_attr(n, v); }
  void attr(const std::string& n, const std::string& v) override { group().set_attr(n, v); }

 private:
  record::LatencySeries& series_for(const std::string& probe) {
    std::lock_guard lk(mu_);
    auto it = lat_.find(probe);
    if (it == lat_.end()) it = lat_.emplace(probe, file_.latency(probe)).first;
    return it->second;
  }
  record::WorkloadGroup group() { return file_.workload(workload_); }

  record::ResultsFile& file_;
  std::string workload_;
  std::mutex mu_;
  std::map<std::string, record::LatencySeries> lat_;
  std::map<std::string, record::ThroughputSeries> tp_;
};

/// The sink of ranks other than 0: they record nothing themselves.
class NullSink final : public workloads::ResultSink {
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

/// Stop flag, progress and the run clock for the workload.
class Control final : public workloads::RunControl {
 public:
  explicit Control(Clock::time_point origin) : origin_(origin) {}
  bool stop_requested() const override { return stop_flag().load(std::memory_order_relaxed); }
  void progress(std::uint64_t done, std::uint64_t planned) override {
    done_.store(done, std::memory_order_relaxed);
    planned_.store(planned, std::memory_order_relaxed);
  }
  std::uint64_t now_ns() const override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - origin_).count());
  }
  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  std::uint64_t planned() const { return planned_.load(std::memory_order_relaxed); }

 private:
  Clock::time_point origin_;
  std::atomic<std::uint64_t> done_{0}, planned_{0};
};

struct PlannedKernel {
  std::size_t index;  ///< into Scenario::kernels
  LaunchOptions options;
};

/// A scenario loaded, checked and turned into a launch plan, with its workload configured.
struct Prepared {
  scenario::Scenario sc;
  std::string backend;
  std::unique_ptr<workloads::Workload> workload;
  workloads::Topology topo;
  std::vector<PlannedKernel> planned;
  workloads::RunLimits limits;
};

IdleStrategy to_idle(scenario::IdlePolicy p) {
  switch (p) {
    case scenario::IdlePolicy::spin: return IdleStrategy::Spin;
    case scenario::IdlePolicy::yield: return IdleStrategy::Yield;
    case scenario::IdlePolicy::park: return IdleStrategy::Park;
    case scenario::IdlePolicy::adaptive: return IdleStrategy::Adaptive;
  }
  return IdleStrategy::Adaptive;
}

std::string param_text(const scenario::Value& v) {
  if (const auto* list = std::get_if<scenario::Value::List>(&v.data)) {
    std::string out;
    for (const auto& item : *list) out += (out.empty() ? "" : ",") + param_text(item);
    return out;
  }
  return v.text;
}

RouteRule parse_route_rule(const std::string& r) {
  for (RouteRule x : {RouteRule::Direct, RouteRule::RoundRobin, RouteRule::Hash, RouteRule::Broadcast})
    if (r == to_string(x)) return x;
  return RouteRule::Direct;
}

/// Kernel ids are the scenario order; routes become each kernel's `outputs`/`rule` parameters.
std::vector<PlannedKernel> plan(const scenario::Scenario& sc, workloads::Topology& topo) {
  std::map<std::string, KernelId> ids;
  std::vector<PlannedKernel> out;
  for (std::size_t i = 0; i < sc.kernels.size(); ++i) ids[sc.kernels[i].id] = static_cast<KernelId>(i);
  for (std::size_t i = 0; i < sc.kernels.size(); ++i) {
    const auto& k = sc.kernels[i];
    workloads::KernelInfo info;
    info.name = k.id;
    info.type = k.type;
    info.id = static_cast<KernelId>(i);
    info.device = k.device < 0 ? 0 : k.device;
    topo.kernels.push_back(info);
    PlannedKernel p{i, {}};
    p.options.kernel_type = k.type;
    p.options.input_capacity = k.queue_capacity;
    p.options.output_capacity = std::max<std::uint32_t>(k.queue_capacity, 1024);
    p.options.idle = to_idle(k.idle);
    p.options.requested_id = static_cast<int>(i);
    p.options.device = k.device;
    for (const auto& [key, value] : k.params.entries()) p.options.params.set(key, param_text(value));
    out.push_back(std::move(p));
  }
  for (const auto& r : sc.routes) {
    const std::vector<std::string> from = r.from.is_host() ? std::vector<std::string>{} : r.from.kernel_ids;
    if (r.from.is_host())
      for (const auto& to : r.to.kernel_ids) topo.kernels[ids.at(to)].input_from_host = true;
    for (const auto& f : from) {
      auto& info = topo.kernels[ids.at(f)];
      if (r.to.is_host()) {
        info.outputs_to_host = true;
        continue;
      }
      for (const auto& to : r.to.kernel_ids) {
        if (to == f) continue;  // a group routed to itself (all_to_all) skips the kernel's own id
        info.outputs.push_back(ids.at(to));
      }
      info.rule = std::string(scenario::to_string(r.rule));
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    const workloads::KernelInfo& info = topo.kernels[i];
    KernelRoutes routes;
    routes.outputs = info.outputs;
    routes.rule = parse_route_rule(info.rule);
    routes.to_host = info.outputs_to_host;
    out[i].options.params.set_routes(std::move(routes));
    // Transitional: the string form, until every handler reads routes().
    std::string list;
    for (KernelId o : info.outputs) list += (list.empty() ? "" : ",") + std::to_string(o);
    out[i].options.params.set("outputs", list);
    out[i].options.params.set("rule", info.rule);
  }
  return out;
}

std::string default_output(const scenario::Scenario& sc) {
  std::string ts = record::utc_timestamp();
  for (char& c : ts)
    if (c == ':') c = '-';
  return "results/" + sc.name + "-" + ts + ".h5";
}

std::string human_rate(double per_s) {
  char buf[32];
  if (per_s >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM/s", per_s / 1e6);
  else if (per_s >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk/s", per_s / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f/s", per_s);
  return buf;
}

/// Samples telemetry and throughput probes at the scenario's interval, and draws the progress line.
class Sampler {
 public:
  Sampler(RingKernelRuntime& rt, record::ResultsFile& file, const scenario::Scenario& sc, Control& ctl, bool progress)
      : rt_(rt), file_(file), sc_(sc), ctl_(ctl), progress_(progress) {
    for (const auto& k : sc.kernels) telemetry_.emplace_back(k.id, file.telemetry(k.id));
    for (const auto& p : sc.probes.throughput) {
      if (p.at.is_host()) continue;  // host-side throughput is recorded by the workload itself
      throughput_.push_back({p.name, p.at.kernel_ids, file.throughput(p.name), 0});
    }
    for (auto& t : throughput_) t.series.append(ctl_.now_ns(), 0, 0);
    thread_ = std::thread([this] { loop(); });
  }
  ~Sampler() {
    try {
      stop();
    } catch (const std::exception&) {
      // Already reported by the explicit stop() on the normal path.
    }
  }
  void stop() {
    {
      std::lock_guard lk(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (progress_) std::fputs("\r\033[K", stderr);
    if (!error_.empty()) throw std::runtime_error("telemetry sampling failed: " + error_);
    sample_all();  // a last sample at the end of the run
  }

 private:
  struct Tp {
    std::string name;
    std::vector<std::string> kernels;
    record::ThroughputSeries series;
    std::uint64_t last;
  };
  void loop() {
    const auto interval = sc_.probes.telemetry_interval.count() > 0 ? sc_.probes.telemetry_interval
                                                                    : std::chrono::nanoseconds(std::chrono::milliseconds(100));
    auto next_draw = Clock::now();
    std::unique_lock lk(mu_);
    while (!stopped_) {
      cv_.wait_for(lk, std::min<std::chrono::nanoseconds>(interval, std::chrono::milliseconds(200)));
      if (stopped_) break;
      lk.unlock();
      try {
        sample_all();
      } catch (const std::exception& e) {
        // Recording must not take the run down from a side thread: keep the first error for the report.
        std::lock_guard g(mu_);
        if (error_.empty()) error_ = e.what();
      }
      if (progress_ && Clock::now() >= next_draw) {
        draw();
        next_draw = Clock::now() + std::chrono::milliseconds(200);
      }
      lk.lock();
    }
  }
  void sample_all() {
    const std::uint64_t t = ctl_.now_ns();
    if (sc_.probes.telemetry_interval.count() > 0) {
      for (auto& [name, series] : telemetry_) {
        const TelemetrySnapshot s = rt_.telemetry(name);
        record::TelemetryRow row;
        row.t_ns = t;
        row.messages_processed = s.telemetry.messages_processed;
        row.messages_dropped = s.telemetry.messages_dropped;
        row.total_latency_ns = s.telemetry.total_latency_ns;
        row.min_latency_ns = s.telemetry.messages_processed ? s.telemetry.min_latency_ns : 0;
        row.max_latency_ns = s.telemetry.max_latency_ns;
        row.input_queue_depth = s.telemetry.input_queue_depth;
        row.output_queue_depth = s.telemetry.output_queue_depth;
        row.last_error = s.telemetry.last_error;
        row.error_count = s.telemetry.error_count;
        row.in_flight = s.messages_in_flight;
        row.is_active = s.is_active != 0;
        row.has_terminated = s.has_terminated != 0;
        series.append(row);
      }
    }
    for (auto& tp : throughput_) {
      std::uint64_t total = 0;
      for (const auto& k : tp.kernels) total += rt_.status(k).messages_processed;
      tp.series.append(t, total - tp.last, (total - tp.last) * sizeof(Slot));
      tp.last = total;
    }
  }
  void draw() {
    const double elapsed = static_cast<double>(ctl_.now_ns()) * 1e-9;
    const std::uint64_t done = ctl_.done(), planned = ctl_.planned();
    std::ostringstream line;
    line << "\r\033[K" << std::fixed << std::setprecision(1) << elapsed << "s  " << done << " messages  "
         << human_rate(elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0);
    double eta = -1;
    if (planned > 0 && done > 0) eta = elapsed * static_cast<double>(planned - std::min(done, planned)) / static_cast<double>(done);
    else if (sc_.duration) eta = std::max(0.0, std::chrono::duration<double>(*sc_.duration + sc_.warmup).count() - elapsed);
    if (eta >= 0) line << "  ETA " << std::setprecision(1) << eta << "s";
    std::fputs(line.str().c_str(), stderr);
    std::fflush(stderr);
  }

  RingKernelRuntime& rt_;
  record::ResultsFile& file_;
  const scenario::Scenario& sc_;
  Control& ctl_;
  bool progress_;
  std::vector<std::pair<std::string, record::TelemetrySeries>> telemetry_;
  std::vector<Tp> throughput_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::string error_;
  std::thread thread_;
};

/// Performs the scenario's timed migrations and load-triggered rebalancing while the workload runs.
class MigrationDriver {
 public:
  MigrationDriver(MultiGpuCoordinator& coord, const scenario::CoordinatorSpec& spec, workloads::ResultSink& sink,
                  Control& ctl)
      : coord_(coord), spec_(spec), sink_(sink), ctl_(ctl) {
    if (!spec_.migrations.empty() || spec_.rebalance_threshold > 0) thread_ = std::thread([this] { loop(); });
  }
  ~MigrationDriver() { stop(); }
  void stop() {
    {
      std::lock_guard lk(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::vector<scenario::MigrationSpec> pending = spec_.migrations;
    std::sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
    std::size_t next = 0;
    auto next_rebalance = std::chrono::nanoseconds(spec_.rebalance_interval);
    std::unique_lock lk(mu_);
    while (!stopped_) {
      const auto now = std::chrono::nanoseconds(ctl_.now_ns());
      std::chrono::nanoseconds wake = std::chrono::milliseconds(50);
      if (next < pending.size()) wake = std::min(wake, pending[next].at - std::min(pending[next].at, now));
      if (spec_.rebalance_threshold > 0) wake = std::min(wake, next_rebalance - std::min(next_rebalance, now));
      if (wake.count() > 0) {
        cv_.wait_for(lk, wake);
        continue;
      }
      lk.unlock();
      try {
        if (next < pending.size() && pending[next].at <= now) {
          const auto& m = pending[next++];
          record(coord_.migrate(m.kernel, static_cast<std::uint32_t>(m.to)), "scheduled");
        } else if (spec_.rebalance_threshold > 0) {
          coord_.observe();
          if (auto r = coord_.rebalance(spec_.rebalance_threshold)) record(*r, "load threshold");
          next_rebalance = now + spec_.rebalance_interval;
        }
      } catch (const std::exception& e) {
        sink_.event("error", "migration", "", e.what());
      }
      lk.lock();
    }
  }
  void record(const MigrationReport& r, const char* why) {
    sink_.event("info", "migration", r.kernel,
                std::string(why) + ": device " + std::to_string(r.from_device) + " -> " + std::to_string(r.to_device) +
                    ", " + std::to_string(r.state_bytes) + " state bytes, " + std::to_string(r.queued_messages) +
                    " queued messages, " + std::to_string(r.duration.count()) + " ns");
  }

  MultiGpuCoordinator& coord_;
  const scenario::CoordinatorSpec& spec_;
  workloads::ResultSink& sink_;
  Control& ctl_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
};

/// Let kernels finish what is queued (bounded by the drain timeout).
bool drain(RingKernelRuntime& rt, const scenario::Scenario& sc) {
  const auto deadline = Clock::now() + sc.drain_timeout;
  for (;;) {
    bool idle = true;
    for (const auto& k : sc.kernels) {
      const auto m = rt.telemetry(k.id);
      const auto st = rt.metrics(k.id);
      if (m.messages_in_flight || st.input.total_enqueued != st.input.total_dequeued) idle = false;
    }
    if (idle) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void print_summary(std::ostream& out, const scenario::Scenario& sc, int ranks, const RunResult& r, double seconds,
                   const workloads::Verification& v) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"scenario", sc.name}, {"workload", sc.workload.name}, {"backend", "cpu"},
      {"devices", std::to_string(sc.devices) + (sc.devices > 1 ? " (simulated)" : "") +
                      (ranks > 1 ? " on " + std::to_string(ranks) + " MPI ranks" : "")},
      {"status", r.status},  {"duration", std::to_string(seconds).substr(0, 6) + " s"}};
  for (const auto& f : v.figures) rows.push_back(f);
  rows.emplace_back("verification", v.ok ? "passed" : "FAILED");
  rows.emplace_back("results", r.results.string());
  std::size_t w = 0;
  for (const auto& [k, val] : rows) w = std::max(w, k.size());
  out << "\n";
  for (const auto& [k, val] : rows) out << "  " << std::left << std::setw(static_cast<int>(w)) << k << "  " << val << "\n";
  for (const auto& f : v.failures) out << "  check failed: " << f << "\n";
  if (!r.error.empty() && v.failures.empty()) out << "  error: " << r.error << "\n";
}

Prepared prepare(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                 const std::string& backend_override) {
  Prepared p;
  p.sc = scenario::load_scenario(path, overrides, validation_context());
  const scenario::Scenario& sc = p.sc;
  std::string backend = backend_override.empty() ? std::string(scenario::to_string(sc.backend)) : backend_override;
  if (backend == "cuda")
    throw InputError(sc.source_path + ": backend 'cuda' is not available: this executable runs ring kernels on the "
                     "CPU backend only (the CUDA device code is compiled but its host runtime is not built yet)");
  if (backend != "auto" && backend != "cpu") throw InputError("unknown backend '" + backend + "' (use auto, cpu or cuda)");
  p.backend = "cpu";
  for (const auto& k : sc.kernels)
    if (k.device >= sc.devices)
      throw scenario::ScenarioError(k.where, "kernel '" + k.id + "' is placed on device " + std::to_string(k.device) +
                                                 " but the scenario has " + std::to_string(sc.devices) + " device(s)");
  if (sc.workload.name.empty()) throw scenario::ScenarioError(sc.workload.where, "the scenario names no workload");
  for (const auto& w : registered_workloads())
    if (w.name == sc.workload.name) p.workload = w.create();
  p.planned = plan(sc, p.topo);
  p.limits.duration = sc.duration;
  p.limits.iterations = sc.iterations;
  p.limits.warmup = sc.warmup;
  p.limits.drain_timeout = sc.drain_timeout;
  p.limits.seed = sc.seed;
  for (const auto& pr : sc.probes.latency)
    p.limits.latency_probes.push_back({pr.name, pr.from.is_host() ? "host" : pr.from.name, pr.to.is_host() ? "host" : pr.to.name});
  ScenarioParams params(sc.workload);
  try {
    p.workload->configure(params, p.topo, p.limits);  // workload input errors surface here, before any file exists
  } catch (const workloads::InputError& e) {
    throw InputError(e.what());  // a malformed data file: exit 2, the message names file:line
  }
  return p;
}

}  // namespace

scenario::Scenario validate_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  return prepare(path, overrides, "").sc;
}

namespace {

#if RK_HAVE_MPI
/// The process's MPI environment: made by the first run under an MPI launcher, finalised when the
/// process exits, after main() has returned. MPI_Finalize waits for every rank, so no rank can leave
/// (and have the launcher tear the job down, which cut off rank 0's stderr now and then) before
/// rank 0 has written its last words: the error or the summary.
mpi::Environment* process_environment() {
  static const std::unique_ptr<mpi::Environment> env = std::make_unique<mpi::Environment>();
  return env.get();
}
#endif

/// The processes of a run: one (no MPI launcher) or the ranks of an MPI job. Collective calls are no-ops
/// for a single process.
class Cluster {
 public:
  Cluster() {
#if RK_HAVE_MPI
    if (mpi::started_by_mpi_launcher()) {
      env_ = process_environment();
      rank_ = env_->rank();
      size_ = env_->size();
    }
#endif
  }
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool distributed() const { return size_ > 1; }
  bool all_true(bool ok) const {
#if RK_HAVE_MPI
    if (distributed()) return env_->all_true(ok);
#endif
    return ok;
  }
  /// Every rank's `text`, at rank 0 (elsewhere empty).
  std::vector<std::string> gather(const std::string& text) const {
#if RK_HAVE_MPI
    if (distributed()) return mpi::gather_strings(*env_, text);
#endif
    return {text};
  }
  int broadcast(int value) const {
#if RK_HAVE_MPI
    if (distributed()) return env_->broadcast(value);
#endif
    return value;
  }
  std::string library_version() const {
#if RK_HAVE_MPI
    if (env_) return env_->library_version();
#endif
    return {};
  }
#if RK_HAVE_MPI
  mpi::Environment& env() const { return *env_; }
#endif

 private:
#if RK_HAVE_MPI
  mpi::Environment* env_ = nullptr;
#endif
  int rank_ = 0;
  int size_ = 1;
};

#if RK_HAVE_MPI
/// The workload's shared arenas go to the MPI bridge.
class BridgeArenas final : public workloads::SharedArenas {
 public:
  explicit BridgeArenas(mpi::MpiBridge& bridge) : bridge_(bridge) {}
  void register_arena(const ArenaView& arena) override { bridge_.register_arena(arena); }

 private:
  mpi::MpiBridge& bridge_;
};
#endif

/// Thrown on ranks other than 0 when the run cannot go on: rank 0 reports why.
class OtherRankFailed : public InputError {
 public:
  OtherRankFailed() : InputError("the run failed on another rank (rank 0 reports why)") {}
};

/// Collective: every rank passes its own failure (empty: none). When any rank failed, rank 0 throws its own
/// error (or a rank's, named) and the other ranks throw OtherRankFailed; the error keeps its kind.
void agree(const Cluster& cluster, const std::exception_ptr& failure) {
  if (!cluster.distributed()) {
    if (failure) std::rethrow_exception(failure);
    return;
  }
  if (cluster.all_true(!failure)) return;
  std::string text;
  bool input = false;
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const scenario::ScenarioError& e) {
      text = e.what();
      input = true;
    } catch (const InputError& e) {
      text = e.what();
      input = true;
    } catch (const std::exception& e) {
      text = e.what();
    }
  }
  const auto all = cluster.gather(std::string(input ? "2" : "1") + text);
  if (cluster.rank() != 0) throw OtherRankFailed();
  if (failure) std::rethrow_exception(failure);
  for (std::size_t r = 1; r < all.size(); ++r) {
    if (all[r].empty()) continue;
    const std::string msg = "rank " + std::to_string(r) + ": " + all[r].substr(1);
    if (all[r][0] == '2') throw InputError(msg);
    throw std::runtime_error(msg);
  }
}

#if RK_HAVE_MPI
/// RK_MPI_BRIDGE="outbox=N,batch=N,inflight=N,pending=N": the bridge's buffer sizes (for tuning, and for
/// tests that want backpressure on every path). Unknown keys and bad numbers are input errors.
mpi::BridgeOptions bridge_options() {
  mpi::BridgeOptions o;
  const char* env = std::getenv("RK_MPI_BRIDGE");
  if (env == nullptr) return o;
  std::istringstream in(env);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    std::uint64_t v = 0;
    const char* first = item.c_str() + (eq == std::string::npos ? item.size() : eq + 1);
    const auto [ptr, ec] = std::from_chars(first, item.c_str() + item.size(), v);
    if (eq == std::string::npos || ec != std::errc{} || *ptr != '\0' || v == 0 || v > (1u << 24))
      throw InputError("RK_MPI_BRIDGE: '" + item + "' is not KEY=N with 1 <= N <= 2^24");
    if (key == "outbox") {
      if ((v & (v - 1)) != 0 || v < 2) throw InputError("RK_MPI_BRIDGE: outbox must be a power of two >= 2");
      o.outbox_capacity = static_cast<std::uint32_t>(v);
    } else if (key == "batch") {
      o.batch_slots = static_cast<std::uint32_t>(v);
    } else if (key == "inflight") {
      o.max_inflight_batches = static_cast<std::uint32_t>(v);
    } else if (key == "pending") {
      o.max_pending = v;
    } else {
      throw InputError("RK_MPI_BRIDGE: unknown key '" + key + "' (outbox, batch, inflight, pending)");
    }
  }
  return o;
}
#endif

}  // namespace

int launcher_rank() {
#if RK_HAVE_MPI
  return mpi::launcher_rank();
#else
  return 0;
#endif
}

RunResult run_scenario(const RunOptions& opts, std::ostream& out) {
  Cluster cluster;
  const int rank = cluster.rank(), ranks = cluster.size();
  const bool root = rank == 0;

  Prepared prepared;
  std::exception_ptr failure;
  try {
    prepared = prepare(opts.scenario, opts.overrides, opts.backend);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure && cluster.distributed() && !prepared.workload->spans_processes())
    failure = std::make_exception_ptr(InputError(
        prepared.sc.source_path + ": workload '" + prepared.sc.workload.name + "' runs in one process only (its kernels "
        "share memory), but this run has " + std::to_string(cluster.size()) + " MPI ranks; run it without mpirun"));
#if RK_HAVE_MPI
  mpi::BridgeOptions bridge_opts;
  if (!failure && cluster.distributed()) {
    try {
      bridge_opts = bridge_options();  // input errors (exit 2) before any results file exists
    } catch (...) {
      failure = std::current_exception();
    }
  }
#endif
  agree(cluster, failure);
  scenario::Scenario& sc = prepared.sc;
  const std::string backend = prepared.backend;
  std::unique_ptr<workloads::Workload>& workload = prepared.workload;
  const std::vector<PlannedKernel>& planned = prepared.planned;
  // One rank per device group: device d belongs to rank d·R/N. A rank needs at least one device.
  const int requested_devices = sc.devices;
  if (sc.devices < ranks) sc.devices = ranks;
  auto owner_of_device = [&](std::uint32_t d) { return static_cast<int>(static_cast<std::uint64_t>(d) * ranks / sc.devices); };
  const std::vector<std::string> hosts = cluster.gather(host_name());

  const std::filesystem::path output = opts.output.empty() ? std::filesystem::path(default_output(sc)) : opts.output;
  // From here on everything is recorded (by rank 0); failures end the run as `failed`, not as a crash.
  RunResult result;
  result.results = output;
  result.rank = rank;
  std::optional<record::ResultsFile> file;
  if (root) {
    try {
      std::error_code ec;
      if (std::filesystem::is_directory(output, ec))
        throw InputError("--output " + output.string() + " is a directory; give a file name");
      record::RunInfo info;
      info.scenario_yaml = sc.source_text;
      info.argv = opts.argv;
      info.backend = backend;
      info.device_count = static_cast<std::uint32_t>(sc.devices);
      info.git_revision = git_revision();
      info.git_dirty = git_dirty();
      info.build_type = build_type();
      info.versions = library_versions();
      if (cluster.distributed()) info.versions["mpi"] = cluster.library_version();
      try {
        file.emplace(record::ResultsFile::create(result.results, info));
      } catch (const record::RecordError& e) {
        throw InputError("cannot create the results file: " + std::string(e.what()));
      }
      file->set_attr("scenario_name", sc.name);
      file->set_attr("workload", sc.workload.name);
      file->set_attr("seed", static_cast<std::int64_t>(sc.seed));
      file->set_attr("mpi_ranks", static_cast<std::int64_t>(ranks));
    } catch (...) {
      failure = std::current_exception();
    }
  }
  agree(cluster, failure);

  cpu::CpuRuntimeConfig cfg;
  cfg.command_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(sc.drain_timeout) + std::chrono::seconds(1);
  cfg.devices = static_cast<std::uint32_t>(sc.devices);
  cfg.rank = rank;
  std::uint32_t owned = 0;  // devices of this rank
  for (std::uint32_t d = 0; d < cfg.devices; ++d) owned += owner_of_device(d) == rank;
  if (cluster.distributed()) {
    // Workers go to this rank's devices, sharing the cores this rank may use (several ranks may share a
    // node); the others' devices exist here only as placement targets.
    cfg.workers = std::max(1u, allowed_cpus() / std::max(1u, owned));
  }
  cpu::CpuRuntime rt(cfg);
  if (cluster.distributed()) {
    // mpirun binds each rank to one core by default (np <= 2): the host loop, the bridge and the
    // workers then share it and every hop waits for a scheduler time slice (milliseconds). Warn when a
    // rank cannot give each of its devices, the host loop and the bridge a core of their own, and the
    // binding, not the machine, is the reason.
    const unsigned threads = owned + 2;
    const unsigned cpus = allowed_cpus();
    const bool short_by_binding = cpus < threads && cpus < std::thread::hardware_concurrency();
    const std::vector<std::string> cores = cluster.gather(short_by_binding ? std::to_string(cpus) : "");
    for (std::size_t r = 0; r < cores.size(); ++r) {
      if (cores[r].empty()) continue;
      const unsigned n = static_cast<unsigned>(std::stoul(cores[r]));
      const std::string msg = "rank " + std::to_string(r) + " may use " + std::to_string(n) + " core(s) for " +
                              "at least " + std::to_string(threads) + " busy threads (workers, host, MPI bridge): latencies will be "
                              "scheduler time slices; run mpirun with --bind-to none or more cores per rank "
                              "(--map-by slot:PE=" + std::to_string(threads) + ", srun --cpus-per-task)";
      if (file) {
        record::Event e;
        e.severity = record::Severity::warning;
        e.kind = "mpi";
        e.message = msg;
        file->events().append(e);
      }
      if (root && !opts.quiet) std::cerr << "ringkernel: warning: " << msg << "\n";
    }
  }
  std::vector<DeviceProperties> devices = rt.devices();
  for (auto& d : devices) d.rank = owner_of_device(d.index);
  std::unique_ptr<FileSink> sink_ptr;
  if (root) {
    for (const DeviceProperties& d : devices) {
      record::DeviceInfo dev;
      dev.index = d.index;
      dev.name = d.name;
      dev.kind = d.kind;
      dev.memory_bytes = d.memory_bytes;
      dev.clock_khz = cpu_clock_khz();
      dev.multiprocessor_count = d.compute_units;
      dev.cpu_model = cpu_model();
      dev.rank = d.rank;
      dev.host = static_cast<std::size_t>(d.rank) < hosts.size() ? hosts[static_cast<std::size_t>(d.rank)] : host_name();
      file->add_device(dev);
    }
    sink_ptr = std::make_unique<FileSink>(*file, sc.workload.name);
  }
  // Ranks other than 0 record nothing themselves: what they know reaches rank 0 through the bridge.
  NullSink null_sink;
  workloads::ResultSink& sink = root ? static_cast<workloads::ResultSink&>(*sink_ptr) : null_sink;
  register_kernel_types(rt);

  std::vector<std::string> names;
  for (const auto& p : planned) names.push_back(sc.kernels[p.index].id);
#if RK_HAVE_MPI
  std::unique_ptr<mpi::MpiBridge> bridge;
  std::unique_ptr<mpi::DistributedRuntime> drt;
#endif
  RingKernelRuntime* run_rt = &rt;
  // Placement sees every device and places every kernel (the same decisions on every rank); each rank
  // launches what landed on its own devices.
  const LoadBalancing policy = parse_load_balancing(sc.coordinator.placement).value_or(LoadBalancing::LeastLoaded);
  std::optional<MultiGpuCoordinator> placement;
  std::vector<int> kernel_device(planned.size(), 0), kernel_owner(planned.size(), 0);

  const auto origin = Clock::now();
  Control ctl(origin);
  if (root) file->set_attr("placement", std::string(to_string(policy)));
  workloads::Verification verification;
  bool interrupted = false;
  try {
    try {
      placement.emplace(rt, policy);
      for (std::size_t i = 0; i < planned.size(); ++i) {
        const scenario::KernelSpec& k = sc.kernels[planned[i].index];
        kernel_device[i] = static_cast<int>(placement->place(k.id, k.device));
        kernel_owner[i] = owner_of_device(static_cast<std::uint32_t>(kernel_device[i]));
      }
#if RK_HAVE_MPI
      if (cluster.distributed()) {
        bridge = std::make_unique<mpi::MpiBridge>(cluster.env(), rt, kernel_owner, names, bridge_opts);
        drt = std::make_unique<mpi::DistributedRuntime>(rt, *bridge, names, devices);
        run_rt = drt.get();
      }
#endif
      if (cluster.distributed() && requested_devices < ranks)
        sink.event("info", "placement", "", "the scenario asks for " + std::to_string(requested_devices) +
                                                " device(s); " + std::to_string(ranks) + " ranks run one each");
      for (std::size_t i = 0; i < planned.size(); ++i) {
        const scenario::KernelSpec& k = sc.kernels[planned[i].index];
        std::string where = "device " + std::to_string(kernel_device[i]);
        if (cluster.distributed()) where += " (rank " + std::to_string(kernel_owner[i]) + ")";
        if (kernel_owner[i] == rank) {
          LaunchOptions o = planned[i].options;
          o.device = kernel_device[i];
          rt.launch(k.id, Dim3{k.grid.x, k.grid.y, k.grid.z}, Dim3{k.block.x, k.block.y, k.block.z}, o);
        }
        sink.event("info", "lifecycle", k.id, "launched (" + k.type + ") on " + where);
      }
      for (std::size_t i = 0; i < planned.size(); ++i) {
        if (kernel_owner[i] == rank) rt.activate(names[i]);
        sink.event("info", "lifecycle", names[i], "activated");
      }
#if RK_HAVE_MPI
      // Each rank prepares what its own kernels need in its process (before any message crosses ranks:
      // until the bridge starts, this rank's kernel outputs stay here).
      if (bridge && !failure) {
        BridgeArenas arenas(*bridge);
        workload->prepare_process(rt, [&](KernelId k) { return k < kernel_owner.size() && kernel_owner[k] == rank; },
                                  arenas);
      }
#endif
    } catch (...) {
      failure = std::current_exception();
    }
    agree(cluster, failure);  // every rank's kernels run before any message flows
#if RK_HAVE_MPI
    if (bridge) bridge->start();
#endif
    {
      std::optional<Sampler> sampler;
      MultiGpuCoordinator coordinator(*run_rt, policy);
      std::optional<MigrationDriver> migrations;
      if (root) {
        sampler.emplace(*run_rt, *file, sc, ctl, opts.progress);
        migrations.emplace(coordinator, sc.coordinator, sink, ctl);
        sink.event("info", "lifecycle", "", "run started");
      }
      std::exception_ptr run_failure;
      try {
        if (root) workload->run(*run_rt, ctl, sink);
#if RK_HAVE_MPI
        else bridge->wait_for_stop();
#endif
      } catch (...) {
        run_failure = std::current_exception();
      }
      if (migrations) migrations->stop();
      interrupted = root && stop_flag().load();
      if (interrupted) {
        sink.event("warning", "lifecycle", "", "interrupted: draining");
        if (!drain(*run_rt, sc)) sink.event("warning", "lifecycle", "", "drain timed out with messages still queued");
      }
#if RK_HAVE_MPI
      if (bridge) {
        // Collective on every rank, also after a failed workload: the others wait for it.
        const mpi::BridgeCounters c = bridge->stop();
        const auto all = cluster.gather(std::to_string(c.messages_sent) + " " + std::to_string(c.batches_sent) + " " +
                                        std::to_string(c.bytes_sent) + " " + std::to_string(c.messages_received) + " " +
                                        std::to_string(c.full_outbox) + " " + std::to_string(c.dead_letters) + " " +
                                        std::to_string(c.unread_host_messages));
        for (std::size_t r = 0; r < all.size(); ++r) {
          std::istringstream in(all[r]);
          std::uint64_t sent = 0, batches = 0, bytes = 0, received = 0, full = 0, dead = 0, unread = 0;
          in >> sent >> batches >> bytes >> received >> full >> dead >> unread;
          sink.event(dead || unread ? "warning" : "info", "mpi", "",
                     "rank " + std::to_string(r) + " (" + hosts[r] + "): sent " + std::to_string(sent) + " messages in " +
                         std::to_string(batches) + " batches (" + std::to_string(bytes) + " bytes), received " +
                         std::to_string(received) + ", outbox full " + std::to_string(full) + " times, " +
                         std::to_string(dead) + " undeliverable, " + std::to_string(unread) + " never read by the host");
        }
      }
#endif
      if (sampler) sampler->stop();
#if RK_HAVE_MPI
      if (!run_failure && bridge && !bridge->error().empty())
        run_failure = std::make_exception_ptr(std::runtime_error(bridge->error()));
#endif
      agree(cluster, run_failure);
    }
    if (cluster.distributed()) interrupted = cluster.broadcast(interrupted ? 1 : 0) != 0;
    std::string dead_text;
    try {
      for (std::size_t i = 0; i < planned.size(); ++i) {
        const std::string& id = names[i];
        const auto st = run_rt->status(id);
        if (st.error_count)
          sink.event("error", "error", id, std::to_string(st.error_count) + " handler errors, last code " +
                                               std::to_string(static_cast<int>(st.last_error)));
        if (kernel_owner[i] == rank) rt.terminate(id);
        sink.event("info", "lifecycle", id, "terminated");
      }
      for (const auto& d : rt.drain_dead_letters())  // one per line: source, destination, reason (may hold spaces)
        dead_text += std::to_string(d.message.header.source_kernel) + " " +
                     std::to_string(d.message.header.dest_kernel) + " " + to_string(d.reason) + "\n";
    } catch (...) {
      failure = std::current_exception();
    }
    agree(cluster, failure);
    for (const std::string& text : cluster.gather(dead_text)) {
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        std::istringstream in(line);
        std::string from, to, reason;
        in >> from >> to;
        std::getline(in >> std::ws, reason);
        sink.event("warning", "dead_letter", from, "undeliverable message to kernel " + to + ": " + reason);
      }
    }
    // Under MPI, what the other ranks' processes hold that rank 0 needs for verify() and the record.
    if (cluster.distributed()) {
      std::string mine;
      try {
        if (!root) mine = workload->process_results();
      } catch (const std::exception& e) {
        failure = std::current_exception();
      }
      agree(cluster, failure);
      const std::vector<std::string> all = cluster.gather(mine);
      if (root) workload->merge_process_results(all);
    }
    if (root) {
      if (!interrupted) verification = workload->verify();
      workload->write_results(sink);
      if (interrupted) {
        result.status = "interrupted";
        result.exit_code = kExitInterrupted;
        file->finish(record::Status::interrupted, "interrupted by signal");
      } else if (!verification.ok) {
        result.status = "failed";
        result.exit_code = kExitFailed;
        result.error = "verification failed: " + verification.failures.front();
        for (const auto& f : verification.failures) sink.event("error", "verification", "", f);
        file->finish(record::Status::failed, result.error);
      } else {
        result.status = "complete";
        file->finish(record::Status::complete);
      }
    }
  } catch (const OtherRankFailed& e) {
    result.status = "failed";
    result.exit_code = kExitFailed;
    result.error = e.what();
  } catch (const std::exception& e) {
    result.status = stop_flag().load() ? "interrupted" : "failed";
    result.exit_code = stop_flag().load() ? kExitInterrupted : kExitFailed;
    result.error = e.what();
    if (file && file->is_open()) {
      try {
        sink.event("error", "error", "", e.what());
        file->finish(stop_flag().load() ? record::Status::interrupted : record::Status::failed, e.what());
      } catch (const std::exception&) {
        // The destructor still closes and renames the file as failed.
      }
    }
  }
  // Kernels stop before the bridge goes: a kernel still running could be inside forward() otherwise.
  rt.shutdown();
#if RK_HAVE_MPI
  drt.reset();
  bridge.reset();
#endif
  // Every rank ends with rank 0's verdict.
  result.exit_code = cluster.broadcast(result.exit_code);
  const double seconds = std::chrono::duration<double>(Clock::now() - origin).count();
  if (root && !opts.quiet) print_summary(out, sc, ranks, result, seconds, verification);
  return result;
}

void describe_devices(std::ostream& out) {
  out << "backends:\n";
  out << "  cpu    available (always): simulated devices on " << std::thread::hardware_concurrency()
      << " hardware threads, " << cpu_model() << ", " << memory_bytes() / (1u << 20) << " MiB\n";
  out << "  cuda   not available: the CUDA host runtime is not built into this executable\n";
  out << "devices:\n";
  out << "  cpu-sim-0 … cpu-sim-<N-1>: a scenario's `devices: N` creates N simulated devices, each with\n"
      << "  max(1, " << std::thread::hardware_concurrency() << " / N) worker threads and its own memory arena\n";
  out << "  no GPU: kernels/cuda and the NCCL collectives are compiled but not runnable from here\n";
}

}  // namespace rk::harness
