// Threaded stress tests of the rings that count every message: each carries (producer id, sequence) and
// a checksum; the consumer checks per-producer FIFO, payload integrity, and counts lost and duplicated
// messages (both must be 0). Small capacities force wrap-around and Full retries. Message counts come
// from RK_STRESS_MESSAGES (see stress_util.hpp). Also: close() while producing, blocking waits, and a
// monitor reading statistics while the ring runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "rk/core/queue_tier.hpp"
#include "rk/core/ring.hpp"
#include "stress_util.hpp"

namespace {

using rk::test::Backoff;

/// A generic (non-slot) element: cell = sequence word + this.
struct Item {
  std::uint32_t producer;
  std::uint32_t check;
  std::uint64_t seq;
};

std::uint32_t mix(std::uint32_t producer, std::uint64_t seq) {
  std::uint64_t x = (seq + 1) * 0x9E3779B97F4A7C15ull ^ (std::uint64_t{producer} << 40);
  x ^= x >> 31;
  return static_cast<std::uint32_t>(x * 0xBF58476D1CE4E5B9ull >> 32);
}

/// How a stress element is built and checked; returns false on a corrupt (torn) message.
template <class T>
struct Codec;

template <>
struct Codec<Item> {
  static void make(Item& it, std::uint32_t producer, std::uint64_t seq) { it = {producer, mix(producer, seq), seq}; }
  static bool parse(const Item& it, std::uint32_t& producer, std::uint64_t& seq) {
    producer = it.producer;
    seq = it.seq;
    return it.check == mix(producer, seq);
  }
};

template <std::uint32_t N>
struct Codec<rk::MessageSlot<N>> {
  using S = rk::MessageSlot<N>;
  static constexpr std::uint32_t kTypeId = 4242;
  // Payload: the sequence, then a pattern of a varying length (so copies of every size are exercised).
  static void make(S& s, std::uint32_t producer, std::uint64_t seq) {
    s.header.message_id = {producer, seq};
    s.header.type_id = kTypeId;
    s.header.source_kernel = static_cast<rk::KernelId>(producer);
    s.header.timestamp = {seq, mix(producer, seq), producer};
    s.header.ring_seq = 0xFFFFFFFFu;  // junk the ring must ignore
    const std::uint32_t extra = static_cast<std::uint32_t>(seq % (S::kPayloadCapacity - 8 + 1));
    s.header.payload_size = static_cast<std::uint16_t>(8 + extra);
    std::memcpy(s.payload, &seq, 8);
    const auto b = static_cast<std::uint8_t>(mix(producer, seq));
    for (std::uint32_t k = 0; k < extra; ++k) s.payload[8 + k] = static_cast<std::byte>(b + k);
  }
  static bool parse(const S& s, std::uint32_t& producer, std::uint64_t& seq) {
    producer = static_cast<std::uint32_t>(s.header.message_id.hi);
    seq = s.header.message_id.lo;
    std::uint64_t pseq;
    std::memcpy(&pseq, s.payload, 8);
    if (pseq != seq || s.header.type_id != kTypeId || s.header.source_kernel != producer) return false;
    if (s.header.timestamp.physical != seq || s.header.timestamp.logical != mix(producer, seq)) return false;
    const std::uint32_t extra = static_cast<std::uint32_t>(seq % (S::kPayloadCapacity - 8 + 1));
    if (s.header.payload_size != 8 + extra) return false;
    const auto b = static_cast<std::uint8_t>(mix(producer, seq));
    for (std::uint32_t k = 0; k < extra; ++k)
      if (s.payload[8 + k] != static_cast<std::byte>(b + k)) return false;
    return true;
  }
};

struct StressResult {
  std::uint64_t expected = 0;
  std::uint64_t received = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t fifo_violations = 0;
  std::uint64_t corrupt = 0;
  std::uint64_t full_retries = 0;
  bool timed_out = false;
  double seconds = 0;
  rk::QueueStatistics final_stats{};
  std::uint64_t observed_max_depth = 0;  // by the monitor thread (check_health)
  std::uint64_t observed_max_peak = 0;   // by the monitor thread (metrics().peak_depth)
};

/// Per-producer accounting on the consumer side.
struct Ledger {
  explicit Ledger(const std::vector<std::uint64_t>& per_producer) : next(per_producer.size(), 0) {
    for (const std::uint64_t n : per_producer) seen.emplace_back(n, 0);
  }
  void record(StressResult& r, std::uint32_t p, std::uint64_t seq) {
    ++r.received;
    if (p >= seen.size() || seq >= seen[p].size()) {
      ++r.corrupt;
      return;
    }
    if (seen[p][seq] != 0xFF) ++seen[p][seq];
    if (seq != next[p]) ++r.fifo_violations;
    next[p] = seq + 1;
  }
  void finish(StressResult& r) const {
    for (const auto& v : seen)
      for (const std::uint8_t c : v) {
        if (c == 0) ++r.lost;
        if (c > 1) r.duplicated += c - 1;
      }
  }
  std::vector<std::vector<std::uint8_t>> seen;
  std::vector<std::uint64_t> next;
};

/// `producers` threads each send their share of `total` messages (in batches of `batch` when > 1); the
/// calling thread consumes. Producers retry on Full with a back-off. An optional observer thread reads
/// the ring's health and statistics the whole time.
/// `napping_consumer`: the consumer sleeps whenever it finds the ring empty, so the producers run
/// alone on the cores and race each other for positions (on a 2-core machine a busy consumer would
/// otherwise leave the producers time-sliced on one core, rarely truly concurrent).
template <class Ring>
StressResult run_stress(std::uint32_t capacity, std::uint32_t producers, std::uint64_t total,
                        std::uint32_t batch = 1, bool observe = false, bool track_latency = false,
                        bool napping_consumer = false) {
  using T = typename Ring::value_type;
  rk::OwnedRing<Ring> owned(capacity, rk::RingOptions{track_latency});
  Ring ring = *owned;
  std::vector<std::uint64_t> share(producers, total / producers);
  share[0] += total % producers;

  StressResult r;
  r.expected = total;
  std::atomic<bool> go{false};
  std::atomic<bool> abort{false};  // set by the consumer when it gives up, so producers cannot hang
  std::atomic<std::uint32_t> done{0};
  std::atomic<std::uint64_t> full_retries{0};
  std::vector<std::thread> threads;
  for (std::uint32_t p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      Ring local = ring;  // each thread has its own view of the shared memory
      std::vector<T> items(batch);
      std::uint64_t retries = 0;
      Backoff backoff;
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (std::uint64_t seq = 0; seq < share[p];) {
        const std::uint32_t n = static_cast<std::uint32_t>(std::min<std::uint64_t>(batch, share[p] - seq));
        for (std::uint32_t k = 0; k < n; ++k) Codec<T>::make(items[k], p, seq + k);
        std::uint32_t sent = 0;
        while (sent < n) {
          const std::uint32_t got =
              n == 1 ? (local.try_enqueue(items[0]) == rk::QueueStatus::Ok ? 1u : 0u)
                     : local.try_enqueue_batch(items.data() + sent, n - sent);
          if (got == 0) {
            ++retries;
            if (abort.load(std::memory_order_relaxed)) break;
            backoff.pause();
          } else {
            backoff.reset();
          }
          sent += got;
        }
        if (sent < n) break;  // aborted
        seq += n;
      }
      full_retries.fetch_add(retries, std::memory_order_relaxed);
      done.fetch_add(1, std::memory_order_release);
    });
  }
  std::atomic<bool> stop_observer{false};
  std::thread observer;
  std::uint64_t monotonic_violations = 0;
  if (observe) {
    observer = std::thread([&] {
      const rk::QueueMonitor<Ring> mon(ring);
      std::uint64_t last_enqueued = 0, last_dequeued = 0;
      while (!stop_observer.load(std::memory_order_acquire)) {
        const rk::QueueHealth h = mon.check_health();
        const rk::QueueStatistics s = mon.metrics();
        r.observed_max_depth = std::max(r.observed_max_depth, h.current_depth);
        r.observed_max_peak = std::max(r.observed_max_peak, s.peak_depth);
        if (s.total_enqueued < last_enqueued || s.total_dequeued < last_dequeued) ++monotonic_violations;
        last_enqueued = s.total_enqueued;
        last_dequeued = s.total_dequeued;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }

  Ledger ledger(share);
  std::vector<T> out(batch);
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::seconds(rk::test::kTsan ? 300 : 120);
  go.store(true, std::memory_order_release);
  Backoff backoff;
  for (;;) {
    const std::uint32_t n = batch == 1 ? (ring.try_dequeue(out[0]) == rk::QueueStatus::Ok ? 1u : 0u)
                                       : ring.try_dequeue_batch(out.data(), batch);
    for (std::uint32_t k = 0; k < n; ++k) {
      std::uint32_t p;
      std::uint64_t seq;
      if (!Codec<T>::parse(out[k], p, seq)) {
        ++r.corrupt;
        ++r.received;
        continue;
      }
      ledger.record(r, p, seq);
    }
    if (n > 0) {
      backoff.reset();
      continue;
    }
    if (r.received >= total) break;
    // All producers finished and the ring is drained: whatever is missing is lost.
    if (done.load(std::memory_order_acquire) == producers && !ring.has_message()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      r.timed_out = true;
      abort.store(true, std::memory_order_relaxed);
      break;
    }
    if (napping_consumer) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    } else {
      backoff.pause();
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (r.timed_out) {
    // A producer spinning inside try_enqueue cannot be told to stop: fail the process, not hang it.
    const auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (done.load() != producers && std::chrono::steady_clock::now() < grace)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (done.load() != producers) {
      std::fprintf(stderr, "FATAL: stress test timed out with producers stuck in the ring (received %llu of %llu)\n",
                   static_cast<unsigned long long>(r.received), static_cast<unsigned long long>(total));
      std::fflush(nullptr);
      std::_Exit(1);
    }
  }
  for (auto& t : threads) t.join();
  // Anything left after the count was reached would be a duplicate or an extra message.
  T extra;
  while (ring.try_dequeue(extra) == rk::QueueStatus::Ok) {
    std::uint32_t p;
    std::uint64_t seq;
    if (Codec<T>::parse(extra, p, seq)) ledger.record(r, p, seq); else ++r.corrupt;
  }
  stop_observer.store(true, std::memory_order_release);
  if (observer.joinable()) observer.join();
  ledger.finish(r);
  r.full_retries = full_retries.load();

  EXPECT_EQ(monotonic_violations, 0u) << "enqueued/dequeued counters went backwards";
  EXPECT_LE(r.observed_max_depth, capacity);
  const rk::QueueStatistics s = ring.statistics();
  r.final_stats = s;
  if (r.timed_out) return r;  // expect_clean reports it; the counters below are meaningless then
  EXPECT_EQ(s.total_enqueued, total);
  EXPECT_EQ(s.total_dequeued, total);
  EXPECT_GE(s.total_dropped, r.full_retries) << "every refused attempt is counted";
  if (track_latency) {
    EXPECT_GE(s.latency_samples, total / 64 - 1);
  }
  return r;
}

void expect_clean(const StressResult& r, const std::string& what) {
  EXPECT_FALSE(r.timed_out) << what;
  EXPECT_EQ(r.lost, 0u) << what;
  EXPECT_EQ(r.duplicated, 0u) << what;
  EXPECT_EQ(r.fifo_violations, 0u) << what;
  EXPECT_EQ(r.corrupt, 0u) << what;
  EXPECT_EQ(r.received, r.expected) << what;
  std::printf("[ stress   ] %s: messages=%llu lost=%llu duplicated=%llu full_retries=%llu %.2f s\n", what.c_str(),
              static_cast<unsigned long long>(r.received), static_cast<unsigned long long>(r.lost),
              static_cast<unsigned long long>(r.duplicated), static_cast<unsigned long long>(r.full_retries), r.seconds);
}

struct StressCase {
  bool mpsc;
  bool slot;  // rk::Slot elements, else Item
  std::uint32_t producers;
  std::uint32_t capacity;
  bool nap = false;  // napping consumer: producers race each other (see run_stress)
};

std::string case_name(const StressCase& c) {
  return std::string(c.mpsc ? "Mpsc" : "Spsc") + "_" + std::to_string(c.producers) + "P_" +
         (c.slot ? "Slot" : "Item") + "_Cap" + std::to_string(c.capacity) + (c.nap ? "_NappingConsumer" : "");
}

std::string param_name(const ::testing::TestParamInfo<StressCase>& info) { return case_name(info.param); }
void PrintTo(const StressCase& c, std::ostream* os) { *os << case_name(c); }

// The sampled peak never exceeds the capacity (see PeakDepthNeverExceedsCapacity).
void expect_peak_within_capacity(const StressResult& r, std::uint32_t capacity) {
  EXPECT_LE(r.final_stats.peak_depth, std::uint64_t{capacity});
  EXPECT_LE(r.observed_max_peak, std::uint64_t{capacity});
}

class RingStress : public ::testing::TestWithParam<StressCase> {};

TEST_P(RingStress, CountsEveryMessage) {
  const StressCase c = GetParam();
  const std::uint64_t total = rk::test::stress_messages();
  // The larger rings also sample latency and are watched by a monitor thread.
  const bool extras = c.capacity >= 1024;
  StressResult r;
  if (c.mpsc) {
    r = c.slot ? run_stress<rk::MpscRing<rk::Slot>>(c.capacity, c.producers, total, 1, extras, extras, c.nap)
               : run_stress<rk::MpscRing<Item>>(c.capacity, c.producers, total, 1, extras, extras, c.nap);
  } else {
    r = c.slot ? run_stress<rk::SpscRing<rk::Slot>>(c.capacity, 1, total, 1, extras, extras, c.nap)
               : run_stress<rk::SpscRing<Item>>(c.capacity, 1, total, 1, extras, extras, c.nap);
  }
  expect_clean(r, case_name(c));
  expect_peak_within_capacity(r, c.capacity);
}

// Regression: try_dequeue releases the slot's sequence word before it advances head, so a producer
// sampling in between used to record capacity + 1 (1025 for a 1024-slot ring in most runs); the sample
// is now capped at the capacity. Single-threaded reproduction: RingTest.SampledPeakNeverExceedsCapacity.
TEST(RingStress, PeakDepthNeverExceedsCapacity) {
  const std::uint64_t total = rk::test::stress_messages();
  for (const std::uint32_t producers : {1u, 2u}) {
    const StressResult r = producers == 1 ? run_stress<rk::SpscRing<Item>>(64, 1, total, 1, true)
                                          : run_stress<rk::MpscRing<Item>>(64, 2, total, 1, true);
    expect_clean(r, "peak_depth check");
    EXPECT_LE(r.final_stats.peak_depth, 64u);
    EXPECT_LE(r.observed_max_peak, 64u);
  }
}

std::vector<StressCase> all_cases() {
  std::vector<StressCase> v;
  for (const bool slot : {false, true})
    for (const std::uint32_t cap : {64u, 1024u}) {
      v.push_back({false, slot, 1, cap});
      for (const std::uint32_t p : {2u, 4u, 8u}) v.push_back({true, slot, p, cap});
      for (const std::uint32_t p : {2u, 4u, 8u}) v.push_back({true, slot, p, cap, true});
    }
  return v;
}
INSTANTIATE_TEST_SUITE_P(Rings, RingStress, ::testing::ValuesIn(all_cases()), param_name);

TEST(RingStress, BatchedMpsc) {
  const std::uint64_t total = rk::test::stress_messages();
  expect_clean(run_stress<rk::MpscRing<Item>>(256, 4, total, 32), "Mpsc_4P_Item_Cap256_Batch32");
  expect_clean(run_stress<rk::MpscRing<rk::MessageSlot<128>>>(64, 2, total / 2, 16), "Mpsc_2P_Slot128_Cap64_Batch16");
}

TEST(RingStress, StressTenMillion) {
  constexpr std::uint64_t kTotal = 10'000'000;
  // Plain try_enqueue/try_dequeue: ~9 s under TSan on two shared cores, so no batching is needed.
  const StressResult r = run_stress<rk::MpscRing<Item>>(1024, 4, kTotal);
  expect_clean(r, "StressTenMillion_Mpsc_4P_Cap1024");
  std::printf("lost=%llu duplicated=%llu messages=%llu\n", static_cast<unsigned long long>(r.lost),
              static_cast<unsigned long long>(r.duplicated), static_cast<unsigned long long>(r.received));
  std::fflush(stdout);
}

// close() while producers run: they stop on Closed; every message whose enqueue returned Ok is
// dequeued exactly once, in per-producer order. A message racing with close() may show up after the
// consumer's first Closed (documented), so the consumer drains again once the producers have stopped.
template <class Ring>
void close_while_producing(std::uint32_t producers, std::uint32_t capacity, std::uint64_t close_after) {
  rk::OwnedRing<Ring> owned(capacity);
  Ring ring = *owned;
  std::vector<std::uint64_t> sent(producers, 0);
  std::vector<std::uint64_t> closed_seen(producers, 0);
  std::atomic<std::uint32_t> stopped{0};
  std::vector<std::thread> threads;
  for (std::uint32_t p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      Backoff backoff;
      Item it;
      for (std::uint64_t seq = 0;;) {
        Codec<Item>::make(it, p, seq);
        const rk::QueueStatus s = ring.try_enqueue(it);
        if (s == rk::QueueStatus::Ok) {
          ++seq;
          backoff.reset();
        } else if (s == rk::QueueStatus::Closed) {
          sent[p] = seq;
          closed_seen[p] = 1;
          break;
        } else if (s == rk::QueueStatus::Full) {
          backoff.pause();
        } else {
          ADD_FAILURE() << "unexpected status " << rk::to_string(s);
          sent[p] = seq;
          break;
        }
      }
      stopped.fetch_add(1, std::memory_order_release);
    });
  }
  std::vector<std::uint64_t> next(producers, 0);
  std::uint64_t received = 0, out_of_order = 0, corrupt = 0, closed_results = 0;
  bool closed = false;
  Backoff backoff;
  for (;;) {
    Item it;
    const rk::QueueStatus s = ring.try_dequeue(it);
    if (s == rk::QueueStatus::Ok) {
      std::uint32_t p;
      std::uint64_t seq;
      if (!Codec<Item>::parse(it, p, seq) || p >= producers) {
        ++corrupt;
        continue;
      }
      if (seq != next[p]) ++out_of_order;
      next[p] = seq + 1;
      if (++received == close_after) {
        ring.close();
        closed = true;
      }
      backoff.reset();
      continue;
    }
    if (s == rk::QueueStatus::Closed) {
      ++closed_results;
      // Done once every producer has stopped (so nothing can still be published) and the ring is drained.
      if (stopped.load(std::memory_order_acquire) == producers && !ring.has_message()) break;
    } else {
      ASSERT_EQ(s, rk::QueueStatus::Empty);
      ASSERT_FALSE(closed) << "a closed ring reports Closed, not Empty";
    }
    backoff.pause();
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(closed);
  EXPECT_GE(closed_results, 1u);
  EXPECT_EQ(corrupt, 0u);
  EXPECT_EQ(out_of_order, 0u) << "duplicates or losses show up as gaps in a producer's sequence";
  std::uint64_t total_sent = 0;
  for (std::uint32_t p = 0; p < producers; ++p) {
    EXPECT_EQ(closed_seen[p], 1u) << "producer " << p << " stopped on Closed";
    EXPECT_EQ(next[p], sent[p]) << "producer " << p << ": every Ok-ed message dequeued";
    total_sent += sent[p];
  }
  EXPECT_EQ(received, total_sent);
  EXPECT_GE(received, close_after);
  const rk::QueueStatistics st = ring.statistics();
  EXPECT_EQ(st.total_enqueued, total_sent);
  EXPECT_EQ(st.total_dequeued, total_sent);
  EXPECT_GE(st.total_dropped, producers) << "each producer's Closed attempt is counted";
  Item it{};
  EXPECT_EQ(ring.try_enqueue(it), rk::QueueStatus::Closed);
  EXPECT_EQ(ring.try_dequeue(it), rk::QueueStatus::Closed);
}

TEST(RingStress, CloseWhileProducingMpsc) {
  const std::uint64_t n = std::max<std::uint64_t>(rk::test::stress_messages() / 10, 1000);
  for (int round = 0; round < 5; ++round) close_while_producing<rk::MpscRing<Item>>(4, 64, n + round * 997);
}

TEST(RingStress, CloseWhileProducingSpsc) {
  const std::uint64_t n = std::max<std::uint64_t>(rk::test::stress_messages() / 10, 1000);
  for (int round = 0; round < 5; ++round) close_while_producing<rk::SpscRing<Item>>(1, 16, n + round * 997);
}

// Blocking enqueue/dequeue with timeouts across threads (they spin, yield, then sleep).
TEST(RingStress, BlockingEnqueueDequeue) {
  const std::uint64_t total = std::max<std::uint64_t>(rk::test::stress_messages() / 20, 1000);
  rk::OwnedRing<rk::SpscRing<Item>> owned(64);
  rk::SpscRing<Item> ring = *owned;
  std::thread producer([&] {
    Item it;
    for (std::uint64_t seq = 0; seq < total; ++seq) {
      Codec<Item>::make(it, 0, seq);
      const rk::QueueStatus s = ring.enqueue(it, std::chrono::seconds(60));
      if (s != rk::QueueStatus::Ok) {
        ADD_FAILURE() << "enqueue: " << rk::to_string(s);
        break;
      }
    }
    ring.close();
  });
  std::uint64_t next = 0, corrupt = 0;
  for (;;) {
    Item it;
    const rk::QueueStatus s = ring.dequeue(it, std::chrono::seconds(60));
    if (s == rk::QueueStatus::Closed) break;
    ASSERT_EQ(s, rk::QueueStatus::Ok);
    std::uint32_t p;
    std::uint64_t seq;
    if (!Codec<Item>::parse(it, p, seq)) ++corrupt;
    ASSERT_EQ(seq, next);
    ++next;
  }
  producer.join();
  EXPECT_EQ(next, total);
  EXPECT_EQ(corrupt, 0u);
}

}  // namespace
