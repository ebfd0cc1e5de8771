// The CUDA host runtime against faults the fake CUDA layer injects (a real GPU will not produce them on
// demand): no mapped memory, no cooperative launch, failing launches, grids that do not fit, no peer access,
// a handler that never returns, a kernel that dies. Each must end in a clear error or a recorded failure,
// never a hang, a crash or a lost message.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "cuda/device_handlers.hpp"
#include "rk/cuda/fake_cuda.hpp"
#include "rk/cuda/runtime.hpp"

namespace rk_cuda_test {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<rk::cuda::CudaRuntime> fake(const std::string& settings, rk::cuda::CudaRuntimeConfig cfg = {}) {
  std::string error;
  const auto c = rk::cuda::parse_fake_config(settings, error);
  if (!c) throw std::invalid_argument(error);
  auto rt = std::make_unique<rk::cuda::CudaRuntime>(rk::cuda::make_fake_cuda_api(*c), cfg);
  rt->register_kernel_type<DEcho>("echo");
  return rt;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(CudaFakeConfig, ParsesSettingsAndRefusesOthers) {
  std::string error;
  const auto c = rk::cuda::parse_fake_config("devices=2,sms=3,blocks_per_sm=5,no_p2p,host_atomics", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->devices, 2);
  EXPECT_EQ(c->sms, 3);
  EXPECT_EQ(c->blocks_per_sm, 5);
  EXPECT_FALSE(c->p2p);
  EXPECT_TRUE(c->host_native_atomics);
  EXPECT_FALSE(rk::cuda::parse_fake_config("smss=3", error));
  EXPECT_NE(error.find("smss=3"), std::string::npos);
  EXPECT_FALSE(rk::cuda::parse_fake_config("sms=0", error));
  EXPECT_FALSE(rk::cuda::parse_fake_config("devices=x", error));
}

// x86 hosts with PCIe GPUs have no host-native atomics; the rings never need them (one producer side per
// ring), so the default fake — like such a host — runs, and says what it is.
TEST(CudaFaults, WithoutHostNativeAtomicsEverythingStillRuns) {
  auto rt = fake("1");
  EXPECT_FALSE(rt->attributes(0).host_native_atomics);
  const auto d = rt->devices();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, "cuda-fake");
  EXPECT_TRUE(d[0].simulated);
  EXPECT_NE(d[0].name.find("not a GPU"), std::string::npos);
  EXPECT_TRUE(rt->device_baselines(0, 10).empty()) << "the fake measures no GPU baselines";
  rt->launch("e", {}, {}, opts("echo"));
  rt->activate("e");
  rt->send("e", Ping{5});
  EXPECT_EQ(rt->receive<Ping>("e", 2s).seq, 5u);
}

TEST(CudaFaults, DeviceThatCannotMapHostMemoryIsRefused) {
  const std::string e = error_of([] { fake("no_map"); });
  EXPECT_NE(e.find("cannot map host memory"), std::string::npos) << e;
}

TEST(CudaFaults, DeviceWithoutCooperativeLaunchIsRefused) {
  const std::string e = error_of([] { fake("no_cooperative"); });
  EXPECT_NE(e.find("cooperative launch"), std::string::npos) << e;
}

TEST(CudaFaults, FailedLaunchIsReportedAndLeavesTheNameFree) {
  auto rt = fake("fail_launch");
  const std::string e = error_of([&] { rt->launch("e", {}, {}, opts("echo")); });
  EXPECT_NE(e.find("cudaErrorLaunchFailure"), std::string::npos) << e;
  EXPECT_NE(e.find("'e'"), std::string::npos) << e;
  EXPECT_TRUE(rt->list_kernels().empty());
}

TEST(CudaFaults, GridsThatDoNotFitTogetherAreRefusedWithTheNumbers) {
  auto rt = fake("sms=1,blocks_per_sm=4");
  std::string e = error_of([&] { rt->launch("big", {5, 1, 1}, {}, opts("echo")); });
  EXPECT_NE(e.find("admission"), std::string::npos) << e;
  EXPECT_NE(e.find("5 block(s)"), std::string::npos) << e;
  EXPECT_NE(e.find("holds 4"), std::string::npos) << e;
  rt->launch("a", {3, 1, 1}, {}, opts("echo"));  // 3 of 4
  e = error_of([&] { rt->launch("b", {2, 1, 1}, {}, opts("echo")); });  // 3 + 2 > 4: all grids together
  EXPECT_NE(e.find("already resident take 75%"), std::string::npos) << e;
  rt->launch("c", {1, 1, 1}, {}, opts("echo"));  // exactly full
  rt->terminate("a");
  rt->launch("b", {2, 1, 1}, {}, opts("echo"));  // room again
  for (const char* k : {"b", "c"}) {
    rt->activate(k);
    rt->send(k, Ping{1});
    EXPECT_EQ(rt->receive<Ping>(k, 2s).seq, 1u);
  }
  e = error_of([&] { rt->launch("fat", {}, {2048, 1, 1}, opts("echo")); });
  EXPECT_NE(e.find("2048 threads"), std::string::npos) << e;
}

TEST(CudaFaults, K2KAcrossDevicesWithoutPeerAccessIsRefused) {
  rk::cuda::CudaRuntimeConfig cfg;
  cfg.devices = 2;
  auto rt = fake("devices=2,no_p2p", cfg);
  rt->register_kernel_type<DForward>("forward");
  auto on1 = opts("forward");
  on1.device = 1;
  on1.requested_id = 1;
  rt->launch("sink", {}, {}, on1);
  auto on0 = opts("forward");
  on0.device = 0;
  on0.params.set_routes(rk::KernelRoutes{{1}, rk::RouteRule::Direct, false});
  const std::string e = error_of([&] { rt->launch("src", {}, {}, on0); });
  EXPECT_NE(e.find("no peer access"), std::string::npos) << e;
  on0.device = 1;  // on one device it is fine
  rt->launch("src", {}, {}, on0);
}

/// Spins in its handler until the test lets it go: a kernel that never finishes a message.
inline std::atomic<bool> g_release{false};
struct Spinner {
  static constexpr bool kRunsOnDevice = true;
  template <class Ctx>
  void operator()(Ctx&, const rk::Slot&) {
    while (!g_release.load()) std::this_thread::sleep_for(1ms);
  }
};

TEST(CudaFaults, HungKernelBecomesARecordedFailureNotAHang) {
  rk::cuda::CudaRuntimeConfig cfg;
  cfg.command_timeout = 300ms;
  cfg.hang_timeout = 200ms;
  cfg.watchdog_period = 10ms;
  auto rt = fake("1", cfg);
  rt->register_kernel_type<Spinner>("spin");
  rt->launch("s", {}, {}, opts("spin"));
  rt->activate("s");
  rt->send("s", Ping{1});  // the handler takes it and never returns
  rt->send("s", Ping{2});  // waits behind it
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (rt->failures().empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(rt->failures().size(), 1u);
  EXPECT_NE(rt->failures()[0].find("no progress"), std::string::npos) << rt->failures()[0];
  EXPECT_EQ(rt->status("s").last_error, rk::KernelError::Hung);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string e = error_of([&] { rt->terminate("s"); });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "terminate waits at most the command timeout";
  EXPECT_NE(e.find("did not acknowledge termination"), std::string::npos) << e;
  g_release.store(true);  // let the abandoned host threads finish (a GPU's would spin until the process ends)
  const std::string s = error_of([&] { rt->shutdown(); });
  EXPECT_TRUE(s.empty()) << s;
}

/// Throws on the fake: the fake's stand-in for a kernel that faults (an illegal address on a GPU).
struct Crasher {
  static constexpr bool kRunsOnDevice = true;
  template <class Ctx>
  void operator()(Ctx&, const rk::Slot&) {
    throw std::runtime_error("illegal address");
  }
};

TEST(CudaFaults, KernelThatDiesIsRecordedAndItsReceiversEnd) {
  rk::cuda::CudaRuntimeConfig cfg;
  cfg.watchdog_period = 5ms;
  auto rt = fake("1", cfg);
  rt->register_kernel_type<Crasher>("crash");
  const rk::KernelId id = rt->launch("c", {}, {}, opts("crash"));
  rt->activate("c");
  rt->send("c", Ping{1});
  rk::Slot s;
  EXPECT_EQ(rt->receive(id, s, 5s), rk::QueueStatus::Closed) << "a receiver does not wait forever on a dead kernel";
  ASSERT_FALSE(rt->failures().empty());
  EXPECT_NE(rt->failures()[0].find("illegal address"), std::string::npos) << rt->failures()[0];
  EXPECT_EQ(rt->status("c").last_error, rk::KernelError::DeviceFault);
  rk::encode(s, Ping{2});
  EXPECT_EQ(rt->try_send(id, s), rk::SendStatus::Closed) << "a dead kernel takes nothing more";
  rt->terminate("c");  // no hang: the stream has ended
  const auto dead = rt->drain_dead_letters();
  ASSERT_EQ(dead.size(), 1u) << "the message it died on is a dead letter, not lost";
  Ping p{};
  ASSERT_EQ(rk::decode(dead[0].message, p), rk::DecodeStatus::Ok);
  EXPECT_EQ(p.seq, 1u);
}

}  // namespace
}  // namespace rk_cuda_test
