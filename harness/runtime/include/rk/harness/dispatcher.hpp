// KernelDispatcher (seed section 10): routes host messages to kernels by message type, with a default
// priority, a timeout, a retry policy for full queues, and metrics. Works on any backend through the
// RingKernelRuntime interface.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <shared_mutex>

#include "rk/core/persistent_message.hpp"
#include "rk/core/runtime.hpp"

namespace rk::harness {

/// How often and how long to retry a send that found the destination queue full.
struct RetryPolicy {
  enum class Kind : std::uint8_t { None, Fixed, Exponential };
  Kind kind = Kind::None;
  std::uint32_t max_retries = 0;
  std::chrono::nanoseconds base_delay{0};
  std::chrono::nanoseconds max_delay{0};

  static RetryPolicy none() { return {}; }
  static RetryPolicy fixed(std::uint32_t retries, std::chrono::nanoseconds delay) {
    return {Kind::Fixed, retries, delay, delay};
  }
  static RetryPolicy exponential(std::uint32_t retries, std::chrono::nanoseconds base = std::chrono::microseconds(50),
                                 std::chrono::nanoseconds max = std::chrono::milliseconds(10)) {
    return {Kind::Exponential, retries, base, max};
  }
  /// Delay before retry number `attempt` (1-based).
  std::chrono::nanoseconds delay(std::uint32_t attempt) const;
};

struct DispatcherConfig {
  std::uint8_t default_priority = priority::kNormal;
  std::chrono::nanoseconds timeout = std::chrono::milliseconds(100);  ///< overall, retries included
  RetryPolicy retry = RetryPolicy::exponential(3);
};

enum class DispatchError : std::uint8_t { NoRoute, UnknownKernel, Full, Closed, TooLarge, Timeout };
const char* to_string(DispatchError e);

class DispatchFailure : public RuntimeError {
 public:
  DispatchFailure(DispatchError code, const std::string& what) : RuntimeError(what), code_(code) {}
  DispatchError code() const { return code_; }

 private:
  DispatchError code_;
};

struct DispatchReceipt {
  MessageId message_id;
  KernelId kernel = 0;
  std::uint32_t attempts = 0;
  std::chrono::nanoseconds latency{0};  ///< time spent in dispatch (retries included)
};

struct DispatcherMetrics {
  std::atomic<std::uint64_t> messages_dispatched{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> total_latency_ns{0};
  std::chrono::nanoseconds average_latency() const {
    const auto n = messages_dispatched.load();
    return std::chrono::nanoseconds(n ? total_latency_ns.load() / n : 0);
  }
};

class KernelDispatcher {
 public:
  KernelDispatcher(RingKernelRuntime& rt, DispatcherConfig cfg) : rt_(rt), cfg_(cfg) {}

  /// Messages of `type_id` go to `kernel` (replaces an earlier route).
  void route(std::uint32_t type_id, KernelId kernel);
  /// Route a persistent message type to a kernel (by its type id).
  template <PersistentMessage T>
  void route(KernelId kernel) {
    route(T::kTypeId, kernel);
  }

  /// Dispatch to the kernel routed for T's type. Throws DispatchFailure.
  template <RingMessage T>
  DispatchReceipt dispatch(const T& msg) {
    return dispatch_priority(lookup(T::kTypeId), msg, cfg_.default_priority);
  }
  template <RingMessage T>
  DispatchReceipt dispatch(KernelId kernel, const T& msg) {
    return dispatch_priority(kernel, msg, cfg_.default_priority);
  }
  template <RingMessage T>
  DispatchReceipt dispatch_priority(KernelId kernel, const T& msg, std::uint8_t prio) {
    Slot s{};
    encode(s, msg);
    return dispatch_slot(kernel, s, prio);
  }
  /// Dispatch a prepared slot (header fields the runtime owns are filled in).
  DispatchReceipt dispatch_slot(KernelId kernel, Slot& s, std::uint8_t prio);

  const DispatcherMetrics& metrics() const { return metrics_; }
  const DispatcherConfig& config() const { return cfg_; }

 private:
  KernelId lookup(std::uint32_t type_id) const;

  RingKernelRuntime& rt_;
  DispatcherConfig cfg_;
  DispatcherMetrics metrics_;
  mutable std::shared_mutex mu_;
  std::map<std::uint32_t, KernelId> routes_;
};

class DispatcherBuilder {
 public:
  explicit DispatcherBuilder(RingKernelRuntime& rt) : rt_(rt) {}
  DispatcherBuilder& with_default_priority(std::uint8_t p) { cfg_.default_priority = p; return *this; }
  DispatcherBuilder& with_timeout(std::chrono::nanoseconds t) { cfg_.timeout = t; return *this; }
  DispatcherBuilder& with_retry_policy(RetryPolicy r) { cfg_.retry = r; return *this; }
  KernelDispatcher build() const { return KernelDispatcher(rt_, cfg_); }

 private:
  RingKernelRuntime& rt_;
  DispatcherConfig cfg_;
};

}  // namespace rk::harness
