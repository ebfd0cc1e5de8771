// CudaRuntime. See runtime.hpp.
#include "rk/cuda/runtime.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <sstream>

#include "rk/core/uuid.hpp"

namespace rk::cuda {

namespace {

constexpr std::size_t kAlign = 128;
constexpr std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

std::uint64_t now_ns() { return monotonic_ns(); }

/// A host buffer aligned for rings and the loop state, where a kernel's device memory is built first.
struct Staging {
  explicit Staging(std::size_t n) : bytes(n), data(static_cast<std::byte*>(::operator new(n, std::align_val_t{kAlign}))) {
    std::memset(data, 0, n);
  }
  ~Staging() { ::operator delete(data, std::align_val_t{kAlign}); }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  std::size_t bytes;
  std::byte* data;
};

}  // namespace

/// Per device: attributes, a stream for the runtime's own copies, the route table and the barriers.
struct CudaRuntime::Device {
  DeviceAttributes attributes;
  Stream control_stream = nullptr;
  void** routes = nullptr;  ///< device memory: kMaxKernels entries
  NamedBarrierState* barriers = nullptr;
  std::int64_t clock_offset_ns = 0;
  double resident_share = 0;  ///< of the device's co-resident blocks, held by running kernels (guarded by mutex_)
};

struct CudaRuntime::Kernel {
  std::string name;
  KernelId id = 0;
  Dim3 grid, block;
  LaunchOptions options;
  std::uint32_t device = 0;
  const KernelType* type = nullptr;
  double share = 0;  ///< of the device's co-resident blocks

  // Mapped memory, host view.
  ControlBlock* control = nullptr;
  TelemetryBuffer* telemetry = nullptr;
  SpscRing<Slot> host_in, host_out, dead;
  RingCursor in_cursor, out_cursor, dead_cursor;  // the host's private ends
  // Device memory.
  std::byte* device_block = nullptr;
  std::size_t k2k_offset = 0, k2k_bytes = 0, loop_offset = 0, handler_offset = 0;
  Stream stream = nullptr;

  std::atomic<KernelState> state{KernelState::Launched};
  std::atomic<bool> stopped{false};   // its loop has ended, or its stream failed: nothing more will come
  std::atomic<std::uint32_t> failure{0};  // KernelError of a recorded failure
  std::atomic_flag send_lock = ATOMIC_FLAG_INIT;
  std::atomic_flag receive_lock = ATOMIC_FLAG_INIT;
  std::mutex lifecycle;
  std::uint64_t launched_ns = 0;
  std::atomic<std::uint64_t> active_since_ns{0}, active_total_ns{0};
  std::atomic<std::uint64_t> dead_letters{0};
  // Watchdog (its thread only).
  std::uint32_t seen_heartbeat = 0;
  std::uint64_t seen_processed = 0;
  std::uint64_t progress_ns = 0;
};

CudaRuntime::CudaRuntime(std::unique_ptr<CudaApi> api, CudaRuntimeConfig cfg, DeviceEntryLookup device_entries)
    : api_(std::move(api)), cfg_(cfg), device_entries_(device_entries), host_clock_(std::make_unique<HlcClock>(kHostKernel)) {
  if (!api_) throw RuntimeError("cuda backend: no CUDA implementation");
  const int have = api_->device_count();
  if (cfg_.devices == 0 || static_cast<int>(cfg_.devices) > have)
    throw RuntimeError("cuda backend: " + std::to_string(cfg_.devices) + " device(s) asked for, " + std::to_string(have) +
                       " present");
  for (std::uint32_t d = 0; d < cfg_.devices; ++d) {
    auto dev = std::make_unique<Device>();
    dev->attributes = api_->attributes(static_cast<int>(d));
    const DeviceAttributes& a = dev->attributes;
    if (!a.can_map_host_memory)
      throw RuntimeError("cuda backend: device " + std::to_string(d) + " (" + a.name +
                         ") cannot map host memory; persistent kernels talk to the host through mapped pinned memory");
    if (!a.cooperative_launch)
      throw RuntimeError("cuda backend: device " + std::to_string(d) + " (" + a.name +
                         ") has no cooperative launch; persistent kernels need grid-wide barriers");
    // Everything the runtime itself needs, before any kernel persists.
    dev->control_stream = api_->create_stream(static_cast<int>(d));
    const std::size_t route_bytes = sizeof(void*) * kMaxKernels;
    const std::size_t barrier_bytes = sizeof(NamedBarrierState) * kMaxNamedBarriers;
    dev->routes = static_cast<void**>(api_->alloc_device(static_cast<int>(d), route_bytes));
    allocations_.push_back({false, static_cast<int>(d), dev->routes});
    dev->barriers = static_cast<NamedBarrierState*>(api_->alloc_device(static_cast<int>(d), barrier_bytes));
    allocations_.push_back({false, static_cast<int>(d), dev->barriers});
    Staging zero(route_bytes);
    api_->copy_to_device(dev->control_stream, dev->routes, zero.data, route_bytes);
    api_->copy_to_device(dev->control_stream, dev->barriers, zero.data, barrier_bytes);
    dev->clock_offset_ns = api_->clock_offset_ns(static_cast<int>(d));
    devices_.push_back(std::move(dev));
  }
  for (std::uint32_t a = 0; a < cfg_.devices; ++a)  // K2K between devices goes straight to the peer's ring
    for (std::uint32_t b = 0; b < cfg_.devices; ++b)
      if (a != b && api_->can_access_peer(static_cast<int>(a), static_cast<int>(b)))
        api_->enable_peer_access(static_cast<int>(a), static_cast<int>(b));
  watchdog_ = std::thread([this] { watchdog(); });
}

CudaRuntime::~CudaRuntime() {
  try {
    shutdown();
  } catch (...) {  // a destructor reports nothing; shutdown() called explicitly throws
  }
}

HlcClock& CudaRuntime::host_clock() { return *host_clock_; }

void CudaRuntime::add_type(KernelType t) {
  const std::string name = t.name;
  types_[name] = std::move(t);
}

std::vector<std::string> CudaRuntime::kernel_types() const {
  std::vector<std::string> names;
  for (const auto& [n, t] : types_) names.push_back(n);
  return names;
}

const DeviceAttributes& CudaRuntime::attributes(std::uint32_t device) const { return devices_.at(device)->attributes; }

std::vector<std::string> CudaRuntime::failures() const {
  std::lock_guard lk(failure_mutex_);
  return failures_;
}

CudaRuntime::Kernel& CudaRuntime::find_locked(const std::string& name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) throw RuntimeError("unknown kernel '" + name + "'");
  return *it->second;
}

