// KernelDispatcher: type-based routing with retries and metrics.
#include "rk/harness/dispatcher.hpp"

#include <mutex>
#include <thread>

namespace rk::harness {

std::chrono::nanoseconds RetryPolicy::delay(std::uint32_t attempt) const {
  switch (kind) {
    case Kind::None: return std::chrono::nanoseconds(0);
    case Kind::Fixed: return base_delay;
    case Kind::Exponential: {
      auto d = base_delay;
      for (std::uint32_t i = 1; i < attempt && d < max_delay; ++i) d *= 2;
      return d < max_delay ? d : max_delay;
    }
  }
  return std::chrono::nanoseconds(0);
}

const char* to_string(DispatchError e) {
  switch (e) {
    case DispatchError::NoRoute: return "no route for this message type";
    case DispatchError::UnknownKernel: return "unknown kernel";
    case DispatchError::Full: return "destination queue full";
    case DispatchError::Closed: return "destination closed";
    case DispatchError::TooLarge: return "message too large";
    case DispatchError::Timeout: return "timed out";
  }
  return "?";
}

void KernelDispatcher::route(std::uint32_t type_id, KernelId kernel) {
  std::unique_lock lk(mu_);
  routes_[type_id] = kernel;
}

KernelId KernelDispatcher::lookup(std::uint32_t type_id) const {
  std::shared_lock lk(mu_);
  const auto it = routes_.find(type_id);
  if (it == routes_.end()) {
    const_cast<DispatcherMetrics&>(metrics_).errors.fetch_add(1);
    throw DispatchFailure(DispatchError::NoRoute, "dispatch: no kernel is routed for message type " + std::to_string(type_id));
  }
  return it->second;
}

DispatchReceipt KernelDispatcher::dispatch_slot(KernelId kernel, Slot& s, std::uint8_t prio) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + cfg_.timeout;
  s.header.priority = prio;
  if (s.header.message_id.is_nil()) s.header.message_id = new_message_id();
  DispatchReceipt r;
  r.kernel = kernel;
  r.message_id = s.header.message_id;
  auto fail = [&](DispatchError e) -> DispatchReceipt {
    metrics_.errors.fetch_add(1);
    throw DispatchFailure(e, "dispatch to kernel " + std::to_string(kernel) + " failed after " +
                                 std::to_string(r.attempts) + " attempt(s): " + to_string(e));
  };
  for (;;) {
    ++r.attempts;
    const SendStatus st = rt_.try_send(kernel, s);
    if (st == SendStatus::Ok) break;
    if (st == SendStatus::UnknownKernel) return fail(DispatchError::UnknownKernel);
    if (st == SendStatus::Closed) return fail(DispatchError::Closed);
    if (st == SendStatus::TooLarge) return fail(DispatchError::TooLarge);
    // Full: retry per policy, within the timeout.
    if (r.attempts > cfg_.retry.max_retries) return fail(DispatchError::Full);
    const auto d = cfg_.retry.delay(r.attempts);
    if (std::chrono::steady_clock::now() + d > deadline) return fail(DispatchError::Timeout);
    metrics_.retries.fetch_add(1);
    if (d.count() > 0) std::this_thread::sleep_for(d);
  }
  r.latency = std::chrono::steady_clock::now() - t0;
  metrics_.messages_dispatched.fetch_add(1);
  metrics_.total_latency_ns.fetch_add(static_cast<std::uint64_t>(r.latency.count()));
  return r;
}

}  // namespace rk::harness
