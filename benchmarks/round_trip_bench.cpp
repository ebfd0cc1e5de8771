// Host → kernel → host round trip on the CPU backend, beside its physical floor on this machine: two
// threads bouncing one atomic (the least any cross-core request/response can cost). Both report
// p50/p90/p99 per round trip as counters; compare p50s from the same run.
#include <atomic>
#include <chrono>
#include <thread>

#include "bench_util.hpp"
#include "rk/cpu/runtime.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t elapsed_ns(Clock::time_point a, Clock::time_point b) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

/// Baseline: thread A writes an odd value, thread B answers with the next even one.
void RoundTrip_AtomicBounce(benchmark::State& state) {
  alignas(64) std::atomic<std::uint64_t> word{0};
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    std::uint64_t seen = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const std::uint64_t v = word.load(std::memory_order_acquire);
      if (v != seen && (v & 1)) {
        seen = v + 1;
        word.store(seen, std::memory_order_release);
      }
    }
  });
  rk::bench::Percentiles p;
  std::uint64_t v = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    word.store(++v, std::memory_order_release);
    while (word.load(std::memory_order_acquire) != v + 1) {
    }
    ++v;
    p.add(elapsed_ns(t0, Clock::now()));
  }
  stop = true;
  partner.join();
  p.report(state);
}
BENCHMARK(RoundTrip_AtomicBounce)->UseRealTime()->MinTime(0.5);

/// A ring kernel that answers every message with a copy of it.
struct Echo {
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot& in) {
    rk::Slot out;
    out.header = in.header;
    out.header.message_id = {};
    std::memcpy(out.payload, in.payload, in.header.payload_size);
    ctx.enqueue_output(out);
  }
};

struct Ping {
  static constexpr std::uint32_t kTypeId = 1;
  std::uint64_t seq;
};

/// The full path: stamp + enqueue on the host, the kernel's worker takes it, merges its HLC, runs the
/// handler, stamps and enqueues the reply; the host polls the output ring and merges its clock.
void RoundTrip_CpuBackend(benchmark::State& state) {
  rk::cpu::CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<Echo>("echo");
  rk::LaunchOptions o;
  o.kernel_type = "echo";
  o.idle = rk::IdleStrategy::Spin;
  const rk::KernelId id = rt.launch("echo", {}, {}, o);
  rt.activate("echo");
  rk::bench::Percentiles p;
  rk::Slot msg{}, reply{};
  std::uint64_t seq = 0, wrong = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    msg.header.message_id = {};
    rk::encode(msg, Ping{++seq});
    while (rt.try_send(id, msg) != rk::SendStatus::Ok) {
    }
    while (rt.try_receive(id, reply) != rk::QueueStatus::Ok) {
    }
    p.add(elapsed_ns(t0, Clock::now()));
    Ping back{};
    if (rk::decode(reply, back) != rk::DecodeStatus::Ok || back.seq != seq) ++wrong;
  }
  if (wrong) state.SkipWithError("echo returned a wrong message");
  p.report(state);
  rt.shutdown();
}
BENCHMARK(RoundTrip_CpuBackend)->UseRealTime()->MinTime(0.5);

}  // namespace
