// What a persistent kernel of the CUDA backend shares with its host runtime: the parameter block passed at
// launch (by pointer) and the loop's own state in device memory. Plain C++ over kernels/core, compiled by
// nvcc for the GPU and by the host compiler for the fake CUDA layer, so both run the same layout.
//
// Where each piece lives (ARCHITECTURE.md, "one producer side per ring"):
//   mapped host memory  ControlBlock, TelemetryBuffer, host→kernel ring (SPSC: the host produces),
//                       kernel→host ring and dead-letter ring (SPSC: the kernel produces; its threads
//                       take a lock in device memory first)
//   device memory       the K2K input ring (MPSC: only GPU threads produce), LoopState, the handler
// No word in mapped memory is the target of an atomic read-modify-write from both sides: a PCIe host
// without hostNativeAtomicSupported cannot make those atomic with the GPU's.
#pragma once

#include "rk/core/control_block.hpp"
#include "rk/core/hlc.hpp"
#include "rk/core/message.hpp"
#include "rk/core/ring.hpp"

namespace rk::cuda {

/// A handler the CUDA backend can run: declared for the device (`static constexpr bool kRunsOnDevice =
/// true;`) and plain bytes, because the host builds its state and copies it to device memory.
template <class H>
concept DeviceHandler = requires {
  requires H::kRunsOnDevice;
} && std::is_trivially_copyable_v<H> && std::is_trivially_destructible_v<H>;

inline constexpr std::uint32_t kDeferredSlots = 32;       ///< K2K messages try_receive_from_kernel may pass over
inline constexpr std::uint32_t kMaxNamedBarriers = 64;    ///< named barriers of one runtime
inline constexpr std::uint32_t kDeadLetterCapacity = 64;  ///< undeliverable K2K messages waiting for the host
inline constexpr std::uint64_t kPublishIntervalNs = 20000;  ///< busy kernels publish counters this often
inline constexpr std::uint32_t kHeartbeatPolls = 1024;     ///< idle polls between heartbeats

/// An undeliverable K2K message carries its SendStatus to the host in bits 5–7 of its header's flags
/// (bits 0–2 are message_flags) while it waits in the dead-letter ring.
inline constexpr std::uint8_t kDeadLetterReasonShift = 5;

/// What the leader decided for one step of the loop, broadcast to every thread through LoopState::phase.
enum : std::uint32_t { kPhaseIdle = 0, kPhaseMessage = 1, kPhaseExit = 2 };

/// A barrier across kernels: every thread of each participating kernel arrives (named_barrier(id)).
struct NamedBarrierState {
  std::uint32_t arrived;
  std::uint32_t generation;
  std::uint32_t participants;  ///< kernels that meet here (set by the host before launch)
  std::uint32_t reserved;
};

/// Device memory of one kernel's loop. The leader (global thread 0) owns everything but the locks; the
/// other threads read `current` and `phase` after a grid-wide barrier.
struct alignas(128) LoopState {
  Slot current;                   ///< the message being processed (broadcast to all threads)
  Slot deferred[kDeferredSlots];  ///< K2K messages passed over by try_receive_from_kernel, in arrival order
  std::uint32_t deferred_head;
  std::uint32_t deferred_count;
  std::uint32_t phase;            ///< kPhase*
  std::uint32_t acked_command;    ///< the command the leader last acknowledged
  std::uint32_t output_lock;      ///< serialises threads producing into the kernel→host ring
  std::uint32_t dead_letter_lock;
  std::uint32_t clock_lock;       ///< serialises threads stamping with the kernel's clock
  std::uint32_t dirty;            ///< counters changed since the last publication
  std::uint32_t terminate_requested;  ///< the kernel asked to stop (request_termination)
  std::uint32_t batch_left;       ///< messages the leader may still take before it looks at the command
  RingCursor host_in;             ///< consumer cursor of the host→kernel ring
  RingCursor host_out;            ///< producer cursor of the kernel→host ring
  RingCursor dead_out;            ///< producer cursor of the dead-letter ring
  HlcState clock;
  TelemetryBuffer telemetry;      ///< accumulated here, copied to the mapped buffer when published
  std::uint64_t processed;
  std::uint64_t in_flight;
  std::uint64_t message_counter;  ///< ids of messages this kernel creates
  std::uint64_t last_publish_ns;
  std::uint64_t idle_polls;
  std::uint32_t next_input;       ///< which input the leader polls first (alternates: fairness)
  std::uint32_t heartbeat;
};

/// The launch parameters of a persistent kernel (device memory; the kernel gets a pointer to it).
struct DeviceKernelParams {
  ControlBlock* control;       ///< mapped
  TelemetryBuffer* telemetry;  ///< mapped
  void* host_input;            ///< SpscRing<Slot> in mapped memory: host → kernel
  void* host_output;           ///< SpscRing<Slot> in mapped memory: kernel → host
  void* dead_letters;          ///< SpscRing<Slot> in mapped memory: undeliverable K2K messages → host
  void* k2k_input;             ///< MpscRing<Slot> in device memory: other kernels → this one
  void* const* routes;         ///< kernel id → K2K input ring of that kernel (device table, null: none)
  NamedBarrierState* barriers; ///< kMaxNamedBarriers entries (device memory, shared by the runtime's kernels)
  LoopState* loop;
  std::int64_t clock_offset_ns;  ///< added to the device timer gives the host's wall clock (calibrated)
  std::uint32_t route_count;
  std::uint32_t max_batch;     ///< messages taken between two looks at the command word
  std::uint32_t threads;       ///< grid × block
  KernelId id;
};

}  // namespace rk::cuda