KernelId CudaRuntime::kernel_id(const std::string& name) const {
  std::shared_lock lk(mutex_);
  return find_locked(name).id;
}

std::uint32_t CudaRuntime::create_named_barrier(const std::string& name, std::uint32_t participants) {
  std::lock_guard lk(barrier_mutex_);
  if (participants == 0) throw RuntimeError("named barrier '" + name + "' needs at least one participant");
  if (barriers_.count(name) != 0) throw RuntimeError("named barrier '" + name + "' exists already");
  if (barriers_.size() >= kMaxNamedBarriers)
    throw RuntimeError("named barrier '" + name + "': at most " + std::to_string(kMaxNamedBarriers) + " per runtime");
  const auto id = static_cast<std::uint32_t>(barriers_.size());
  for (auto& dev : devices_) {
    // arrived, generation = 0 (zeroed at start); participants and the reserved word form the second 8 bytes.
    api_->write_device_word(dev->control_stream, reinterpret_cast<std::byte*>(&dev->barriers[id]) + 8, participants);
  }
  barriers_[name] = id;
  return id;
}

// ---- launch

double CudaRuntime::admit(const Kernel& k, const KernelType& type, std::uint32_t device) const {
  const Device& dev = *devices_[device];
  const DeviceAttributes& a = dev.attributes;
  const std::uint64_t block_threads = k.block.volume(), blocks = k.grid.volume();
  if (block_threads > static_cast<std::uint64_t>(a.max_threads_per_block))
    throw RuntimeError("kernel '" + k.name + "': a block of " + std::to_string(block_threads) + " threads exceeds the " +
                       std::to_string(a.max_threads_per_block) + " a block may have on " + a.name);
  const int per_sm = api_->max_active_blocks_per_sm(type.entry, static_cast<int>(device), static_cast<std::uint32_t>(block_threads));
  const std::uint64_t capacity = static_cast<std::uint64_t>(per_sm < 0 ? 0 : per_sm) * static_cast<std::uint64_t>(a.sm_count);
  if (capacity == 0)
    throw RuntimeError("admission: kernel '" + k.name + "' (" + type.name + "): no block of " + std::to_string(block_threads) +
                       " threads fits an SM of " + a.name + " (registers or shared memory)");
  const double share = static_cast<double>(blocks) / static_cast<double>(capacity);
  if (dev.resident_share + share > 1.0 + 1e-9) {
    std::ostringstream m;
    m << "admission: kernel '" << k.name << "' (" << type.name << ") needs " << blocks << " block(s) of " << block_threads
      << " threads; device " << device << " (" << a.name << ") holds " << capacity << " such blocks at once (" << per_sm
      << " per SM x " << a.sm_count << " SMs), so it would take " << static_cast<int>(share * 100 + 0.5)
      << "% of the device, and the persistent kernels already resident take " << static_cast<int>(dev.resident_share * 100 + 0.5)
      << "%: every grid of a persistent topology must be resident at once, or the ones left out never run";
    throw RuntimeError(m.str());
  }
  return share;
}

