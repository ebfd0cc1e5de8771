// The fake CUDA layer. See fake_cuda.hpp.
#include "rk/cuda/fake_cuda.hpp"

#include <atomic>
#include <charconv>
#include <cstring>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "rk/cuda/fake_platform.hpp"

namespace rk::cuda {

FakeGrid::FakeGrid(Dim3 g, Dim3 b)
    : grid(g),
      block(b),
      block_threads(static_cast<std::uint32_t>(b.volume())),
      warps_per_block((static_cast<std::uint32_t>(b.volume()) + kWarpSize - 1) / kWarpSize),
      grid_barrier(static_cast<std::ptrdiff_t>(g.volume() * b.volume())) {
  for (std::uint64_t i = 0; i < g.volume(); ++i) {
    block_barriers.push_back(std::make_unique<std::barrier<>>(static_cast<std::ptrdiff_t>(block_threads)));
    for (std::uint32_t w = 0; w < warps_per_block; ++w) {
      Warp warp;
      warp.barrier = std::make_unique<std::barrier<>>(static_cast<std::ptrdiff_t>(lanes(w * kWarpSize)));
      warps.push_back(std::move(warp));
    }
  }
}

void FakeGrid::drop(std::uint32_t block_index, std::uint32_t thread) {
  (void)grid_barrier.arrive_and_drop();
  (void)block_barriers[block_index]->arrive_and_drop();
  (void)warp(block_index, thread).barrier->arrive_and_drop();
}

namespace {

struct FakeStream {
  int device = 0;
  std::unique_ptr<FakeGrid> grid;
  std::vector<std::thread> threads;
  std::atomic<int> running{0};
  std::mutex mutex;
  std::string error;  // guarded by mutex
  bool joined = false;
};

class FakeCudaApi final : public CudaApi {
 public:
  explicit FakeCudaApi(const FakeCudaConfig& c) : c_(c) {}

  int device_count() override { return c_.devices; }
  DeviceAttributes attributes(int device) override {
    check_device(device);
    DeviceAttributes a;
    a.ordinal = device;
    a.name = "fake CUDA device " + std::to_string(device) + " (host threads, not a GPU)";
    a.pci_bus_id = "fake:" + std::to_string(device);
    a.compute_major = 9;
    a.compute_minor = 0;
    a.sm_count = c_.sms;
    a.total_memory = c_.memory_bytes;
    a.clock_khz = 0;
    a.max_threads_per_block = c_.max_threads_per_block;
    a.host_native_atomics = c_.host_native_atomics;
    a.pageable_memory_access = false;
    a.cooperative_launch = c_.cooperative_launch;
    a.can_map_host_memory = c_.can_map_host_memory;
    a.unified_addressing = true;
    a.fake = true;
    a.driver_version = "fake";
    a.runtime_version = "fake";
    return a;
  }
  bool can_access_peer(int device, int peer) override {
    check_device(device);
    check_device(peer);
    return device == peer || c_.p2p;
  }
  void enable_peer_access(int device, int peer) override {
    if (!can_access_peer(device, peer)) throw CudaError("cudaDeviceEnablePeerAccess: peer access is not supported (fake: no_p2p)");
  }

  void* alloc_device(int device, std::size_t bytes) override { return allocate(device, bytes); }
  void* alloc_mapped(int device, std::size_t bytes) override {
    if (!c_.can_map_host_memory) throw CudaError("cudaHostAlloc(cudaHostAllocMapped): the device cannot map host memory (fake: no_map)");
    return allocate(device, bytes);
  }
  void* device_pointer(void* mapped) override { return mapped; }
  void free_device(int /*device*/, void* p) override { release(p); }
  void free_mapped(void* p) override { release(p); }

