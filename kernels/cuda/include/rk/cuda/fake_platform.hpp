// The fake CUDA layer's side of a persistent kernel: HostPlatform runs DeviceContext and the persistent loop
// (the same templates the GPU runs) on host threads, one per simulated GPU thread, with real barriers and
// warp exchanges between them. It proves orchestration — allocation, admission, lifecycle, termination,
// the rings' protocol under real concurrency — not the GPU: memory model, PCIe and timing differ there.
#pragma once

#include <atomic>
#include <barrier>
#include <memory>
#include <thread>
#include <vector>

#include "rk/cuda/device_context.hpp"
#include "rk/cuda/loop.hpp"

namespace rk::cuda {

/// What the host threads of one fake-launched kernel share: grid, block and warp barriers and the warps'
/// exchange buffers.
class FakeGrid {
 public:
  FakeGrid(Dim3 grid, Dim3 block);
  FakeGrid(const FakeGrid&) = delete;
  FakeGrid& operator=(const FakeGrid&) = delete;

  struct Warp {
    std::unique_ptr<std::barrier<>> barrier;
    std::int32_t exchange[kWarpSize] = {};
  };
  const Dim3 grid, block;
  const std::uint32_t block_threads, warps_per_block;
  std::barrier<> grid_barrier;
  std::vector<std::unique_ptr<std::barrier<>>> block_barriers;
  std::vector<Warp> warps;  ///< block-major: warps[block * warps_per_block + warp]

  Warp& warp(std::uint32_t block_index, std::uint32_t thread) {
    return warps[block_index * warps_per_block + thread / kWarpSize];
  }
  std::uint32_t lanes(std::uint32_t thread) const {
    const std::uint32_t first = thread / kWarpSize * kWarpSize;
    return block_threads - first < kWarpSize ? block_threads - first : kWarpSize;
  }
  /// A thread that failed leaves every barrier, so the others are not left waiting for it.
  void drop(std::uint32_t block_index, std::uint32_t thread);
};

/// The Platform of DeviceContext on a host thread (see gpu_loop.cuh for the GPU's).
class HostPlatform {
 public:
  HostPlatform(FakeGrid& g, std::uint32_t block, std::uint32_t thread) : g_(g), block_(block), thread_(thread) {}

  std::uint32_t thread_id() const { return thread_; }
  std::uint32_t block_id() const { return block_; }
  Dim3 block_dim() const { return g_.block; }
  Dim3 grid_dim() const { return g_.grid; }
  void sync_threads() { g_.block_barriers[block_]->arrive_and_wait(); }
  void sync_grid() { g_.grid_barrier.arrive_and_wait(); }
  /// Warp collectives take every existing lane of the warp (as a full-warp mask does on the GPU).
  void sync_warp(std::uint32_t /*mask*/) { g_.warp(block_, thread_).barrier->arrive_and_wait(); }
  std::int32_t shuffle(std::int32_t v, std::uint32_t src, std::uint32_t /*mask*/) {
    FakeGrid::Warp& w = g_.warp(block_, thread_);
    w.exchange[thread_ % kWarpSize] = v;
    w.barrier->arrive_and_wait();
    const std::int32_t r = w.exchange[src % g_.lanes(thread_)];
    w.barrier->arrive_and_wait();
    return r;
  }
  std::uint32_t ballot(bool pred, std::uint32_t mask) {
    FakeGrid::Warp& w = g_.warp(block_, thread_);
    w.exchange[thread_ % kWarpSize] = pred ? 1 : 0;
    w.barrier->arrive_and_wait();
    std::uint32_t bits = 0;
    for (std::uint32_t l = 0; l < g_.lanes(thread_); ++l) bits |= (w.exchange[l] != 0 ? 1u : 0u) << l;
    w.barrier->arrive_and_wait();
    return bits & mask;
  }
  void fence() const { std::atomic_thread_fence(std::memory_order_seq_cst); }
  void fence_block() const { std::atomic_thread_fence(std::memory_order_acq_rel); }
  void fence_system() const { std::atomic_thread_fence(std::memory_order_seq_cst); }
  std::uint64_t timer_ns() const { return wall_clock_ns(); }
  /// An idle leader gives its core away: the fake's threads share the host's cores with the harness.
  void relax() { std::this_thread::yield(); }

 private:
  FakeGrid& g_;
  std::uint32_t block_, thread_;
};

static_assert(RingContext<DeviceContext<HostPlatform>>);

/// The fake's entry point for handler type H: what ring_kernel_loop<H> is on the GPU.
template <class H>
void host_ring_kernel_loop(const DeviceKernelParams* params, void* handler, HostPlatform& platform) {
  DeviceContext<HostPlatform> ctx(*params, platform);
  persistent_loop(ctx, *static_cast<H*>(handler));
}

}  // namespace rk::cuda
