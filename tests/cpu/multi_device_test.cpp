// Simulated devices on the CPU backend: placement, cross-device K2K, device arenas, and live
// migration under load (every message counted: none lost, none duplicated, per-sender order kept).
#include <gtest/gtest.h>

#include <thread>

#include "rk/cpu/runtime.hpp"
#include "rk/workloads/synthetic/kernels.hpp"

namespace {

using namespace std::chrono_literals;
using rk::cpu::CpuRuntime;
namespace syn = rk::workloads::synthetic;

rk::LaunchOptions opts(const std::string& type, int device = -1) {
  rk::LaunchOptions o;
  o.kernel_type = type;
  o.device = device;
  return o;
}

void register_all(CpuRuntime& rt) {
  auto r = rt.registrar();
  syn::register_kernel_types(r);
}

syn::Report query(CpuRuntime& rt, const std::string& k) {
  rk::Slot s{};
  rk::encode(s, syn::Control{syn::Control::Query, 0, 0});
  EXPECT_EQ(rt.send(rt.kernel_id(k), s, 5s), rk::SendStatus::Ok);
  for (;;) {
    rk::Slot r;
    EXPECT_EQ(rt.receive(rt.kernel_id(k), r, 5s), rk::QueueStatus::Ok);
    syn::Report rep{};
    if (rk::decode(r, rep) == rk::DecodeStatus::Ok) return rep;
  }
}

TEST(Devices, PropertiesPlacementAndArenas) {
  CpuRuntime rt({.devices = 3, .workers = 1, .arena_bytes = 1 << 20});
  register_all(rt);
  const auto devs = rt.devices();
  ASSERT_EQ(devs.size(), 3u);
  EXPECT_EQ(devs[2].name, "cpu-sim-2");
  EXPECT_EQ(devs[1].kind, "cpu-simulated");
  EXPECT_EQ(devs[0].memory_bytes, 1u << 20);
  EXPECT_EQ(rt.worker_count(), 3u);
  rt.launch("pinned", {}, {}, opts("echo", 2));
  EXPECT_EQ(rt.status("pinned").device, 2);
  EXPECT_THROW(rt.launch("bad", {}, {}, opts("echo", 3)), rk::RuntimeError);
  for (int i = 0; i < 5; ++i) rt.launch("k" + std::to_string(i), {}, {}, opts("echo"));
  const auto load = rt.kernels_per_device();  // least loaded placement evens out
  EXPECT_EQ(load, (std::vector<std::uint32_t>{2, 2, 2}));

  rk::MemoryArena& a = rt.arena(1);
  const auto x = a.allocate(1000), y = a.allocate(5000, 4096);
  ASSERT_TRUE(x && y);
  EXPECT_EQ(*y % 4096, 0u);
  EXPECT_FALSE(a.allocate(2u << 20));
  std::memset(a.data(*y), 7, 5000);
  const rk::PayloadRef ref{*y, 5000, a.id(), 1};
  ASSERT_NE(a.view().resolve(ref), nullptr);
  EXPECT_EQ(static_cast<int>(a.view().resolve(ref)[4999]), 7);
  EXPECT_EQ(rt.arena(0).view().resolve(ref), nullptr);  // another device's reference
  EXPECT_TRUE(a.free(*x));
  EXPECT_FALSE(a.free(*x));
  EXPECT_TRUE(a.free(*y));
  EXPECT_EQ(a.used(), 0u);
  EXPECT_TRUE(a.allocate(1u << 20));  // holes coalesced back into one block
}

TEST(Devices, CrossDeviceK2KPipeline) {
  CpuRuntime rt({.devices = 4, .workers = 1});
  register_all(rt);
  // host → s0 (dev 0) → s1 (dev 1) → s2 (dev 2) → s3 (dev 3) → host
  for (int i = 3; i >= 0; --i) {
    auto o = opts("forward", i);
    o.requested_id = i;
    if (i < 3) o.params.set_routes({{static_cast<rk::KernelId>(i + 1)}, rk::RouteRule::Direct, false});
    else o.params.set_routes({{}, rk::RouteRule::Direct, true});
    rt.launch("s" + std::to_string(i), {}, {}, o);
  }
  for (int i = 0; i < 4; ++i) rt.activate("s" + std::to_string(i));
  // The host keeps at most `window` messages in the pipeline (stages buffer, they do not block).
  constexpr std::uint64_t n = 5000, window = 256;
  std::uint64_t sent = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    while (sent < n && sent - i < window) {
      syn::Trace t{};
      t.seq = sent++;
      rt.send("s0", t, rk::priority::kNormal, 10s);
    }
    rk::Slot s;
    ASSERT_EQ(rt.receive(3, s, 10s), rk::QueueStatus::Ok) << "message " << i;
    syn::Trace t{};
    ASSERT_EQ(rk::decode(s, t), rk::DecodeStatus::Ok);
    ASSERT_EQ(t.seq, i);
    ASSERT_EQ(t.hops, 4u);
  }
  for (int i = 0; i < 4; ++i) {
    const auto r = query(rt, "s" + std::to_string(i));
    EXPECT_EQ(r.received, n);
    EXPECT_EQ(r.order_violations, 0u);
    EXPECT_EQ(r.lost, 0u);
  }
}

