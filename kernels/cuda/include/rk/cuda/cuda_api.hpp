// CudaApi: the few CUDA runtime calls the CUDA backend's host runtime makes, behind one interface. Two
// implementations: the real one over cudart (real_cuda.cu, built when nvcc is found) and the fake one
// (fake_cuda.hpp), which keeps "device" memory in host memory and runs kernels on host threads, with faults
// it can be told to inject. Host only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rk/core/context.hpp"
#include "rk/core/runtime.hpp"
#include "rk/cuda/kernel_abi.hpp"

namespace rk::cuda {

class HostPlatform;

/// A CUDA call failed (or the fake was told to fail it).
class CudaError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

/// What `ringkernel devices` shows of a GPU and what the runtime checks before it launches.
struct DeviceAttributes {
  int ordinal = 0;
  std::string name;
  std::string pci_bus_id;
  int compute_major = 0, compute_minor = 0;
  int sm_count = 0;
  std::uint64_t total_memory = 0;
  int clock_khz = 0;
  int max_threads_per_block = 0;
  bool host_native_atomics = false;     ///< cudaDevAttrHostNativeAtomicSupported
  bool pageable_memory_access = false;  ///< cudaDevAttrPageableMemoryAccess
  bool cooperative_launch = false;      ///< cudaDevAttrCooperativeLaunch
  bool can_map_host_memory = false;     ///< cudaDevAttrCanMapHostMemory
  bool unified_addressing = false;
  bool fake = false;                    ///< host threads of the fake CUDA layer, not a GPU
  std::string driver_version;           ///< cudaDriverGetVersion as "12.4" (the fake: "fake")
  std::string runtime_version;          ///< cudaRuntimeGetVersion as "12.4" (the fake: "fake")
};

/// One kernel type's persistent loop, in the form each implementation launches.
struct KernelEntry {
  const void* device_function = nullptr;  ///< &ring_kernel_loop<H> (nvcc-compiled); null when not built
  void (*host_function)(const DeviceKernelParams*, void*, HostPlatform&) = nullptr;  ///< the fake's
};

using Stream = void*;  ///< an opaque stream handle of one CudaApi

enum class StreamState { Running, Done, Failed };

class CudaApi {
 public:
  virtual ~CudaApi() = default;

  virtual int device_count() = 0;
  virtual DeviceAttributes attributes(int device) = 0;
  virtual bool can_access_peer(int device, int peer) = 0;
  virtual void enable_peer_access(int device, int peer) = 0;

  /// Device memory, allocated without synchronising the device (stream-ordered on a private stream).
  virtual void* alloc_device(int device, std::size_t bytes) = 0;
  /// Mapped pinned host memory (host pointer; the device sees it at device_pointer()).
  virtual void* alloc_mapped(int device, std::size_t bytes) = 0;
  virtual void* device_pointer(void* mapped) = 0;
  /// Free calls may synchronise the device: the runtime makes them only when none of its kernels runs.
  virtual void free_device(int device, void* p) = 0;
  virtual void free_mapped(void* p) = 0;

  /// A non-blocking stream (never implicitly synchronised with the legacy default stream).
  virtual Stream create_stream(int device) = 0;
  /// Destroys a stream whose work has finished; a stream still running (a hung kernel) is abandoned.
  virtual void destroy_stream(Stream s) = 0;
  /// Copies on stream `s` and waits for that stream only (other streams' persistent kernels go on).
  virtual void copy_to_device(Stream s, void* dst, const void* src, std::size_t bytes) = 0;
  virtual void copy_to_host(Stream s, void* dst, const void* src, std::size_t bytes) = 0;
  /// Writes one 8-byte word of device memory that running kernels may read (route tables, barriers).
  virtual void write_device_word(Stream s, void* dst, std::uint64_t value) = 0;

  /// Blocks of `block_threads` threads of this kernel type one SM holds at once (occupancy).
  virtual int max_active_blocks_per_sm(const KernelEntry& k, int device, std::uint32_t block_threads) = 0;
  /// Cooperative launch of a persistent kernel on `s`: its parameters are two device pointers.
  virtual void launch_cooperative(const KernelEntry& k, int device, Dim3 grid, Dim3 block,
                                  const DeviceKernelParams* params, void* handler, Stream s) = 0;
  /// Whether the stream's work is still running, has finished, or failed (`error` says why).
  virtual StreamState query(Stream s, std::string& error) = 0;
  /// Host-timed samples (ns) of an empty kernel launched and synchronised on its own stream, and of a
  /// one-node CUDA graph holding that launch, replayed and synchronised. Empty for the fake (not a GPU).
  virtual std::vector<double> empty_launch_ns(int device, std::uint32_t samples) = 0;
  virtual std::vector<double> graph_replay_ns(int device, std::uint32_t samples) = 0;
  /// Offset that, added to the device's timer, gives the host's wall clock (system_clock), in ns.
  virtual std::int64_t clock_offset_ns(int device) = 0;
};

/// The real CUDA runtime; null when this executable was built without a CUDA compiler.
std::unique_ptr<CudaApi> make_real_cuda_api();

}  // namespace rk::cuda