  Stream create_stream(int device) override {
    check_device(device);
    auto* s = new FakeStream;
    s->device = device;
    return s;
  }
  void destroy_stream(Stream s) override {
    auto* fs = static_cast<FakeStream*>(s);
    if (fs == nullptr) return;
    if (fs->running.load(std::memory_order_acquire) > 0) {
      // A hung kernel: its threads cannot be stopped. They and what they use are abandoned (leaked).
      for (auto& t : fs->threads) t.detach();
      return;
    }
    join(*fs);
    delete fs;
  }
  void copy_to_device(Stream, void* dst, const void* src, std::size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy_to_host(Stream, void* dst, const void* src, std::size_t bytes) override { std::memcpy(dst, src, bytes); }
  void write_device_word(Stream, void* dst, std::uint64_t value) override {
    std::atomic_ref<std::uint64_t>(*static_cast<std::uint64_t*>(dst)).store(value, std::memory_order_release);
  }

  int max_active_blocks_per_sm(const KernelEntry&, int device, std::uint32_t block_threads) override {
    check_device(device);
    return block_threads == 0 || block_threads > static_cast<std::uint32_t>(c_.max_threads_per_block) ? 0 : c_.blocks_per_sm;
  }

  void launch_cooperative(const KernelEntry& k, int device, Dim3 grid, Dim3 block, const DeviceKernelParams* params,
                          void* handler, Stream s) override {
    check_device(device);
    if (k.host_function == nullptr) throw CudaError("launch: the kernel type has no host entry for the fake CUDA layer");
    if (!c_.cooperative_launch) throw CudaError("cudaLaunchCooperativeKernel: cudaErrorNotSupported (fake: no_cooperative)");
    if (c_.fail_launch) throw CudaError("cudaLaunchCooperativeKernel: cudaErrorLaunchFailure (fake: fail_launch)");
    const std::uint64_t blocks = grid.volume(), threads = grid.volume() * block.volume();
    if (block.volume() > static_cast<std::uint64_t>(c_.max_threads_per_block) ||
        blocks > static_cast<std::uint64_t>(c_.sms) * static_cast<std::uint64_t>(c_.blocks_per_sm))
      throw CudaError("cudaLaunchCooperativeKernel: cudaErrorCooperativeLaunchTooLarge (" + std::to_string(blocks) +
                      " blocks, the fake device holds " + std::to_string(c_.sms * c_.blocks_per_sm) + ")");
    if (threads > c_.max_host_threads)
      throw CudaError("fake CUDA layer: " + std::to_string(threads) + " threads would be " + std::to_string(threads) +
                      " host threads (at most " + std::to_string(c_.max_host_threads) + ")");
    auto* fs = static_cast<FakeStream*>(s);
    fs->grid = std::make_unique<FakeGrid>(grid, block);
    fs->running.store(static_cast<int>(threads), std::memory_order_release);
    fs->joined = false;
    const auto block_threads = static_cast<std::uint32_t>(block.volume());
    for (std::uint64_t i = 0; i < threads; ++i) {
      const auto b = static_cast<std::uint32_t>(i / block_threads), t = static_cast<std::uint32_t>(i % block_threads);
      fs->threads.emplace_back([fs, k, params, handler, b, t] {
        HostPlatform platform(*fs->grid, b, t);
        try {
          k.host_function(params, handler, platform);
        } catch (const std::exception& e) {
          std::lock_guard lk(fs->mutex);
          if (fs->error.empty()) fs->error = std::string("the kernel failed on the fake device: ") + e.what();
          fs->grid->drop(b, t);
        }
        fs->running.fetch_sub(1, std::memory_order_acq_rel);
      });
    }
  }

  StreamState query(Stream s, std::string& error) override {
    auto* fs = static_cast<FakeStream*>(s);
    if (fs->running.load(std::memory_order_acquire) > 0) return StreamState::Running;
    join(*fs);
    std::lock_guard lk(fs->mutex);
    error = fs->error;
    return error.empty() ? StreamState::Done : StreamState::Failed;
  }
  std::int64_t clock_offset_ns(int) override { return 0; }
  std::vector<double> empty_launch_ns(int, std::uint32_t) override { return {}; }
  std::vector<double> graph_replay_ns(int, std::uint32_t) override { return {}; }  // the fake's timer is the host's wall clock

 private:
  void check_device(int device) const {
    if (device < 0 || device >= c_.devices) throw CudaError("cudaSetDevice(" + std::to_string(device) + "): cudaErrorInvalidDevice");
  }
  void* allocate(int device, std::size_t bytes) {
    check_device(device);
    {
      std::lock_guard lk(mu_);
      if (used_ + bytes > c_.memory_bytes)
        throw CudaError("cudaMalloc(" + std::to_string(bytes) + " B): cudaErrorMemoryAllocation (fake device memory " +
                        std::to_string(c_.memory_bytes) + " B)");
      used_ += bytes;
    }
    void* p = ::operator new(bytes, std::align_val_t{4096});
    std::memset(p, 0, bytes);
    std::lock_guard lk(mu_);
    sizes_.emplace_back(p, bytes);
    return p;
  }
  void release(void* p) {
    if (p == nullptr) return;
    {
      std::lock_guard lk(mu_);
      for (auto it = sizes_.begin(); it != sizes_.end(); ++it)
        if (it->first == p) {
          used_ -= it->second;
          sizes_.erase(it);
          break;
        }
    }
    ::operator delete(p, std::align_val_t{4096});
  }
  static void join(FakeStream& fs) {
    std::lock_guard lk(fs.mutex);
    if (fs.joined) return;
    for (auto& t : fs.threads)
      if (t.joinable()) t.join();
    fs.threads.clear();
    fs.joined = true;
  }

  FakeCudaConfig c_;
  std::mutex mu_;
  std::uint64_t used_ = 0;
  std::vector<std::pair<void*, std::size_t>> sizes_;
};

bool parse_int(std::string_view v, int lo, int hi, int& out) {
  const auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  return r.ec == std::errc{} && r.ptr == v.data() + v.size() && out >= lo && out <= hi;
}

}  // namespace

std::optional<FakeCudaConfig> parse_fake_config(std::string_view text, std::string& error) {
  FakeCudaConfig c;
  if (text == "1") return c;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, end - start);
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq), value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    int n = 0;
    bool ok = true;
    if (key == "devices") ok = parse_int(value, 1, 64, c.devices);
    else if (key == "sms") ok = parse_int(value, 1, 1024, c.sms);
    else if (key == "blocks_per_sm") ok = parse_int(value, 1, 64, c.blocks_per_sm);
    else if (key == "memory_mib") {
      ok = parse_int(value, 1, 1 << 24, n);
      c.memory_bytes = std::uint64_t(n) << 20;
    } else if (key == "host_atomics" && value.empty()) c.host_native_atomics = true;
    else if (key == "no_p2p" && value.empty()) c.p2p = false;
    else if (key == "no_cooperative" && value.empty()) c.cooperative_launch = false;
    else if (key == "no_map" && value.empty()) c.can_map_host_memory = false;
    else if (key == "fail_launch" && value.empty()) c.fail_launch = true;
    else {
      error = "'" + std::string(item) +
              "' is not a fake-CUDA setting (1, or a comma list of devices=N, sms=N, blocks_per_sm=N, memory_mib=N, "
              "host_atomics, no_p2p, no_cooperative, no_map, fail_launch)";
      return std::nullopt;
    }
    if (!ok) {
      error = "'" + std::string(item) + "': the value is out of range or not an integer";
      return std::nullopt;
    }
    start = end + 1;
  }
  return c;
}

std::unique_ptr<CudaApi> make_fake_cuda_api(const FakeCudaConfig& config) { return std::make_unique<FakeCudaApi>(config); }

}  // namespace rk::cuda
