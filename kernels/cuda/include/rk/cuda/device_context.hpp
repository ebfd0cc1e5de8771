// DeviceContext<Platform>: the RingContext of the CUDA backend. One body for both places a persistent kernel
// runs: on the GPU (GpuPlatform, gpu_loop.cuh) and on host threads in the fake CUDA layer (HostPlatform,
// fake_platform.hpp), so the fake exercises the very code the GPU runs. A Platform supplies what differs:
// thread coordinates, barriers, warp collectives, fences, the timer and how to wait.
//
// What each call costs on a GPU (mapped = host memory over PCIe; device = HBM/L2):
//   enqueue_output       posted writes to mapped memory only (private producer cursor; head re-read when full)
//   send_to_kernel       a CAS on the target's ring tail in device memory, then the slot
//   now/tick/stamping    device memory; a lock only when the kernel has more than one thread
//   errors, counters     device memory (LoopState), published to mapped memory by the leader's stores
#pragma once

#include "rk/core/context.hpp"
#include "rk/core/control_block.hpp"
#include "rk/core/hlc.hpp"
#include "rk/core/message.hpp"
#include "rk/core/ring.hpp"
#include "rk/cuda/kernel_abi.hpp"

namespace rk::cuda {

template <class Platform>
class DeviceContext {
 public:
  RK_HOST_DEVICE DeviceContext(const DeviceKernelParams& p, Platform& platform)
      : p_(p),
        plat_(platform),
        loop_(*p.loop),
        host_in_(SpscRing<Slot>::attach(p.host_input)),
        host_out_(SpscRing<Slot>::attach(p.host_output)),
        dead_(SpscRing<Slot>::attach(p.dead_letters)),
        k2k_(MpscRing<Slot>::attach(p.k2k_input)) {}

  // ---- identity
  RK_HOST_DEVICE std::uint32_t thread_id() const { return plat_.thread_id(); }
  RK_HOST_DEVICE std::uint32_t block_id() const { return plat_.block_id(); }
  RK_HOST_DEVICE Dim3 block_dim() const { return plat_.block_dim(); }
  RK_HOST_DEVICE Dim3 grid_dim() const { return plat_.grid_dim(); }
  RK_HOST_DEVICE std::uint32_t warp_id() const { return thread_id() / kWarpSize; }
  RK_HOST_DEVICE std::uint32_t lane_id() const { return thread_id() % kWarpSize; }
  RK_HOST_DEVICE std::uint32_t global_thread_id() const {
    return block_id() * static_cast<std::uint32_t>(block_dim().volume()) + thread_id();
  }
  RK_HOST_DEVICE KernelId kernel_id() const { return p_.id; }

  // ---- barriers
  RK_HOST_DEVICE void sync_threads() {
    if (block_dim().volume() > 1) plat_.sync_threads();
  }
  RK_HOST_DEVICE void sync_grid() {
    if (p_.threads > 1) plat_.sync_grid();
  }
  RK_HOST_DEVICE void sync_warp(std::uint32_t mask = kFullWarpMask) { plat_.sync_warp(mask & lanes_mask()); }
  /// Every thread of each kernel that meets at barrier `id` calls it; the leaders count arrivals against
  /// the barrier's own participant count (set by the host per barrier).
  RK_HOST_DEVICE void named_barrier(std::uint32_t id) {
    if (id >= kMaxNamedBarriers) {
      report_error();
      return;
    }
    sync_grid();
    if (global_thread_id() == 0) {
      NamedBarrierState& b = p_.barriers[id];
      const std::uint32_t participants = atomics::load_acquire(b.participants);
      const std::uint32_t gen = atomics::load_acquire(b.generation);
      if (atomics::fetch_add(b.arrived, 1u) + 1 >= participants) {
        atomics::store_relaxed(b.arrived, 0u);
        atomics::fetch_add(b.generation, 1u);
      } else {
        while (atomics::load_acquire(b.generation) == gen && !is_termination_requested()) plat_.relax();
      }
    }
    sync_grid();
  }

