// What a ring-kernel handler may ask of the runtime (seed section 4). Handlers are templates over the
// context type, so one body runs on the CPU backend (rk::cpu::CpuContext) and on the GPU
// (rk::cuda::DeviceContext); this concept is the contract both implement.
#pragma once

#include "rk/core/config.hpp"
#include "rk/core/hlc.hpp"
#include "rk/core/message.hpp"

namespace rk {

/// Grid and block dimensions, as in CUDA.
struct Dim3 {
  std::uint32_t x = 1, y = 1, z = 1;
  RK_HOST_DEVICE constexpr std::uint64_t volume() const {
    return std::uint64_t{x} * std::uint64_t{y} * std::uint64_t{z};
  }
  RK_HOST_DEVICE static constexpr Dim3 linear(std::uint32_t n) { return {n, 1, 1}; }
};
RK_HOST_DEVICE constexpr bool operator==(const Dim3& a, const Dim3& b) {
  return a.x == b.x && a.y == b.y && a.z == b.z;
}

inline constexpr std::uint32_t kWarpSize = 32;
inline constexpr std::uint32_t kFullWarpMask = 0xFFFFFFFFu;

/// Result of a K2K send, reported to the handler (and counted by the runtime when not Ok).
enum class SendStatus : std::uint8_t {
  Ok,
  Full,           ///< the destination's input ring is full (the message was not sent)
  UnknownKernel,  ///< no route to that kernel id
  Closed,         ///< the destination is terminated or its ring is closed
  TooLarge,       ///< the payload does not fit a slot
};

RK_HOST_DEVICE constexpr const char* to_string(SendStatus s) {
  switch (s) {
    case SendStatus::Ok: return "ok";
    case SendStatus::Full: return "destination queue full";
    case SendStatus::UnknownKernel: return "unknown destination kernel";
    case SendStatus::Closed: return "destination closed";
    case SendStatus::TooLarge: return "payload too large for a slot";
  }
  return "?";
}

/// The context interface a handler is written against. `Ctx` is passed by reference to
/// `handler(ctx, slot)`; all threads of the kernel call the handler for each message.
template <class Ctx>
concept RingContext = requires(Ctx& c, const Ctx& cc, std::int32_t i, std::uint32_t u, bool b,
                               HlcTimestamp ts, const Slot& in, Slot& out, std::int32_t* ip) {
  // Thread identity (threadIdx, blockIdx, blockDim, gridDim, lanes and warps).
  { cc.thread_id() } -> std::same_as<std::uint32_t>;
  { cc.block_id() } -> std::same_as<std::uint32_t>;
  { cc.block_dim() } -> std::same_as<Dim3>;
  { cc.grid_dim() } -> std::same_as<Dim3>;
  { cc.warp_id() } -> std::same_as<std::uint32_t>;
  { cc.lane_id() } -> std::same_as<std::uint32_t>;
  { cc.global_thread_id() } -> std::same_as<std::uint32_t>;
  { cc.kernel_id() } -> std::same_as<KernelId>;
  // Barriers: block, grid, warp, and named barriers across kernels.
  c.sync_threads();
  c.sync_grid();
  c.sync_warp(u);
  c.named_barrier(u);
  // HLC, and the wall clock it follows (the host's system clock; on a GPU the device timer calibrated
  // against it at start): for measuring intervals, where the HLC's max() with received timestamps would
  // carry another clock's reading along.
  { c.now() } -> std::same_as<HlcTimestamp>;
  { cc.wall_ns() } -> std::same_as<std::uint64_t>;
  c.tick();
  c.update_clock(ts);
  // Memory ordering.
  c.thread_fence();
  c.thread_fence_block();
  c.thread_fence_system();
  // Atomics.
  { c.atomic_add(ip, i) } -> std::same_as<std::int32_t>;
  { c.atomic_cas(ip, i, i) } -> std::same_as<std::int32_t>;
  { c.atomic_exch(ip, i) } -> std::same_as<std::int32_t>;
  // Warp primitives.
  { c.warp_shuffle(i, u, u) } -> std::same_as<std::int32_t>;
  { c.warp_ballot(b, u) } -> std::same_as<std::uint32_t>;
  // Queues: kernel → host.
  { c.enqueue_output(out) } -> std::same_as<bool>;
  { cc.output_queue_free_slots() } -> std::convertible_to<std::uint64_t>;
  // K2K.
  { c.send_to_kernel(KernelId{}, out) } -> std::same_as<SendStatus>;
  { c.try_send_to_kernel(KernelId{}, out) } -> std::same_as<SendStatus>;
  { c.try_receive_from_kernel(KernelId{}, out) } -> std::same_as<bool>;
  // Control.
  c.request_termination();
  { cc.is_termination_requested() } -> std::same_as<bool>;
  c.report_error();
};

/// Fill a reply header from the request it answers: same correlation (or the request id when the
/// request had none), source and destination swapped.
RK_HOST_DEVICE inline void make_reply_header(const MessageHeader& request, KernelId self, MessageHeader& out) {
  out.correlation_id = request.correlation_id.is_nil() ? request.message_id : request.correlation_id;
  out.source_kernel = self;
  out.dest_kernel = request.source_kernel;
  out.priority = request.priority;
  out.flags = message_flags::kReply;
}

/// The optional idle hook of a handler: `bool idle(Ctx&)`, called by the kernel's loop on thread 0 (no
/// barriers inside) when no message is waiting. A handler that holds messages back — a K2K target was
/// full — retries them here; without the hook it could only retry when its next message arrives, and a
/// topology where every kernel holds something for a full neighbour would stall. Returns true when it
/// did work (the loop then polls again at once instead of backing off).
template <class Handler, class Ctx>
concept HasIdleHook = requires(Handler& h, Ctx& ctx) {
  { h.idle(ctx) } -> std::convertible_to<bool>;
};

/// Calls the idle hook when the handler has one; false otherwise.
template <class Handler, class Ctx>
RK_HOST_DEVICE bool run_idle_hook(Handler& h, Ctx& ctx) {
  if constexpr (HasIdleHook<Handler, Ctx>) {
    return h.idle(ctx);
  } else {
    return false;
  }
}

}  // namespace rk
