// CudaRuntime: the ring-kernel runtime on CUDA devices, through a CudaApi (the real cudart, or the fake
// CUDA layer that runs the same loop on host threads). One persistent kernel per launch, cooperative, on
// its own non-blocking stream; the host steers it only through its mapped control block.
//
//   launch     admission check (occupancy of every resident grid together), peer access for declared K2K
//              routes, then everything the kernel uses is allocated and initialised, then one launch
//   activate / deactivate   the command word; returns once the kernel acknowledged (is_active)
//   terminate  the command word; waits for has_terminated and for the stream, within command_timeout;
//              what is left in its inputs becomes dead letters; a kernel that does not stop is recorded
//              as hung (KernelError::Hung) and abandoned, never waited on forever
//   watchdog   a thread that turns a stream that ended in an error, or an active kernel that makes no
//              progress with input waiting, into a recorded failure
// Memory is returned to CUDA only at shutdown, when no kernel of the runtime runs: cudaFree synchronises
// the device, which would wait forever on persistent kernels.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "rk/core/runtime.hpp"
#include "rk/cuda/cuda_api.hpp"
#if !defined(__CUDACC__)
#include "rk/cuda/fake_platform.hpp"
#endif

namespace rk::cuda {

/// The fake CUDA layer's entry point for handler type H. A translation unit compiled by nvcc registers GPU
/// entries only (its handlers' host-device bodies are not instantiated for host threads there).
template <class H>
auto host_entry() {
#if defined(__CUDACC__)
  return static_cast<void (*)(const DeviceKernelParams*, void*, HostPlatform&)>(nullptr);
#else
  return &host_ring_kernel_loop<H>;
#endif
}

/// A kernel type as the runtime launches it.
struct KernelType {
  std::string name;
  std::size_t state_bytes = 0;
  std::size_t state_align = 1;
  void (*construct)(void* where, const KernelParams& params) = nullptr;  ///< the handler, built on the host
  KernelEntry entry;
};

/// The GPU entry point of a kernel type (from the nvcc-compiled catalog); null when there is none.
using DeviceEntryLookup = const void* (*)(const std::string& type);

struct CudaRuntimeConfig {
  std::uint32_t devices = 1;  ///< devices used (the first N of the API's)
  int rank = 0;
  std::chrono::milliseconds command_timeout{5000};  ///< activate/deactivate/terminate wait at most this long
  std::chrono::milliseconds watchdog_period{20};
  std::chrono::milliseconds hang_timeout{10000};  ///< no progress with input waiting this long: hung
  std::size_t dead_letter_capacity = 65536;
};

class CudaRuntime final : public RingKernelRuntime {
 public:
  CudaRuntime(std::unique_ptr<CudaApi> api, CudaRuntimeConfig cfg = {}, DeviceEntryLookup device_entries = nullptr);
  ~CudaRuntime() override;
  CudaRuntime(const CudaRuntime&) = delete;
  CudaRuntime& operator=(const CudaRuntime&) = delete;

  template <class H>
  void register_kernel_type(const std::string& type_name) {
    static_assert(DeviceHandler<H>, "the CUDA backend runs only handlers declared kRunsOnDevice and trivially copyable");
    KernelType t;
    t.name = type_name;
    t.state_bytes = sizeof(H);
    t.state_align = alignof(H);
    t.construct = [](void* where, const KernelParams& p) {
      if constexpr (std::is_constructible_v<H, const KernelParams&>) {
        new (where) H(p);
      } else {
        new (where) H();
      }
    };
    t.entry.host_function = host_entry<H>();
    t.entry.device_function = device_entries_ ? device_entries_(type_name) : nullptr;
    add_type(std::move(t));
  }
  /// Adapter for workloads' `register_kernel_types(registrar)`: device handlers are registered, the others
  /// are remembered as host-only (so a scenario that names one is told why).
  struct Registrar {
    CudaRuntime& rt;
    template <class H>
    void add(const std::string& type_name) {
      if constexpr (DeviceHandler<H>) {
        rt.register_kernel_type<H>(type_name);
      } else {
        rt.host_only_.push_back(type_name);
      }
    }
  };
  Registrar registrar() { return Registrar{*this}; }
  const std::vector<std::string>& host_only_types() const { return host_only_; }

