// Typed CUDA errors with location: RK_CUDA_CHECK(call) clears the error and throws rk::cuda::cuda_error
// (status, the call's text, file:line); the _NOEXCEPT variant only reports, for destructors. NCCL's
// RK_NCCL_CHECK is in rk/cuda/nccl_error.hpp, so that CUDA-only code needs no nccl.h.
// UNVERIFIED on hardware (compiled in CI, never run on a GPU yet).
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace rk::cuda {

class cuda_error : public std::runtime_error {
 public:
  cuda_error(int status, const std::string& what) : std::runtime_error(what), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  (void)cudaGetLastError();  // clear a non-sticky error so the context stays usable
  throw cuda_error(static_cast<int>(e), std::string(file) + ":" + std::to_string(line) + ": " + call + " failed: " +
                                            cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}

}  // namespace rk::cuda

#define RK_CUDA_CHECK(call)                                                       \
  do {                                                                            \
    const cudaError_t rk_e_ = (call);                                             \
    if (rk_e_ != cudaSuccess) ::rk::cuda::throw_cuda(rk_e_, #call, __FILE__, __LINE__); \
  } while (0)
#define RK_CUDA_CHECK_NOEXCEPT(call)                                              \
  do {                                                                            \
    const cudaError_t rk_e_ = (call);                                             \
    if (rk_e_ != cudaSuccess)                                                     \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(rk_e_)); \
  } while (0)
