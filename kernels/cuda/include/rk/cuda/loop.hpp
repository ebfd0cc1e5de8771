// The persistent loop of a CUDA-backend ring kernel, one template for the GPU (gpu_loop.cuh) and for the
// fake CUDA layer's host threads (fake_platform.hpp).
//
// The leader (global thread 0) decides each step: exit, idle, or a message it has taken into
// LoopState::current; a grid-wide barrier hands the decision to every thread, all threads run the handler,
// a second barrier ends the message. The leader
//   - reads the host's command word (mapped) once per batch of up to max_batch messages and whenever the
//     inputs ran dry, and acknowledges a change through ControlBlock::is_active (activate/deactivate);
//   - polls two inputs, alternating: the host→kernel ring (mapped, SPSC) and the K2K ring (device, MPSC);
//     K2K messages passed over by try_receive_from_kernel come first;
//   - keeps counters in device memory and publishes them to the mapped ControlBlock/TelemetryBuffer when
//     it goes idle and at least every kPublishIntervalNs while busy;
//   - runs the handler's idle hook only while the kernel is active;
//   - on exit closes its input rings and its output ring, publishes a final snapshot, and sets
//     has_terminated last (after every other thread has left the handler).
#pragma once

#include "rk/core/context.hpp"
#include "rk/cuda/device_context.hpp"