  // ---- hybrid logical clock (device memory; the leader merges every received message's timestamp)
  RK_HOST_DEVICE HlcTimestamp now() {
    ClockGuard g(*this);
    loop_.clock.last.update_physical(wall_ns());
    return loop_.clock.last;
  }
  RK_HOST_DEVICE void tick() {
    ClockGuard g(*this);
    loop_.clock.last.tick(wall_ns());
  }
  RK_HOST_DEVICE void update_clock(const HlcTimestamp& received) {
    ClockGuard g(*this);
    loop_.clock.update(received, wall_ns());
  }

  // ---- memory ordering and atomics
  RK_HOST_DEVICE void thread_fence() const { plat_.fence(); }
  RK_HOST_DEVICE void thread_fence_block() const { plat_.fence_block(); }
  RK_HOST_DEVICE void thread_fence_system() const { plat_.fence_system(); }
  RK_HOST_DEVICE std::int32_t atomic_add(std::int32_t* t, std::int32_t v) const { return atomics::fetch_add(*t, v); }
  RK_HOST_DEVICE std::int32_t atomic_cas(std::int32_t* t, std::int32_t c, std::int32_t v) const {
    atomics::compare_exchange(*t, c, v);
    return c;  // the value seen: the old one on success, the current one on failure
  }
  RK_HOST_DEVICE std::int32_t atomic_exch(std::int32_t* t, std::int32_t v) const { return atomics::exchange(*t, v); }

  // ---- warp collectives: the mask is limited to lanes that exist (a partial last warp, a 1-thread block)
  RK_HOST_DEVICE std::int32_t warp_shuffle(std::int32_t v, std::uint32_t src, std::uint32_t mask = kFullWarpMask) {
    return plat_.shuffle(v, src, mask & lanes_mask());
  }
  RK_HOST_DEVICE std::uint32_t warp_ballot(bool pred, std::uint32_t mask = kFullWarpMask) {
    return plat_.ballot(pred, mask & lanes_mask());
  }
  /// The lanes of this thread's warp that exist in the block.
  RK_HOST_DEVICE std::uint32_t lanes_mask() const {
    const std::uint32_t block = static_cast<std::uint32_t>(block_dim().volume());
    const std::uint32_t first = warp_id() * kWarpSize;
    const std::uint32_t n = block - first < kWarpSize ? block - first : kWarpSize;
    return n >= kWarpSize ? kFullWarpMask : ((1u << n) - 1u);
  }

  // ---- kernel → host
  RK_HOST_DEVICE bool enqueue_output(Slot& m) {
    stamp(m, kHostKernel);
    QueueStatus s;
    {
      Lock g(*this, loop_.output_lock);
      s = host_out_.try_enqueue_owned(m, loop_.host_out);
    }
    if (s == QueueStatus::Ok) return true;
    count_failure(KernelError::OutputFull);
    return false;
  }
  template <RingMessage T>
  RK_HOST_DEVICE bool enqueue_output(const T& msg, const MessageHeader* in_reply_to = nullptr) {
    Slot s{};
    if (in_reply_to) make_reply_header(*in_reply_to, p_.id, s.header);
    else s.header.priority = priority::kNormal;
    encode(s, msg);
    return enqueue_output(s);
  }
  /// From the producer cursor; the host's `head` (a mapped read) only when the cursor says full.
  RK_HOST_DEVICE std::uint64_t output_queue_free_slots() const {
    RingCursor& c = loop_.host_out;
    const std::uint64_t cap = host_out_.capacity();
    if (c.pos - c.other >= cap) c.other = atomics::load_acquire(static_cast<RingState*>(host_out_.memory())->head);
    return cap - (c.pos - c.other);
  }

