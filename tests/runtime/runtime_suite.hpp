// The backend-agnostic runtime suite: lifecycle, host send/receive, K2K delivery and its failures, dead
// letters, handler errors, idle hooks, host threads racing terminate(). Written against
// rk::RingKernelRuntime only and instantiated once per backend (Kokkos' per-backend category files are the
// model): a backend's test file defines
//   RK_RUNTIME_SUITE  the test suite's name (e.g. RuntimeSuiteCpu)
//   Backend           a struct with `static constexpr const char* kName`, `static
//                     std::unique_ptr<rk::RingKernelRuntime> make(unsigned workers)` and `template <class H>
//                     static void add(rk::RingKernelRuntime&, const std::string& type)` (register a handler),
//                     `template <class H> static H handler(rk::RingKernelRuntime&, const std::string& kernel)`
//                     (a copy of a deactivated kernel's handler state)
// and then includes this file once.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "runtime/suite_handlers.hpp"

namespace rk_test {

using namespace std::chrono_literals;

TEST(RK_RUNTIME_SUITE, EchoRoundTripsTypedMessages) {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Echo>(rt, "echo");
  rt.launch("e", {}, {}, opts("echo", rk::IdleStrategy::Spin));
  rt.activate("e");
  for (std::uint64_t i = 0; i < 2000; ++i) {
    rt.send("e", Ping{i});
    EXPECT_EQ(rt.receive<Ping>("e", 2s).seq, i);
  }
  EXPECT_EQ(rt.status("e").messages_processed, 2000u);
  EXPECT_EQ(rt.backend_name(), Backend::kName);
}

TEST(RK_RUNTIME_SUITE, LaunchedKernelIsInactiveUntilActivated) {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Counter>(rt, "counter");
  rt.launch("c", {}, {}, opts("counter"));
  EXPECT_EQ(rt.status("c").state, rk::KernelState::Launched);
  rt.send("c", Ping{1});
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rt.status("c").messages_processed, 0u);
  rk::Slot s;
  EXPECT_EQ(rt.try_receive(rt.kernel_id("c"), s), rk::QueueStatus::Empty);
  rt.activate("c");
  EXPECT_EQ(rt.receive<Count>("c", 2s).value, 1u);
}

TEST(RK_RUNTIME_SUITE, DeactivateKeepsStateAndQueuedMessages) {
  const auto rt_ptr = Backend::make(2);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Counter>(rt, "counter");
  rt.launch("c", {}, {}, opts("counter"));
  rt.activate("c");
  for (int i = 0; i < 5; ++i) rt.send("c", Ping{0});
  for (std::uint64_t i = 1; i <= 5; ++i) EXPECT_EQ(rt.receive<Count>("c", 2s).value, i);
  rt.deactivate("c");
  EXPECT_EQ(rt.status("c").state, rk::KernelState::Inactive);
  for (int i = 0; i < 3; ++i) rt.send("c", Ping{0});  // queued while inactive
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rt.status("c").messages_processed, 5u);
  EXPECT_EQ(rt.telemetry("c").is_active, 0u);
  rt.activate("c");
  for (std::uint64_t i = 6; i <= 8; ++i) EXPECT_EQ(rt.receive<Count>("c", 2s).value, i);
}

TEST(RK_RUNTIME_SUITE, TerminateFreesTheKernelAndItsName) {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Counter>(rt, "counter");
  const int before = Counter::live.load();
  const rk::KernelId id = rt.launch("c", {}, {}, opts("counter"));
  EXPECT_EQ(Counter::live.load(), before + 1);
  rt.activate("c");
  rt.send("c", Ping{0});
  EXPECT_EQ(rt.receive<Count>("c", 2s).value, 1u);
  rt.terminate("c");
  EXPECT_EQ(Counter::live.load(), before);  // handler destroyed
  EXPECT_TRUE(rt.list_kernels().empty());
  EXPECT_THROW(rt.status("c"), rk::RuntimeError);
  rk::Slot s{};
  EXPECT_EQ(rt.try_send(id, s), rk::SendStatus::UnknownKernel);
  // The name can be launched again, with fresh state.
  rt.launch("c", {}, {}, opts("counter"));
  rt.activate("c");
  rt.send("c", Ping{0});
  EXPECT_EQ(rt.receive<Count>("c", 2s).value, 1u);
}

