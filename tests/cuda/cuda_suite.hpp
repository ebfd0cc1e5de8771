// The CUDA backend's runtime suite: lifecycle, host send/receive, K2K, dead letters, handler errors, wide
// grids, host threads racing the kernel and terminate(), every message counted. Written once and
// instantiated per CUDA implementation: a test file defines
//   RK_CUDA_SUITE  the suite's name
//   Backend        `static std::unique_ptr<rk::cuda::CudaRuntime> make(rk::cuda::CudaRuntimeConfig)`, the grid
//                  and block of the wide-kernel test (`kWideGrid`, `kWideBlock`), the shape of the kernels the
//                  admission test launches until the device is full (`kAdmissionBlocks`, `kAdmissionThreads`),
//                  and `kScale` (message counts are divided by it on the fake, whose kernels are host threads)
// and then includes this file once. Registration names: echo, counter, faulty, forward, sendto, wide.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "cuda/device_handlers.hpp"
#include "rk/cuda/runtime.hpp"

namespace rk_cuda_test {

using namespace std::chrono_literals;

inline std::unique_ptr<rk::cuda::CudaRuntime> make_with_types(rk::cuda::CudaRuntimeConfig cfg = {}) {
  auto rt = Backend::make(cfg);
  rt->register_kernel_type<DEcho>("echo");
  rt->register_kernel_type<DCounter>("counter");
  rt->register_kernel_type<DFaulty>("faulty");
  rt->register_kernel_type<DForward>("forward");
  rt->register_kernel_type<DSendTo>("sendto");
  rt->register_kernel_type<DWide>("wide");
  return rt;
}

TEST(RK_CUDA_SUITE, EchoRoundTripsTypedMessages) {
  auto rt = make_with_types();
  rt->launch("e", {}, {}, opts("echo"));
  rt->activate("e");
  const std::uint64_t n = 4000 / Backend::kScale;
  for (std::uint64_t i = 0; i < n; ++i) {
    rt->send("e", Ping{i});
    ASSERT_EQ(rt->receive<Ping>("e", 2s).seq, i);
  }
  rt->deactivate("e");  // the counters are published when the kernel goes idle
  EXPECT_EQ(rt->status("e").messages_processed, n);
  const auto t = rt->telemetry("e");
  EXPECT_EQ(t.telemetry.messages_processed, n);
  EXPECT_LE(t.telemetry.min_latency_ns, t.telemetry.max_latency_ns);
  EXPECT_EQ(rt->backend_name(), "cuda");
  EXPECT_TRUE(rt->failures().empty());
}

TEST(RK_CUDA_SUITE, LaunchedKernelIsInactiveUntilActivated) {
  auto rt = make_with_types();
  rt->launch("c", {}, {}, opts("counter"));
  EXPECT_EQ(rt->status("c").state, rk::KernelState::Launched);
  EXPECT_EQ(rt->telemetry("c").is_active, 0u);
  rt->send("c", Ping{1});
  std::this_thread::sleep_for(20ms);
  rk::Slot s;
  EXPECT_EQ(rt->try_receive(rt->kernel_id("c"), s), rk::QueueStatus::Empty);
  rt->activate("c");
  EXPECT_EQ(rt->telemetry("c").is_active, 1u);  // acknowledged by the kernel before activate() returned
  EXPECT_EQ(rt->receive<Count>("c", 2s).value, 1u);
}

TEST(RK_CUDA_SUITE, DeactivateKeepsStateAndQueuedMessages) {
  auto rt = make_with_types();
  rt->launch("c", {}, {}, opts("counter"));
  rt->activate("c");
  for (std::uint64_t i = 1; i <= 3; ++i) {
    rt->send("c", Ping{i});
    EXPECT_EQ(rt->receive<Count>("c", 2s).value, i);
  }
  rt->deactivate("c");
  EXPECT_EQ(rt->telemetry("c").is_active, 0u);
  EXPECT_EQ(rt->handler<DCounter>("c").seen, 3u);  // read back from device memory
  rt->send("c", Ping{4});
  rt->send("c", Ping{5});
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rt->status("c").messages_processed, 3u);
  rt->activate("c");
  EXPECT_EQ(rt->receive<Count>("c", 2s).value, 4u);
  EXPECT_EQ(rt->receive<Count>("c", 2s).value, 5u);
}