void CudaRuntime::check_peers(const std::string& name, const KernelRoutes& routes, KernelId id, std::uint32_t device) const {
  auto check = [&](const Kernel& other, bool outgoing) {
    if (other.device == device || other.state.load() == KernelState::Terminated) return;
    const std::uint32_t from = outgoing ? device : other.device, to = outgoing ? other.device : device;
    if (!api_->can_access_peer(static_cast<int>(from), static_cast<int>(to)))
      throw RuntimeError("kernel '" + (outgoing ? name : other.name) + "' on device " + std::to_string(from) +
                         " sends K2K messages to '" + (outgoing ? other.name : name) + "' on device " + std::to_string(to) +
                         ", but device " + std::to_string(from) + " cannot access device " + std::to_string(to) +
                         "'s memory (no peer access): place them on one device");
  };
  for (const KernelId t : routes.outputs)
    if (const Kernel* other = fast_find(t)) check(*other, true);
  for (const auto& [n, other] : by_name_) {
    const auto& outs = other->options.params.routes().outputs;
    if (std::find(outs.begin(), outs.end(), id) != outs.end()) check(*other, false);
  }
}

void CudaRuntime::publish_route(KernelId id, void* ring) {
  for (auto& dev : devices_)
    api_->write_device_word(dev->control_stream, &dev->routes[id], static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(ring)));
}

