// DeviceContext: the RingContext of the CUDA backend, and the persistent loop that runs a handler on
// the GPU. Every structure it touches (rings, control block, telemetry, routing table) is a view over
// memory the host backend allocates (mapped pinned memory for host-facing rings, device memory for
// K2K). UNVERIFIED: this code compiles (CI builds it with nvcc) but has not yet run on a GPU.
#pragma once

#include <cooperative_groups.h>

#include "rk/core/context.hpp"
#include "rk/core/control_block.hpp"
#include "rk/core/hlc.hpp"
#include "rk/core/message.hpp"
#include "rk/core/ring.hpp"

namespace rk::cuda {

/// What a persistent kernel is given at launch: pointers into memory shared with the host.
struct DeviceKernelParams {
  ControlBlock* control;          ///< mapped: host steers, kernel reports
  TelemetryBuffer* telemetry;     ///< mapped: host reads in < 1 µs
  void* input_ring;               ///< MpscRing<Slot> memory (host and K2K senders)
  void* output_ring;              ///< SpscRing<Slot> memory (kernel → host), mapped
  void* const* routes;            ///< kernel id → input ring memory of that kernel (K2K), device memory
  std::uint32_t route_count;
  std::uint32_t* named_barriers;  ///< pairs (arrived, generation) per barrier id, device/global memory
  std::uint32_t named_barrier_participants;
  Slot* current;                  ///< the message being processed, broadcast to every block
  HlcState* clock;                ///< the kernel's clock (written by global thread 0 only)
  std::uint64_t* scratch;         ///< [0] message-id counter, [1] loop state broadcast to all blocks
  KernelId id;
};

class DeviceContext {
 public:
  __device__ explicit DeviceContext(const DeviceKernelParams& p)
      : p_(p), input_(MpscRing<Slot>::attach(p.input_ring)), output_(SpscRing<Slot>::attach(p.output_ring)) {}

  __device__ std::uint32_t thread_id() const {
    return threadIdx.x + threadIdx.y * blockDim.x + threadIdx.z * blockDim.x * blockDim.y;
  }
  __device__ std::uint32_t block_id() const {
    return blockIdx.x + blockIdx.y * gridDim.x + blockIdx.z * gridDim.x * gridDim.y;
  }
  __device__ Dim3 block_dim() const { return Dim3{blockDim.x, blockDim.y, blockDim.z}; }
  __device__ Dim3 grid_dim() const { return Dim3{gridDim.x, gridDim.y, gridDim.z}; }
  __device__ std::uint32_t warp_id() const { return thread_id() / kWarpSize; }
  __device__ std::uint32_t lane_id() const { return thread_id() % kWarpSize; }
  __device__ std::uint32_t global_thread_id() const {
    return block_id() * (blockDim.x * blockDim.y * blockDim.z) + thread_id();
  }
  __device__ KernelId kernel_id() const { return p_.id; }

  __device__ void sync_threads() { __syncthreads(); }
  /// Needs a cooperative launch (cudaLaunchCooperativeKernel), which the CUDA backend uses.
  __device__ void sync_grid() { cooperative_groups::this_grid().sync(); }
  __device__ void sync_warp(std::uint32_t mask = kFullWarpMask) { __syncwarp(mask); }
  __device__ void named_barrier(std::uint32_t id) {
    sync_grid();
    if (global_thread_id() == 0) {
      std::uint32_t* arrived = &p_.named_barriers[2 * id];
      std::uint32_t* generation = &p_.named_barriers[2 * id + 1];
      const std::uint32_t gen = atomics::load_acquire(*generation);
      if (atomicAdd(arrived, 1u) + 1 == p_.named_barrier_participants) {
        atomics::store_relaxed(*arrived, 0u);
        atomics::fetch_add(*generation, 1u);
      } else {
        while (atomics::load_acquire(*generation) == gen) cpu_relax();
      }
    }
    sync_grid();
  }

  __device__ HlcTimestamp now() {
    p_.clock->last.update_physical(wall_clock_ns());
    return p_.clock->last;
  }
  __device__ void tick() { p_.clock->last.tick(wall_clock_ns()); }
  __device__ void update_clock(const HlcTimestamp& received) { p_.clock->update(received, wall_clock_ns()); }

  __device__ void thread_fence() const { __threadfence(); }
  __device__ void thread_fence_block() const { __threadfence_block(); }
  __device__ void thread_fence_system() const { __threadfence_system(); }

  __device__ std::int32_t atomic_add(std::int32_t* t, std::int32_t v) const { return atomicAdd(t, v); }
  __device__ std::int32_t atomic_cas(std::int32_t* t, std::int32_t c, std::int32_t v) const { return atomicCAS(t, c, v); }
  __device__ std::int32_t atomic_exch(std::int32_t* t, std::int32_t v) const { return atomicExch(t, v); }

  __device__ std::int32_t warp_shuffle(std::int32_t v, std::uint32_t src, std::uint32_t mask = kFullWarpMask) {
    return __shfl_sync(mask, v, static_cast<int>(src));
  }
  __device__ std::uint32_t warp_ballot(bool pred, std::uint32_t mask = kFullWarpMask) {
    return __ballot_sync(mask, pred);
  }

