// CpuRuntime: the ring-kernel runtime on CPU threads. Kernels are persistent loops owned by a small
// pool of worker threads (spin → yield → park when idle, so hundreds of kernels share two cores and
// a latency run can still spin); K2K messages go through a broker with a routing table.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "rk/core/runtime.hpp"
#include "rk/cpu/host_readers.hpp"
#include "rk/cpu/kernel.hpp"

namespace rk::cpu {

struct CpuRuntimeConfig {
  std::uint32_t devices = 1;             ///< simulated devices, each with its own workers and arena
  std::uint32_t workers = 0;             ///< worker threads per device; 0 = hardware threads / devices (≥ 1)
  std::uint32_t spin_rounds = 2000;      ///< adaptive idle: polls with `pause` before yielding
  std::uint32_t yield_rounds = 200;      ///< adaptive idle: polls with yield before parking
  std::chrono::microseconds park_timeout{5000};  ///< a parked worker re-checks at least this often
  std::chrono::milliseconds command_timeout{5000};  ///< deactivate/terminate wait at most this long
  std::uint32_t max_threads_per_kernel = 4096;   ///< simulated threads (grid × block) per kernel
  std::size_t dead_letter_capacity = 65536;      ///< kept for drain_dead_letters(); beyond: counted
  std::uint64_t arena_bytes = 256ull << 20;      ///< per device (reserved lazily: pages are touched on use)
  int rank = 0;                                  ///< MPI rank these devices belong to
};

/// One simulated device: its workers and its memory arena.
struct SimDevice {
  DeviceProperties properties;
  std::vector<Worker*> workers;
  std::byte* memory = nullptr;
  std::unique_ptr<MemoryArena> arena;
};

/// A worker thread: runs the kernels assigned to it round robin.
class Worker {
 public:
  Worker(CpuRuntime& rt, std::uint32_t index);
  ~Worker();
  void add(CpuKernel* k);
  void remove(CpuKernel* k);
  /// Wake the worker if it is parked (called after making work for it).
  void notify();
  /// Block until the worker has started two loop iterations after this call (no stale references).
  /// False when it did not within `timeout` (the worker is stuck in a handler).
  bool quiesce(std::chrono::nanoseconds timeout = std::chrono::seconds(5));
  std::size_t kernel_count() const;
  std::uint32_t index() const { return index_; }
  /// Poll the other kernels of this worker while one of them waits on a named barrier.
  void pump_others(const CpuKernel* waiting);
  std::uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

 private:
  void run();
  void refresh();
  void park();
  void park_after_publishing();

  CpuRuntime& rt_;
  const std::uint32_t index_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<CpuKernel*> shared_list_;  // guarded by mutex_
  std::atomic<std::uint64_t> list_version_{0};
  std::vector<CpuKernel*> local_list_;   // the worker's copy
  std::uint64_t local_version_ = 0;
  // Each on its own cache line: the worker bumps epoch_ every loop iteration, while senders read
  // parked_ on every send.
  alignas(kCacheLine) std::atomic<std::uint64_t> epoch_{0};
  alignas(kCacheLine) std::atomic<std::uint32_t> parked_{0};
  alignas(kCacheLine) char pad_[kCacheLine] = {};
  bool wake_flag_ = false;  // guarded by mutex_
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// Routes K2K messages: kernel id → input ring of that kernel, or → the endpoint of the process it runs in.
class Broker {
 public:
  explicit Broker(std::size_t dead_letter_capacity) : dead_letter_capacity_(dead_letter_capacity) {}
  void add_route(KernelId id, CpuKernel* k);
  void remove_route(KernelId id);
  /// Messages for `id` (a kernel of another process) go to `endpoint`; nullptr removes the route. A local
  /// route for the same id wins.
  void set_remote_route(KernelId id, RemoteEndpoint* endpoint);
  /// Deliver a stamped message. On failure the message is kept as a dead letter.
  SendStatus deliver(KernelId target, const Slot& message);
  /// Deliver without dead-lettering (host sends report failure to the caller instead).
  SendStatus try_deliver(KernelId target, const Slot& message);
  std::vector<DeadLetter> drain_dead_letters();
  /// Keep a message that will never be delivered (counted; kept up to the capacity).
  void record_dead_letter(const Slot& message, SendStatus reason);
  std::uint64_t dead_letters_total() const { return dead_total_.load(std::memory_order_relaxed); }

 private:
  std::unique_ptr<std::atomic<CpuKernel*>[]> routes_{new std::atomic<CpuKernel*>[kMaxKernels]()};
  std::unique_ptr<std::atomic<RemoteEndpoint*>[]> remote_{new std::atomic<RemoteEndpoint*>[kMaxKernels]()};
  std::mutex dead_mutex_;
  std::vector<DeadLetter> dead_;
  std::size_t dead_letter_capacity_;
  std::atomic<std::uint64_t> dead_total_{0};
};

/// A barrier across kernels (CpuContext::named_barrier).
struct NamedBarrier {
  std::string name;
  std::uint32_t participants = 0;
  std::atomic<std::uint32_t> arrived{0};
  std::atomic<std::uint64_t> generation{0};
};

class CpuRuntime final : public RingKernelRuntime {
 public:
  using KernelFactory = std::function<std::unique_ptr<KernelBody>(const LaunchOptions&)>;

  explicit CpuRuntime(CpuRuntimeConfig cfg = {});
  ~CpuRuntime() override;