KernelId CudaRuntime::launch(const std::string& name, Dim3 grid, Dim3 block, const LaunchOptions& opts) {
  std::unique_lock lk(mutex_);
  if (shut_down_) throw RuntimeError("launch '" + name + "': the runtime has shut down");
  if (by_name_.count(name) != 0) throw RuntimeError("a kernel named '" + name + "' is already launched");
  const auto type_it = types_.find(opts.kernel_type);
  if (type_it == types_.end()) {
    const bool host_only = std::find(host_only_.begin(), host_only_.end(), opts.kernel_type) != host_only_.end();
    throw RuntimeError("kernel '" + name + "': kernel type '" + opts.kernel_type + "' " +
                       (host_only ? "runs on the host only (its handler is not declared for the device)"
                                  : "is not registered with the cuda backend"));
  }
  const KernelType& type = type_it->second;
  if (grid.volume() == 0 || block.volume() == 0) throw RuntimeError("kernel '" + name + "': empty grid or block");
  for (const std::uint32_t cap : {opts.input_capacity, opts.output_capacity})
    if (!is_power_of_two(cap) || cap < kMinRingCapacity || cap > kMaxRingCapacity)
      throw RuntimeError("kernel '" + name + "': ring capacity " + std::to_string(cap) + " is not a power of two in [2, 2^24]");

  auto kp = std::make_unique<Kernel>();
  Kernel& k = *kp;
  k.name = name;
  k.grid = grid;
  k.block = block;
  k.options = opts;
  k.type = &type;
  if (opts.device >= static_cast<int>(devices_.size()))
    throw RuntimeError("kernel '" + name + "': device " + std::to_string(opts.device) + " does not exist (" +
                       std::to_string(devices_.size()) + " device(s))");
  if (opts.device >= 0) {
    k.device = static_cast<std::uint32_t>(opts.device);
  } else {  // the least loaded device
    std::vector<std::uint32_t> load(devices_.size(), 0);
    for (const auto& [n, other] : by_name_) ++load[other->device];
    k.device = static_cast<std::uint32_t>(std::min_element(load.begin(), load.end()) - load.begin());
  }
  // The id first: peers are checked against the routes declared to and from it.
  KernelId id;
  if (opts.requested_id >= 0) {
    id = static_cast<KernelId>(opts.requested_id);
    if (id >= kMaxKernels || (fast_find(id) != nullptr && fast_find(id)->state.load() != KernelState::Terminated))
      throw RuntimeError("kernel '" + name + "': id " + std::to_string(opts.requested_id) + " is taken or out of range");
  } else if (!free_ids_.empty()) {
    id = free_ids_.back();
  } else {
    while (next_id_ < kMaxKernels && fast_find(next_id_) != nullptr) ++next_id_;
    if (next_id_ >= kMaxKernels) throw RuntimeError("too many kernels");
    id = next_id_;
  }
  k.id = id;
  k.share = admit(k, type, k.device);
  check_peers(name, opts.params.routes(), id, k.device);

  Device& dev = *devices_[k.device];
  const int d = static_cast<int>(k.device);
  // Mapped memory: control block, telemetry, host→kernel, kernel→host and dead-letter rings.
  const std::size_t in_bytes = SpscRing<Slot>::bytes_required(opts.input_capacity);
  const std::size_t out_bytes = SpscRing<Slot>::bytes_required(opts.output_capacity);
  const std::size_t dead_bytes = SpscRing<Slot>::bytes_required(kDeadLetterCapacity);
  const std::size_t m_control = 0, m_tele = align_up(sizeof(ControlBlock), kAlign);
  const std::size_t m_in = m_tele + align_up(sizeof(TelemetryBuffer), kAlign);
  const std::size_t m_out = m_in + align_up(in_bytes, kAlign);
  const std::size_t m_dead = m_out + align_up(out_bytes, kAlign);
  const std::size_t mapped_bytes = m_dead + align_up(dead_bytes, kAlign);
  // Device memory: parameters, loop state, handler, K2K ring.
  const std::size_t k2k_bytes = MpscRing<Slot>::bytes_required(opts.input_capacity);
  const std::size_t d_params = 0, d_loop = align_up(sizeof(DeviceKernelParams), kAlign);
  const std::size_t d_handler = d_loop + align_up(sizeof(LoopState), kAlign);
  const std::size_t d_k2k = align_up(d_handler + type.state_bytes, kAlign);
  const std::size_t device_bytes = d_k2k + align_up(k2k_bytes, kAlign);
  if (type.state_align > kAlign) throw RuntimeError("kernel type '" + type.name + "': handler alignment above 128 bytes");

  auto* mapped = static_cast<std::byte*>(api_->alloc_mapped(d, mapped_bytes));
  allocations_.push_back({true, d, mapped});
  auto* dblock = static_cast<std::byte*>(api_->alloc_device(d, device_bytes));
  allocations_.push_back({false, d, dblock});
  auto* dmapped = static_cast<std::byte*>(api_->device_pointer(mapped));

  k.control = new (mapped + m_control) ControlBlock{};
  reset(*k.control, id);
  k.control->input_capacity = opts.input_capacity;
  k.control->output_capacity = opts.output_capacity;
  k.telemetry = new (mapped + m_tele) TelemetryBuffer{};
  reset(*k.telemetry);
  k.host_in = SpscRing<Slot>::create(mapped + m_in, in_bytes, opts.input_capacity);
  k.host_out = SpscRing<Slot>::create(mapped + m_out, out_bytes, opts.output_capacity);
  k.dead = SpscRing<Slot>::create(mapped + m_dead, dead_bytes, kDeadLetterCapacity);

  Staging st(device_bytes);
  auto* loop = new (st.data + d_loop) LoopState{};
  loop->clock = HlcState(id);
  reset(loop->telemetry);
  type.construct(st.data + d_handler, opts.params);
  if (!MpscRing<Slot>::create(st.data + d_k2k, k2k_bytes, opts.input_capacity).valid())
    throw RuntimeError("kernel '" + name + "': could not build its K2K ring");
  auto* params = new (st.data + d_params) DeviceKernelParams{};
  params->control = reinterpret_cast<ControlBlock*>(dmapped + m_control);
  params->telemetry = reinterpret_cast<TelemetryBuffer*>(dmapped + m_tele);
  params->host_input = dmapped + m_in;
  params->host_output = dmapped + m_out;
  params->dead_letters = dmapped + m_dead;
  params->k2k_input = dblock + d_k2k;
  params->routes = dev.routes;
  params->barriers = dev.barriers;
  params->loop = reinterpret_cast<LoopState*>(dblock + d_loop);
  params->clock_offset_ns = dev.clock_offset_ns;
  params->route_count = kMaxKernels;
  params->max_batch = std::max(1u, opts.max_batch);
  params->threads = static_cast<std::uint32_t>(grid.volume() * block.volume());
  params->id = id;

  k.device_block = dblock;
  k.k2k_offset = d_k2k;
  k.k2k_bytes = k2k_bytes;
  k.loop_offset = d_loop;
  k.handler_offset = d_handler;
  k.stream = api_->create_stream(d);
  try {
    api_->copy_to_device(k.stream, dblock, st.data, device_bytes);
    publish_route(id, dblock + d_k2k);
    k.launched_ns = now_ns();
    k.progress_ns = k.launched_ns;
    api_->launch_cooperative(type.entry, d, grid, block, reinterpret_cast<DeviceKernelParams*>(dblock + d_params),
                             dblock + d_handler, k.stream);
  } catch (const std::exception& e) {
    publish_route(id, nullptr);
    api_->destroy_stream(k.stream);
    throw RuntimeError("launch of kernel '" + name + "' (" + type.name + ", " + std::to_string(grid.volume()) + "x" +
                       std::to_string(block.volume()) + " threads) on device " + std::to_string(k.device) + " failed: " + e.what());
  }
  dev.resident_share += k.share;
  free_ids_.erase(std::remove(free_ids_.begin(), free_ids_.end(), id), free_ids_.end());
  table_[id].store(&k, std::memory_order_release);
  by_name_[name] = &k;
  kernels_.push_back(std::move(kp));
  return id;
}

// ---- lifecycle

void CudaRuntime::fail(Kernel& k, KernelError e, const std::string& why) {
  std::uint32_t none = 0;
  if (!k.failure.compare_exchange_strong(none, static_cast<std::uint32_t>(e))) return;  // the first failure stands
  std::lock_guard lk(failure_mutex_);
  failures_.push_back("kernel '" + k.name + "': " + why);
}

