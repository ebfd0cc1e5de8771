// Enterprise runtime: configuration validation, presets, lifecycle, health, circuit breaker, metrics text.
#include <gtest/gtest.h>

#include <thread>

#include "rk/cpu/runtime.hpp"
#include "rk/harness/enterprise.hpp"

namespace {

using namespace std::chrono_literals;
using namespace rk::harness;

struct Echo {
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot& in) {
    rk::Slot out = in;
    out.header.message_id = {};
    ctx.enqueue_output(out);
  }
};
struct Faulty {
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot&) {
    ctx.report_error();
  }
};
struct Ping {
  static constexpr std::uint32_t kTypeId = 1;
  std::uint64_t seq;
};

TEST(Config, BuilderValidates) {
  EXPECT_NO_THROW(ConfigBuilder().build());
  EXPECT_THROW(ConfigBuilder().runtime([](auto& r) { r.default_queue_capacity = 1000; }).build(), rk::RuntimeError);
  EXPECT_THROW(ConfigBuilder().health([](auto& h) { h.degradation_threshold = 1.5; }).build(), rk::RuntimeError);
  EXPECT_THROW(ConfigBuilder().runtime([](auto& r) { r.max_kernels = 0; }).build(), rk::RuntimeError);
  const auto c = ConfigBuilder()
                     .runtime([](auto& r) { r.max_kernels = 100; })
                     .multi_gpu([](auto& g) { g.enable_migration = true; })
                     .build();
  EXPECT_EQ(c.runtime.max_kernels, 100u);
  EXPECT_TRUE(c.multi_gpu.enable_migration);
  EXPECT_EQ(c.multi_gpu.load_balancing, LoadBalancing::LeastLoaded);
}

TEST(Config, Presets) {
  EXPECT_EQ(RuntimeBuilder().production().build().runtime.default_queue_capacity, 4096u);
  EXPECT_TRUE(RuntimeBuilder().production().build().observability.prometheus_export);
  EXPECT_EQ(RuntimeBuilder().high_performance().build().runtime.default_queue_capacity, 16384u);
  const auto c = RuntimeBuilder().development().with_health_check_interval(30s).with_circuit_breaker_threshold(7).build();
  EXPECT_EQ(c.health.check_interval, 30s);
  EXPECT_EQ(c.observability.circuit_breaker_threshold, 7u);
}

TEST(CircuitBreaker, OpensHalfOpensAndCloses) {
  CircuitBreaker b(3, 20ms);
  EXPECT_EQ(b.state(), CircuitBreaker::State::Closed);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(b.allow());
    b.record_failure();
  }
  EXPECT_EQ(b.state(), CircuitBreaker::State::Open);
  EXPECT_FALSE(b.allow());
  std::this_thread::sleep_for(30ms);
  EXPECT_TRUE(b.allow());   // the trial
  EXPECT_FALSE(b.allow());  // only one trial at a time
  b.record_failure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::Open);
  std::this_thread::sleep_for(30ms);
  EXPECT_TRUE(b.allow());
  b.record_success();
  EXPECT_EQ(b.state(), CircuitBreaker::State::Closed);
  EXPECT_GE(b.rejected(), 2u);
}

TEST(RuntimeContext, LifecycleDrainAndShutdown) {
  rk::cpu::CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<Echo>("echo");
  rk::LaunchOptions o;
  o.kernel_type = "echo";
  const rk::KernelId id = rt.launch("e", {}, {}, o);
  rt.activate("e");
  RuntimeContext ctx(rt, RuntimeBuilder().development().build());
  EXPECT_EQ(ctx.state(), LifecycleState::Initializing);
  rk::Slot s{};
  rk::encode(s, Ping{1});
  EXPECT_EQ(ctx.submit(id, s), rk::SendStatus::Closed);  // not running yet
  ctx.start();
  EXPECT_THROW(ctx.start(), rk::RuntimeError);
  for (int i = 0; i < 10; ++i) {
    rk::Slot m{};
    rk::encode(m, Ping{static_cast<std::uint64_t>(i)});
    EXPECT_EQ(ctx.submit(id, m), rk::SendStatus::Ok);
  }
  EXPECT_TRUE(ctx.drain(2s));
  EXPECT_EQ(ctx.state(), LifecycleState::Draining);
  EXPECT_FALSE(ctx.accepting());
  EXPECT_EQ(ctx.submit(id, s), rk::SendStatus::Closed);
  const ShutdownReport r = ctx.complete_shutdown();
  EXPECT_EQ(ctx.state(), LifecycleState::Stopped);
  EXPECT_EQ(r.kernels_terminated, 1u);
  EXPECT_EQ(r.messages_processed, 10u);
  EXPECT_TRUE(r.drained_cleanly);
  EXPECT_TRUE(rt.list_kernels().empty());
}

TEST(HealthChecker, GradesErrorsPressureAndHealthyKernels) {
  rk::cpu::CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<Echo>("echo");
  rt.register_kernel_type<Faulty>("faulty");
  rk::LaunchOptions o;
  o.kernel_type = "echo";
  rt.launch("ok", {}, {}, o);
  o.input_capacity = 8;
  rt.launch("full", {}, {}, o);  // never activated: its queue fills
  o.kernel_type = "faulty";
  o.input_capacity = 1024;
  rt.launch("bad", {}, {}, o);
  rt.activate("ok");
  rt.activate("bad");
  for (int i = 0; i < 8; ++i) rt.send("full", Ping{0});
  rt.send("bad", Ping{0});
  rt.send("ok", Ping{0});
  rt.receive<Ping>("ok", 2s);
  for (int i = 0; i < 200 && rt.status("bad").error_count == 0; ++i) std::this_thread::sleep_for(1ms);
  HealthChecker hc(HealthSection{});
  const HealthReport rep = hc.check(rt);
  std::map<std::string, HealthStatus> by;
  for (const auto& k : rep.kernels) by[k.kernel] = k.status;
  EXPECT_EQ(by["ok"], HealthStatus::Healthy);
  EXPECT_EQ(by["full"], HealthStatus::Degraded);
  EXPECT_EQ(by["bad"], HealthStatus::Unhealthy);
  EXPECT_EQ(rep.overall, HealthStatus::Unhealthy);
}

TEST(Prometheus, RendersCountersPerKernel) {
  rk::cpu::CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<Echo>("echo");
  rk::LaunchOptions o;
  o.kernel_type = "echo";
  rt.launch("book[3]", {}, {}, o);
  rt.activate("book[3]");
  for (int i = 0; i < 3; ++i) {
    rt.send("book[3]", Ping{0});
    rt.receive<Ping>("book[3]", 2s);
  }
  const std::string text = PrometheusExporter().render(rt);
  EXPECT_NE(text.find("# TYPE ringkernel_messages_processed_total counter"), std::string::npos);
  EXPECT_NE(text.find("ringkernel_messages_processed_total{kernel=\"book[3]\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("ringkernel_active{kernel=\"book[3]\"} 1"), std::string::npos);
}

}  // namespace
