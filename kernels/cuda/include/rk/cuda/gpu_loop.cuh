// The GPU side of the CUDA backend: GpuPlatform (what DeviceContext needs from the hardware) and the
// __global__ entry point of a persistent ring kernel. Include from .cu files only.
// UNVERIFIED until it has run on a GPU: CI compiles it (and checks its PTX), it has not yet been executed.
#pragma once

#include <cooperative_groups.h>

#include "rk/cuda/device_context.hpp"
#include "rk/cuda/loop.hpp"

namespace rk::cuda {

/// Host-device so DeviceContext's host-device members may call it; only the device pass does anything.
struct GpuPlatform {
  RK_HOST_DEVICE std::uint32_t thread_id() const {
#if RK_DEVICE_CODE
    return threadIdx.x + threadIdx.y * blockDim.x + threadIdx.z * blockDim.x * blockDim.y;
#else
    return 0;
#endif
  }
  RK_HOST_DEVICE std::uint32_t block_id() const {
#if RK_DEVICE_CODE
    return blockIdx.x + blockIdx.y * gridDim.x + blockIdx.z * gridDim.x * gridDim.y;
#else
    return 0;
#endif
  }
  RK_HOST_DEVICE Dim3 block_dim() const {
#if RK_DEVICE_CODE
    return Dim3{blockDim.x, blockDim.y, blockDim.z};
#else
    return Dim3{};
#endif
  }
  RK_HOST_DEVICE Dim3 grid_dim() const {
#if RK_DEVICE_CODE
    return Dim3{gridDim.x, gridDim.y, gridDim.z};
#else
    return Dim3{};
#endif
  }
  RK_HOST_DEVICE void sync_threads() {
#if RK_DEVICE_CODE
    __syncthreads();
#endif
  }
  /// Grid-wide barrier: needs the cooperative launch the runtime always uses.
  RK_HOST_DEVICE void sync_grid() {
#if RK_DEVICE_CODE
    if (gridDim.x * gridDim.y * gridDim.z == 1) {
      __syncthreads();
    } else {
      cooperative_groups::this_grid().sync();
    }
#endif
  }
  RK_HOST_DEVICE void sync_warp(std::uint32_t mask) {
#if RK_DEVICE_CODE
    __syncwarp(mask);
#else
    (void)mask;
#endif
  }
  RK_HOST_DEVICE std::int32_t shuffle(std::int32_t v, std::uint32_t src, std::uint32_t mask) {
#if RK_DEVICE_CODE
    return __shfl_sync(mask, v, static_cast<int>(src));
#else
    (void)src;
    (void)mask;
    return v;
#endif
  }
  RK_HOST_DEVICE std::uint32_t ballot(bool pred, std::uint32_t mask) {
#if RK_DEVICE_CODE
    return __ballot_sync(mask, pred);
#else
    return pred ? mask & 1u : 0u;
#endif
  }
  RK_HOST_DEVICE void fence() const {
#if RK_DEVICE_CODE
    __threadfence();
#endif
  }
  RK_HOST_DEVICE void fence_block() const {
#if RK_DEVICE_CODE
    __threadfence_block();
#endif
  }
  RK_HOST_DEVICE void fence_system() const {
#if RK_DEVICE_CODE
    __threadfence_system();
#endif
  }
  /// %globaltimer (ns); DeviceContext adds the offset to the host's wall clock measured at start.
  RK_HOST_DEVICE std::uint64_t timer_ns() const { return monotonic_ns(); }
  RK_HOST_DEVICE void relax() { cpu_relax(); }
};

/// The entry point of a persistent ring kernel with handler type H. Launch cooperatively, with the
/// parameter block and the handler's state in device memory (16 bytes of kernel parameters).
template <class H>
__global__ void ring_kernel_loop(const DeviceKernelParams* params, H* handler) {
  GpuPlatform platform;
  DeviceContext<GpuPlatform> ctx(*params, platform);
  persistent_loop(ctx, *handler);
}

static_assert(RingContext<DeviceContext<GpuPlatform>>);

}  // namespace rk::cuda
