// CpuContext: what a handler sees of the CPU backend.
#include "rk/cpu/context.hpp"

#include <atomic>
#include <bit>

#include "rk/cpu/kernel.hpp"
#include "rk/cpu/runtime.hpp"

namespace rk::cpu {

CpuContext::CpuContext(CpuKernel& kernel, ThreadGroup* group, std::uint32_t block, std::uint32_t thread)
    : kernel_(&kernel), group_(group), block_(block), thread_(thread) {}

Dim3 CpuContext::block_dim() const { return kernel_->block; }
Dim3 CpuContext::grid_dim() const { return kernel_->grid; }
std::uint32_t CpuContext::global_thread_id() const {
  return block_ * static_cast<std::uint32_t>(kernel_->block.volume()) + thread_;
}
KernelId CpuContext::kernel_id() const { return kernel_->id; }

void CpuContext::sync_threads() {
  if (group_) group_->block_barrier(block_);
}
void CpuContext::sync_grid() {
  if (group_) group_->grid_barrier();
}
void CpuContext::sync_warp(std::uint32_t mask) {
  if (group_) group_->warp_barrier(block_, warp_id(), mask);
}

void CpuContext::named_barrier(std::uint32_t id) {
  NamedBarrier& b = kernel_->runtime.named_barrier(id);
  sync_grid();
  if (global_thread_id() == 0) {
    const std::uint64_t gen = b.generation.load(std::memory_order_acquire);
    if (b.arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == b.participants) {
      b.arrived.store(0, std::memory_order_relaxed);
      b.generation.fetch_add(1, std::memory_order_acq_rel);
      // Workers whose kernels wait here as thread groups may be asleep (they do not spin on a barrier
      // that cannot pass): wake them all; this happens once per barrier generation.
      kernel_->runtime.wake_all_workers();
    } else {
      auto passed = [&] { return b.generation.load(std::memory_order_acquire) != gen; };
      if (group_) {
        group_->wait_external(passed);
      } else {
        // A single-thread kernel runs on the worker's own stack: keep the worker's other kernels
        // going while this one waits, so participants that share the worker can arrive.
        Worker* w = kernel_->worker.load(std::memory_order_acquire);
        auto stopping = [&] {
          return atomics::load_acquire(kernel_->control.should_terminate) != 0 ||
                 atomics::load_acquire(kernel_->control.is_active) == 0;
        };
        for (std::uint32_t round = 0; !passed() && !stopping(); ++round) {
          if (w) w->pump_others(kernel_);
          if (round > 64) std::this_thread::yield();
          else cpu_relax();
        }
      }
    }
  }
  sync_grid();
}

HlcTimestamp CpuContext::now() {
  kernel_->clock.last.update_physical(wall_clock_ns());
  return kernel_->clock.last;
}
void CpuContext::tick() { kernel_->clock.last.tick(wall_clock_ns()); }
void CpuContext::update_clock(const HlcTimestamp& received) { kernel_->clock.update(received, wall_clock_ns()); }

void CpuContext::thread_fence() const { std::atomic_thread_fence(std::memory_order_seq_cst); }
void CpuContext::thread_fence_block() const { std::atomic_thread_fence(std::memory_order_acq_rel); }
void CpuContext::thread_fence_system() const { std::atomic_thread_fence(std::memory_order_seq_cst); }

std::int32_t CpuContext::atomic_add(std::int32_t* target, std::int32_t value) const {
  return atomics::fetch_add(*target, value);
}
std::int32_t CpuContext::atomic_cas(std::int32_t* target, std::int32_t compare, std::int32_t value) const {
  std::int32_t expected = compare;
  atomics::compare_exchange(*target, expected, value);
  return expected;  // the old value, as atomicCAS returns
}
std::int32_t CpuContext::atomic_exch(std::int32_t* target, std::int32_t value) const {
  return atomics::exchange(*target, value);
}

std::int32_t CpuContext::warp_shuffle(std::int32_t value, std::uint32_t src_lane, std::uint32_t mask) {
  if (!group_) return value;  // a warp of one lane
  std::int32_t* ex = group_->warp_exchange(block_, warp_id(), warp_ops_++ & 1u);
  ex[lane_id()] = value;
  group_->warp_barrier(block_, warp_id(), mask);
  return ex[src_lane % kWarpSize];
}

std::uint32_t CpuContext::warp_ballot(bool predicate, std::uint32_t mask) {
  if (!group_) return predicate ? (mask & 1u) : 0u;
  std::int32_t* ex = group_->warp_exchange(block_, warp_id(), warp_ops_++ & 1u);
  ex[lane_id()] = predicate ? 1 : 0;
  group_->warp_barrier(block_, warp_id(), mask);
  const std::uint32_t lanes_in_block = static_cast<std::uint32_t>(kernel_->block.volume());
  std::uint32_t bits = 0;
  for (std::uint32_t l = 0; l < kWarpSize; ++l) {
    const std::uint32_t t = warp_id() * kWarpSize + l;
    if (t < lanes_in_block && (mask >> l & 1u) && ex[l]) bits |= 1u << l;
  }
  return bits;
}

bool CpuContext::enqueue_output(Slot& message) {
  kernel_->stamp_outgoing(message, kHostKernel);
  if (kernel_->output->try_enqueue(message) == QueueStatus::Ok) return true;
  atomics::fetch_add_relaxed(kernel_->telemetry.messages_dropped, std::uint64_t{1});
  kernel_->fail(KernelError::OutputFull);
  return false;
}

std::uint64_t CpuContext::output_queue_free_slots() const { return kernel_->output->free_slots(); }

SendStatus CpuContext::send_to_kernel(KernelId target, Slot& message) {
  kernel_->stamp_outgoing(message, target);
  const SendStatus s = kernel_->runtime.broker().deliver(target, message);
  if (s != SendStatus::Ok) {
    atomics::fetch_add_relaxed(kernel_->telemetry.messages_dropped, std::uint64_t{1});
    kernel_->dead_letters.fetch_add(1, std::memory_order_relaxed);
    kernel_->fail(KernelError::DeliveryFailed);
  }
  return s;
}

SendStatus CpuContext::try_send_to_kernel(KernelId target, Slot& message) {
  kernel_->stamp_outgoing(message, target);
  return kernel_->runtime.broker().try_deliver(target, message);
}

bool CpuContext::try_receive_from_kernel(KernelId source, Slot& out) {
  auto matches = [&](const Slot& s) {
    return s.header.source_kernel != kHostKernel && (source == kAnyKernel || s.header.source_kernel == source);
  };
  auto& deferred = kernel_->deferred;
  for (auto it = deferred.begin(); it != deferred.end(); ++it) {
    if (matches(*it)) {
      out = *it;
      deferred.erase(it);
      kernel_->clock.update(out.header.timestamp, wall_clock_ns());
      return true;
    }
  }
  Slot s;
  while (kernel_->input->try_dequeue(s) == QueueStatus::Ok) {
    if (matches(s)) {
      out = s;
      kernel_->clock.update(out.header.timestamp, wall_clock_ns());
      return true;
    }
    deferred.push_back(s);
  }
  return false;
}

void CpuContext::request_termination() { atomics::store_release(kernel_->control.should_terminate, 1u); }
bool CpuContext::is_termination_requested() const {
  return atomics::load_acquire(kernel_->control.should_terminate) != 0;
}
void CpuContext::report_error() { kernel_->fail(KernelError::HandlerError); }

}  // namespace rk::cpu
