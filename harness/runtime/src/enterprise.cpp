// Enterprise runtime components: configuration, lifecycle, health, circuit breaker, metrics export.
#include "rk/harness/enterprise.hpp"

#include <sstream>
#include <thread>

namespace rk::harness {

RuntimeConfig ConfigBuilder::build() const {
  const RuntimeConfig& c = cfg_;
  auto bad = [](const std::string& what) { throw RuntimeError("invalid runtime configuration: " + what); };
  if (c.runtime.max_kernels == 0 || c.runtime.max_kernels > kMaxKernels)
    bad("runtime.max_kernels must be in [1, " + std::to_string(kMaxKernels) + "]");
  if (!is_power_of_two(c.runtime.default_queue_capacity) || c.runtime.default_queue_capacity < kMinRingCapacity ||
      c.runtime.default_queue_capacity > kMaxRingCapacity)
    bad("runtime.default_queue_capacity must be a power of two in [2, 2^24]");
  if (c.health.check_interval.count() <= 0) bad("health.check_interval must be positive");
  if (!(c.health.degradation_threshold > 0.0 && c.health.degradation_threshold <= 1.0))
    bad("health.degradation_threshold must be in (0, 1]");
  if (!(c.health.error_rate_threshold >= 0.0)) bad("health.error_rate_threshold must be >= 0");
  if (c.observability.circuit_breaker_threshold == 0) bad("observability.circuit_breaker_threshold must be >= 1");
  return c;
}

RuntimeBuilder& RuntimeBuilder::development() {
  b_.runtime([](auto& r) { r.default_queue_capacity = 1024; })
      .health([](auto& h) { h.check_interval = std::chrono::seconds(1); })
      .observability([](auto& o) { o.circuit_breaker_threshold = 20; });
  return *this;
}
RuntimeBuilder& RuntimeBuilder::production() {
  b_.runtime([](auto& r) { r.default_queue_capacity = capacity(QueueTier::Large); })
      .health([](auto& h) { h.check_interval = std::chrono::seconds(10); })
      .observability([](auto& o) {
        o.prometheus_export = true;
        o.circuit_breaker_threshold = 5;
      });
  return *this;
}
RuntimeBuilder& RuntimeBuilder::high_performance() {
  b_.runtime([](auto& r) { r.default_queue_capacity = capacity(QueueTier::ExtraLarge); })
      .health([](auto& h) { h.check_interval = std::chrono::seconds(30); });
  return *this;
}
RuntimeBuilder& RuntimeBuilder::with_health_check_interval(std::chrono::milliseconds d) {
  b_.health([d](auto& h) { h.check_interval = d; });
  return *this;
}
RuntimeBuilder& RuntimeBuilder::with_circuit_breaker_threshold(std::uint32_t n) {
  b_.observability([n](auto& o) { o.circuit_breaker_threshold = n; });
  return *this;
}
RuntimeBuilder& RuntimeBuilder::with_prometheus_export(bool on) {
  b_.observability([on](auto& o) { o.prometheus_export = on; });
  return *this;
}
RuntimeBuilder& RuntimeBuilder::with_default_queue_capacity(std::uint32_t n) {
  b_.runtime([n](auto& r) { r.default_queue_capacity = n; });
  return *this;
}
RuntimeConfig RuntimeBuilder::build() const { return b_.build(); }

const char* to_string(LifecycleState s) {
  switch (s) {
    case LifecycleState::Initializing: return "initializing";
    case LifecycleState::Running: return "running";
    case LifecycleState::Draining: return "draining";
    case LifecycleState::ShuttingDown: return "shutting_down";
    case LifecycleState::Stopped: return "stopped";
  }
  return "?";
}
const char* to_string(HealthStatus s) {
  return s == HealthStatus::Healthy ? "healthy" : s == HealthStatus::Degraded ? "degraded" : "unhealthy";
}
const char* to_string(CircuitBreaker::State s) {
  return s == CircuitBreaker::State::Closed ? "closed" : s == CircuitBreaker::State::Open ? "open" : "half_open";
}

HealthReport HealthChecker::check(const RingKernelRuntime& rt) {
  HealthReport report;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lk(mu_);
  for (const auto& name : rt.list_kernels()) {
    KernelHealth h{name, HealthStatus::Healthy, ""};
    const KernelStatus st = rt.status(name);
    const KernelMetrics m = rt.metrics(name);
    const std::uint64_t queued = m.input.total_enqueued - m.input.total_dequeued;
    Seen& seen = seen_[name];
    if (seen.since == std::chrono::steady_clock::time_point{} || st.messages_processed != seen.processed) {
      seen.processed = st.messages_processed;
      seen.since = now;
    }
    const double error_rate = st.messages_processed ? static_cast<double>(st.error_count) / static_cast<double>(st.messages_processed)
                                                    : (st.error_count ? 1.0 : 0.0);
    const double utilisation = m.input_capacity ? static_cast<double>(queued) / static_cast<double>(m.input_capacity) : 0.0;
    if (st.state == KernelState::Terminated) {
      h.status = HealthStatus::Unhealthy;
      h.reason = "terminated";
    } else if (error_rate > cfg_.error_rate_threshold) {
      h.status = HealthStatus::Unhealthy;
      h.reason = "error rate " + std::to_string(error_rate);
    } else if (st.state == KernelState::Active && queued > 0 && now - seen.since > cfg_.stall_after) {
      h.status = HealthStatus::Unhealthy;
      h.reason = "stalled with " + std::to_string(queued) + " queued messages";
    } else if (utilisation >= cfg_.degradation_threshold) {
      h.status = HealthStatus::Degraded;
      h.reason = "input queue " + std::to_string(static_cast<int>(utilisation * 100)) + "% full";
    }
    if (h.status > report.overall) report.overall = h.status;
    report.kernels.push_back(std::move(h));
  }
  return report;
}

CircuitBreaker::CircuitBreaker(std::uint32_t threshold, std::chrono::milliseconds reset)
    : threshold_(threshold ? threshold : 1), reset_(reset) {}

bool CircuitBreaker::allow() {
  std::lock_guard lk(mu_);
  if (state_ == State::Open) {
    if (std::chrono::steady_clock::now() - opened_at_ < reset_) {
      ++rejected_;
      return false;
    }
    state_ = State::HalfOpen;
    trial_in_flight_ = false;
  }
  if (state_ == State::HalfOpen) {
    if (trial_in_flight_) {
      ++rejected_;
      return false;
    }
    trial_in_flight_ = true;
  }
  return true;
}
void CircuitBreaker::record_success() {
  std::lock_guard lk(mu_);
  failures_ = 0;
  trial_in_flight_ = false;
  state_ = State::Closed;
}
void CircuitBreaker::record_failure() {
  std::lock_guard lk(mu_);
  trial_in_flight_ = false;
  if (state_ == State::HalfOpen || ++failures_ >= threshold_) {
    state_ = State::Open;
    opened_at_ = std::chrono::steady_clock::now();
    failures_ = 0;
  }
}
CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lk(mu_);
  return state_;
}
std::uint64_t CircuitBreaker::rejected() const {
  std::lock_guard lk(mu_);
  return rejected_;
}

