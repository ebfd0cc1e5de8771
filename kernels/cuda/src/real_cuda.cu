// The real CudaApi over the CUDA runtime. UNVERIFIED until it has run on a GPU (see README): CI compiles
// it and calls device_count(), which on a machine without a GPU answers 0.
#include <cuda_runtime.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rk/cuda/cuda_api.hpp"

namespace rk::cuda {

namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw CudaError(std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

std::int64_t host_wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// Calibration: for each round, waits for the host's go, then writes %globaltimer.
__global__ void timer_probe(volatile unsigned* go, volatile unsigned long long* stamps, unsigned rounds) {
  for (unsigned r = 0; r < rounds; ++r) {
    while (go[0] != r + 1) {
    }
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    stamps[r] = t;
    __threadfence_system();
  }
}

__global__ void empty_kernel() {}

/// Waits for `s` at most 5 s (a device full of persistent kernels would never run the baseline kernel).
void wait_bounded(cudaStream_t s, const char* what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    const cudaError_t e = cudaStreamQuery(s);
    if (e == cudaSuccess) return;
    if (e != cudaErrorNotReady) check(e, what);
    if (std::chrono::steady_clock::now() > deadline)
      throw CudaError(std::string(what) + ": did not finish in 5 s (no SM free beside the persistent kernels?)");
  }
}

class RealCudaApi final : public CudaApi {
 public:
  ~RealCudaApi() override {
    for (auto& s : alloc_streams_)
      if (s) cudaStreamDestroy(s);
  }

  int device_count() override {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();  // no driver or no device: none
      return 0;
    }
    return n;
  }

