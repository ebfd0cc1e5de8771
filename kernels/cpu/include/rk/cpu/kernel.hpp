// Internals of the CPU backend: a launched ring kernel (control block, telemetry, rings, handler,
// clock) and the group of fibers that runs its simulated GPU threads. Not part of the public API;
// tests and the runtime include it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "rk/core/control_block.hpp"
#include "rk/core/hlc.hpp"
#include "rk/core/ring.hpp"
#include "rk/core/runtime.hpp"
#include "rk/cpu/context.hpp"
#include "rk/cpu/fiber.hpp"

namespace rk::cpu {

class CpuRuntime;
class Worker;

/// A handler behind a virtual call, so kernels of any type share one worker loop.
class KernelBody {
 public:
  virtual ~KernelBody() = default;
  virtual void handle(CpuContext& ctx, const Slot& message) = 0;
  /// The handler's idle hook (rk::HasIdleHook); false when it has none or did nothing.
  virtual bool idle(CpuContext& ctx) = 0;
  /// A copy of the handler and its state (migration checkpoint); throws when the type cannot be copied.
  virtual std::unique_ptr<KernelBody> clone() const = 0;
  /// Bytes of handler state a checkpoint copies.
  virtual std::size_t state_bytes() const = 0;
  virtual bool copyable() const = 0;
};

template <class H>
class HandlerBody final : public KernelBody {
 public:
  template <class... A>
  explicit HandlerBody(A&&... args) : handler_(std::forward<A>(args)...) {}
  void handle(CpuContext& ctx, const Slot& message) override { handler_(ctx, message); }
  bool idle(CpuContext& ctx) override { return run_idle_hook(handler_, ctx); }
  std::unique_ptr<KernelBody> clone() const override {
    if constexpr (std::is_copy_constructible_v<H>) {
      return std::make_unique<HandlerBody<H>>(handler_);
    } else {
      throw RuntimeError("handler type cannot be copied, so its kernel cannot migrate");
    }
  }
  /// sizeof(H), plus what H reports it owns beyond itself (`std::size_t state_bytes() const`, e.g. heap arrays).
  std::size_t state_bytes() const override {
    if constexpr (requires(const H& h) { { h.state_bytes() } -> std::convertible_to<std::size_t>; }) {
      return sizeof(H) + handler_.state_bytes();
    } else {
      return sizeof(H);
    }
  }
  bool copyable() const override { return std::is_copy_constructible_v<H>; }
  H& handler() { return handler_; }

 private:
  H handler_;
};

/// Runs one message through all simulated threads of a kernel, each on its own fiber.
class ThreadGroup {
 public:
  enum class Result { Done, Blocked, Deadlock };

  ThreadGroup(CpuKernel& kernel, Dim3 grid, Dim3 block);
  ~ThreadGroup();

  /// Start `message` on every thread and run until all finished, or until the only threads still
  /// running wait on something outside the kernel (a named barrier): Blocked, call resume() later.
  Result start(const Slot& message);
  Result resume();
  bool in_progress() const { return in_progress_; }
  std::uint32_t threads() const { return static_cast<std::uint32_t>(fibers_.size()); }

  // Used by CpuContext on the fiber of the calling thread.
  void block_barrier(std::uint32_t block);
  void grid_barrier();
  void warp_barrier(std::uint32_t block, std::uint32_t warp, std::uint32_t mask);
  std::int32_t* warp_exchange(std::uint32_t block, std::uint32_t warp, std::uint32_t parity);
  /// Wait (yielding the fiber) until `done()` is true; the wait counts as external to the kernel.
  template <class Pred>
  void wait_external(Pred done) {
    ++external_waiters_;
    external_ready_ = [](const void* p) { return (*static_cast<const Pred*>(p))(); };
    external_ctx_ = &done;
    while (!done()) Fiber::yield();
    external_ready_ = nullptr;
    external_ctx_ = nullptr;
    --external_waiters_;
    ++progress_;
  }
  /// Whether resume() could move a message in progress on: false only while its one external waiter's
  /// condition is still unmet (then the worker may sleep until woken, instead of spinning on resume()).
  bool can_progress() const {
    if (!in_progress_) return false;
    if (external_waiters_ != 1 || external_ready_ == nullptr) return true;
    return external_ready_(external_ctx_);
  }

 private:
  struct Barrier {
    std::uint32_t expected = 0;
    std::uint32_t arrived = 0;
    std::uint64_t generation = 0;
  };
  struct Warp {
    Barrier barrier;
    std::int32_t exchange[2][kWarpSize] = {};
  };
  void arrive_and_wait(Barrier& b, std::uint32_t expected);
  Result run();
  void fiber_main(std::uint32_t index);

