// Typed NCCL errors with location: RK_NCCL_CHECK(call) throws rk::cuda::cuda_error (status, the call's
// text, file:line), as RK_CUDA_CHECK does for CUDA (rk/cuda/error.hpp). Apart from error.hpp because it
// needs nccl.h: only the NCCL code (target rk_cuda) includes it. UNVERIFIED on hardware.
#pragma once

#include <nccl.h>

#include <string>

#include "rk/cuda/error.hpp"

namespace rk::cuda {

[[noreturn]] inline void throw_nccl(ncclResult_t r, const char* call, const char* file, int line) {
  throw cuda_error(static_cast<int>(r), std::string(file) + ":" + std::to_string(line) + ": " + call +
                                            " failed: " + ncclGetErrorString(r));
}

}  // namespace rk::cuda

#define RK_NCCL_CHECK(call)                                                       \
  do {                                                                            \
    const ncclResult_t rk_r_ = (call);                                            \
    if (rk_r_ != ncclSuccess) ::rk::cuda::throw_nccl(rk_r_, #call, __FILE__, __LINE__); \
  } while (0)
