// The whole ring-kernel topology (gateway → books → reporter on a CpuRuntime with 1, 2 and 4 simulated
// devices), driven by the workload's own host driver through fakes of the harness: the result must
// equal the sequential reference (the workload verifies itself; the tests also compare the hand-made
// cases with their expected trades). Also the shared outbox and percentile of rk/workloads.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "cases.hpp"
#include "fakes.hpp"
#include "rk/workloads/outbox.hpp"
#include "rk/workloads/stats.hpp"

using namespace omtest;

namespace {

/// A file of this process alone: CTest runs the device-count variants in parallel processes.
std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "rk_om_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream f(path);
  f << text;
  return path;
}

std::string failures(const Verification& v) {
  std::string s;
  for (const auto& f : v.failures) s += f + "\n";
  return s;
}

}  // namespace

class OrderMatchingTopology : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(OrderMatchingTopology, GeneratedOrdersEqualReference) {
  const std::uint32_t devices = GetParam();
  MapParams p = om_params();
  p.values["symbols"] = "13";
  p.gen = om_generator();
  p.gen->values["orders"] = "200000";
  p.gen->values["resting"] = "300";
  p.values["burst"] = "8";  // many bursts: exercises the window and the watermarks
  p.values["window"] = "4";
  const RunOutcome out = run_workload(p, devices, 8);
  EXPECT_TRUE(out.v.ok) << failures(out.v);
  EXPECT_EQ(out.sink.attrs_i.at("orders"), 200000);
  EXPECT_GT(out.sink.tables.at("trades"), 1000u);
  EXPECT_EQ(out.sink.strings.at("symbols").size(), 13u);
  EXPECT_FALSE(out.sink.latencies.at("order_to_fill").empty());
  EXPECT_EQ(out.sink.throughput_messages, 200000u);
}

TEST_P(OrderMatchingTopology, HandMadeCasesThroughKernels) {
  const std::uint32_t devices = GetParam();
  for (const auto& c : hand_cases()) {
    SCOPED_TRACE(c.name);
    MapParams p = om_params();
    p.values["orders"] = write_temp("om_case.csv", c.csv);
    p.values["burst"] = "1";
    const RunOutcome out = run_workload(p, devices, 3);
    EXPECT_TRUE(out.v.ok) << failures(out.v);
    EXPECT_EQ(out.sink.tables.at("trades"), c.trades.size());
    EXPECT_EQ(out.sink.tables.at("rejects"), c.rejects.size());
  }
}

TEST_P(OrderMatchingTopology, GeneratedOrdersOtherSeedsAndTinyWindow) {
  for (const char* seed : {"1", "2", "3"}) {
    SCOPED_TRACE(seed);
    MapParams p = om_params();
    p.values["symbols"] = "5";
    p.gen = om_generator();
    p.gen->values["orders"] = "5000";
    p.gen->values["resting"] = "100";
    p.gen->values["seed"] = seed;
    p.gen->values["market_pct"] = "10";  // more sweeps
    p.values["burst"] = "1";              // one message per burst, one burst in flight
    p.values["window"] = "1";
    const RunOutcome out = run_workload(p, GetParam(), 4);
    EXPECT_TRUE(out.v.ok) << failures(out.v);
  }
}

TEST_P(OrderMatchingTopology, OneBookAndManySymbols) {
  MapParams p = om_params();
  p.values["symbols"] = "100";
  p.gen = om_generator();
  p.gen->values["orders"] = "50000";
  p.gen->values["resting"] = "50";
  const RunOutcome out = run_workload(p, GetParam(), 1);
  EXPECT_TRUE(out.v.ok) << failures(out.v);
}

INSTANTIATE_TEST_SUITE_P(Devices, OrderMatchingTopology, ::testing::Values(1u, 2u, 4u),
                         [](const auto& info) { return std::to_string(info.param) + "_devices"; });

TEST(OrderMatchingWorkload, MalformedCsvIsAnInputErrorWithFileAndLine) {
  cpu::CpuRuntime rt({.devices = 1, .workers = 1});
  auto r = rt.registrar();
  order_matching::register_kernel_types(r);
  const Topology topo = launch_topology(rt, 2, 1);
  MapParams p = om_params();
  p.values["orders"] = write_temp("om_bad.csv", "action,order_id,symbol,side,price,quantity\nNEW,1,A,BUY,1,1\nNEW,2,A,BUY,x,1\n");
  auto w = order_matching::make_workload();
  try {
    w->configure(p, topo, RunLimits{});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("om_bad.csv:3: error: price 'x'"), std::string::npos) << e.what();
  }
}