void CudaRuntime::wait_for(Kernel& k, const char* what, bool (*done)(const Kernel&)) {
  const auto deadline = std::chrono::steady_clock::now() + cfg_.command_timeout;
  auto sleep = std::chrono::microseconds(1);
  while (!done(k)) {
    std::string error;
    const StreamState s = api_->query(k.stream, error);
    if (s != StreamState::Running && !done(k)) {
      k.stopped.store(true);
      const std::string why = s == StreamState::Failed ? "its stream failed: " + error
                                                       : std::string("its loop ended without being asked to");
      fail(k, KernelError::DeviceFault, why);
      throw RuntimeError("kernel '" + k.name + "' cannot " + what + ": " + why);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      const std::string why = std::string("did not acknowledge ") + what + " within " +
                              std::to_string(cfg_.command_timeout.count()) + " ms (hung in its handler?)";
      fail(k, KernelError::Hung, why);
      throw RuntimeError("kernel '" + k.name + "' " + why);
    }
    std::this_thread::sleep_for(sleep);
    if (sleep < std::chrono::microseconds(200)) sleep *= 2;
  }
}

void CudaRuntime::activate(const std::string& name) {
  Kernel* k;
  {
    std::shared_lock lk(mutex_);
    k = &find_locked(name);
  }
  std::lock_guard g(k->lifecycle);
  if (k->state.load() == KernelState::Active) return;
  atomics::store_release(k->control->command, kCommandRun);
  wait_for(*k, "activation", [](const Kernel& x) { return atomics::load_acquire(x.control->is_active) == 1u; });
  k->active_since_ns.store(now_ns());
  k->state.store(KernelState::Active);
}

void CudaRuntime::deactivate(const std::string& name) {
  Kernel* k;
  {
    std::shared_lock lk(mutex_);
    k = &find_locked(name);
  }
  std::lock_guard g(k->lifecycle);
  if (k->state.load() != KernelState::Active) return;
  atomics::store_release(k->control->command, 0u);
  wait_for(*k, "deactivation", [](const Kernel& x) { return atomics::load_acquire(x.control->is_active) == 0u; });
  k->active_total_ns.fetch_add(now_ns() - k->active_since_ns.load());
  k->state.store(KernelState::Inactive);
}