TEST(RK_RUNTIME_SUITE, RejectsBadLaunches) {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Echo>(rt, "echo");
  rt.launch("a", {}, {}, opts("echo"));
  EXPECT_THROW(rt.launch("a", {}, {}, opts("echo")), rk::RuntimeError);        // duplicate
  EXPECT_THROW(rt.launch("b", {}, {}, opts("nope")), rk::RuntimeError);        // unknown type
  auto o = opts("echo");
  o.input_capacity = 1000;
  EXPECT_THROW(rt.launch("c", {}, {}, o), rk::RuntimeError);                   // not a power of two
  EXPECT_THROW(rt.launch("d", {0, 1, 1}, {}, opts("echo")), rk::RuntimeError); // empty grid
  EXPECT_THROW(rt.activate("zzz"), rk::RuntimeError);
}

TEST(RK_RUNTIME_SUITE, HandlerErrorsAreCountedAndTheKernelKeepsRunning) {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Faulty>(rt, "faulty");
  rt.launch("f", {}, {}, opts("faulty"));
  rt.activate("f");
  for (std::uint64_t i = 0; i < 4; ++i) rt.send("f", Ping{i});
  std::set<std::uint64_t> got;
  for (int i = 0; i < 3; ++i) got.insert(rt.receive<Ping>("f", 2s).seq);
  EXPECT_EQ(got, (std::set<std::uint64_t>{0, 1, 3}));
  const auto st = rt.status("f");
  EXPECT_EQ(st.error_count, 2u);
  EXPECT_EQ(rt.telemetry("f").telemetry.error_count, 2u);
  EXPECT_EQ(st.messages_processed, 4u);
}

TEST(RK_RUNTIME_SUITE, PipelineOverK2KKeepsOrderAndCausality) {
  const auto rt_ptr = Backend::make(2);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Forward>(rt, "forward");
  auto o = opts("forward");
  o.params.set("next", std::to_string(rk::kHostKernel));
  const rk::KernelId last = rt.launch("s3", {}, {}, o);
  o.params.set("next", std::to_string(last));
  const rk::KernelId mid = rt.launch("s2", {}, {}, o);
  o.params.set("next", std::to_string(mid));
  rt.launch("s1", {}, {}, o);
  for (const char* k : {"s1", "s2", "s3"}) rt.activate(k);
  constexpr std::uint64_t n = 20000;
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < n; ++i) rt.send("s1", Token{7, i}, rk::priority::kNormal, 10s);
  });
  rk::HlcTimestamp prev{};
  for (std::uint64_t i = 0; i < n; ++i) {
    rk::Slot s;
    ASSERT_EQ(rt.receive(last, s, 10s), rk::QueueStatus::Ok) << "after " << i;
    Token t{};
    ASSERT_EQ(rk::decode(s, t), rk::DecodeStatus::Ok);
    EXPECT_EQ(t.seq, i);
    EXPECT_EQ(s.header.source_kernel, last);
    EXPECT_TRUE(prev < s.header.timestamp);
    prev = s.header.timestamp;
  }
  producer.join();
  for (const char* k : {"s1", "s2", "s3"}) rt.deactivate(k);
  for (const char* k : {"s1", "s2", "s3"}) {
    EXPECT_EQ(Backend::template handler<Forward>(rt, k).out_of_order, 0u) << k;
    EXPECT_EQ(Backend::template handler<Forward>(rt, k).causality_violations, 0u) << k;
    EXPECT_EQ(rt.status(k).messages_processed, n) << k;
  }
}