TEST(RK_CUDA_SUITE, TerminateDeadLettersWhatIsLeftAndFreesTheName) {
  auto rt = make_with_types();
  const rk::KernelId id = rt->launch("c", {}, {}, opts("counter"));
  for (std::uint64_t i = 0; i < 5; ++i) rt->send("c", Ping{i});  // never activated
  rt->terminate("c");
  const auto dead = rt->drain_dead_letters();
  ASSERT_EQ(dead.size(), 5u);
  for (const auto& d : dead) EXPECT_EQ(d.reason, rk::SendStatus::Closed);
  rk::Slot s{};
  rk::encode(s, Ping{9});
  EXPECT_EQ(rt->try_send(id, s), rk::SendStatus::Closed);
  EXPECT_EQ(rt->try_receive(id, s), rk::QueueStatus::Closed);  // its output ring was closed by the kernel
  EXPECT_THROW(rt->status("c"), rk::RuntimeError);
  rt->launch("c", {}, {}, opts("counter"));  // the name is free again
  rt->activate("c");
  rt->send("c", Ping{1});
  EXPECT_EQ(rt->receive<Count>("c", 2s).value, 1u);
}

TEST(RK_CUDA_SUITE, RejectsBadLaunches) {
  auto rt = make_with_types();
  rt->launch("a", {}, {}, opts("echo"));
  EXPECT_THROW(rt->launch("a", {}, {}, opts("echo")), rk::RuntimeError);         // duplicate
  EXPECT_THROW(rt->launch("b", {}, {}, opts("nope")), rk::RuntimeError);         // unknown type
  EXPECT_THROW(rt->launch("c", {}, {}, opts("echo", 1000)), rk::RuntimeError);   // not a power of two
  EXPECT_THROW(rt->launch("d", {0, 1, 1}, {}, opts("echo")), rk::RuntimeError);  // empty grid
  auto o = opts("echo");
  o.device = 99;
  EXPECT_THROW(rt->launch("e", {}, {}, o), rk::RuntimeError);  // no such device
  EXPECT_THROW(rt->activate("zzz"), rk::RuntimeError);
}

TEST(RK_CUDA_SUITE, HandlerErrorsAreCountedAndTheKernelKeepsRunning) {
  auto rt = make_with_types();
  rt->launch("f", {}, {}, opts("faulty"));
  rt->activate("f");
  for (std::uint64_t i = 0; i < 4; ++i) rt->send("f", Ping{i});
  for (std::uint64_t i = 0; i < 4; ++i) EXPECT_EQ(rt->receive<Ping>("f", 2s).seq, i);
  rt->deactivate("f");
  EXPECT_EQ(rt->status("f").error_count, 1u);
  EXPECT_EQ(rt->status("f").last_error, rk::KernelError::HandlerError);
  EXPECT_EQ(rt->telemetry("f").telemetry.error_count, 1u);
  EXPECT_EQ(rt->status("f").messages_processed, 4u);
}

TEST(RK_CUDA_SUITE, PipelineOverK2KKeepsOrderAndCausality) {
  auto rt = make_with_types();
  auto o = opts("forward");
  const rk::KernelId last = rt->launch("s3", {}, {}, o);
  o.params.set("next", std::to_string(last));
  const rk::KernelId mid = rt->launch("s2", {}, {}, o);
  o.params.set("next", std::to_string(mid));
  rt->launch("s1", {}, {}, o);
  for (const char* k : {"s1", "s2", "s3"}) rt->activate(k);
  const std::uint64_t n = 20000 / Backend::kScale;
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < n; ++i) rt->send("s1", Token{7, i}, rk::priority::kNormal, 10s);
  });
  rk::HlcTimestamp prev{};
  for (std::uint64_t i = 0; i < n; ++i) {
    rk::Slot s;
    ASSERT_EQ(rt->receive(last, s, 10s), rk::QueueStatus::Ok) << "after " << i;
    Token t{};
    ASSERT_EQ(rk::decode(s, t), rk::DecodeStatus::Ok);
    EXPECT_EQ(t.seq, i);
    EXPECT_EQ(s.header.source_kernel, last);
    EXPECT_TRUE(prev < s.header.timestamp);
    prev = s.header.timestamp;
  }
  producer.join();
  for (const char* k : {"s1", "s2", "s3"}) rt->deactivate(k);
  for (const char* k : {"s1", "s2", "s3"}) {
    const DForward h = rt->handler<DForward>(k);
    EXPECT_EQ(h.out_of_order, 0u) << k;
    EXPECT_EQ(h.causality_violations, 0u) << k;
    EXPECT_EQ(h.forwarded, n) << k;
    EXPECT_EQ(rt->status(k).messages_processed, n) << k;
  }
}