  // ---- kernel → kernel
  RK_HOST_DEVICE SendStatus send_to_kernel(KernelId target, Slot& m) {
    const SendStatus s = try_send_to_kernel(target, m);
    if (s == SendStatus::Ok) return s;
    m.header.source_kernel = p_.id;
    m.header.dest_kernel = target;
    dead_letter(m, s);
    count_failure(KernelError::DeliveryFailed);
    return s;
  }
  RK_HOST_DEVICE SendStatus try_send_to_kernel(KernelId target, Slot& m) {
    if (m.header.payload_size > Slot::kPayloadCapacity) return SendStatus::TooLarge;
    void* ring_memory = target < p_.route_count ? atomics::load_acquire(const_cast<void*&>(p_.routes[target])) : nullptr;
    if (ring_memory == nullptr) return SendStatus::UnknownKernel;
    stamp(m, target);
    MpscRing<Slot> ring = MpscRing<Slot>::attach(ring_memory);
    switch (ring.try_enqueue(m)) {
      case QueueStatus::Ok: return SendStatus::Ok;
      case QueueStatus::Closed: return SendStatus::Closed;
      default: return SendStatus::Full;
    }
  }
  template <RingMessage T>
  RK_HOST_DEVICE SendStatus send_to_kernel(KernelId target, const T& msg, std::uint8_t prio = priority::kNormal) {
    Slot s{};
    s.header.priority = prio;
    encode(s, msg);
    return send_to_kernel(target, s);
  }
  /// Pull the next K2K message from `source` (kAnyKernel: any kernel). Messages passed over are kept (up to
  /// kDeferredSlots) and the loop hands them to the handler later, in order. The leader's call only.
  RK_HOST_DEVICE bool try_receive_from_kernel(KernelId source, Slot& out) {
    for (std::uint32_t i = 0; i < loop_.deferred_count; ++i) {
      const std::uint32_t at = (loop_.deferred_head + i) % kDeferredSlots;
      if (source != kAnyKernel && loop_.deferred[at].header.source_kernel != source) continue;
      out = loop_.deferred[at];
      for (std::uint32_t j = i; j + 1 < loop_.deferred_count; ++j)  // close the gap, keeping the order
        loop_.deferred[(loop_.deferred_head + j) % kDeferredSlots] = loop_.deferred[(loop_.deferred_head + j + 1) % kDeferredSlots];
      --loop_.deferred_count;
      return true;
    }
    Slot s;
    while (k2k_.peek(s)) {
      if (source == kAnyKernel || s.header.source_kernel == source) {
        if (k2k_.try_dequeue(out) != QueueStatus::Ok) return false;
        update_clock(out.header.timestamp);
        return true;
      }
      if (loop_.deferred_count == kDeferredSlots) return false;  // no room to pass more over
      if (k2k_.try_dequeue(loop_.deferred[(loop_.deferred_head + loop_.deferred_count) % kDeferredSlots]) != QueueStatus::Ok)
        return false;
      ++loop_.deferred_count;
    }
    return false;
  }

  // ---- control
  RK_HOST_DEVICE void request_termination() {
    atomics::store_release(loop_.terminate_requested, 1u);
    atomics::store_release(p_.control->should_terminate, 1u);
  }
  /// The kernel's own request, or the host's (a mapped read: poll it sparingly inside long handlers).
  /// Once seen, the host's request is latched in device memory: the loop then takes no further message.
  RK_HOST_DEVICE bool is_termination_requested() const {
    if (atomics::load_acquire(loop_.terminate_requested) != 0) return true;
    if ((atomics::load_acquire(p_.control->command) & kCommandTerminate) == 0) return false;
    atomics::store_release(loop_.terminate_requested, 1u);
    return true;
  }
  RK_HOST_DEVICE void report_error() { count_failure(KernelError::HandlerError); }

