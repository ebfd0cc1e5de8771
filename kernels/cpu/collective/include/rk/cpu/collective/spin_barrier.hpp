// A reusable barrier for teams of host threads that may outnumber the cores: arrivals spin briefly (the
// common case when every participant has a core), then sleep on the generation word (futex via
// std::atomic::wait), so 8 simulated devices on 2 cores do not burn the CPU the late arrivals need.
#pragma once

#include <atomic>
#include <cstdint>

#include "rk/core/config.hpp"

namespace rk::cpu {

/// Generation-counted barrier for a fixed number of participants; any number of rounds.
class SpinBarrier {
 public:
  /// Spin iterations (one cpu_relax each, a few µs in all) before a waiter sleeps.
  static constexpr std::uint32_t kDefaultSpin = 1024;

  explicit SpinBarrier(std::uint32_t participants, std::uint32_t spin_iterations = kDefaultSpin)
      : participants_(participants == 0 ? 1 : participants), spin_(spin_iterations) {}
  SpinBarrier(const SpinBarrier&) = delete;
  SpinBarrier& operator=(const SpinBarrier&) = delete;

  std::uint32_t participants() const { return participants_; }

  /// Blocks until all participants of this round have arrived. Everything a participant wrote before
  /// arriving is visible to every participant after it returns.
  void arrive_and_wait() {
    const std::uint32_t gen = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == participants_) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.store(gen + 1, std::memory_order_release);
      generation_.notify_all();
      return;
    }
    for (std::uint32_t i = 0; i < spin_; ++i) {
      if (generation_.load(std::memory_order_acquire) != gen) return;
      cpu_relax();
    }
    while (generation_.load(std::memory_order_acquire) == gen) generation_.wait(gen, std::memory_order_acquire);
  }

 private:
  alignas(kCacheLine) std::atomic<std::uint32_t> arrived_{0};
  alignas(kCacheLine) std::atomic<std::uint32_t> generation_{0};
  std::uint32_t participants_;
  std::uint32_t spin_;
};

}  // namespace rk::cpu
