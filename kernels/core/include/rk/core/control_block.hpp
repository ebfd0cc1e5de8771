// The per-kernel control block and telemetry buffer: fixed-layout structs the host and the kernel
// share (mapped memory on the GPU). The host steers a kernel only through the control block.
#pragma once

#include "rk/core/config.hpp"
#include "rk/core/hlc.hpp"

namespace rk {

/// Error codes a kernel reports (ControlBlock::last_error, TelemetryBuffer::last_error).
enum class KernelError : std::uint32_t {
  None = 0,
  HandlerError = 1,      ///< the handler called report_error()
  DeliveryFailed = 2,    ///< a K2K or output message could not be delivered
  DecodeFailed = 3,      ///< a message had the wrong type or size for the handler
  BarrierDeadlock = 4,   ///< simulated threads could not all reach a barrier
  HandlerException = 5,  ///< (CPU backend) the handler threw
  OutputFull = 6,        ///< the kernel→host ring was full
  Hung = 7,              ///< (CUDA backend) the watchdog saw no progress with input waiting, or it would not stop
  DeviceFault = 8,       ///< (CUDA backend) the kernel's stream ended in an error or without being asked to
};

/// 128 bytes, 128-byte aligned: one L2 line pair on the GPU. Flags are 32-bit so the device can
/// atomically update them; counters are 64-bit.
struct alignas(128) ControlBlock {
  std::uint32_t is_active;           ///<   0: 1 while the kernel processes messages
  std::uint32_t should_terminate;    ///<   4: set by the host (or request_termination) to stop
  std::uint32_t has_terminated;      ///<   8: set by the kernel when its loop has exited
  std::uint32_t last_error;          ///<  12: KernelError
  std::uint64_t messages_processed;  ///<  16
  std::uint64_t messages_in_flight;  ///<  24: dequeued, handler not finished
  std::uint64_t input_head;          ///<  32: snapshots of the rings' positions
  std::uint64_t input_tail;          ///<  40
  std::uint64_t output_head;         ///<  48
  std::uint64_t output_tail;         ///<  56
  std::uint32_t input_capacity;      ///<  64
  std::uint32_t output_capacity;     ///<  68
  std::uint64_t hlc_physical;        ///<  72: the kernel's clock, published after each batch
  std::uint32_t hlc_logical;         ///<  80
  std::uint32_t error_count;         ///<  84
  std::uint32_t kernel_id;           ///<  88
  std::uint32_t generation;          ///<  92: bumped on every lifecycle change
  /// 96: written by the host only, read by a persistent kernel's loop (one word to poll): bit 0 (kCommandRun)
  /// asks the kernel to process messages, bit 1 (kCommandTerminate) to exit. The kernel acknowledges the
  /// first through is_active and the second through has_terminated. (The CPU backend steers through
  /// is_active/should_terminate directly and leaves it 0.)
  std::uint32_t command;
  std::uint32_t heartbeat;           ///< 100: bumped by a persistent kernel's loop now and then (watchdog)
  std::uint64_t reserved[3];         ///< 104
};
inline constexpr std::uint32_t kCommandRun = 1u << 0;
inline constexpr std::uint32_t kCommandTerminate = 1u << 1;
static_assert(sizeof(ControlBlock) == 128);
static_assert(alignof(ControlBlock) == 128);
static_assert(offsetof(ControlBlock, messages_processed) == 16);
static_assert(offsetof(ControlBlock, input_head) == 32);
static_assert(offsetof(ControlBlock, input_capacity) == 64);
static_assert(offsetof(ControlBlock, hlc_physical) == 72);
static_assert(offsetof(ControlBlock, error_count) == 84);
static_assert(offsetof(ControlBlock, command) == 96);
static_assert(std::is_trivially_copyable_v<ControlBlock>);

/// 64 bytes of counters a kernel keeps current so the host can read them in well under 1 µs.
struct alignas(64) TelemetryBuffer {
  std::uint64_t messages_processed;  ///<  0
  std::uint64_t messages_dropped;    ///<  8: messages the kernel could not deliver
  std::uint64_t total_latency_ns;    ///< 16: sum of (handler end − message send) over processed messages
  std::uint64_t min_latency_ns;      ///< 24: UINT64_MAX until the first message
  std::uint64_t max_latency_ns;      ///< 32
  std::uint32_t input_queue_depth;   ///< 40
  std::uint32_t output_queue_depth;  ///< 44
  std::uint32_t last_error;          ///< 48: KernelError
  std::uint32_t error_count;         ///< 52
  std::uint64_t latency_samples;     ///< 56
};
static_assert(sizeof(TelemetryBuffer) == 64);
static_assert(offsetof(TelemetryBuffer, total_latency_ns) == 16);
static_assert(offsetof(TelemetryBuffer, input_queue_depth) == 40);
static_assert(offsetof(TelemetryBuffer, last_error) == 48);
static_assert(offsetof(TelemetryBuffer, latency_samples) == 56);
static_assert(std::is_trivially_copyable_v<TelemetryBuffer>);

RK_HOST_DEVICE inline void reset(ControlBlock& cb, std::uint32_t kernel_id) {
  memset(static_cast<void*>(&cb), 0, sizeof(cb));
  cb.kernel_id = kernel_id;
}
RK_HOST_DEVICE inline void reset(TelemetryBuffer& t) {
  memset(static_cast<void*>(&t), 0, sizeof(t));
  t.min_latency_ns = ~std::uint64_t{0};
}

/// Record one processed message in telemetry (single writer: the kernel).
RK_HOST_DEVICE inline void record_processed(TelemetryBuffer& t, std::uint64_t latency_ns) {
  using namespace atomics;
  store_relaxed(t.messages_processed, load_relaxed(t.messages_processed) + 1);
  store_relaxed(t.total_latency_ns, load_relaxed(t.total_latency_ns) + latency_ns);
  store_relaxed(t.latency_samples, load_relaxed(t.latency_samples) + 1);
  if (latency_ns < load_relaxed(t.min_latency_ns)) store_relaxed(t.min_latency_ns, latency_ns);
  if (latency_ns > load_relaxed(t.max_latency_ns)) store_relaxed(t.max_latency_ns, latency_ns);
}

/// Record an error in both structures (callable from any simulated thread of the kernel).
RK_HOST_DEVICE inline void record_error(ControlBlock& cb, TelemetryBuffer& t, KernelError e) {
  using namespace atomics;
  fetch_add_relaxed(cb.error_count, 1u);
  store_relaxed(cb.last_error, static_cast<std::uint32_t>(e));
  fetch_add_relaxed(t.error_count, 1u);
  store_relaxed(t.last_error, static_cast<std::uint32_t>(e));
}

/// A consistent-enough copy of a telemetry buffer (each field read atomically).
RK_HOST_DEVICE inline TelemetryBuffer snapshot(const TelemetryBuffer& t) {
  using namespace atomics;
  TelemetryBuffer s;
  s.messages_processed = load_relaxed(t.messages_processed);
  s.messages_dropped = load_relaxed(t.messages_dropped);
  s.total_latency_ns = load_relaxed(t.total_latency_ns);
  s.min_latency_ns = load_relaxed(t.min_latency_ns);
  s.max_latency_ns = load_relaxed(t.max_latency_ns);
  s.input_queue_depth = load_relaxed(t.input_queue_depth);
  s.output_queue_depth = load_relaxed(t.output_queue_depth);
  s.last_error = load_relaxed(t.last_error);
  s.error_count = load_relaxed(t.error_count);
  s.latency_samples = load_relaxed(t.latency_samples);
  return s;
}

}  // namespace rk