namespace {
std::string label(const std::string& kernel) {
  std::string out = "{kernel=\"";
  for (char c : kernel) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"}";
}
}  // namespace

std::string PrometheusExporter::render(const RingKernelRuntime& rt) const {
  struct Metric {
    const char* name;
    const char* type;
    const char* help;
    std::function<double(const KernelMetrics&, const KernelStatus&)> get;
  };
  const std::vector<Metric> metrics = {
      {"ringkernel_messages_processed_total", "counter", "Messages a kernel has processed.",
       [](const KernelMetrics& m, const KernelStatus&) { return static_cast<double>(m.telemetry.messages_processed); }},
      {"ringkernel_messages_dropped_total", "counter", "Messages a kernel could not deliver.",
       [](const KernelMetrics& m, const KernelStatus&) { return static_cast<double>(m.telemetry.messages_dropped); }},
      {"ringkernel_errors_total", "counter", "Errors a kernel reported.",
       [](const KernelMetrics&, const KernelStatus& s) { return static_cast<double>(s.error_count); }},
      {"ringkernel_input_queue_depth", "gauge", "Messages waiting in a kernel's input queue.",
       [](const KernelMetrics& m, const KernelStatus&) { return static_cast<double>(m.input.total_enqueued - m.input.total_dequeued); }},
      {"ringkernel_latency_seconds_avg", "gauge", "Average send-to-processed latency.",
       [](const KernelMetrics& m, const KernelStatus&) {
         return m.telemetry.latency_samples ? static_cast<double>(m.telemetry.total_latency_ns) / static_cast<double>(m.telemetry.latency_samples) * 1e-9 : 0.0;
       }},
      {"ringkernel_active", "gauge", "1 while the kernel is active.",
       [](const KernelMetrics&, const KernelStatus& s) { return s.state == KernelState::Active ? 1.0 : 0.0; }},
  };
  std::vector<std::pair<std::string, std::pair<KernelMetrics, KernelStatus>>> rows;
  for (const auto& name : rt.list_kernels()) rows.push_back({name, {rt.metrics(name), rt.status(name)}});
  std::ostringstream out;
  for (const auto& m : metrics) {
    out << "# HELP " << m.name << " " << m.help << "\n# TYPE " << m.name << " " << m.type << "\n";
    for (const auto& [name, ms] : rows) out << m.name << label(name) << " " << m.get(ms.first, ms.second) << "\n";
  }
  return out.str();
}

