// The CUDA backend's runtime suite (cuda_suite.hpp) on the fake CUDA layer: the same persistent loop and
// DeviceContext the GPU runs, on host threads. Proves orchestration, not the GPU.
#include "rk/cuda/fake_cuda.hpp"
#include "rk/cuda/runtime.hpp"

namespace rk_cuda_test {
namespace {

struct Backend {
  static constexpr std::uint64_t kScale = 4;
  static constexpr rk::Dim3 kWideGrid{2, 1, 1};
  static constexpr rk::Dim3 kWideBlock{40, 1, 1};  // a full warp and a partial one per block
  static constexpr std::uint32_t kAdmissionBlocks = 1;
  static constexpr std::uint32_t kAdmissionThreads = 1;
  static std::unique_ptr<rk::cuda::CudaRuntime> make(rk::cuda::CudaRuntimeConfig cfg) {
    rk::cuda::FakeCudaConfig fake;
    fake.sms = 4;
    fake.blocks_per_sm = 2;  // 8 resident blocks: the admission test fills it with 8 kernels
    return std::make_unique<rk::cuda::CudaRuntime>(rk::cuda::make_fake_cuda_api(fake), cfg);
  }
};

}  // namespace
}  // namespace rk_cuda_test

#define RK_CUDA_SUITE CudaSuiteFake
#include "cuda/cuda_suite.hpp"
