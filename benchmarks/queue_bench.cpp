// Queue micro-benchmarks: our SpscRing/MpscRing beside boost::lockfree::spsc_queue, 64 B and 1 KiB
// messages, on one thread (enqueue+dequeue cost) and between two threads (sustained throughput).
#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <thread>

#include "bench_util.hpp"
#include "rk/core/ring.hpp"

namespace {

using rk::bench::Msg1K;
using rk::bench::Msg64;
using rk::bench::Slot1K;

constexpr std::uint32_t kCapacity = 1024;
constexpr std::size_t kMessagesPerIteration = 1 << 18;

/// A runtime message of exactly 64 bytes: a slot with no payload (the sequence number rides in the
/// correlation id), so the ring copies the 64-byte header and nothing else.
struct HeaderOnly {
  rk::Slot slot;
};

// Adapters so one benchmark body drives every queue.
/// Cache-line-aligned storage for boost's buffer: with the default allocator a 64-byte element can
/// straddle two lines, which makes boost up to 2.5× slower depending on where the heap puts it; the
/// baseline should be boost at its best.
template <class T>
struct LineAligned {
  using value_type = T;
  LineAligned() = default;
  template <class U>
  LineAligned(const LineAligned<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{64}); }
  template <class U>
  bool operator==(const LineAligned<U>&) const { return true; }
};

// Every adapter sits on cache lines of its own (alignas(128): a line pair): both threads read the queue
// object on every operation, and next to the producer's hot stack variables it would be false sharing
// whose cost depends on where the stack lands (ASLR) — with our ring's 40-byte view that made the same
// binary run at 5 or at 70 M msg/s from one process to the next.
template <class T>
struct alignas(128) BoostSpsc {
  boost::lockfree::spsc_queue<T, boost::lockfree::allocator<LineAligned<T>>> q{kCapacity};
  bool push(const T& v) { return q.push(v); }
  bool pop(T& v) { return q.pop(v); }
};
template <class Ring>
struct alignas(128) Ours {
  rk::OwnedRing<Ring> r{kCapacity};
  bool push(const typename Ring::value_type& v) { return r->try_enqueue(v) == rk::QueueStatus::Ok; }
  bool pop(typename Ring::value_type& v) { return r->try_dequeue(v) == rk::QueueStatus::Ok; }
};
/// Our SPSC ring carrying runtime slots, fed header-only (64-byte) messages.
struct alignas(128) OursHeaderOnly {
  rk::OwnedRing<rk::SpscRing<rk::Slot>> r{kCapacity};
  bool push(const HeaderOnly& v) { return r->try_enqueue(v.slot) == rk::QueueStatus::Ok; }
  bool pop(HeaderOnly& v) { return r->try_dequeue(v.slot) == rk::QueueStatus::Ok; }
};

template <class T>
T make_message(std::uint64_t i) {
  T m{};
  if constexpr (std::is_same_v<T, HeaderOnly>) {
    m.slot.header.type_id = 7;
    m.slot.header.payload_size = 0;
    m.slot.header.correlation_id.lo = i;
  } else if constexpr (requires { m.header; }) {
    m.header.type_id = 7;
    m.header.payload_size = static_cast<std::uint16_t>(T::kPayloadCapacity);
    std::memcpy(m.payload, &i, sizeof(i));
  } else {
    m.w[0] = i;
  }
  return m;
}
template <class T>
std::uint64_t message_seq(const T& m) {
  if constexpr (std::is_same_v<T, HeaderOnly>) {
    return m.slot.header.correlation_id.lo;
  } else if constexpr (requires { m.header; }) {
    std::uint64_t i;
    std::memcpy(&i, m.payload, sizeof(i));
    return i;
  } else {
    return m.w[0];
  }
}

/// Enqueue then dequeue on one thread: the cost of the operations without any sharing.
template <class Q, class T>
void SameThread(benchmark::State& state) {
  Q q;
  T in = make_message<T>(1), out{};
  for (auto _ : state) {
    q.push(in);
    q.pop(out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(sizeof(T)));
}

/// One producer thread, one consumer thread, messages pushed one at a time; the consumer checks order.
template <class Q, class T>
void TwoThreads(benchmark::State& state) {
  Q q;
  std::int64_t errors = 0;
  for (auto _ : state) {
    std::thread consumer([&] {
      T m;
      for (std::size_t i = 0; i < kMessagesPerIteration;) {
        if (q.pop(m)) {
          if (message_seq(m) != i) ++errors;
          ++i;
        }
      }
    });
    for (std::size_t i = 0; i < kMessagesPerIteration;) {
      const T m = make_message<T>(i);
      while (!q.push(m)) {
      }
      ++i;
    }
    consumer.join();
  }
  if (errors) state.SkipWithError("messages arrived out of order");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kMessagesPerIteration));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kMessagesPerIteration * sizeof(T)));
}

}  // namespace

// 64-byte messages.
BENCHMARK(SameThread<BoostSpsc<Msg64>, Msg64>)->Name("SameThread/boost_spsc/64B");
BENCHMARK(SameThread<Ours<rk::SpscRing<Msg64>>, Msg64>)->Name("SameThread/rk_spsc/64B");
BENCHMARK(SameThread<Ours<rk::MpscRing<Msg64>>, Msg64>)->Name("SameThread/rk_mpsc/64B");
BENCHMARK(SameThread<Ours<rk::SpscRing<rk::Slot>>, rk::Slot>)->Name("SameThread/rk_spsc/slot_header_only");
BENCHMARK(TwoThreads<BoostSpsc<Msg64>, Msg64>)->Name("TwoThreads/boost_spsc/64B")->UseRealTime();
BENCHMARK(TwoThreads<Ours<rk::SpscRing<Msg64>>, Msg64>)->Name("TwoThreads/rk_spsc/64B")->UseRealTime();
BENCHMARK(TwoThreads<Ours<rk::MpscRing<Msg64>>, Msg64>)->Name("TwoThreads/rk_mpsc/64B")->UseRealTime();
BENCHMARK(TwoThreads<OursHeaderOnly, HeaderOnly>)->Name("TwoThreads/rk_spsc/64B_header_only_slot")->UseRealTime();
// 1 KiB messages.
BENCHMARK(SameThread<BoostSpsc<Msg1K>, Msg1K>)->Name("SameThread/boost_spsc/1KiB");
BENCHMARK(SameThread<Ours<rk::SpscRing<Msg1K>>, Msg1K>)->Name("SameThread/rk_spsc/1KiB");
BENCHMARK(SameThread<Ours<rk::MpscRing<Msg1K>>, Msg1K>)->Name("SameThread/rk_mpsc/1KiB");
BENCHMARK(SameThread<Ours<rk::SpscRing<Slot1K>>, Slot1K>)->Name("SameThread/rk_spsc/slot_1KiB_payload");
BENCHMARK(TwoThreads<BoostSpsc<Msg1K>, Msg1K>)->Name("TwoThreads/boost_spsc/1KiB")->UseRealTime();
BENCHMARK(TwoThreads<Ours<rk::SpscRing<Msg1K>>, Msg1K>)->Name("TwoThreads/rk_spsc/1KiB")->UseRealTime();
BENCHMARK(TwoThreads<Ours<rk::MpscRing<Msg1K>>, Msg1K>)->Name("TwoThreads/rk_mpsc/1KiB")->UseRealTime();
BENCHMARK(TwoThreads<Ours<rk::SpscRing<Slot1K>>, Slot1K>)->Name("TwoThreads/rk_spsc/slot_1KiB_payload")->UseRealTime();
