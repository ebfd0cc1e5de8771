// The CUDA backend's runtime suite (cuda_suite.hpp) on this machine's GPU through the real CUDA runtime, with
// the test handlers compiled for the device. Without a GPU the binary reports itself skipped (exit 77).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "cuda/device_handlers.hpp"
#include "rk/cuda/gpu_loop.cuh"
#include "rk/cuda/runtime.hpp"

namespace rk_cuda_test {
namespace {

const void* device_entry(const std::string& type) {
  using rk::cuda::ring_kernel_loop;
  if (type == "echo") return reinterpret_cast<const void*>(&ring_kernel_loop<DEcho>);
  if (type == "counter") return reinterpret_cast<const void*>(&ring_kernel_loop<DCounter>);
  if (type == "faulty") return reinterpret_cast<const void*>(&ring_kernel_loop<DFaulty>);
  if (type == "forward") return reinterpret_cast<const void*>(&ring_kernel_loop<DForward>);
  if (type == "sendto") return reinterpret_cast<const void*>(&ring_kernel_loop<DSendTo>);
  if (type == "wide") return reinterpret_cast<const void*>(&ring_kernel_loop<DWide>);
  return nullptr;
}

struct Backend {
  static constexpr std::uint64_t kScale = 1;
  static constexpr rk::Dim3 kWideGrid{4, 1, 1};
  static constexpr rk::Dim3 kWideBlock{100, 1, 1};  // three full warps and a partial one per block
  static constexpr std::uint32_t kAdmissionBlocks = 512;
  static constexpr std::uint32_t kAdmissionThreads = 64;
  static std::unique_ptr<rk::cuda::CudaRuntime> make(rk::cuda::CudaRuntimeConfig cfg) {
    return std::make_unique<rk::cuda::CudaRuntime>(rk::cuda::make_real_cuda_api(), cfg, &device_entry);
  }
};

}  // namespace
}  // namespace rk_cuda_test

#define RK_CUDA_SUITE CudaSuiteGpu
#include "cuda/cuda_suite.hpp"

namespace rk_cuda_test {
namespace {

TEST(CudaSuiteGpu, DeviceBaselinesAreMeasured) {
  auto rt = make_with_types();
  rt->launch("e", {}, {}, opts("echo"));  // a persistent kernel resides meanwhile
  rt->activate("e");
  const auto b = rt->device_baselines(0, 200);
  ASSERT_EQ(b.size(), 2u);
  for (const auto& x : b) {
    ASSERT_EQ(x.samples.size(), 200u) << x.name;
    std::vector<double> v = x.samples;
    std::sort(v.begin(), v.end());
    std::printf("%s p50 %.0f ns, p99 %.0f ns\n", x.name.c_str(), v[100], v[198]);
  }
}

TEST(CudaSuiteGpu, DevicesAreRealAndDescribed) {
  auto rt = make_with_types();
  const auto d = rt->devices();
  ASSERT_GE(d.size(), 1u);
  EXPECT_EQ(d[0].kind, "cuda");
  EXPECT_FALSE(d[0].simulated);
  const auto& a = rt->attributes(0);
  std::printf("%s: sm_%d%d, %d SMs, hostNativeAtomicSupported %d, pageableMemoryAccess %d\n", a.name.c_str(), a.compute_major,
              a.compute_minor, a.sm_count, a.host_native_atomics, a.pageable_memory_access);
}

}  // namespace
}  // namespace rk_cuda_test

int main(int argc, char** argv) {
  if (rk::cuda::make_real_cuda_api()->device_count() == 0) {
    std::printf("SKIP: no CUDA device on this machine (the suite is compiled for the GPU, not run)\n");
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
