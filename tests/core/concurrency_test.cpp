// Thread-safety of the host HLC clock and of the telemetry helpers that may be called from several
// threads. Labelled `concurrency`, so CI also runs it under ThreadSanitizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "rk/core/control_block.hpp"
#include "rk/core/hlc.hpp"
#include "stress_util.hpp"

namespace {

using rk::HlcTimestamp;

TEST(HlcClockConcurrency, UniqueAndPerThreadIncreasing) {
  constexpr int kThreads = 4;
  constexpr int kCalls = 100'000;
  rk::HlcClock clock(3);
  std::vector<std::vector<HlcTimestamp>> seen(kThreads);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    seen[t].reserve(kCalls);
    threads.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (int i = 0; i < kCalls; ++i) seen[t].push_back(clock.now());
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();

  std::vector<HlcTimestamp> all;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<std::size_t>(kCalls));
    for (int i = 1; i < kCalls; ++i) {
      ASSERT_TRUE(seen[t][i - 1].causally_before(seen[t][i])) << "thread " << t << " call " << i;
    }
    for (const HlcTimestamp& ts : seen[t]) ASSERT_EQ(ts.node_id, 3u);
    all.insert(all.end(), seen[t].begin(), seen[t].end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a timestamp was handed out twice";
  EXPECT_EQ(clock.peek(), all.back()) << "peek returns the last timestamp handed out";
  EXPECT_EQ(clock.node_id(), 3u);
}

// Two clocks exchanging timestamps from several threads: every update() result is causally after the
// received timestamp and after everything the receiving clock handed out before.
TEST(HlcClockConcurrency, UpdateFromOtherThreads) {
  constexpr int kRounds = rk::test::kTsan ? 20'000 : 100'000;
  rk::HlcClock a(1), b(2);
  std::atomic<bool> failed{false};
  auto worker = [&](rk::HlcClock& self, rk::HlcClock& other) {
    HlcTimestamp prev{};
    for (int i = 0; i < kRounds; ++i) {
      const HlcTimestamp received = other.peek();
      const HlcTimestamp ts = (i % 3 == 0) ? self.now() : self.update(received);
      if (!prev.causally_before(ts) || ((i % 3 != 0) && !received.causally_before(ts))) failed = true;
      prev = ts;
    }
  };
  std::thread t1(worker, std::ref(a), std::ref(b)), t2(worker, std::ref(b), std::ref(a)),
      t3(worker, std::ref(a), std::ref(b)), t4(worker, std::ref(b), std::ref(a));
  t1.join();
  t2.join();
  t3.join();
  t4.join();
  EXPECT_FALSE(failed.load());
}

// A fake wall clock that stands still: every timestamp must then come from the logical counter.
std::atomic<std::uint64_t> g_frozen_wall{1'000'000};
std::uint64_t frozen_wall() { return g_frozen_wall.load(std::memory_order_relaxed); }

TEST(HlcClockConcurrency, FrozenWallClock) {
  rk::HlcClock clock(9, &frozen_wall);
  constexpr int kThreads = 4, kCalls = 20'000;
  std::vector<std::thread> threads;
  std::vector<std::vector<HlcTimestamp>> seen(kThreads);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) seen[t].push_back(clock.now());
    });
  for (auto& th : threads) th.join();
  std::vector<HlcTimestamp> all;
  for (auto& v : seen) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  EXPECT_EQ(all.front(), (HlcTimestamp{1'000'000, 0, 9}));
  EXPECT_EQ(all.back(), (HlcTimestamp{1'000'000, kThreads * kCalls - 1, 9}));
}

TEST(TelemetryConcurrency, RecordErrorFromManyThreads) {
  rk::ControlBlock cb;
  rk::TelemetryBuffer t;
  rk::reset(cb, 1);
  rk::reset(t);
  std::atomic<bool> stop{false};
  // A reader takes snapshots while errors are recorded (the host reading telemetry of a running kernel).
  std::thread reader([&] {
    std::uint32_t last = 0;
    while (!stop.load(std::memory_order_acquire)) {
      const rk::TelemetryBuffer s = rk::snapshot(t);
      EXPECT_GE(s.error_count, last);
      last = s.error_count;
    }
  });
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) rk::record_error(cb, t, rk::KernelError::HandlerException);
    });
  for (auto& th : threads) th.join();
  stop = true;
  reader.join();
  EXPECT_EQ(cb.error_count, 20000u);
  EXPECT_EQ(t.error_count, 20000u);
  EXPECT_EQ(cb.last_error, static_cast<std::uint32_t>(rk::KernelError::HandlerException));
}

TEST(TelemetryConcurrency, SnapshotWhileRecording) {
  rk::TelemetryBuffer t;
  rk::reset(t);
  constexpr std::uint64_t kN = rk::test::kTsan ? 50'000 : 500'000;
  std::thread writer([&] {  // the single writer: the kernel
    for (std::uint64_t i = 1; i <= kN; ++i) rk::record_processed(t, i % 1000 + 1);
  });
  std::uint64_t last = 0;
  while (last < kN) {
    const rk::TelemetryBuffer s = rk::snapshot(t);
    ASSERT_GE(s.messages_processed, last);
    last = s.messages_processed;
    if (last > 0) {
      ASSERT_GE(s.min_latency_ns, 1u);
      ASSERT_LE(s.max_latency_ns, 1000u);
    }
  }
  writer.join();
  const rk::TelemetryBuffer s = rk::snapshot(t);
  EXPECT_EQ(s.messages_processed, kN);
  EXPECT_EQ(s.min_latency_ns, 1u);
  EXPECT_EQ(s.max_latency_ns, 1000u);
}

}  // namespace
