// What only the CPU backend's runtime has or shows: grid/block semantics as simulated on fibers (barriers,
// warp collectives, a divergent barrier detected), named barriers and worker pinning, a source-selective
// pull with handler state read back, the HasIdleHook detection. The backend-agnostic behaviour is in
// runtime_suite_cpu_test.cpp (tests/runtime/runtime_suite.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "rk/cpu/runtime.hpp"
#include "runtime/suite_handlers.hpp"

namespace {

using namespace std::chrono_literals;
using rk::cpu::CpuContext;
using rk::cpu::CpuRuntime;
using namespace rk_test;

static_assert(rk::HasIdleHook<ForwarderWithHook, CpuContext>);
static_assert(!rk::HasIdleHook<HoldingForwarder, CpuContext>);

/// Block/grid semantics: every thread writes its id, barriers order the phases, warps exchange.
struct GridCheck {
  static constexpr std::uint32_t kMax = 4096;
  std::int32_t ids[kMax] = {};
  std::int32_t block_sums[64] = {};
  std::int32_t grid_sum = 0;
  std::int32_t shuffle_errors = 0;
  std::int32_t ballot_errors = 0;
  std::int32_t messages = 0;
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot&) {
    const std::uint32_t bt = static_cast<std::uint32_t>(ctx.block_dim().volume());
    const std::uint32_t g = ctx.global_thread_id();
    ids[g] = static_cast<std::int32_t>(g) + 1;
    ctx.sync_threads();
    if (ctx.thread_id() == 0) {
      std::int32_t s = 0;
      for (std::uint32_t t = 0; t < bt; ++t) s += ids[ctx.block_id() * bt + t];
      block_sums[ctx.block_id()] = s;
    }
    ctx.sync_grid();
    if (g == 0) {
      grid_sum = 0;
      for (std::uint32_t b = 0; b < ctx.grid_dim().volume(); ++b) grid_sum += block_sums[b];
    }
    // Rotate values one lane down within each warp; lanes past the block's end do not exist.
    const std::uint32_t lanes = std::min<std::uint32_t>(rk::kWarpSize, bt - ctx.warp_id() * rk::kWarpSize);
    const std::int32_t got = ctx.warp_shuffle(static_cast<std::int32_t>(ctx.lane_id()) * 10, (ctx.lane_id() + 1) % lanes);
    if (got != static_cast<std::int32_t>((ctx.lane_id() + 1) % lanes) * 10) ctx.atomic_add(&shuffle_errors, 1);
    const std::uint32_t ballot = ctx.warp_ballot(ctx.lane_id() % 2 == 0);
    std::uint32_t expect = 0;
    for (std::uint32_t l = 0; l < lanes; l += 2) expect |= 1u << l;
    if (ballot != expect) ctx.atomic_add(&ballot_errors, 1);
    ctx.sync_grid();
    if (g == 0) {
      ++messages;
      ctx.enqueue_output(Count{static_cast<std::uint64_t>(grid_sum)});
    }
  }
};

TEST(CpuRuntime, GridAndBlockBehaveAsOnAGpu) {
  CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<GridCheck>("grid");
  rt.launch("g", {3, 1, 1}, {40, 1, 1}, opts("grid"));  // 40 threads: one full warp, one of 8 lanes
  rt.activate("g");
  constexpr std::uint64_t n = 120;  // threads
  for (int rep = 0; rep < 3; ++rep) {
    rt.send("g", Ping{0});
    EXPECT_EQ(rt.receive<Count>("g", 5s).value, n * (n + 1) / 2);
  }
  rt.deactivate("g");
  EXPECT_EQ(rt.handler<GridCheck>("g").shuffle_errors, 0);
  EXPECT_EQ(rt.handler<GridCheck>("g").ballot_errors, 0);
  EXPECT_EQ(rt.handler<GridCheck>("g").messages, 3);
  EXPECT_EQ(rt.status("g").error_count, 0u);
}

/// Thread 0 alone waits at a block barrier: on a GPU this hangs; here it is detected.
struct Divergent {
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot&) {
    if (ctx.thread_id() == 0) ctx.sync_threads();
  }
};

TEST(CpuRuntime, DivergentBarrierIsReportedAsDeadlock) {
  CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<Divergent>("div");
  rt.launch("d", {}, {4, 1, 1}, opts("div"));
  rt.activate("d");
  rt.send("d", Ping{0});
  for (int i = 0; i < 500 && !rt.telemetry("d").has_terminated; ++i) std::this_thread::sleep_for(2ms);
  EXPECT_EQ(rt.telemetry("d").has_terminated, 1u);
  EXPECT_EQ(rt.status("d").last_error, rk::KernelError::BarrierDeadlock);
  rk::Slot s{};
  EXPECT_EQ(rt.try_send(rt.kernel_id("d"), s), rk::SendStatus::Closed);
}