  DeviceAttributes attributes(int d) override {
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, d), "cudaGetDeviceProperties");
    DeviceAttributes a;
    a.ordinal = d;
    a.name = p.name;
    char bus[32] = {};
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, d) == cudaSuccess) a.pci_bus_id = bus;
    a.compute_major = p.major;
    a.compute_minor = p.minor;
    a.sm_count = p.multiProcessorCount;
    a.total_memory = p.totalGlobalMem;
    a.max_threads_per_block = p.maxThreadsPerBlock;
    a.clock_khz = attribute(cudaDevAttrClockRate, d);
    a.host_native_atomics = attribute(cudaDevAttrHostNativeAtomicSupported, d) != 0;
    a.pageable_memory_access = attribute(cudaDevAttrPageableMemoryAccess, d) != 0;
    a.cooperative_launch = attribute(cudaDevAttrCooperativeLaunch, d) != 0;
    a.can_map_host_memory = attribute(cudaDevAttrCanMapHostMemory, d) != 0;
    a.unified_addressing = attribute(cudaDevAttrUnifiedAddressing, d) != 0;
    int driver = 0, runtime = 0;  // 12040 -> "12.4"
    if (cudaDriverGetVersion(&driver) == cudaSuccess)
      a.driver_version = std::to_string(driver / 1000) + "." + std::to_string(driver % 1000 / 10);
    if (cudaRuntimeGetVersion(&runtime) == cudaSuccess)
      a.runtime_version = std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10);
    return a;
  }
  bool can_access_peer(int d, int peer) override {
    if (d == peer) return true;
    int ok = 0;
    check(cudaDeviceCanAccessPeer(&ok, d, peer), "cudaDeviceCanAccessPeer");
    return ok != 0;
  }
  void enable_peer_access(int d, int peer) override {
    check(cudaSetDevice(d), "cudaSetDevice");
    const cudaError_t e = cudaDeviceEnablePeerAccess(peer, 0);
    if (e == cudaErrorPeerAccessAlreadyEnabled) {
      (void)cudaGetLastError();
      return;
    }
    check(e, "cudaDeviceEnablePeerAccess");
  }

  void* alloc_device(int d, std::size_t bytes) override {
    check(cudaSetDevice(d), "cudaSetDevice");
    cudaStream_t s = alloc_stream(d);
    void* p = nullptr;
    // Stream-ordered: unlike cudaMalloc it never waits for the device, where persistent kernels run.
    check(cudaMallocAsync(&p, bytes, s), "cudaMallocAsync");
    check(cudaStreamSynchronize(s), "cudaStreamSynchronize (allocation)");
    return p;
  }
  void* alloc_mapped(int d, std::size_t bytes) override {
    check(cudaSetDevice(d), "cudaSetDevice");
    void* p = nullptr;
    check(cudaHostAlloc(&p, bytes, cudaHostAllocMapped | cudaHostAllocPortable), "cudaHostAlloc(mapped)");
    return p;
  }
  void* device_pointer(void* mapped) override {
    void* d = nullptr;
    check(cudaHostGetDevicePointer(&d, mapped, 0), "cudaHostGetDevicePointer");
    return d;
  }
  void free_device(int d, void* p) override {
    check(cudaSetDevice(d), "cudaSetDevice");
    check(cudaFree(p), "cudaFree");
  }
  void free_mapped(void* p) override { check(cudaFreeHost(p), "cudaFreeHost"); }

  Stream create_stream(int d) override {
    check(cudaSetDevice(d), "cudaSetDevice");
    cudaStream_t s = nullptr;
    check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    return s;
  }
  void destroy_stream(Stream s) override {
    if (s == nullptr) return;
    auto cs = static_cast<cudaStream_t>(s);
    if (cudaStreamQuery(cs) == cudaErrorNotReady) return;  // a hung kernel: abandoned with its stream
    (void)cudaGetLastError();
    (void)cudaStreamDestroy(cs);
  }
  void copy_to_device(Stream s, void* dst, const void* src, std::size_t bytes) override {
    auto cs = static_cast<cudaStream_t>(s);
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cs), "cudaMemcpyAsync(to device)");
    check(cudaStreamSynchronize(cs), "cudaStreamSynchronize (copy)");
  }
  void copy_to_host(Stream s, void* dst, const void* src, std::size_t bytes) override {
    auto cs = static_cast<cudaStream_t>(s);
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, cs), "cudaMemcpyAsync(to host)");
    check(cudaStreamSynchronize(cs), "cudaStreamSynchronize (copy)");
  }
  void write_device_word(Stream s, void* dst, std::uint64_t value) override { copy_to_device(s, dst, &value, sizeof value); }

  int max_active_blocks_per_sm(const KernelEntry& k, int d, std::uint32_t block_threads) override {
    if (k.device_function == nullptr) throw CudaError("this kernel type was not compiled for the GPU");
    check(cudaSetDevice(d), "cudaSetDevice");
    int n = 0;
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, k.device_function, static_cast<int>(block_threads), 0),
          "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
    return n;
  }
  void launch_cooperative(const KernelEntry& k, int d, Dim3 grid, Dim3 block, const DeviceKernelParams* params,
                          void* handler, Stream s) override {
    if (k.device_function == nullptr) throw CudaError("this kernel type was not compiled for the GPU");
    check(cudaSetDevice(d), "cudaSetDevice");
    void* args[] = {&params, &handler};
    check(cudaLaunchCooperativeKernel(k.device_function, dim3(grid.x, grid.y, grid.z), dim3(block.x, block.y, block.z), args, 0,
                                      static_cast<cudaStream_t>(s)),
          "cudaLaunchCooperativeKernel");
  }
  StreamState query(Stream s, std::string& error) override {
    const cudaError_t e = cudaStreamQuery(static_cast<cudaStream_t>(s));
    if (e == cudaSuccess) return StreamState::Done;
    if (e == cudaErrorNotReady) return StreamState::Running;
    error = std::string(cudaGetErrorName(e)) + " (" + cudaGetErrorString(e) + ")";
    return StreamState::Failed;
  }

  std::vector<double> empty_launch_ns(int d, std::uint32_t samples) override {
    check(cudaSetDevice(d), "cudaSetDevice");
    auto s = static_cast<cudaStream_t>(create_stream(d));
    std::vector<double> out;
    for (std::uint32_t i = 0; i < samples + 10; ++i) {  // 10 warm-up launches
      const auto t0 = std::chrono::steady_clock::now();
      empty_kernel<<<1, 1, 0, s>>>();
      check(cudaGetLastError(), "empty kernel launch");
      wait_bounded(s, "empty kernel");
      const auto t1 = std::chrono::steady_clock::now();
      if (i >= 10) out.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    destroy_stream(s);
    return out;
  }
  std::vector<double> graph_replay_ns(int d, std::uint32_t samples) override {
    check(cudaSetDevice(d), "cudaSetDevice");
    auto s = static_cast<cudaStream_t>(create_stream(d));
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    check(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
    empty_kernel<<<1, 1, 0, s>>>();
    check(cudaStreamEndCapture(s, &graph), "cudaStreamEndCapture");
    check(cudaGraphInstantiate(&exec, graph, 0), "cudaGraphInstantiate");
    std::vector<double> out;
    for (std::uint32_t i = 0; i < samples + 10; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      check(cudaGraphLaunch(exec, s), "cudaGraphLaunch");
      wait_bounded(s, "graph replay");
      const auto t1 = std::chrono::steady_clock::now();
      if (i >= 10) out.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    (void)cudaGraphExecDestroy(exec);
    (void)cudaGraphDestroy(graph);
    destroy_stream(s);
    return out;
  }

  /// The host's wall clock minus the device timer, from the round with the tightest host bracket.
  std::int64_t clock_offset_ns(int d) override {
    constexpr unsigned kRounds = 16;
    check(cudaSetDevice(d), "cudaSetDevice");
    unsigned* go = nullptr;
    unsigned long long* stamps = nullptr;
    check(cudaHostAlloc(reinterpret_cast<void**>(&go), sizeof(unsigned), cudaHostAllocMapped), "cudaHostAlloc(calibration)");
    check(cudaHostAlloc(reinterpret_cast<void**>(&stamps), kRounds * sizeof(unsigned long long), cudaHostAllocMapped),
          "cudaHostAlloc(calibration)");
    *reinterpret_cast<volatile unsigned*>(go) = 0;
    for (unsigned r = 0; r < kRounds; ++r) reinterpret_cast<volatile unsigned long long*>(stamps)[r] = 0;
    unsigned* dgo = nullptr;
    unsigned long long* dstamps = nullptr;
    check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&dgo), go, 0), "cudaHostGetDevicePointer");
    check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&dstamps), stamps, 0), "cudaHostGetDevicePointer");
    cudaStream_t s = static_cast<cudaStream_t>(create_stream(d));
    timer_probe<<<1, 1, 0, s>>>(dgo, dstamps, kRounds);
    check(cudaGetLastError(), "calibration launch");
    std::int64_t best_offset = 0, best_width = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (unsigned r = 0; r < kRounds; ++r) {
      const std::int64_t h0 = host_wall_ns();
      reinterpret_cast<volatile unsigned*>(go)[0] = r + 1;
      unsigned long long g = 0;
      while ((g = reinterpret_cast<volatile unsigned long long*>(stamps)[r]) == 0) {
        if (std::chrono::steady_clock::now() > deadline) throw CudaError("clock calibration: the probe kernel did not answer in 5 s");
      }
      const std::int64_t h1 = host_wall_ns();
      if (best_width < 0 || h1 - h0 < best_width) {
        best_width = h1 - h0;
        best_offset = (h0 + h1) / 2 - static_cast<std::int64_t>(g);
      }
    }
    check(cudaStreamSynchronize(s), "calibration");
    destroy_stream(s);
    check(cudaFreeHost(go), "cudaFreeHost");
    check(cudaFreeHost(stamps), "cudaFreeHost");
    return best_offset;
  }

 private:
  int attribute(cudaDeviceAttr a, int d) {
    int v = 0;
    check(cudaDeviceGetAttribute(&v, a, d), "cudaDeviceGetAttribute");
    return v;
  }
  cudaStream_t alloc_stream(int d) {
    std::lock_guard lk(mu_);
    if (alloc_streams_.size() <= static_cast<std::size_t>(d)) alloc_streams_.resize(d + 1, nullptr);
    if (!alloc_streams_[d]) check(cudaStreamCreateWithFlags(&alloc_streams_[d], cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    return alloc_streams_[d];
  }

  std::mutex mu_;
  std::vector<cudaStream_t> alloc_streams_;
};

}  // namespace

std::unique_ptr<CudaApi> make_real_cuda_api() { return std::make_unique<RealCudaApi>(); }

}  // namespace rk::cuda