void CudaRuntime::stop(Kernel& k) {
  atomics::store_release(k.control->should_terminate, 1u);
  atomics::store_release(k.control->command, atomics::load_relaxed(k.control->command) | kCommandTerminate);
  if (!k.stopped.load()) {
    try {
      wait_for(k, "termination", [](const Kernel& x) { return atomics::load_acquire(x.control->has_terminated) == 1u; });
    } catch (const RuntimeError&) {
      if (k.failure.load() == static_cast<std::uint32_t>(KernelError::Hung)) abandoned_ = true;  // keeps its memory
      throw;
    }
    // has_terminated is the leader's last write; the stream ends when every block has returned.
    const auto deadline = std::chrono::steady_clock::now() + cfg_.command_timeout;
    std::string error;
    while (api_->query(k.stream, error) == StreamState::Running) {
      if (std::chrono::steady_clock::now() >= deadline) {
        fail(k, KernelError::Hung, "its stream did not finish after the loop ended");
        abandoned_ = true;
        throw RuntimeError("kernel '" + k.name + "': its stream did not finish within the command timeout");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    k.stopped.store(true);
  }
}

void CudaRuntime::terminate(const std::string& name) {
  std::unique_lock lk(mutex_);
  Kernel& k = find_locked(name);
  std::lock_guard g(k.lifecycle);
  if (k.state.load() == KernelState::Active) k.active_total_ns.fetch_add(now_ns() - k.active_since_ns.load());
  std::exception_ptr error;
  try {
    stop(k);
  } catch (...) {
    error = std::current_exception();
  }
  k.state.store(KernelState::Terminated);
  publish_route(k.id, nullptr);
  devices_[k.device]->resident_share -= k.share;
  if (devices_[k.device]->resident_share < 0) devices_[k.device]->resident_share = 0;
  by_name_.erase(name);
  free_ids_.push_back(k.id);  // the table keeps the kernel until the id is reused: its output can still be drained
  if (error) std::rethrow_exception(error);
  collect_leftovers(k);
  api_->destroy_stream(k.stream);
  k.stream = nullptr;
}

void CudaRuntime::collect_leftovers(Kernel& k) {
  // Host → kernel: what the kernel did not take (its head is published in the ring). No sender gets in
  // after this: `stopped` is set and senders look at it under the send lock.
  k.stopped.store(true, std::memory_order_release);
  while (k.send_lock.test_and_set(std::memory_order_acquire)) cpu_relax();
  RingCursor c{atomics::load_acquire(static_cast<RingState*>(k.host_in.memory())->head), 0};
  Slot s;
  while (k.host_in.try_dequeue_owned(s, c) == QueueStatus::Ok) keep_dead_letter(s, SendStatus::Closed);
  k.send_lock.clear(std::memory_order_release);
  // K2K: the ring and the passed-over messages live in device memory; the stream is done, so copy them back.
  Staging ring(k.k2k_bytes);
  Staging loop(sizeof(LoopState));
  try {
    Stream copy = devices_[k.device]->control_stream;
    api_->copy_to_host(copy, ring.data, k.device_block + k.k2k_offset, k.k2k_bytes);
    api_->copy_to_host(copy, loop.data, k.device_block + k.loop_offset, sizeof(LoopState));
  } catch (const std::exception& e) {
    fail(k, KernelError::DeviceFault, std::string("its K2K input could not be read back: ") + e.what());
    return;
  }
  const auto* ls = reinterpret_cast<const LoopState*>(loop.data);
  if (ls->in_flight != 0) keep_dead_letter(ls->current, SendStatus::Closed);  // the kernel died in its handler
  for (std::uint32_t i = 0; i < ls->deferred_count && i < kDeferredSlots; ++i)
    keep_dead_letter(ls->deferred[(ls->deferred_head + i) % kDeferredSlots], SendStatus::Closed);
  MpscRing<Slot> k2k = MpscRing<Slot>::attach(ring.data);
  while (k2k.valid() && k2k.try_dequeue(s) == QueueStatus::Ok) keep_dead_letter(s, SendStatus::Closed);
  drain_dead_ring(k);
}

void CudaRuntime::drain_dead_ring(Kernel& k) {
  Slot s;
  while (k.dead.try_dequeue_owned(s, k.dead_cursor) == QueueStatus::Ok) {
    const auto why = static_cast<SendStatus>(s.header.flags >> kDeadLetterReasonShift);
    s.header.flags = static_cast<std::uint8_t>(s.header.flags & 0x1Fu);
    k.dead_letters.fetch_add(1);
    keep_dead_letter(s, why);
  }
}

void CudaRuntime::keep_dead_letter(const Slot& message, SendStatus reason) {
  std::lock_guard lk(dead_mutex_);
  ++dead_total_;
  if (dead_.size() < cfg_.dead_letter_capacity) dead_.push_back({message, reason});
}

void CudaRuntime::record_dead_letter(const Slot& message, SendStatus reason) { keep_dead_letter(message, reason); }

std::vector<DeadLetter> CudaRuntime::drain_dead_letters() {
  {
    std::shared_lock lk(mutex_);
    std::lock_guard g(dead_mutex_);  // one host consumer of each dead-letter ring at a time
    for (const auto& [n, k] : by_name_) {
      Slot s;
      while (k->dead.try_dequeue_owned(s, k->dead_cursor) == QueueStatus::Ok) {
        const auto why = static_cast<SendStatus>(s.header.flags >> kDeadLetterReasonShift);
        s.header.flags = static_cast<std::uint8_t>(s.header.flags & 0x1Fu);
        k->dead_letters.fetch_add(1);
        ++dead_total_;
        if (dead_.size() < cfg_.dead_letter_capacity) dead_.push_back({s, why});
      }
    }
  }
  std::lock_guard lk(dead_mutex_);
  std::vector<DeadLetter> out;
  out.swap(dead_);
  return out;
}

void CudaRuntime::shutdown() {
  {
    std::lock_guard lk(watchdog_mutex_);
    if (watchdog_stop_) return;  // shut down already
    watchdog_stop_ = true;
  }
  watchdog_cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  std::vector<std::string> names;
  {
    std::shared_lock lk(mutex_);
    for (const auto& [n, k] : by_name_) names.push_back(n);
  }
  std::string first_error;
  for (const auto& n : names) {
    try {
      terminate(n);
    } catch (const std::exception& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  std::unique_lock lk(mutex_);
  shut_down_ = true;
  for (auto& k : kernels_)  // streams terminate() could not finish: a running one is abandoned, not waited on
    if (k->stream != nullptr) {
      api_->destroy_stream(k->stream);
      k->stream = nullptr;
    }
  if (!abandoned_) {  // nothing of ours runs: freeing (which synchronises the device) cannot wait forever
    for (const Allocation& a : allocations_) {
      try {
        if (a.mapped) api_->free_mapped(a.pointer);
        else api_->free_device(a.device, a.pointer);
      } catch (const std::exception&) {  // a device in an error state frees nothing more; the process exit does
      }
    }
    allocations_.clear();
    for (auto& dev : devices_) api_->destroy_stream(dev->control_stream);
  }
  if (!first_error.empty()) throw RuntimeError("shutdown: " + first_error);
}

// ---- host ↔ kernel

SendStatus CudaRuntime::enqueue_from_host(Kernel& k, const Slot& message) {
  while (k.send_lock.test_and_set(std::memory_order_acquire)) cpu_relax();
  // Checked under the lock: collect_leftovers() sets `stopped` before it takes the lock to drain the ring.
  const bool closed = k.stopped.load(std::memory_order_acquire) || k.host_in.is_closed();
  QueueStatus s = closed ? QueueStatus::Closed : k.host_in.try_enqueue_owned(message, k.in_cursor);
  k.send_lock.clear(std::memory_order_release);
  switch (s) {
    case QueueStatus::Ok: return SendStatus::Ok;
    case QueueStatus::Closed: return SendStatus::Closed;
    default: return SendStatus::Full;
  }
}

SendStatus CudaRuntime::try_send(KernelId kernel, Slot& message) {
  Kernel* k = fast_find(kernel);
  if (k == nullptr) return SendStatus::UnknownKernel;
  if (message.header.payload_size > Slot::kPayloadCapacity) return SendStatus::TooLarge;
  if (message.header.message_id.is_nil()) message.header.message_id = new_message_id();
  message.header.source_kernel = kHostKernel;
  message.header.dest_kernel = kernel;
  message.header.timestamp = host_clock_->now();
  return enqueue_from_host(*k, message);
}

SendStatus CudaRuntime::deliver_stamped(KernelId target, const Slot& message) {
  Kernel* k = fast_find(target);
  if (k == nullptr) return SendStatus::UnknownKernel;
  if (message.header.payload_size > Slot::kPayloadCapacity) return SendStatus::TooLarge;
  return enqueue_from_host(*k, message);
}

QueueStatus CudaRuntime::try_receive(KernelId kernel, Slot& out) {
  Kernel* k = fast_find(kernel);
  if (k == nullptr) throw RuntimeError("receive: unknown kernel id " + std::to_string(kernel));
  while (k->receive_lock.test_and_set(std::memory_order_acquire)) cpu_relax();
  QueueStatus s = k->host_out.try_dequeue_owned(out, k->out_cursor);
  if (s == QueueStatus::Empty && (k->host_out.is_closed() || k->stopped.load())) {
    // One more look: a message published just before the ring closed is not lost.
    s = k->host_out.try_dequeue_owned(out, k->out_cursor);
    if (s == QueueStatus::Empty) s = QueueStatus::Closed;
  }
  k->receive_lock.clear(std::memory_order_release);
  if (s == QueueStatus::Ok) host_clock_->observe(out.header.timestamp);
  return s;
}

// ---- observation

KernelStatus CudaRuntime::status(const std::string& name) const {
  std::shared_lock lk(mutex_);
  const Kernel& k = find_locked(name);
  KernelStatus s;
  s.name = k.name;
  s.id = k.id;
  s.state = k.state.load();
  read_counters(*k.control, s);
  if (const std::uint32_t f = k.failure.load(); f != 0) {
    ++s.error_count;
    s.last_error = static_cast<KernelError>(f);
  }
  s.device = static_cast<int>(k.device);
  return s;
}

TelemetrySnapshot CudaRuntime::telemetry(const std::string& name) const {
  std::shared_lock lk(mutex_);
  const Kernel& k = find_locked(name);
  TelemetrySnapshot t;
  t.telemetry = snapshot(*k.telemetry);
  t.telemetry.input_queue_depth += static_cast<std::uint32_t>(k.host_in.size());
  t.telemetry.output_queue_depth = static_cast<std::uint32_t>(k.host_out.size());
  t.messages_in_flight = atomics::load_relaxed(k.control->messages_in_flight);
  t.is_active = atomics::load_relaxed(k.control->is_active);
  t.has_terminated = atomics::load_relaxed(k.control->has_terminated);
  t.clock = HlcTimestamp(atomics::load_relaxed(k.control->hlc_physical), atomics::load_relaxed(k.control->hlc_logical), k.id);
  t.t_ns = now_ns();
  return t;
}

KernelMetrics CudaRuntime::metrics(const std::string& name) const {
  const TelemetrySnapshot t = telemetry(name);
  std::shared_lock lk(mutex_);
  const Kernel& k = find_locked(name);
  KernelMetrics m;
  m.telemetry = t.telemetry;
  m.input = k.host_in.statistics();  // the host→kernel ring; K2K arrivals show in messages_processed
  m.output = k.host_out.statistics();
  m.input_capacity = k.options.input_capacity;
  m.output_capacity = k.options.output_capacity;
  m.dead_letters = k.dead_letters.load();
  const std::uint64_t now = now_ns();
  m.uptime_s = static_cast<double>(now - k.launched_ns) * 1e-9;
  std::uint64_t active = k.active_total_ns.load();
  if (k.state.load() == KernelState::Active) active += now - k.active_since_ns.load();
  m.messages_per_second = active ? static_cast<double>(t.telemetry.messages_processed) / (static_cast<double>(active) * 1e-9) : 0.0;
  return m;
}

std::vector<std::string> CudaRuntime::list_kernels() const {
  std::shared_lock lk(mutex_);
  std::vector<std::string> names;
  for (const auto& [n, k] : by_name_) names.push_back(n);
  return names;
}

std::vector<DeviceProperties> CudaRuntime::devices() const {
  std::vector<DeviceProperties> out;
  for (std::uint32_t i = 0; i < devices_.size(); ++i) {
    const DeviceAttributes& a = devices_[i]->attributes;
    DeviceProperties p;
    p.index = i;
    p.name = a.name;
    p.kind = a.fake ? "cuda-fake" : "cuda";
    p.memory_bytes = a.total_memory;
    p.compute_units = static_cast<std::uint32_t>(a.sm_count);
    p.clock_khz = static_cast<std::uint32_t>(a.clock_khz);
    p.compute_capability = std::to_string(a.compute_major) + "." + std::to_string(a.compute_minor);
    p.rank = cfg_.rank;
    p.simulated = a.fake;
    p.driver_version = a.driver_version;
    p.runtime_version = a.runtime_version;
    out.push_back(p);
  }
  return out;
}

void CudaRuntime::read_handler_state(const std::string& name, void* out, std::size_t bytes) {
  std::unique_lock lk(mutex_);
  Kernel* k = nullptr;
  if (const auto it = by_name_.find(name); it != by_name_.end()) k = it->second;
  if (k == nullptr)  // a terminated kernel: the latest of that name
    for (auto it = kernels_.rbegin(); it != kernels_.rend() && k == nullptr; ++it)
      if ((*it)->name == name) k = it->get();
  if (k == nullptr) throw RuntimeError("unknown kernel '" + name + "'");
  if (bytes != k->type->state_bytes) throw RuntimeError("kernel '" + name + "' is not of the requested handler type");
  if (k->state.load() == KernelState::Active) throw RuntimeError("kernel '" + name + "' is active: deactivate it before reading its state");
  api_->copy_to_host(devices_[k->device]->control_stream, out, k->device_block + k->handler_offset, bytes);
}

MigrationReport CudaRuntime::migrate(const std::string& name, std::uint32_t) {
  throw RuntimeError("migrate '" + name + "': the cuda backend cannot move a persistent kernel between devices yet");
}

std::vector<DeviceBaseline> CudaRuntime::device_baselines(std::uint32_t device, std::uint32_t samples) {
  if (device >= devices_.size()) throw RuntimeError("device_baselines: no device " + std::to_string(device));
  std::vector<DeviceBaseline> out;
  DeviceBaseline launch{"launch_sync", "ns", "an empty kernel: cudaLaunchKernel + cudaStreamSynchronize, host-timed", {}};
  launch.samples = api_->empty_launch_ns(static_cast<int>(device), samples);
  DeviceBaseline graph{"graph_replay", "ns", "a one-node CUDA graph of that launch: cudaGraphLaunch + cudaStreamSynchronize", {}};
  graph.samples = api_->graph_replay_ns(static_cast<int>(device), samples);
  for (auto* b : {&launch, &graph})
    if (!b->samples.empty()) out.push_back(std::move(*b));
  return out;
}

// ---- watchdog

void CudaRuntime::watchdog() {
  std::unique_lock wl(watchdog_mutex_);
  while (!watchdog_cv_.wait_for(wl, cfg_.watchdog_period, [this] { return watchdog_stop_; })) {
    wl.unlock();
    {
      std::shared_lock lk(mutex_);
      const std::uint64_t now = now_ns();
      for (const auto& [n, kp] : by_name_) {
        Kernel& k = *kp;
        if (k.stopped.load() || k.failure.load() != 0) continue;
        std::string error;
        const StreamState s = api_->query(k.stream, error);
        if (s != StreamState::Running) {
          k.stopped.store(true);
          fail(k, KernelError::DeviceFault,
               s == StreamState::Failed ? "its stream failed: " + error : std::string("its loop ended without being asked to"));
          continue;
        }
        if (k.state.load() != KernelState::Active) {
          k.progress_ns = now;  // the hang clock starts when the kernel is active
          continue;
        }
        const std::uint32_t hb = atomics::load_relaxed(k.control->heartbeat);
        const std::uint64_t done = atomics::load_relaxed(k.control->messages_processed);
        if (hb != k.seen_heartbeat || done != k.seen_processed || k.host_in.empty()) {
          k.seen_heartbeat = hb;
          k.seen_processed = done;
          k.progress_ns = now;
        } else if (now - k.progress_ns > static_cast<std::uint64_t>(std::chrono::nanoseconds(cfg_.hang_timeout).count())) {
          fail(k, KernelError::Hung,
               "no progress for " + std::to_string(cfg_.hang_timeout.count()) + " ms with " + std::to_string(k.host_in.size()) +
                   " message(s) waiting (a handler that never returns?)");
        }
      }
    }
    wl.lock();
  }
}

}  // namespace rk::cuda
