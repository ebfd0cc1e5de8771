// All-reduce micro-benchmarks of the CPU backend's SharedMemoryCollective: float Sum across 2, 4 and 8
// simulated devices (threads; participant 0 is the timed benchmark thread). Latency for 8 B … 64 KiB,
// bandwidth for 1 MiB … 256 MiB (skipped when inputs + outputs would exceed half the available memory).
// Reported the nccl-tests way (all-reduce): algbw = bytes / time per op, busbw = algbw × 2(n−1)/n, the
// rate each link would need in a ring algorithm, comparable across participant counts.
//
// Time and latency_us are the time per all-reduce (real time). On a 2-core development machine
// 4 and 8 participants are oversubscribed (threads take turns on the cores), so their numbers measure the
// barrier's sleep/wake path, not the algorithm; compare like with like.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rk/cpu/collective/shared_memory_collective.hpp"

namespace {

using rk::cpu::SharedMemoryCollective;

/// One collective per participant count, reused across runs (participant i is always the same role).
SharedMemoryCollective& collective(std::uint32_t n) {
  static std::mutex mutex;
  static std::map<std::uint32_t, std::unique_ptr<SharedMemoryCollective>> all;
  const std::lock_guard lock(mutex);
  auto& c = all[n];
  if (!c) c = std::make_unique<SharedMemoryCollective>(n);
  return *c;
}

/// MemAvailable at start-up (read once, so every thread of a run takes the same skip decision).
std::uint64_t available_memory() {
  static const std::uint64_t bytes = [] {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    std::string unit;
    while (meminfo >> key >> kib >> unit)
      if (key == "MemAvailable:") return kib * 1024;
    return static_cast<std::uint64_t>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  }();
  return bytes;
}

/// One benchmark: the benchmark thread is participant 0 and is timed; participants 1..n-1 are helper threads
/// that make exactly as many calls (state.max_iterations). So Google Benchmark's Time column is the time per
/// all-reduce, and the counters are computed from the same loop.
void all_reduce_f32_sum(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  const auto n = static_cast<std::uint32_t>(state.range(1));
  const std::size_t count = bytes / sizeof(float);
  // Inputs and outputs of all participants must fit comfortably: at most half of the available memory.
  if (2ull * n * bytes > available_memory() / 2) {
    state.SkipWithError("not enough memory for this size and participant count");
    return;
  }
  SharedMemoryCollective& c = collective(n);
  const auto iterations = static_cast<std::uint64_t>(state.max_iterations);
  // Σ (1 + r) over r < n: exact in float, checked on every participant after the run.
  const float expected = static_cast<float>(n) + static_cast<float>(n) * static_cast<float>(n - 1) / 2.0f;
  std::atomic<bool> correct{true};
  std::latch ready(n);  // buffers allocated and touched before the clock starts
  std::vector<std::thread> helpers;
  for (std::uint32_t r = 1; r < n; ++r)
    helpers.emplace_back([&, r] {
      std::vector<float> in(count, 1.0f + static_cast<float>(r));
      std::vector<float> out(count, 0.0f);
      rk::GlobalReduction& g = c.participant(r);
      ready.arrive_and_wait();
      for (std::uint64_t k = 0; k < iterations; ++k)
        g.all_reduce_bytes(in.data(), out.data(), count, rk::ScalarType::F32, rk::ReductionOp::Sum);
      if (out.front() != expected || out.back() != expected) correct = false;
    });
  std::vector<float> in(count, 1.0f);
  std::vector<float> out(count, 0.0f);
  rk::GlobalReduction& g = c.participant(0);
  ready.arrive_and_wait();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    g.all_reduce_bytes(in.data(), out.data(), count, rk::ScalarType::F32, rk::ReductionOp::Sum);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (std::thread& t : helpers) t.join();
  if (out.front() != expected || out.back() != expected || !correct) {
    state.SkipWithError("wrong all-reduce result");
    return;
  }
  const double per_op = seconds / static_cast<double>(iterations);
  const double algbw = static_cast<double>(bytes) / per_op / 1e9;
  state.counters["latency_us"] = per_op * 1e6;
  state.counters["algbw_GBps"] = algbw;
  state.counters["busbw_GBps"] = algbw * 2.0 * (n - 1) / n;
}

/// Registers latency sizes 8 B … 64 KiB and bandwidth sizes 1 MiB … 256 MiB for 2, 4, 8 participants.
/// Bandwidth runs use a fixed, small iteration count so the largest sizes finish in seconds.
const bool registered = [] {
  for (const std::int64_t n : {2, 4, 8}) {
    for (const std::int64_t bytes : {8, 64, 512, 4 << 10, 32 << 10, 64 << 10})
      benchmark::RegisterBenchmark("AllReduceLatency/f32_sum", all_reduce_f32_sum)
          ->Args({bytes, n})
          ->ArgNames({"bytes", "devices"})
          ->UseRealTime()
          ->MinTime(0.2);
    for (const std::int64_t mib : {1, 4, 16, 64, 256}) {
      const std::int64_t iterations = mib <= 1 ? 50 : mib <= 16 ? 10 : 3;
      benchmark::RegisterBenchmark("AllReduceBandwidth/f32_sum", all_reduce_f32_sum)
          ->Args({mib << 20, n})
          ->ArgNames({"bytes", "devices"})
          ->UseRealTime()
          ->Iterations(iterations);
    }
  }
  return true;
}();

}  // namespace
