// Small helpers shared by the micro-benchmarks: message types of the sizes we compare and a
// percentile recorder that reports p50/p99 as Google Benchmark counters.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "rk/core/message.hpp"

namespace rk::bench {

struct Msg64 {
  std::uint64_t w[8];
};
struct Msg1K {
  std::uint64_t w[128];
};
static_assert(sizeof(Msg64) == 64 && sizeof(Msg1K) == 1024);

/// A 1 KiB-payload slot type for the ring's native message path.
using Slot1K = MessageSlot<1024 + 64>;

/// Per-iteration latency samples → p50/p90/p99 counters (nanoseconds).
class Percentiles {
 public:
  explicit Percentiles(std::size_t reserve = 1 << 20) { samples_.reserve(reserve); }
  void add(std::uint64_t ns) { samples_.push_back(ns); }
  void report(benchmark::State& state) {
    if (samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    auto at = [&](double q) {
      const auto i = static_cast<std::size_t>(q * static_cast<double>(samples_.size() - 1));
      return static_cast<double>(samples_[i]);
    };
    state.counters["p50_ns"] = at(0.50);
    state.counters["p90_ns"] = at(0.90);
    state.counters["p99_ns"] = at(0.99);
    state.counters["samples"] = static_cast<double>(samples_.size());
  }

 private:
  std::vector<std::uint64_t> samples_;
};

}  // namespace rk::bench