  /// Register a handler type under a name. H is constructed from `const KernelParams&` when it has
  /// such a constructor, default-constructed otherwise.
  template <class H>
  void register_kernel_type(const std::string& type_name) {
    register_factory(type_name, [](const LaunchOptions& o) -> std::unique_ptr<KernelBody> {
      if constexpr (std::is_constructible_v<H, const KernelParams&>) {
        return std::make_unique<HandlerBody<H>>(o.params);
      } else {
        return std::make_unique<HandlerBody<H>>();
      }
    });
  }
  void register_factory(const std::string& type_name, KernelFactory f);
  /// Adapter for workloads' `register_kernel_types(registrar)` templates: `r.template add<H>(name)`.
  struct Registrar {
    CpuRuntime& rt;
    template <class H>
    void add(const std::string& type_name) {
      rt.register_kernel_type<H>(type_name);
    }
  };
  Registrar registrar() { return Registrar{*this}; }
  std::vector<std::string> kernel_types() const override;

  /// Wake every worker (a named barrier opened: kernels blocked on it may be on sleeping workers).
  void wake_all_workers();
  /// Loop iterations worker `index` has run so far (tests: a sleeping worker barely advances).
  std::uint64_t worker_loops(std::size_t index) const;
  /// Create a barrier kernels can meet at; returns its id for CpuContext::named_barrier.
  std::uint32_t create_named_barrier(const std::string& name, std::uint32_t participants);
  NamedBarrier& named_barrier(std::uint32_t id);

  // RingKernelRuntime
  std::string_view backend_name() const override { return "cpu"; }
  KernelId launch(const std::string& name, Dim3 grid, Dim3 block, const LaunchOptions& opts) override;
  /// launch() onto worker thread `worker` of the kernel's device (-1: the least loaded), e.g. to put
  /// kernels that meet at a named barrier on one thread.
  KernelId launch_on_worker(const std::string& name, Dim3 grid, Dim3 block, const LaunchOptions& opts, int worker);
  void activate(const std::string& name) override;
  void deactivate(const std::string& name) override;
  void terminate(const std::string& name) override;
  KernelId kernel_id(const std::string& name) const override;
  SendStatus try_send(KernelId kernel, Slot& message) override;
  QueueStatus try_receive(KernelId kernel, Slot& out) override;
  KernelStatus status(const std::string& name) const override;
  KernelMetrics metrics(const std::string& name) const override;
  TelemetrySnapshot telemetry(const std::string& name) const override;
  std::vector<std::string> list_kernels() const override;
  std::vector<DeadLetter> drain_dead_letters() override;
  std::vector<DeviceProperties> devices() const override;
  MigrationReport migrate(const std::string& name, std::uint32_t device) override;
  std::unique_ptr<DeviceReduction> make_device_reduction() override;
  void set_remote_route(KernelId id, RemoteEndpoint* endpoint) override { broker_.set_remote_route(id, endpoint); }
  SendStatus deliver_stamped(KernelId target, const Slot& message) override { return broker_.try_deliver(target, message); }
  void record_dead_letter(const Slot& message, SendStatus reason) override { broker_.record_dead_letter(message, reason); }
  HlcClock& host_clock() override { return host_clock_; }
  using RingKernelRuntime::receive;
  using RingKernelRuntime::send;

  /// Terminate every kernel and stop the workers (also done by the destructor).
  void shutdown() override;

  /// The handler object of a kernel, for tests and for workloads that read results after a run.
  template <class H>
  H& handler(const std::string& name) {
    std::shared_lock lk(mutex_);
    auto* body = dynamic_cast<HandlerBody<H>*>(find_locked(name).body.get());
    if (body == nullptr) throw RuntimeError("kernel '" + name + "' is not of the requested handler type");
    return body->handler();
  }

  const CpuRuntimeConfig& config() const { return cfg_; }
  Broker& broker() { return broker_; }
  std::size_t worker_count() const { return workers_.size(); }
  std::uint32_t device_count() const { return static_cast<std::uint32_t>(devices_.size()); }
  /// The memory arena of a device (payloads passed by reference live there).
  MemoryArena& arena(std::uint32_t device) { return *devices_.at(device).arena; }
  /// Kernels launched on each device (load for placement).
  std::vector<std::uint32_t> kernels_per_device() const;

 private:
  CpuKernel& find_locked(const std::string& name) const;
  /// Host fast path (try_send/try_receive): no lock; the kernel it finds stays valid while the caller
  /// is in a HostReadSection, because whoever unpublishes a kernel calls HostReaders::synchronize()
  /// before freeing it.
  CpuKernel* fast_find(KernelId id) const {
    return id < kMaxKernels ? table_[id].load(std::memory_order_seq_cst) : nullptr;
  }
  void wait_for(const std::function<bool()>& done, const std::string& what, const std::string& name);
  void terminate_locked(CpuKernel& k);
  void dead_letter_leftovers(CpuKernel& k);
  Worker* pick_worker(std::uint32_t device, int pinned_worker);

  CpuRuntimeConfig cfg_;
  Broker broker_;
  alignas(kCacheLine) HlcClock host_clock_;  // written by every host send and receive: a line of its own
  mutable std::shared_mutex mutex_;  // kernels_, by_name_: shared for host calls, exclusive to change
  std::vector<std::unique_ptr<CpuKernel>> kernels_;  // indexed by KernelId; owns the kernels
  std::unique_ptr<std::atomic<CpuKernel*>[]> table_{new std::atomic<CpuKernel*>[kMaxKernels]()};  // lock-free mirror
  std::map<std::string, KernelId> by_name_;
  std::vector<KernelId> free_ids_;
  std::uint32_t launch_generation_ = 0;
  std::map<std::string, KernelFactory> factories_;
  std::mutex barrier_mutex_;
  std::vector<std::unique_ptr<NamedBarrier>> barriers_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<SimDevice> devices_;
};

}  // namespace rk::cpu