TEST(RK_RUNTIME_SUITE, FailedDeliveriesAreReportedNotLost) {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<SendTo>(rt, "sendto");
  Backend::template add<Counter>(rt, "counter");
  rt.launch("src", {}, {}, opts("sendto"));
  auto small = opts("counter");
  small.input_capacity = 2;
  const rk::KernelId sink = rt.launch("sink", {}, {}, small);  // never activated: fills up
  rt.activate("src");
  // Unknown destination.
  rt.send("src", Ping{999});
  EXPECT_EQ(rt.receive<Count>("src", 2s).value, static_cast<std::uint64_t>(rk::SendStatus::UnknownKernel));
  // Two fit, the third finds the ring full.
  for (int i = 0; i < 3; ++i) rt.send("src", Ping{sink});
  EXPECT_EQ(rt.receive<Count>("src", 2s).value, static_cast<std::uint64_t>(rk::SendStatus::Ok));
  EXPECT_EQ(rt.receive<Count>("src", 2s).value, static_cast<std::uint64_t>(rk::SendStatus::Ok));
  EXPECT_EQ(rt.receive<Count>("src", 2s).value, static_cast<std::uint64_t>(rk::SendStatus::Full));
  const auto dead = rt.drain_dead_letters();
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].reason, rk::SendStatus::UnknownKernel);
  EXPECT_EQ(dead[1].reason, rk::SendStatus::Full);
  Ping p{};
  ASSERT_EQ(rk::decode(dead[1].message, p), rk::DecodeStatus::Ok);
  EXPECT_EQ(p.seq, sink);
  const auto m = rt.metrics("src");
  EXPECT_EQ(m.telemetry.messages_dropped, 2u);
  EXPECT_EQ(m.dead_letters, 2u);
  EXPECT_EQ(rt.status("src").last_error, rk::KernelError::DeliveryFailed);
  // The host's own send to a full ring reports Full without blocking forever.
  rk::Slot s{};
  rk::encode(s, Ping{1});
  EXPECT_EQ(rt.send(sink, s, 10ms), rk::SendStatus::Full);
}

TEST(RK_RUNTIME_SUITE, HundredsOfKernelsShareTwoWorkers) {
  const auto rt_ptr = Backend::make(2);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Counter>(rt, "counter");
  constexpr int n = 300;
  for (int i = 0; i < n; ++i) {
    auto o = opts("counter", rk::IdleStrategy::Park);
    o.input_capacity = o.output_capacity = 16;
    rt.launch("k" + std::to_string(i), {}, {}, o);
    rt.activate("k" + std::to_string(i));
  }
  for (int round = 1; round <= 3; ++round) {
    for (int i = 0; i < n; ++i) rt.send("k" + std::to_string(i), Ping{0});
    for (int i = 0; i < n; ++i) EXPECT_EQ(rt.receive<Count>("k" + std::to_string(i), 5s).value, static_cast<std::uint64_t>(round));
  }
  EXPECT_EQ(rt.list_kernels().size(), static_cast<std::size_t>(n));
}

TEST(RK_RUNTIME_SUITE, TerminateReportsUndeliveredMessagesAsDeadLetters) {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Counter>(rt, "counter");
  rt.launch("c", {}, {}, opts("counter"));  // never activated: its input keeps what is sent
  for (std::uint64_t i = 0; i < 3; ++i) rt.send("c", Ping{i});
  rt.terminate("c");
  const auto dead = rt.drain_dead_letters();
  ASSERT_EQ(dead.size(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) {
    Ping p{};
    ASSERT_EQ(rk::decode(dead[i].message, p), rk::DecodeStatus::Ok);
    EXPECT_EQ(p.seq, i);
    EXPECT_EQ(dead[i].reason, rk::SendStatus::Closed);
  }
}

TEST(RK_RUNTIME_SUITE, ConcurrentActivateAndDeactivateEndConsistent) {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Counter>(rt, "counter");
  rt.launch("c", {}, {}, opts("counter"));
  std::thread a([&] {
    for (int i = 0; i < 200; ++i) rt.activate("c");
  });
  std::thread d([&] {
    for (int i = 0; i < 200; ++i) rt.deactivate("c");
  });
  a.join();
  d.join();
  rt.deactivate("c");
  EXPECT_EQ(rt.status("c").state, rk::KernelState::Inactive);
  EXPECT_EQ(rt.telemetry("c").is_active, 0u);
  rt.activate("c");
  rt.send("c", Ping{0});
  EXPECT_EQ(rt.receive<Count>("c", 2s).value, 1u);
}

/// Host threads sending to and receiving from the very kernel that is terminated and launched again
/// (its id reused) while they run: terminate() frees the kernel only once no host call can still hold
/// it (HostReaders). A use after free here is what the sanitizer builds would report; the test also
/// checks that messages got through between the cycles.
TEST(RK_RUNTIME_SUITE, TerminateWhileHostThreadsUseThatVeryKernel) {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Echo>(rt, "echo");
  const rk::KernelId id = rt.launch("churn", {}, {}, opts("echo"));
  rt.activate("churn");
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> sent{0}, received{0};
  std::vector<std::thread> hammers;
  for (int t = 0; t < 2; ++t)
    hammers.emplace_back([&] {
      rk::Slot s{}, r;
      while (!stop.load(std::memory_order_relaxed)) {
        s.header.message_id = {};
        if (rt.try_send(id, s) == rk::SendStatus::Ok) sent.fetch_add(1, std::memory_order_relaxed);
        try {
          if (rt.try_receive(id, r) == rk::QueueStatus::Ok) received.fetch_add(1, std::memory_order_relaxed);
        } catch (const rk::RuntimeError&) {
          // between terminate() and the next launch the id is unknown
        }
      }
    });
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(200us);
    rt.terminate("churn");
    ASSERT_EQ(rt.launch("churn", {}, {}, opts("echo")), id);  // the freed id comes back
    rt.activate("churn");
  }
  stop = true;
  for (auto& h : hammers) h.join();
  EXPECT_GT(sent.load(), 0u);
  EXPECT_GT(received.load(), 0u);
  rt.shutdown();
}