TEST(RK_CUDA_SUITE, FailedDeliveriesAreReportedNotLost) {
  auto rt = make_with_types();
  rt->launch("src", {}, {}, opts("sendto"));
  const rk::KernelId sink = rt->launch("sink", {}, {}, opts("counter", 2));  // never activated: fills up
  rt->activate("src");
  rt->send("src", Ping{999});  // no such kernel
  EXPECT_EQ(rt->receive<Count>("src", 2s).value, static_cast<std::uint64_t>(rk::SendStatus::UnknownKernel));
  for (int i = 0; i < 3; ++i) rt->send("src", Ping{sink});
  EXPECT_EQ(rt->receive<Count>("src", 2s).value, static_cast<std::uint64_t>(rk::SendStatus::Ok));
  EXPECT_EQ(rt->receive<Count>("src", 2s).value, static_cast<std::uint64_t>(rk::SendStatus::Ok));
  EXPECT_EQ(rt->receive<Count>("src", 2s).value, static_cast<std::uint64_t>(rk::SendStatus::Full));
  const auto dead = rt->drain_dead_letters();
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].reason, rk::SendStatus::UnknownKernel);
  EXPECT_EQ(dead[1].reason, rk::SendStatus::Full);
  EXPECT_EQ(dead[1].message.header.dest_kernel, sink);
  rt->deactivate("src");
  const auto m = rt->metrics("src");
  EXPECT_EQ(m.telemetry.messages_dropped, 2u);
  EXPECT_EQ(m.dead_letters, 2u);
  EXPECT_EQ(rt->status("src").last_error, rk::KernelError::DeliveryFailed);
  rk::Slot s{};
  rk::encode(s, Ping{1});
  // The sink's host input (its own ring, 2 slots) fills too, and the host's send says so without blocking.
  EXPECT_EQ(rt->send(sink, s, 10ms), rk::SendStatus::Ok);
  EXPECT_EQ(rt->send(sink, s, 10ms), rk::SendStatus::Ok);
  EXPECT_EQ(rt->send(sink, s, 10ms), rk::SendStatus::Full);
}

TEST(RK_CUDA_SUITE, EveryThreadOfAWideGridRunsTheHandler) {
  auto rt = make_with_types();
  const rk::Dim3 grid = Backend::kWideGrid, block = Backend::kWideBlock;
  rt->launch("w", grid, block, opts("wide"));
  rt->activate("w");
  const std::uint64_t threads = grid.volume() * block.volume();
  for (std::uint64_t i = 0; i < 20; ++i) {
    rt->send("w", Ping{i});
    const Wide w = rt->receive<Wide>("w", 5s);
    EXPECT_EQ(w.threads, threads) << i;
    EXPECT_EQ(w.lanes, threads) << i << ": the ballots' masks cover exactly the lanes that exist";
  }
}