TEST(Migration, MovesStateAndQueuedMessages) {
  CpuRuntime rt({.devices = 2, .workers = 1});
  register_all(rt);
  auto o = opts("consumer", 0);
  o.params.set("consecutive", "true");
  rt.launch("c", {}, {}, o);  // inactive: messages queue up
  for (std::uint64_t i = 0; i < 100; ++i) rt.send("c", syn::Token{7, 0, i});
  const rk::MigrationReport r = rt.migrate("c", 1);
  EXPECT_EQ(r.from_device, 0u);
  EXPECT_EQ(r.to_device, 1u);
  EXPECT_EQ(r.queued_messages, 100u);
  EXPECT_EQ(r.state_bytes, sizeof(syn::ConsumerKernel));
  EXPECT_EQ(rt.status("c").device, 1);
  rt.activate("c");
  for (std::uint64_t i = 100; i < 150; ++i) rt.send("c", syn::Token{7, 0, i});
  const auto rep = query(rt, "c");
  EXPECT_EQ(rep.received, 150u);
  EXPECT_EQ(rep.order_violations, 0u);
  EXPECT_EQ(rt.status("c").messages_processed, 151u);  // tokens + the query
}

TEST(Migration, UnderLoadNothingLostNothingDuplicatedOrderKept) {
  CpuRuntime rt({.devices = 3, .workers = 1});
  register_all(rt);
  auto c = opts("consumer", 0);
  c.params.set("consecutive", "true");
  c.input_capacity = 256;
  const rk::KernelId consumer = rt.launch("consumer", {}, {}, c);
  std::vector<std::string> producers;
  for (int p = 0; p < 3; ++p) {
    auto o = opts("producer", p);
    o.params.set_routes({{consumer}, rk::RouteRule::Direct, false});
    producers.push_back("p" + std::to_string(p));
    rt.launch(producers.back(), {}, {}, o);
  }
  rt.activate("consumer");
  for (const auto& p : producers) rt.activate(p);

  std::atomic<bool> done{false};
  std::uint64_t host_sent = 0;
  std::thread load([&] {
    // Producers emit tokens in small batches; the host also sends its own numbered tokens.
    while (!done.load()) {
      for (const auto& p : producers) {
        rk::Slot s{};
        rk::encode(s, syn::Control{syn::Control::Start, 0, 50});
        rt.send(rt.kernel_id(p), s, 5s);
      }
      rk::Slot h{};
      rk::encode(h, syn::Token{rk::kHostKernel, 0, host_sent});
      if (rt.send(consumer, h, 5s) == rk::SendStatus::Ok) ++host_sent;
      std::this_thread::sleep_for(200us);
    }
  });
  std::uint32_t device = 0;
  int migrations = 0;
  for (int i = 0; i < 12; ++i) {
    std::this_thread::sleep_for(10ms);
    device = (device + 1) % 3;
    const auto r = rt.migrate("consumer", device);
    EXPECT_EQ(r.to_device, device);
    ++migrations;
  }
  done = true;
  load.join();
  // Let the producers flush their backlogs and the consumer catch up.
  std::uint64_t produced = 0;
  for (int round = 0; round < 2000; ++round) {
    produced = 0;
    bool backlog = false;
    for (const auto& p : producers) {
      const auto r = query(rt, p);
      produced += r.sent;
      backlog = backlog || r.backlog > 0;
      EXPECT_EQ(r.lost, 0u);
    }
    const auto cr = query(rt, "consumer");
    if (!backlog && cr.received == produced + host_sent) break;
    std::this_thread::sleep_for(1ms);
  }
  const auto cr = query(rt, "consumer");
  EXPECT_EQ(migrations, 12);
  EXPECT_GT(produced, 0u);
  EXPECT_EQ(cr.received, produced + host_sent) << "lost or duplicated messages";
  EXPECT_EQ(cr.order_violations, 0u) << "per-sender FIFO broken";
  EXPECT_EQ(cr.causality_violations, 0u);
  EXPECT_EQ(rt.status("consumer").device, static_cast<int>(device));
  EXPECT_TRUE(rt.drain_dead_letters().empty());
  const std::uint64_t expected = produced + host_sent;
  std::printf("migration under load: %d migrations, %llu tokens expected, %llu received, lost=%llu duplicated=%llu "
              "order_violations=%llu\n",
              migrations, static_cast<unsigned long long>(expected), static_cast<unsigned long long>(cr.received),
              static_cast<unsigned long long>(expected > cr.received ? expected - cr.received : 0),
              static_cast<unsigned long long>(cr.received > expected ? cr.received - expected : 0),
              static_cast<unsigned long long>(cr.order_violations));
}

}  // namespace