  /// A copy of a kernel's handler state, read back from device memory. The kernel must not be active
  /// (deactivate it first, or read it after it terminated): the copy is then exact.
  template <class H>
  H handler(const std::string& name) {
    static_assert(DeviceHandler<H>);
    H out;
    read_handler_state(name, &out, sizeof(H));
    return out;
  }
  void read_handler_state(const std::string& name, void* out, std::size_t bytes);

  /// A barrier kernels meet at (DeviceContext::named_barrier(id)); its own participant count.
  std::uint32_t create_named_barrier(const std::string& name, std::uint32_t participants);
  /// Failures the watchdog and the lifecycle recorded ("kernel 'x': …"), oldest first.
  std::vector<std::string> failures() const;
  /// The device attributes of device `i` (as read at start).
  const DeviceAttributes& attributes(std::uint32_t device) const;
  CudaApi& api() { return *api_; }

  // RingKernelRuntime
  std::string_view backend_name() const override { return "cuda"; }
  std::vector<std::string> kernel_types() const override;
  KernelId launch(const std::string& name, Dim3 grid, Dim3 block, const LaunchOptions& opts) override;
  void activate(const std::string& name) override;
  void deactivate(const std::string& name) override;
  void terminate(const std::string& name) override;
  void shutdown() override;
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
  SendStatus deliver_stamped(KernelId target, const Slot& message) override;
  void record_dead_letter(const Slot& message, SendStatus reason) override;
  HlcClock& host_clock() override;
  std::vector<DeviceBaseline> device_baselines(std::uint32_t device, std::uint32_t samples) override;
  using RingKernelRuntime::receive;
  using RingKernelRuntime::send;

 private:
  struct Kernel;
  struct Device;
  struct Allocation {
    bool mapped = false;
    int device = 0;
    void* pointer = nullptr;
  };

  void add_type(KernelType t);
  Kernel& find_locked(const std::string& name) const;
  Kernel* fast_find(KernelId id) const { return id < kMaxKernels ? table_[id].load(std::memory_order_acquire) : nullptr; }
  double admit(const Kernel& k, const KernelType& type, std::uint32_t device) const;
  void check_peers(const std::string& name, const KernelRoutes& routes, KernelId id, std::uint32_t device) const;
  void publish_route(KernelId id, void* ring);
  void wait_for(Kernel& k, const char* what, bool (*done)(const Kernel&));
  void stop(Kernel& k);
  void collect_leftovers(Kernel& k);
  void drain_dead_ring(Kernel& k);
  void keep_dead_letter(const Slot& message, SendStatus reason);
  void fail(Kernel& k, KernelError e, const std::string& why);
  void watchdog();
  SendStatus enqueue_from_host(Kernel& k, const Slot& message);

  std::unique_ptr<CudaApi> api_;
  CudaRuntimeConfig cfg_;
  DeviceEntryLookup device_entries_;
  std::unique_ptr<HlcClock> host_clock_;  // (HlcClock is host-only: this header is also read by nvcc's device pass)
  std::vector<std::unique_ptr<Device>> devices_;
  std::map<std::string, KernelType> types_;
  std::vector<std::string> host_only_;
  mutable std::shared_mutex mutex_;  // kernels_, by_name_, retired_: shared for lookups, exclusive to change
  std::vector<std::unique_ptr<Kernel>> kernels_;  // every kernel ever launched (kept until shutdown)
  std::unique_ptr<std::atomic<Kernel*>[]> table_{new std::atomic<Kernel*>[kMaxKernels]()};
  std::map<std::string, Kernel*> by_name_;
  std::vector<KernelId> free_ids_;
  KernelId next_id_ = 0;
  std::vector<Allocation> allocations_;  // guarded by mutex_ (exclusive)
  std::mutex barrier_mutex_;
  std::map<std::string, std::uint32_t> barriers_;
  mutable std::mutex dead_mutex_;
  std::vector<DeadLetter> dead_;
  std::uint64_t dead_total_ = 0;
  mutable std::mutex failure_mutex_;
  std::vector<std::string> failures_;
  bool abandoned_ = false;  // a hung kernel keeps its memory: nothing is freed at shutdown
  bool shut_down_ = false;
  std::mutex watchdog_mutex_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
  std::thread watchdog_;
};

}  // namespace rk::cuda
