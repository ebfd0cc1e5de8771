// Shared knobs of the concurrency tests: how many messages a stress test sends (RK_STRESS_MESSAGES,
// smaller default under ThreadSanitizer) and a polite back-off for threads that outnumber the cores.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "rk/core/config.hpp"

namespace rk::test {

#if defined(RK_TSAN)
inline constexpr bool kTsan = true;
inline constexpr std::uint64_t kDefaultStressMessages = 500'000;
#else
inline constexpr bool kTsan = false;
inline constexpr std::uint64_t kDefaultStressMessages = 2'000'000;
#endif

/// Messages per stress test: $RK_STRESS_MESSAGES when set to a positive integer, else the default.
inline std::uint64_t stress_messages() {
  if (const char* s = std::getenv("RK_STRESS_MESSAGES")) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (end != s && *end == '\0' && v > 0) return v;
  }
  return kDefaultStressMessages;
}

/// Spin briefly, then give the core away: with more threads than cores a spinning producer would
/// otherwise keep the thread it waits for (the consumer, or a producer between claim and publish) off
/// the CPU.
struct Backoff {
  std::uint32_t n = 0;
  void pause() {
    if (++n < 16) {
      rk::cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
  void reset() { n = 0; }
};

}  // namespace rk::test
