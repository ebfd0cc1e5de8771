// Small pieces every workload uses: a deterministic random stream for generators, and one delivery
// attempt to a kernel or to the host that a handler can retry later (its outbox keeps the order).
#pragma once

#include <cstdint>

#include "rk/core/context.hpp"
#include "rk/core/message.hpp"

namespace rk::workloads {

/// SplitMix64: small, fast, statistically good, and the same stream on every platform for a seed.
struct SplitMix64 {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
  /// Uniform in [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

/// Try once to deliver `s` to `target` (kHostKernel: the kernel's output ring). Nothing is counted as a
/// failure or dead-lettered: the caller keeps the message and retries.
template <class Ctx>
RK_HOST_DEVICE bool try_deliver_once(Ctx& ctx, KernelId target, const Slot& s) {
  Slot copy = s;
  if (target == kHostKernel) return ctx.output_queue_free_slots() > 0 && ctx.enqueue_output(copy);
  return ctx.try_send_to_kernel(target, copy) == SendStatus::Ok;
}

}  // namespace rk::workloads