/// Host threads send patterned messages through one echo kernel; every one comes back once, intact, in
/// per-sender order (the message-passing check on the mapped rings: a payload is never seen before it is
/// written).
TEST(RK_CUDA_SUITE, HostThreadsLoseAndDuplicateNothing) {
  auto rt = make_with_types();
  const rk::KernelId id = rt->launch("e", {}, {}, opts("echo", 256));
  rt->activate("e");
  constexpr std::uint32_t kSenders = 4;
  const std::uint64_t per = 20000 / Backend::kScale;
  std::vector<std::thread> senders;
  for (std::uint32_t s = 0; s < kSenders; ++s)
    senders.emplace_back([&, s] {
      for (std::uint64_t i = 0; i < per; ++i) {
        rk::Slot m{};
        rk::encode(m, Pattern::make((std::uint64_t{s} << 32) | i));
        ASSERT_EQ(rt->send(id, m, 10s), rk::SendStatus::Ok);
      }
    });
  std::vector<std::uint64_t> next(kSenders, 0);
  std::uint64_t broken = 0, disorder = 0;
  for (std::uint64_t got = 0; got < kSenders * per; ++got) {
    rk::Slot m;
    ASSERT_EQ(rt->receive(id, m, 10s), rk::QueueStatus::Ok) << "after " << got;
    Pattern p{};
    ASSERT_EQ(rk::decode(m, p), rk::DecodeStatus::Ok);
    if (!p.intact()) ++broken;
    const auto s = static_cast<std::uint32_t>(p.seq >> 32);
    ASSERT_LT(s, kSenders);
    if ((p.seq & 0xFFFFFFFFu) != next[s]) ++disorder;
    next[s] = (p.seq & 0xFFFFFFFFu) + 1;
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(broken, 0u);
  EXPECT_EQ(disorder, 0u);
  rk::Slot extra;
  EXPECT_EQ(rt->try_receive(id, extra), rk::QueueStatus::Empty) << "a duplicate";
  rt->deactivate("e");
  EXPECT_EQ(rt->status("e").messages_processed, kSenders * per);
}

/// terminate() while host threads send and receive: every send that returned Ok comes back as an echo, as a
/// dead letter, or as the one message the handler reports dropping when told to stop with its output full;
/// never twice, never not at all.
TEST(RK_CUDA_SUITE, TerminateWhileHostThreadsHammerLosesNothing) {
  auto rt = make_with_types();
  const rk::KernelId id = rt->launch("e", {}, {}, opts("echo", 64));
  rt->activate("e");
  std::atomic<bool> go{true};
  std::atomic<std::uint64_t> sent_ok{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < 3; ++s)
    senders.emplace_back([&] {
      std::uint64_t i = 0;
      while (go.load()) {
        rk::Slot m{};
        rk::encode(m, Ping{i++});
        const rk::SendStatus st = rt->try_send(id, m);
        if (st == rk::SendStatus::Ok) sent_ok.fetch_add(1);
        else if (st == rk::SendStatus::Closed) break;
      }
    });
  std::uint64_t received = 0;
  std::thread receiver([&] {
    rk::Slot m;
    for (;;) {
      const rk::QueueStatus st = rt->try_receive(id, m);
      if (st == rk::QueueStatus::Ok) ++received;
      else if (st == rk::QueueStatus::Closed) break;
    }
  });
  std::this_thread::sleep_for(50ms);
  rt->terminate("e");
  go.store(false);
  for (auto& t : senders) t.join();
  receiver.join();
  const auto dead = rt->drain_dead_letters();
  const std::uint64_t dropped = rt->handler<DEcho>("e").dropped;  // told to stop with its output full
  EXPECT_GT(received, 0u);
  EXPECT_LE(dropped, 1u) << "the loop takes no message after the handler saw the request to stop";
  EXPECT_EQ(received + dead.size() + dropped, sent_ok.load())
      << received << " echoed, " << dead.size() << " dead letters, " << dropped << " dropped by the handler";
}

TEST(RK_CUDA_SUITE, AdmissionCountsEveryResidentGrid) {
  auto rt = make_with_types();
  // Kernels of a known shape, launched until the admission check says the device is full.
  std::vector<std::string> names;
  std::string refusal;
  for (int i = 0; i < 100000 && refusal.empty(); ++i) {
    const std::string n = "k" + std::to_string(i);
    try {
      rt->launch(n, rk::Dim3{Backend::kAdmissionBlocks, 1, 1}, rk::Dim3{Backend::kAdmissionThreads, 1, 1}, opts("echo", 2));
      names.push_back(n);
    } catch (const rk::RuntimeError& e) {
      refusal = e.what();
    }
  }
  ASSERT_FALSE(refusal.empty()) << "the device never filled up";
  EXPECT_NE(refusal.find("admission"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("already resident"), std::string::npos) << refusal;
  std::printf("persistent kernels of %u block(s) x %u threads resident at once: %zu\n", Backend::kAdmissionBlocks,
              Backend::kAdmissionThreads, names.size());
  ASSERT_GE(names.size(), 1u);
  for (const auto& n : names) rt->activate(n);
  for (const auto& n : names) {  // every resident kernel answers
    rt->send(n, Ping{7});
    EXPECT_EQ(rt->receive<Ping>(n, 5s).seq, 7u) << n;
  }
  rt->terminate(names.front());  // room for one more
  rt->launch("again", rk::Dim3{Backend::kAdmissionBlocks, 1, 1}, rk::Dim3{Backend::kAdmissionThreads, 1, 1}, opts("echo", 2));
}

}  // namespace rk_cuda_test