/// Meets the other kernels at a named barrier, then reports how many had arrived.
struct Meet {
  static inline std::atomic<int> arrived{0};
  explicit Meet(const rk::KernelParams& p) : barrier(static_cast<std::uint32_t>(p.get_int("barrier"))) {}
  std::uint32_t barrier;
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot&) {
    if (ctx.global_thread_id() == 0) arrived.fetch_add(1);
    ctx.named_barrier(barrier);
    const int seen = arrived.load();
    ctx.sync_grid();
    if (ctx.global_thread_id() == 0) ctx.enqueue_output(Count{static_cast<std::uint64_t>(seen)});
  }
};

TEST(CpuRuntime, NamedBarrierJoinsKernelsOnSameAndOtherWorkers) {
  CpuRuntime rt({.workers = 2});
  rt.register_kernel_type<Meet>("meet");
  const std::uint32_t b = rt.create_named_barrier("phase", 4);
  auto o = opts("meet");
  o.params.set("barrier", std::to_string(b));
  rt.launch_on_worker("a", {}, {}, o, 0);          // single thread, worker 0
  rt.launch_on_worker("b", {}, {}, o, 0);          // single thread, same worker as a
  rt.launch_on_worker("c", {2, 1, 1}, {8, 1, 1}, o, 0);  // fibers, worker 0
  rt.launch_on_worker("d", {}, {}, o, 1);          // other worker
  Meet::arrived = 0;
  for (const char* k : {"a", "b", "c", "d"}) rt.activate(k);
  for (const char* k : {"a", "b", "c", "d"}) rt.send(k, Ping{0});
  for (const char* k : {"a", "b", "c", "d"}) EXPECT_EQ(rt.receive<Count>(k, 5s).value, 4u) << k;
}

/// A thread-group kernel blocked on a named barrier that cannot open yet lets its worker sleep (before,
/// the worker spun on it for as long as the barrier stayed shut), and the last arrival wakes it.
TEST(CpuRuntime, WorkerSleepsWhileItsGroupWaitsOnANamedBarrier) {
  CpuRuntime rt({.workers = 2});
  rt.register_kernel_type<Meet>("meet");
  const std::uint32_t b = rt.create_named_barrier("late", 2);
  auto o = opts("meet", rk::IdleStrategy::Adaptive);
  o.params.set("barrier", std::to_string(b));
  rt.launch_on_worker("group", {2, 1, 1}, {4, 1, 1}, o, 0);  // fibers on worker 0
  rt.launch_on_worker("late", {}, {}, o, 1);  // the other participant, on worker 1, not sent anything yet
  Meet::arrived = 0;
  rt.activate("group");
  rt.activate("late");
  rt.send("group", Ping{0});
  for (int i = 0; i < 500 && Meet::arrived.load() < 1; ++i) std::this_thread::sleep_for(2ms);
  std::this_thread::sleep_for(20ms);  // past the adaptive spin and yield rounds
  const std::uint64_t before = rt.worker_loops(0);
  std::this_thread::sleep_for(50ms);
  // Asleep, the worker wakes once per park timeout (5 ms): about 10 loops here; spinning, many thousands.
  EXPECT_LT(rt.worker_loops(0) - before, 500u) << "worker 0 kept running while its only kernel waited on a shut barrier";
  rt.send("late", Ping{0});
  EXPECT_EQ(rt.receive<Count>("group", 5s).value, 2u);
  EXPECT_EQ(rt.receive<Count>("late", 5s).value, 2u);
}

/// Waits for a host "collect" message, then pulls K2K messages from one source only.
struct Collector {
  explicit Collector(const rk::KernelParams& p) : from(static_cast<rk::KernelId>(p.get_int("from"))) {}
  rk::KernelId from;
  std::uint64_t handled_tokens = 0;
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot& in) {
    if (in.header.source_kernel != rk::kHostKernel) {
      ++handled_tokens;  // delivered normally (passed over by the pull below)
      return;
    }
    rk::Slot s;
    std::uint64_t pulled = 0;
    while (ctx.try_receive_from_kernel(from, s)) ++pulled;
    ctx.enqueue_output(Count{pulled});
  }
};

TEST(CpuRuntime, TryReceiveFromKernelPullsOneSourceAndKeepsTheRest) {
  CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<SendTo>("sendto");
  rt.register_kernel_type<Collector>("collector");
  const rk::KernelId a = rt.launch("a", {}, {}, opts("sendto"));
  rt.launch("b", {}, {}, opts("sendto"));
  auto o = opts("collector");
  o.params.set("from", std::to_string(a));
  const rk::KernelId c = rt.launch("c", {}, {}, o);
  rt.activate("a");
  rt.activate("b");
  for (int i = 0; i < 3; ++i) rt.send("a", Ping{c});
  for (int i = 0; i < 2; ++i) rt.send("b", Ping{c});
  for (int i = 0; i < 3; ++i) rt.receive<Count>("a", 2s);
  for (int i = 0; i < 2; ++i) rt.receive<Count>("b", 2s);
  rt.send("c", Ping{0});  // queued behind the five K2K messages
  rt.activate("c");
  // The first five messages are K2K and reach the handler directly; the "collect" pulls nothing then.
  EXPECT_EQ(rt.receive<Count>("c", 2s).value, 0u);
  rt.deactivate("c");
  EXPECT_EQ(rt.handler<Collector>("c").handled_tokens, 5u);
}

}  // namespace