  __device__ bool enqueue_output(Slot& m) {
    stamp(m, kHostKernel);
    if (output_.try_enqueue(m) == QueueStatus::Ok) return true;
    atomics::fetch_add_relaxed(p_.telemetry->messages_dropped, std::uint64_t{1});
    record_error(*p_.control, *p_.telemetry, KernelError::OutputFull);
    return false;
  }
  template <RingMessage T>
  __device__ bool enqueue_output(const T& msg, const MessageHeader* in_reply_to = nullptr) {
    Slot s{};
    if (in_reply_to) make_reply_header(*in_reply_to, p_.id, s.header);
    encode(s, msg);
    return enqueue_output(s);
  }
  __device__ std::uint64_t output_queue_free_slots() const { return output_.free_slots(); }

  __device__ SendStatus send_to_kernel(KernelId target, Slot& m) {
    const SendStatus s = try_send_to_kernel(target, m);
    return s == SendStatus::Ok ? s : fail_send(s);
  }
  __device__ SendStatus try_send_to_kernel(KernelId target, Slot& m) {
    if (target >= p_.route_count || p_.routes[target] == nullptr) return SendStatus::UnknownKernel;
    stamp(m, target);
    MpscRing<Slot> ring = MpscRing<Slot>::attach(p_.routes[target]);
    switch (ring.try_enqueue(m)) {
      case QueueStatus::Ok: return SendStatus::Ok;
      case QueueStatus::Closed: return SendStatus::Closed;
      default: return SendStatus::Full;
    }
  }
  template <RingMessage T>
  __device__ SendStatus send_to_kernel(KernelId target, const T& msg, std::uint8_t prio = priority::kNormal) {
    Slot s{};
    s.header.priority = prio;
    encode(s, msg);
    return send_to_kernel(target, s);
  }
  /// On the GPU K2K messages are always delivered to the handler by the loop; a pull takes the next
  /// input message only when it comes from `source`.
  __device__ bool try_receive_from_kernel(KernelId source, Slot& out) {
    Slot s;
    if (!input_.peek(s)) return false;
    if (s.header.source_kernel == kHostKernel || (source != kAnyKernel && s.header.source_kernel != source)) return false;
    if (input_.try_dequeue(out) != QueueStatus::Ok) return false;
    update_clock(out.header.timestamp);
    return true;
  }

  __device__ void request_termination() { atomics::store_release(p_.control->should_terminate, 1u); }
  __device__ bool is_termination_requested() const { return atomics::load_acquire(p_.control->should_terminate) != 0; }
  __device__ void report_error() { record_error(*p_.control, *p_.telemetry, KernelError::HandlerError); }

  __device__ MpscRing<Slot>& input() { return input_; }
  __device__ const DeviceKernelParams& params() const { return p_; }

 private:
  __device__ void stamp(Slot& m, KernelId dest) {
    m.header.source_kernel = p_.id;
    m.header.dest_kernel = dest;
    if (m.header.message_id.is_nil()) {
      m.header.message_id = MessageId{0x524B000000000000ull | p_.id,
                                      atomics::fetch_add_relaxed(p_.scratch[0], std::uint64_t{1}) + 1};
    }
    m.header.timestamp = p_.clock->now(wall_clock_ns());
  }
  __device__ SendStatus fail_send(SendStatus s) {
    atomics::fetch_add_relaxed(p_.telemetry->messages_dropped, std::uint64_t{1});
    record_error(*p_.control, *p_.telemetry, KernelError::DeliveryFailed);
    return s;
  }

  DeviceKernelParams p_;
  MpscRing<Slot> input_;
  SpscRing<Slot> output_;
};

static_assert(RingContext<DeviceContext>);

/// The persistent loop: global thread 0 takes the next message and broadcasts it through global
/// memory; every thread of the grid runs the handler on it; grid-wide syncs order the steps. Runs
/// until the host sets should_terminate. Launch cooperatively.
template <class Handler>
__global__ void ring_kernel_loop(DeviceKernelParams p, Handler handler) {
  DeviceContext ctx(p);
  const bool leader = ctx.global_thread_id() == 0;
  for (;;) {
    if (leader) {
      int have = 0;
      if (atomics::load_acquire(p.control->should_terminate)) {
        have = -1;
      } else if (atomics::load_acquire(p.control->is_active) && ctx.input().try_dequeue(*p.current) == QueueStatus::Ok) {
        atomics::store_relaxed(p.control->messages_in_flight, std::uint64_t{1});
        ctx.update_clock(p.current->header.timestamp);
        have = 1;
      }
      atomics::store_release(p.scratch[1], static_cast<std::uint64_t>(have + 1));
    }
    ctx.sync_grid();
    const auto state = static_cast<int>(atomics::load_acquire(p.scratch[1])) - 1;
    if (state < 0) break;
    if (state == 1) {
      handler(ctx, *p.current);
      ctx.sync_grid();
      if (leader) {
        const std::uint64_t end = wall_clock_ns();
        const std::uint64_t sent = p.current->header.timestamp.physical;
        record_processed(*p.telemetry, end > sent ? end - sent : 0);
        atomics::store_relaxed(p.control->messages_processed, p.control->messages_processed + 1);
        atomics::store_release(p.control->messages_in_flight, std::uint64_t{0});
      }
    } else if (leader) {
      if (!run_idle_hook(handler, ctx)) cpu_relax();  // retry held-back messages, else back off
    }
    ctx.sync_grid();
  }
  if (leader) {
    atomics::store_release(p.control->is_active, 0u);
    atomics::store_release(p.control->has_terminated, 1u);
  }
}

}  // namespace rk::cuda