  // ---- for the loop (loop.hpp)
  RK_HOST_DEVICE LoopState& loop() { return loop_; }
  RK_HOST_DEVICE const DeviceKernelParams& params() const { return p_; }
  RK_HOST_DEVICE Platform& platform() { return plat_; }
  RK_HOST_DEVICE SpscRing<Slot>& host_input() { return host_in_; }
  RK_HOST_DEVICE SpscRing<Slot>& host_output() { return host_out_; }
  RK_HOST_DEVICE MpscRing<Slot>& k2k_input() { return k2k_; }
  /// The host's wall clock as seen from here: the device timer plus the offset calibrated at start.
  RK_HOST_DEVICE std::uint64_t wall_ns() const {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(plat_.timer_ns()) + p_.clock_offset_ns);
  }
  /// Merge a received timestamp without reading the timer (the CPU backend's receive rule).
  RK_HOST_DEVICE void observe_clock(const HlcTimestamp& received) {
    ClockGuard g(*this);
    loop_.clock.update(received, 0);
  }
  RK_HOST_DEVICE void advance_clock(std::uint64_t wall) {
    ClockGuard g(*this);
    loop_.clock.last.update_physical(wall);
  }

 private:
  /// A spin lock in device memory, taken only when the kernel has more than one thread.
  class Lock {
   public:
    RK_HOST_DEVICE Lock(DeviceContext& c, std::uint32_t& word) : c_(c), word_(word), held_(c.p_.threads > 1) {
      if (!held_) return;
      for (;;) {
        std::uint32_t expected = 0;
        if (atomics::compare_exchange(word_, expected, 1u)) break;
        c_.plat_.relax();
      }
    }
    RK_HOST_DEVICE ~Lock() {
      if (held_) atomics::store_release(word_, 0u);
    }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    DeviceContext& c_;
    std::uint32_t& word_;
    bool held_;
  };
  struct ClockGuard : Lock {
    RK_HOST_DEVICE explicit ClockGuard(DeviceContext& c) : Lock(c, c.loop_.clock_lock) {}
  };

  RK_HOST_DEVICE void stamp(Slot& m, KernelId dest) {
    m.header.source_kernel = p_.id;
    m.header.dest_kernel = dest;
    if (m.header.message_id.is_nil()) {
      const std::uint64_t n = p_.threads > 1 ? atomics::fetch_add_relaxed(loop_.message_counter, std::uint64_t{1})
                                             : loop_.message_counter++;
      m.header.message_id = MessageId{0x524B000000000000ull | p_.id, n + 1};
    }
    ClockGuard g(*this);
    loop_.clock.last.tick();  // a send event: logical tick (the clock follows the wall clock per message)
    m.header.timestamp = loop_.clock.last;
  }
  /// An undeliverable K2K message goes to the host through the dead-letter ring; when that is full too it
  /// is counted only (the host reports the count).
  RK_HOST_DEVICE void dead_letter(Slot& m, SendStatus why) {
    m.header.flags = static_cast<std::uint8_t>((m.header.flags & 0x1Fu) | (static_cast<std::uint32_t>(why) << kDeadLetterReasonShift));
    Lock g(*this, loop_.dead_letter_lock);
    (void)dead_.try_enqueue_owned(m, loop_.dead_out);
  }
  RK_HOST_DEVICE void count_failure(KernelError e) {
    atomics::fetch_add_relaxed(loop_.telemetry.messages_dropped, std::uint64_t{e == KernelError::HandlerError ? 0u : 1u});
    atomics::fetch_add_relaxed(loop_.telemetry.error_count, 1u);
    atomics::store_relaxed(loop_.telemetry.last_error, static_cast<std::uint32_t>(e));
    atomics::store_relaxed(loop_.dirty, 1u);
  }

  DeviceKernelParams p_;
  Platform& plat_;
  LoopState& loop_;
  SpscRing<Slot> host_in_;
  SpscRing<Slot> host_out_;
  SpscRing<Slot> dead_;
  MpscRing<Slot> k2k_;
};

}  // namespace rk::cuda
