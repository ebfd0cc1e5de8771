// CpuContext: the RingContext of the CPU backend. One per simulated GPU thread; handlers receive it by
// reference. Thread coordinates, barriers and warp collectives behave as on a GPU: all threads of a
// block meet at sync_threads, all threads of the grid at sync_grid, the lanes of a warp at warp ops.
#pragma once

#include "rk/core/context.hpp"
#include "rk/core/control_block.hpp"
#include "rk/core/message.hpp"

namespace rk::cpu {

class CpuKernel;
class ThreadGroup;

class CpuContext {
 public:
  CpuContext(CpuKernel& kernel, ThreadGroup* group, std::uint32_t block, std::uint32_t thread);

  // Thread identity. thread_id() is the linear index within the block (threadIdx.x for 1-D blocks).
  std::uint32_t thread_id() const { return thread_; }
  std::uint32_t block_id() const { return block_; }
  Dim3 block_dim() const;
  Dim3 grid_dim() const;
  std::uint32_t warp_id() const { return thread_ / kWarpSize; }
  std::uint32_t lane_id() const { return thread_ % kWarpSize; }
  std::uint32_t global_thread_id() const;
  KernelId kernel_id() const;

  // Barriers.
  void sync_threads();
  void sync_grid();
  void sync_warp(std::uint32_t mask = kFullWarpMask);
  /// Kernel-wide barrier across kernels: every thread of each participating kernel calls it; it
  /// returns when all participants of barrier `id` (see CpuRuntime::create_named_barrier) arrived.
  void named_barrier(std::uint32_t id);

  // HLC: now() reads the kernel's clock (advancing its physical part to the wall clock), tick() is a
  // local event, update_clock() merges a received timestamp. The runtime already merges the timestamp
  // of every message before calling the handler and stamps every message the handler sends.
  HlcTimestamp now();
  /// The wall clock (system_clock ns) without the HLC's merge: for timing intervals.
  std::uint64_t wall_ns() const { return wall_clock_ns(); }
  void tick();
  void update_clock(const HlcTimestamp& received);

  // Memory ordering.
  void thread_fence() const;
  void thread_fence_block() const;
  void thread_fence_system() const;

  // Atomics on memory shared between the kernel's threads (or with the host).
  std::int32_t atomic_add(std::int32_t* target, std::int32_t value) const;
  std::int32_t atomic_cas(std::int32_t* target, std::int32_t compare, std::int32_t value) const;
  std::int32_t atomic_exch(std::int32_t* target, std::int32_t value) const;
  template <class T>
  T atomic_add(T* target, T value) const {
    return atomics::fetch_add(*target, value);
  }

  // Warp primitives.
  std::int32_t warp_shuffle(std::int32_t value, std::uint32_t src_lane, std::uint32_t mask = kFullWarpMask);
  std::uint32_t warp_ballot(bool predicate, std::uint32_t mask = kFullWarpMask);

  // Kernel → host.
  /// Stamp (source, HLC, id) and enqueue a message for the host; false when the output ring is full.
  bool enqueue_output(Slot& message);
  template <RingMessage T>
  bool enqueue_output(const T& msg, const MessageHeader* in_reply_to = nullptr) {
    Slot s{};
    if (in_reply_to) make_reply_header(*in_reply_to, kernel_id(), s.header);
    else s.header.priority = priority::kNormal;
    encode(s, msg);
    return enqueue_output(s);
  }
  std::uint64_t output_queue_free_slots() const;

  // Kernel → kernel.
  /// Stamp and deliver to `target`'s input ring. A failure is returned, counted in telemetry
  /// (messages_dropped) and the message kept as a dead letter.
  SendStatus send_to_kernel(KernelId target, Slot& message);
  template <RingMessage T>
  SendStatus send_to_kernel(KernelId target, const T& msg, std::uint8_t prio = priority::kNormal) {
    Slot s{};
    s.header.priority = prio;
    encode(s, msg);
    return send_to_kernel(target, s);
  }
  /// Attempt a delivery whose failure the caller handles (retries later): the status is returned and
  /// nothing is counted or dead-lettered.
  SendStatus try_send_to_kernel(KernelId target, Slot& message);
  /// Pull the next K2K message from `source` (kAnyKernel: from any kernel) out of the input ring;
  /// messages passed over are kept and delivered to the handler later, in order.
  bool try_receive_from_kernel(KernelId source, Slot& out);

  // Control.
  void request_termination();
  bool is_termination_requested() const;
  void report_error();

  CpuKernel& kernel() { return *kernel_; }

 private:
  CpuKernel* kernel_;
  ThreadGroup* group_;  // null for single-thread kernels: barriers and warp ops are trivial
  std::uint32_t block_;
  std::uint32_t thread_;
  std::uint32_t warp_ops_ = 0;  // parity selects the warp exchange buffer
};

static_assert(RingContext<CpuContext>);

}  // namespace rk::cpu