  CpuKernel& kernel_;
  Dim3 grid_, block_;
  std::uint32_t block_threads_;
  std::uint32_t warps_per_block_;
  std::vector<CpuContext> contexts_;
  std::vector<std::unique_ptr<Fiber>> fibers_;
  std::vector<std::uint64_t> started_seq_;
  std::vector<std::uint64_t> finished_seq_;
  std::vector<Barrier> block_barriers_;
  Barrier grid_barrier_;
  std::vector<Warp> warps_;
  const Slot* message_ = nullptr;
  std::uint64_t message_seq_ = 0;
  std::uint32_t finished_ = 0;
  std::uint64_t progress_ = 0;
  std::uint32_t external_waiters_ = 0;
  bool (*external_ready_)(const void*) = nullptr;  // the condition of the one external wait, if any
  const void* external_ctx_ = nullptr;
  bool in_progress_ = false;
  bool shutting_down_ = false;
};

/// One launched ring kernel of the CPU backend.
class CpuKernel {
 public:
  CpuKernel(CpuRuntime& runtime, std::string name, KernelId id, std::uint32_t launch_generation, Dim3 grid,
            Dim3 block, const LaunchOptions& opts, std::uint32_t device, std::unique_ptr<KernelBody> body);
  ~CpuKernel();

  // Identity and configuration.
  CpuRuntime& runtime;
  const std::string name;
  const KernelId id;
  const Dim3 grid, block;
  const LaunchOptions options;
  const std::uint32_t device;  ///< the simulated device the kernel runs on

  // Shared with the host (as they would be in mapped memory on a GPU).
  ControlBlock control{};
  TelemetryBuffer telemetry{};
  /// The views of the rings (their memory is elsewhere), read by every send and receive: on a line
  /// of their own that nobody writes after launch. Sharing it with the worker's per-message state cost
  /// a cache miss on every host call and a line transfer on every message (~150 ns of a round trip).
  alignas(kCacheLine) OwnedRing<MpscRing<Slot>> input;  ///< host and K2K senders → kernel
  OwnedRing<SpscRing<Slot>> output;                     ///< kernel → host

  // Owned by the worker that runs the kernel: written per message, read by nobody else.
  alignas(kCacheLine) std::unique_ptr<KernelBody> body;
  HlcState clock;
  std::deque<Slot> deferred;  ///< input messages passed over by try_receive_from_kernel
  std::unique_ptr<ThreadGroup> group;  ///< null when grid × block is one thread
  CpuContext direct_context;           ///< the context of a single-thread kernel
  Slot current{};                      ///< the message being processed
  std::uint64_t next_message_counter = 0;
  const std::uint64_t id_prefix;
  bool in_handler = false;

  // Host-side bookkeeping: read by the worker, written only on lifecycle changes.
  alignas(kCacheLine) std::atomic<KernelState> state{KernelState::Launched};
  std::atomic<Worker*> worker{nullptr};
  std::atomic<std::uint64_t> dead_letters{0};
  /// Set while the kernel migrates: senders get Full (and retry), host receivers Empty.
  std::atomic<bool> moving{false};
  std::mutex lifecycle;  ///< serialises activate/deactivate of this kernel
  /// Wake the kernel's worker after making work for it. A Spin kernel's worker never parks while the
  /// kernel is active, so its senders skip the wake-up and its full fence (which waits until the sender
  /// owns the message's cache line before the send returns).
  void wake_worker();

  /// One host thread consumes `output` at a time; written on every receive, so on its own line.
  alignas(kCacheLine) std::atomic_flag receive_lock = ATOMIC_FLAG_INIT;
  alignas(kCacheLine) std::uint64_t launched_ns = 0;
  std::atomic<std::uint64_t> active_since_ns{0};
  std::atomic<std::uint64_t> active_total_ns{0};

  // The worker's snapshot bookkeeping (worker only).
  alignas(kCacheLine) std::uint64_t last_publish_ns = 0;  // wall ns of the last control-block snapshot
  std::uint64_t last_end_ns = 0;      // wall ns at which the last message finished
  std::uint32_t idle_polls = 0;       // empty polls since the last message or snapshot
  std::uint64_t published_processed = 0;

  /// Publish a snapshot if the control block is behind (the worker calls it before it parks).
  void publish_if_stale();
  /// True when the worker has something to do for this kernel (message, command, blocked group).
  bool has_work() const;
  /// Process up to options.max_batch messages; true when anything happened.
  bool poll(Worker& w);
  /// Publish ring positions, queue depths and the clock to the control block and telemetry.
  void publish_snapshot();

  // Helpers for CpuContext.
  void stamp_outgoing(Slot& s, KernelId dest);
  void fail(KernelError e);

 private:
  bool next_message(Slot& out);
  void finish_message();
  void run_handler_direct();
  void handle_group_result(ThreadGroup::Result r);
  void acknowledge_termination();
};

}  // namespace rk::cpu