TEST(OrderMatchingWorkload, RejectsWrongTopologies) {
  cpu::CpuRuntime rt({.devices = 1, .workers = 1});
  auto r = rt.registrar();
  order_matching::register_kernel_types(r);
  Topology topo = launch_topology(rt, 2, 1);
  MapParams p = om_params();
  p.gen = om_generator();
  p.gen->values["orders"] = "10";
  auto w = order_matching::make_workload();
  Topology no_host = topo;
  no_host.kernels[0].input_from_host = false;
  EXPECT_THROW(w->configure(p, no_host, RunLimits{}), InputError);
  Topology no_out = topo;
  no_out.kernels.back().outputs_to_host = false;
  EXPECT_THROW(w->configure(p, no_out, RunLimits{}), InputError);
  Topology bad_book = topo;
  bad_book.kernels[1].outputs.clear();
  EXPECT_THROW(w->configure(p, bad_book, RunLimits{}), InputError);
  Topology round_robin = topo;
  round_robin.kernels[0].rule = rk::RouteRule::RoundRobin;
  EXPECT_THROW(w->configure(p, round_robin, RunLimits{}), InputError);
  EXPECT_NO_THROW(w->configure(p, topo, RunLimits{}));
}

// The outbox both workloads send through (rk/workloads/outbox.hpp), on a fake context whose targets
// take messages only while they have room.
namespace {

struct OutboxCtx {
  std::map<KernelId, std::uint32_t> room;  // per kernel; kHostKernel is the output ring
  std::vector<std::pair<KernelId, std::uint64_t>> got;  // (target, number) in delivery order
  std::uint64_t errors = 0;

  SendStatus try_send_to_kernel(KernelId k, Slot& s) {
    if (room[k] == 0) return SendStatus::Full;
    --room[k];
    got.emplace_back(k, s.header.type_id);
    return SendStatus::Ok;
  }
  std::uint32_t output_queue_free_slots() { return room[kHostKernel]; }
  bool enqueue_output(Slot& s) { return try_send_to_kernel(kHostKernel, s) == SendStatus::Ok; }
  void report_error() { ++errors; }
};

Slot numbered(std::uint64_t n) {
  Slot s{};
  s.header.type_id = static_cast<std::uint32_t>(n);  // a number to check the order by
  return s;
}

/// Sends 0..n-1 alternately to kernel 1 and the host while neither has room, then opens both.
template <class Box>
void fill_then_drain(Box& box, OutboxCtx& ctx, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i) box.send(ctx, i % 2 ? kHostKernel : KernelId{1}, numbered(i));
  EXPECT_FALSE(box.retry(ctx));
  ctx.room[1] = ctx.room[kHostKernel] = 1u << 30;
  EXPECT_TRUE(box.retry(ctx));
  EXPECT_EQ(box.count, 0u);
}

}  // namespace

TEST(Outbox, FixedKeepsOrderAndCountsWhatDoesNotFit) {
  OutboxCtx ctx;
  auto box = std::make_unique<FixedOutbox<8>>();
  fill_then_drain(*box, ctx, 11);
  EXPECT_EQ(box->lost, 3u);
  EXPECT_EQ(ctx.errors, 3u);
  EXPECT_EQ(box->delivered, 8u);
  ASSERT_EQ(ctx.got.size(), 8u);
  for (std::uint64_t i = 0; i < 8; ++i) EXPECT_EQ(ctx.got[i], std::make_pair(i % 2 ? kHostKernel : KernelId{1}, i));
  box->send(ctx, 1, numbered(99));  // nothing waits: straight through
  EXPECT_EQ(ctx.got.back(), std::make_pair(KernelId{1}, std::uint64_t{99}));
}

TEST(Outbox, GrowingDoublesUpToItsLimitThenCountsWhatDoesNotFit) {
  OutboxCtx ctx;
  GrowingOutbox box;
  box.storage.limit = 512;
  fill_then_drain(box, ctx, 600);
  EXPECT_EQ(box.storage.capacity(), 512u);
  EXPECT_EQ(box.lost, 88u);
  EXPECT_EQ(ctx.errors, 88u);
  ASSERT_EQ(ctx.got.size(), 512u);
  for (std::uint64_t i = 0; i < 512; ++i) EXPECT_EQ(ctx.got[i].second, i);
  // Partly drained, then refilled past the wrap: still in order.
  ctx = OutboxCtx{};
  ctx.room[1] = 0;
  for (std::uint64_t i = 0; i < 400; ++i) box.send(ctx, 1, numbered(i));
  ctx.room[1] = 100;
  box.flush(ctx);
  for (std::uint64_t i = 400; i < 600; ++i) box.send(ctx, 1, numbered(i));
  ctx.room[1] = 1000;
  box.flush(ctx);
  ASSERT_EQ(ctx.got.size(), 600u);
  for (std::uint64_t i = 0; i < 600; ++i) EXPECT_EQ(ctx.got[i].second, i);
}

TEST(Stats, PercentileIsNearestRank) {
  EXPECT_EQ(percentile({}, 0.5), 0u);
  EXPECT_EQ(percentile({7}, 0.99), 7u);
  const std::vector<std::uint64_t> v{50, 10, 40, 20, 30, 60, 80, 70, 100, 90};
  EXPECT_EQ(percentile(v, 0.0), 10u);   // at least the smallest
  EXPECT_EQ(percentile(v, 0.5), 50u);   // ceil(5) = 5th
  EXPECT_EQ(percentile(v, 0.51), 60u);  // ceil(5.1) = 6th
  EXPECT_EQ(percentile(v, 0.99), 100u);
  EXPECT_EQ(percentile(v, 1.0), 100u);
}