RuntimeContext::RuntimeContext(RingKernelRuntime& rt, RuntimeConfig cfg)
    : rt_(rt),
      cfg_(cfg),
      health_(cfg.health),
      breaker_(cfg.observability.circuit_breaker_threshold, cfg.observability.circuit_breaker_reset) {}

LifecycleState RuntimeContext::state() const {
  std::lock_guard lk(mu_);
  return state_;
}

void RuntimeContext::transition(LifecycleState a, LifecycleState b, LifecycleState to) {
  std::lock_guard lk(mu_);
  if (state_ != a && state_ != b)
    throw RuntimeError(std::string("invalid lifecycle transition ") + to_string(state_) + " -> " + to_string(to));
  state_ = to;
}

void RuntimeContext::start() { transition(LifecycleState::Initializing, LifecycleState::Initializing, LifecycleState::Running); }

bool RuntimeContext::accepting() const { return state() == LifecycleState::Running; }

bool RuntimeContext::drain(std::chrono::nanoseconds timeout) {
  transition(LifecycleState::Running, LifecycleState::Draining, LifecycleState::Draining);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool idle = true;
    for (const auto& name : rt_.list_kernels()) {
      const KernelStatus st = rt_.status(name);
      if (st.state != KernelState::Active) continue;  // an inactive kernel will not drain
      const KernelMetrics m = rt_.metrics(name);
      if (st.messages_in_flight || m.input.total_enqueued != m.input.total_dequeued) idle = false;
    }
    if (idle) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

ShutdownReport RuntimeContext::complete_shutdown() {
  const auto t0 = std::chrono::steady_clock::now();
  transition(LifecycleState::Draining, LifecycleState::Running, LifecycleState::ShuttingDown);
  ShutdownReport r;
  for (const auto& name : rt_.list_kernels()) {
    const KernelMetrics m = rt_.metrics(name);
    r.messages_processed += m.telemetry.messages_processed;
    r.messages_left_in_queues += m.input.total_enqueued - m.input.total_dequeued;
    rt_.terminate(name);
    ++r.kernels_terminated;
  }
  r.drained_cleanly = r.messages_left_in_queues == 0;
  r.duration = std::chrono::steady_clock::now() - t0;
  std::lock_guard lk(mu_);
  state_ = LifecycleState::Stopped;
  return r;
}

SendStatus RuntimeContext::submit(KernelId kernel, Slot& message) {
  if (!accepting()) return SendStatus::Closed;
  if (!breaker_.allow()) return SendStatus::Full;
  const SendStatus s = rt_.try_send(kernel, message);
  if (s == SendStatus::Ok) breaker_.record_success();
  else breaker_.record_failure();
  return s;
}

}  // namespace rk::harness