/// Host threads that never stop sending and receiving must not keep terminate() (which waits until no
/// host call can still hold the kernel it unpublishes) from finishing: kernels come and go among them.
TEST(RK_RUNTIME_SUITE, TerminateFinishesWhileHostThreadsHammer) {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Echo>(rt, "echo");
  const rk::KernelId busy = rt.launch("busy", {}, {}, opts("echo"));
  rt.activate("busy");
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> calls{0};
  std::vector<std::thread> hammers;
  for (int t = 0; t < 3; ++t)
    hammers.emplace_back([&] {
      rk::Slot s{}, r;
      while (!stop.load(std::memory_order_relaxed)) {
        (void)rt.try_send(busy, s);
        (void)rt.try_receive(busy, r);
        calls.fetch_add(1, std::memory_order_relaxed);
      }
    });
  // Each terminate() below waits for a grace period; with a single reader count that three threads keep
  // above zero it could wait forever. Bounded here by the watchdog below (a liveness check, not a timing).
  std::atomic<int> cycles{0};
  std::thread worker([&] {
    for (int i = 0; i < 50; ++i) {
      rt.launch("churn", {}, {}, opts("echo"));
      rt.activate("churn");
      rt.terminate("churn");
      cycles.fetch_add(1);
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (cycles.load() < 50 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  const int done = cycles.load();
  stop = true;
  for (auto& h : hammers) h.join();
  if (done < 50) {
    worker.detach();  // stuck in terminate(): report instead of hanging the test binary
    FAIL() << "terminate() starved by host readers: " << done << " of 50 launch/terminate cycles in 60 s";
  }
  worker.join();
  EXPECT_GT(calls.load(), 0u);
}

/// The sink's ring holds 2; the other 4 messages wait in the forwarder. Once the sink runs, only the idle
/// hook can send them: no further message reaches the forwarder.
template <class Forwarder>
std::uint64_t delivered_after_sink_starts() {
  const auto rt_ptr = Backend::make(1);
  rk::RingKernelRuntime& rt = *rt_ptr;
  Backend::template add<Forwarder>(rt, "fwd");
  Backend::template add<Counter>(rt, "counter");
  auto small = opts("counter");
  small.input_capacity = 2;
  const rk::KernelId sink = rt.launch("sink", {}, {}, small);
  rt.launch("fwd", {}, {}, opts("fwd"));
  rt.activate("fwd");
  for (int i = 0; i < 6; ++i) rt.send("fwd", Ping{sink});
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (rt.status("fwd").messages_processed < 6 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  rt.activate("sink");
  std::uint64_t seen = 0;
  rk::Slot s;
  while (rt.receive(sink, s, 300ms) == rk::QueueStatus::Ok) ++seen;
  return seen;
}

TEST(RK_RUNTIME_SUITE, IdleHookSendsHeldBackMessages) {
  EXPECT_EQ(delivered_after_sink_starts<ForwarderWithHook>(), 6u);
  // Without the hook the held-back four stay where they are: what the hook is for.
  EXPECT_EQ(delivered_after_sink_starts<HoldingForwarder>(), 2u);
}

}  // namespace rk_test
