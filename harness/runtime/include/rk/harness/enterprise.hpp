// The enterprise runtime of the seed (section 7), backend-agnostic: configuration (ConfigBuilder,
// RuntimeBuilder presets), the lifecycle state machine (Initializing → Running → Draining →
// ShuttingDown → Stopped), health checking from kernel telemetry, a circuit breaker for host-side
// submissions, and a Prometheus text exporter. RuntimeContext ties them to a RingKernelRuntime.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rk/core/queue_tier.hpp"
#include "rk/core/runtime.hpp"

namespace rk::harness {

enum class LoadBalancing : std::uint8_t { FirstAvailable, RoundRobin, LeastLoaded, MemoryBased, Pinned };

struct RuntimeSection {
  std::uint32_t max_kernels = 1024;
  std::uint32_t default_queue_capacity = 4096;
};
struct HealthSection {
  std::chrono::milliseconds check_interval{10000};
  double degradation_threshold = 0.8;   ///< queue utilisation above which a kernel is degraded
  double error_rate_threshold = 0.01;   ///< errors per processed message above which it is unhealthy
  std::chrono::milliseconds stall_after{5000};  ///< queued work but no progress for this long: unhealthy
};
struct MultiGpuSection {
  LoadBalancing load_balancing = LoadBalancing::LeastLoaded;
  bool enable_migration = false;
};
struct ObservabilitySection {
  bool prometheus_export = false;
  std::uint32_t circuit_breaker_threshold = 5;  ///< consecutive failures that open the breaker
  std::chrono::milliseconds circuit_breaker_reset{1000};
};

/// The nested configuration (seed: ConfigBuilder). Validated by ConfigBuilder::build().
struct RuntimeConfig {
  RuntimeSection runtime;
  HealthSection health;
  MultiGpuSection multi_gpu;
  ObservabilitySection observability;
};

class ConfigBuilder {
 public:
  ConfigBuilder& runtime(const std::function<void(RuntimeSection&)>& f) { f(cfg_.runtime); return *this; }
  ConfigBuilder& health(const std::function<void(HealthSection&)>& f) { f(cfg_.health); return *this; }
  ConfigBuilder& multi_gpu(const std::function<void(MultiGpuSection&)>& f) { f(cfg_.multi_gpu); return *this; }
  ConfigBuilder& observability(const std::function<void(ObservabilitySection&)>& f) { f(cfg_.observability); return *this; }
  /// Throws RuntimeError naming the first invalid setting.
  RuntimeConfig build() const;

 private:
  RuntimeConfig cfg_;
};

/// Presets and fluent setters (seed: RuntimeBuilder).
class RuntimeBuilder {
 public:
  RuntimeBuilder& development();      ///< small queues, frequent health checks, breaker lenient
  RuntimeBuilder& production();       ///< large queues, metrics on, breaker strict
  RuntimeBuilder& high_performance(); ///< extra-large queues, rare health checks
  RuntimeBuilder& with_health_check_interval(std::chrono::milliseconds d);
  RuntimeBuilder& with_circuit_breaker_threshold(std::uint32_t n);
  RuntimeBuilder& with_prometheus_export(bool on);
  RuntimeBuilder& with_default_queue_capacity(std::uint32_t n);
  RuntimeConfig build() const;

 private:
  ConfigBuilder b_;
};

enum class LifecycleState : std::uint8_t { Initializing, Running, Draining, ShuttingDown, Stopped };
const char* to_string(LifecycleState s);

enum class HealthStatus : std::uint8_t { Healthy, Degraded, Unhealthy };
const char* to_string(HealthStatus s);

struct KernelHealth {
  std::string kernel;
  HealthStatus status = HealthStatus::Healthy;
  std::string reason;
};
struct HealthReport {
  HealthStatus overall = HealthStatus::Healthy;
  std::vector<KernelHealth> kernels;
};

/// Grades kernels from their metrics: errors, queue pressure, stalls.
class HealthChecker {
 public:
  explicit HealthChecker(HealthSection cfg) : cfg_(cfg) {}
  HealthReport check(const RingKernelRuntime& rt);

 private:
  struct Seen {
    std::uint64_t processed = 0;
    std::chrono::steady_clock::time_point since{};
  };
  HealthSection cfg_;
  std::mutex mu_;
  std::map<std::string, Seen> seen_;
};

/// Closed → (threshold consecutive failures) → Open → (reset timeout) → HalfOpen → one trial:
/// success closes, failure re-opens. Thread-safe.
class CircuitBreaker {
 public:
  enum class State : std::uint8_t { Closed, Open, HalfOpen };
  CircuitBreaker(std::uint32_t threshold, std::chrono::milliseconds reset);
  /// May a call go through now? In HalfOpen only one trial is let through at a time.
  bool allow();
  void record_success();
  void record_failure();
  State state() const;
  std::uint64_t rejected() const;

 private:
  mutable std::mutex mu_;
  std::uint32_t threshold_;
  std::chrono::milliseconds reset_;
  State state_ = State::Closed;
  std::uint32_t failures_ = 0;
  bool trial_in_flight_ = false;
  std::chrono::steady_clock::time_point opened_at_{};
  std::uint64_t rejected_ = 0;
};
const char* to_string(CircuitBreaker::State s);

/// Renders kernel metrics in the Prometheus text exposition format (version 0.0.4).
class PrometheusExporter {
 public:
  std::string render(const RingKernelRuntime& rt) const;
};

struct ShutdownReport {
  std::uint64_t kernels_terminated = 0;
  std::uint64_t messages_processed = 0;
  std::uint64_t messages_left_in_queues = 0;
  bool drained_cleanly = true;
  std::chrono::nanoseconds duration{0};
};

/// One runtime with its enterprise components and lifecycle (seed: RingKernelContext).
class RuntimeContext {
 public:
  RuntimeContext(RingKernelRuntime& rt, RuntimeConfig cfg);
  LifecycleState state() const;
  /// Initializing → Running.
  void start();
  /// Running → Draining: submissions are refused (accepting() is false); waits up to `timeout` for
  /// every kernel's queue to empty. Returns whether it did.
  bool drain(std::chrono::nanoseconds timeout);
  /// Draining (or Running) → ShuttingDown → Stopped: terminates every kernel.
  ShutdownReport complete_shutdown();
  /// Whether new work is accepted (Running only).
  bool accepting() const;
  /// Submit through the circuit breaker; refused unless Running and the breaker allows.
  SendStatus submit(KernelId kernel, Slot& message);

  HealthChecker& health_checker() { return health_; }
  CircuitBreaker& circuit_breaker() { return breaker_; }
  const PrometheusExporter& prometheus_exporter() const { return exporter_; }
  const RuntimeConfig& config() const { return cfg_; }
  RingKernelRuntime& runtime() { return rt_; }

 private:
  void transition(LifecycleState from_a, LifecycleState from_b, LifecycleState to);
  RingKernelRuntime& rt_;
  RuntimeConfig cfg_;
  HealthChecker health_;
  CircuitBreaker breaker_;
  PrometheusExporter exporter_;
  mutable std::mutex mu_;
  LifecycleState state_ = LifecycleState::Initializing;
};

}  // namespace rk::harness