namespace rk::cuda {

namespace detail {

/// Copy the loop's counters to the mapped control block and telemetry buffer (stores only).
template <class P>
RK_HOST_DEVICE void publish(DeviceContext<P>& ctx, std::uint64_t now) {
  LoopState& L = ctx.loop();
  const DeviceKernelParams& p = ctx.params();
  TelemetryBuffer t = snapshot(L.telemetry);
  const std::uint64_t k2k = ctx.k2k_input().size() + L.deferred_count;
  t.input_queue_depth = static_cast<std::uint32_t>(k2k);  // the host adds the host→kernel ring's depth
  using namespace atomics;
  store_relaxed(p.telemetry->messages_processed, t.messages_processed);
  store_relaxed(p.telemetry->messages_dropped, t.messages_dropped);
  store_relaxed(p.telemetry->total_latency_ns, t.total_latency_ns);
  store_relaxed(p.telemetry->min_latency_ns, t.min_latency_ns);
  store_relaxed(p.telemetry->max_latency_ns, t.max_latency_ns);
  store_relaxed(p.telemetry->input_queue_depth, t.input_queue_depth);
  store_relaxed(p.telemetry->last_error, t.last_error);
  store_relaxed(p.telemetry->error_count, t.error_count);
  store_relaxed(p.telemetry->latency_samples, t.latency_samples);
  store_relaxed(p.control->messages_processed, L.processed);
  store_relaxed(p.control->messages_in_flight, L.in_flight);
  store_relaxed(p.control->hlc_physical, L.clock.last.physical);
  store_relaxed(p.control->hlc_logical, L.clock.last.logical);
  store_relaxed(p.control->error_count, t.error_count);
  store_release(p.control->last_error, t.last_error);
  L.last_publish_ns = now;
  store_relaxed(L.dirty, 0u);
}

/// The next input message: passed-over K2K messages first, then the two rings in alternating order.
template <class P>
RK_HOST_DEVICE bool take_message(DeviceContext<P>& ctx, Slot& out) {
  LoopState& L = ctx.loop();
  if (L.deferred_count > 0) {
    out = L.deferred[L.deferred_head];
    L.deferred_head = (L.deferred_head + 1) % kDeferredSlots;
    --L.deferred_count;
    return true;
  }
  const std::uint32_t first = L.next_input;
  L.next_input ^= 1u;
  for (std::uint32_t i = 0; i < 2; ++i) {
    if (((first + i) & 1u) == 0) {
      if (ctx.host_input().try_dequeue_owned(out, L.host_in) == QueueStatus::Ok) return true;
    } else if (ctx.k2k_input().try_dequeue(out) == QueueStatus::Ok) {
      return true;
    }
  }
  return false;
}

/// The leader's decision for one step.
template <class P, class H>
RK_HOST_DEVICE std::uint32_t leader_step(DeviceContext<P>& ctx, H& handler) {
  LoopState& L = ctx.loop();
  const DeviceKernelParams& p = ctx.params();
  // A request the handler saw (is_termination_requested latches it) ends the batch at once.
  if (atomics::load_acquire(L.terminate_requested) != 0) return kPhaseExit;
  if (L.batch_left == 0) {
    const std::uint32_t cmd = atomics::load_acquire(p.control->command);
    if ((cmd & kCommandTerminate) != 0) return kPhaseExit;
    if (cmd != L.acked_command) {
      L.acked_command = cmd;
      publish(ctx, ctx.wall_ns());
      atomics::store_release(p.control->is_active, (cmd & kCommandRun) != 0 ? 1u : 0u);  // the acknowledgement
    }
    if ((cmd & kCommandRun) == 0) {
      if (++L.idle_polls % kHeartbeatPolls == 0) atomics::store_relaxed(p.control->heartbeat, ++L.heartbeat);
      ctx.platform().relax();
      return kPhaseIdle;
    }
    L.batch_left = p.max_batch;
  }
  if (take_message(ctx, L.current)) {
    --L.batch_left;
    L.in_flight = 1;
    ctx.observe_clock(L.current.header.timestamp);
    return kPhaseMessage;
  }
  L.batch_left = 0;  // the inputs ran dry: look at the command before polling again
  if (atomics::load_relaxed(L.dirty) != 0) publish(ctx, ctx.wall_ns());
  if (run_idle_hook(handler, ctx)) return kPhaseIdle;  // it did work: poll again at once
  if (++L.idle_polls % kHeartbeatPolls == 0) atomics::store_relaxed(p.control->heartbeat, ++L.heartbeat);
  ctx.platform().relax();
  return kPhaseIdle;
}

/// The leader's bookkeeping after every thread has finished the message.
template <class P>
RK_HOST_DEVICE void finish_message(DeviceContext<P>& ctx) {
  LoopState& L = ctx.loop();
  const std::uint64_t end = ctx.wall_ns();
  const std::uint64_t sent = L.current.header.timestamp.physical;
  record_processed(L.telemetry, end > sent ? end - sent : 0);
  ++L.processed;
  L.in_flight = 0;
  ctx.advance_clock(end);
  atomics::store_relaxed(L.dirty, 1u);
  if (end - L.last_publish_ns >= kPublishIntervalNs) publish(ctx, end);
}

/// The leader's last acts: no more input, the host's receives end after the drain, counters final.
template <class P>
RK_HOST_DEVICE void leader_exit(DeviceContext<P>& ctx) {
  const DeviceKernelParams& p = ctx.params();
  ctx.k2k_input().close();
  ctx.host_input().close();
  ctx.host_output().close();
  publish(ctx, ctx.wall_ns());
  atomics::store_relaxed(p.control->is_active, 0u);
  ctx.thread_fence_system();
  atomics::store_release(p.control->has_terminated, 1u);
}

}  // namespace detail

/// Runs until the host's command (or the kernel itself) asks it to stop. Every thread of the grid calls it.
template <class P, class H>
RK_HOST_DEVICE void persistent_loop(DeviceContext<P>& ctx, H& handler) {
  LoopState& L = ctx.loop();
  const bool leader = ctx.global_thread_id() == 0;
  for (;;) {
    if (leader) atomics::store_release(L.phase, detail::leader_step(ctx, handler));
    ctx.sync_grid();
    const std::uint32_t phase = atomics::load_acquire(L.phase);
    if (phase == kPhaseExit) break;
    if (phase == kPhaseMessage) {
      handler(ctx, static_cast<const Slot&>(L.current));
      ctx.sync_grid();
      if (leader) detail::finish_message(ctx);
    }
    ctx.sync_grid();  // nobody reads `phase` of this step after the leader writes the next one
  }
  if (leader) detail::leader_exit(ctx);
}

}  // namespace rk::cuda
