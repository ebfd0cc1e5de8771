// Host → kernel → host round trip on the CPU backend, beside its physical floor on this machine: two
// threads bouncing one atomic (the least any cross-core request/response can cost). Both report
// p50/p90/p99 per round trip as counters; compare p50s from the same run.
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
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

/// The rings alone, no runtime: the host thread enqueues a Slot into one SPSC ring, a partner thread
/// spinning on it copies it into a second ring, the host spins on that. Argument: payload bytes (0 =
/// header only: one cache line per message) and ring capacity. The floor of the ring design, to set the runtime's
/// bookkeeping apart from the transport in RoundTrip_CpuBackend.
void RoundTrip_RingsOnly(benchmark::State& state) {
  const auto payload = static_cast<std::uint16_t>(state.range(0));
  const auto cap = static_cast<std::uint32_t>(state.range(1));
  rk::OwnedRing<rk::SpscRing<rk::Slot>> in(cap), out(cap);
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    rk::Slot s;
    while (!stop.load(std::memory_order_relaxed)) {
      if (in->try_dequeue(s) == rk::QueueStatus::Ok) {
        while (out->try_enqueue(s) != rk::QueueStatus::Ok) {
        }
      }
    }
  });
  rk::bench::Percentiles p;
  rk::Slot msg{}, reply{};
  msg.header.payload_size = payload;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    msg.header.type_id = static_cast<std::uint32_t>(++seq);
    while (in->try_enqueue(msg) != rk::QueueStatus::Ok) {
    }
    while (out->try_dequeue(reply) != rk::QueueStatus::Ok) {
    }
    p.add(elapsed_ns(t0, Clock::now()));
  }
  stop = true;
  partner.join();
  p.report(state);
}
BENCHMARK(RoundTrip_RingsOnly)->Args({0, 1024})->Args({8, 1024})->Args({0, 4})->Args({8, 4})->UseRealTime()->MinTime(0.5);

/// One slot, reply written in place: the host writes a request (header + payload, then an odd sequence
/// word), the partner copies it out, writes the reply into the same slot and publishes the next even
/// word. The line migrates between the two cores instead of two lines each bouncing one way.
void RoundTrip_InPlaceSlot(benchmark::State& state) {
  const auto payload = static_cast<std::uint16_t>(state.range(0));
  struct alignas(64) Mailbox {
    rk::Slot slot;
  };
  auto box = std::make_unique<Mailbox>();
  std::atomic_ref<std::uint32_t> seq(box->slot.header.ring_seq);
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    rk::Slot s;
    std::uint32_t seen = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const std::uint32_t v = seq.load(std::memory_order_acquire);
      if (v == seen || !(v & 1)) continue;
      std::memcpy(static_cast<void*>(&s.header), &box->slot.header, offsetof(rk::MessageHeader, ring_seq));
      std::memcpy(s.payload, box->slot.payload, s.header.payload_size);
      std::memcpy(static_cast<void*>(&box->slot.header), &s.header, offsetof(rk::MessageHeader, ring_seq));
      std::memcpy(box->slot.payload, s.payload, s.header.payload_size);
      seen = v + 1;
      seq.store(seen, std::memory_order_release);
    }
  });
  rk::bench::Percentiles p;
  rk::Slot msg{}, reply{};
  msg.header.payload_size = payload;
  std::uint32_t v = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    msg.header.type_id = v;
    std::memcpy(static_cast<void*>(&box->slot.header), &msg.header, offsetof(rk::MessageHeader, ring_seq));
    std::memcpy(box->slot.payload, msg.payload, payload);
    seq.store(++v, std::memory_order_release);
    while (seq.load(std::memory_order_acquire) != v + 1) {
    }
    ++v;
    std::memcpy(static_cast<void*>(&reply.header), &box->slot.header, offsetof(rk::MessageHeader, ring_seq));
    std::memcpy(reply.payload, box->slot.payload, payload);
    p.add(elapsed_ns(t0, Clock::now()));
  }
  stop = true;
  partner.join();
  p.report(state);
}
BENCHMARK(RoundTrip_InPlaceSlot)->Arg(0)->Arg(8)->UseRealTime()->MinTime(0.5);

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
/// Argument: payload bytes. 8 carries the sequence number in the payload (a second cache line per
/// message); 0 is header-only, the sequence number travelling in the correlation id.
void RoundTrip_CpuBackend(benchmark::State& state) {
  const bool header_only = state.range(0) == 0;
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
    if (header_only) {
      msg.header.type_id = Ping::kTypeId;
      msg.header.correlation_id = rk::MessageId{0, ++seq};
    } else {
      rk::encode(msg, Ping{++seq});
    }
    while (rt.try_send(id, msg) != rk::SendStatus::Ok) {
    }
    while (rt.try_receive(id, reply) != rk::QueueStatus::Ok) {
    }
    p.add(elapsed_ns(t0, Clock::now()));
    Ping back{};
    if (header_only ? reply.header.correlation_id != rk::MessageId{0, seq}
                    : rk::decode(reply, back) != rk::DecodeStatus::Ok || back.seq != seq)
      ++wrong;
  }
  if (wrong) state.SkipWithError("echo returned a wrong message");
  p.report(state);
  rt.shutdown();
}
BENCHMARK(RoundTrip_CpuBackend)->Arg(0)->Arg(8)->UseRealTime()->MinTime(0.5);

}  // namespace
