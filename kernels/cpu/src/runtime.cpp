// CpuRuntime: lifecycle, host send/receive and inspection of ring kernels on the CPU backend.
#include "rk/cpu/runtime.hpp"

#include "rk/cpu/collective/shared_memory_collective.hpp"

#include <sys/mman.h>

#include <algorithm>

namespace rk::cpu {

CpuRuntime::CpuRuntime(CpuRuntimeConfig cfg)
    : cfg_(cfg), broker_(cfg.dead_letter_capacity), host_clock_(kHostKernel) {
  if (cfg_.devices == 0) throw RuntimeError("a CPU runtime needs at least one device");
  const std::uint32_t hw = std::max(1u, std::thread::hardware_concurrency());
  const std::uint32_t per_device = cfg_.workers ? cfg_.workers : std::max(1u, hw / cfg_.devices);
  cfg_.workers = per_device;
  devices_.resize(cfg_.devices);
  for (std::uint32_t d = 0; d < cfg_.devices; ++d) {
    SimDevice& dev = devices_[d];
    dev.properties.index = d;
    dev.properties.name = "cpu-sim-" + std::to_string(d);
    dev.properties.kind = "cpu-simulated";
    dev.properties.memory_bytes = cfg_.arena_bytes;
    dev.properties.compute_units = per_device;
    dev.properties.rank = cfg_.rank;
    dev.properties.simulated = true;
    // Reserve the arena without committing it: pages are only backed once written.
    void* mem = cfg_.arena_bytes ? mmap(nullptr, cfg_.arena_bytes, PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                                 : nullptr;
    if (mem == MAP_FAILED) throw RuntimeError("cannot reserve " + std::to_string(cfg_.arena_bytes) + " bytes for device " + std::to_string(d));
    dev.memory = static_cast<std::byte*>(mem);
    dev.arena = std::make_unique<MemoryArena>(dev.memory, cfg_.arena_bytes, d);
    for (std::uint32_t i = 0; i < per_device; ++i) {
      workers_.push_back(std::make_unique<Worker>(*this, static_cast<std::uint32_t>(workers_.size())));
      dev.workers.push_back(workers_.back().get());
    }
  }
}

CpuRuntime::~CpuRuntime() { shutdown(); }

void CpuRuntime::shutdown() {
  {
    std::unique_lock lk(mutex_);
    for (auto& k : kernels_) {
      if (!k) continue;
      try {
        terminate_locked(*k);
      } catch (const RuntimeError&) {
        // A kernel stuck in its handler: its worker is stopped below and joins once it returns.
      }
    }
  }
  workers_.clear();
  std::unique_lock lk(mutex_);
  for (std::size_t i = 0; i < kernels_.size(); ++i) table_[i].store(nullptr, std::memory_order_seq_cst);
  HostReaders::synchronize();
  kernels_.clear();
  by_name_.clear();
  for (auto& d : devices_) {
    d.workers.clear();
    if (d.memory) munmap(d.memory, cfg_.arena_bytes);
    d.memory = nullptr;
  }
}

void CpuRuntime::wake_all_workers() {
  for (auto& w : workers_) w->notify();
}

std::uint64_t CpuRuntime::worker_loops(std::size_t index) const { return workers_.at(index)->epoch(); }

std::vector<DeviceProperties> CpuRuntime::devices() const {
  std::vector<DeviceProperties> out;
  for (const auto& d : devices_) out.push_back(d.properties);
  return out;
}

std::vector<std::uint32_t> CpuRuntime::kernels_per_device() const {
  std::shared_lock lk(mutex_);
  std::vector<std::uint32_t> n(devices_.size(), 0);
  for (const auto& k : kernels_)
    if (k) ++n[k->device];
  return n;
}

Worker* CpuRuntime::pick_worker(std::uint32_t device, int pinned_worker) {
  if (pinned_worker >= 0) {
    if (static_cast<std::size_t>(pinned_worker) >= workers_.size())
      throw RuntimeError("worker " + std::to_string(pinned_worker) + " does not exist");
    return workers_[static_cast<std::size_t>(pinned_worker)].get();
  }
  Worker* w = devices_[device].workers.front();
  for (Worker* c : devices_[device].workers)
    if (c->kernel_count() < w->kernel_count()) w = c;
  return w;
}

void CpuRuntime::register_factory(const std::string& type_name, KernelFactory f) {
  std::unique_lock lk(mutex_);
  factories_[type_name] = std::move(f);
}

std::vector<std::string> CpuRuntime::kernel_types() const {
  std::shared_lock lk(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, f] : factories_) out.push_back(name);
  return out;
}

std::uint32_t CpuRuntime::create_named_barrier(const std::string& name, std::uint32_t participants) {
  if (participants == 0) throw RuntimeError("named barrier '" + name + "' needs at least one participant");
  std::lock_guard lk(barrier_mutex_);
  for (std::size_t i = 0; i < barriers_.size(); ++i)
    if (barriers_[i]->name == name) throw RuntimeError("named barrier '" + name + "' already exists");
  auto b = std::make_unique<NamedBarrier>();
  b->name = name;
  b->participants = participants;
  barriers_.push_back(std::move(b));
  return static_cast<std::uint32_t>(barriers_.size() - 1);
}

NamedBarrier& CpuRuntime::named_barrier(std::uint32_t id) {
  std::lock_guard lk(barrier_mutex_);
  if (id >= barriers_.size()) throw RuntimeError("unknown named barrier id " + std::to_string(id));
  return *barriers_[id];
}

CpuKernel& CpuRuntime::find_locked(const std::string& name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) throw RuntimeError("unknown kernel '" + name + "'");
  return *kernels_[it->second];
}

KernelId CpuRuntime::launch(const std::string& name, Dim3 grid, Dim3 block, const LaunchOptions& opts) {
  return launch_on_worker(name, grid, block, opts, -1);
}

KernelId CpuRuntime::launch_on_worker(const std::string& name, Dim3 grid, Dim3 block, const LaunchOptions& opts,
                                      int worker) {
  if (name.empty()) throw RuntimeError("kernel name must not be empty");
  if (grid.volume() == 0 || block.volume() == 0)
    throw RuntimeError("kernel '" + name + "': grid and block dimensions must be at least 1");
  if (grid.volume() * block.volume() > cfg_.max_threads_per_kernel)
    throw RuntimeError("kernel '" + name + "': " + std::to_string(grid.volume() * block.volume()) +
                       " threads exceed the CPU backend's limit of " + std::to_string(cfg_.max_threads_per_kernel));
  for (std::uint32_t c : {opts.input_capacity, opts.output_capacity})
    if (!is_power_of_two(c) || c < kMinRingCapacity || c > kMaxRingCapacity)
      throw RuntimeError("kernel '" + name + "': queue capacity " + std::to_string(c) +
                         " is not a power of two in [2, 2^24]");
  if (opts.max_batch == 0) throw RuntimeError("kernel '" + name + "': max_batch must be at least 1");

  std::unique_lock lk(mutex_);
  if (by_name_.count(name)) throw RuntimeError("kernel '" + name + "' is already launched");
  const auto f = factories_.find(opts.kernel_type);
  if (f == factories_.end()) throw RuntimeError("kernel '" + name + "': unknown kernel type '" + opts.kernel_type + "'");
  KernelId id;
  if (opts.requested_id >= 0) {
    if (opts.requested_id >= static_cast<int>(kMaxKernels))
      throw RuntimeError("kernel '" + name + "': requested id " + std::to_string(opts.requested_id) + " is out of range");
    id = static_cast<KernelId>(opts.requested_id);
    if (id < kernels_.size() && kernels_[id])
      throw RuntimeError("kernel '" + name + "': requested id " + std::to_string(id) + " is taken by '" + kernels_[id]->name + "'");
    if (id >= kernels_.size()) {
      for (std::size_t i = kernels_.size(); i < id; ++i) free_ids_.push_back(static_cast<KernelId>(i));
      kernels_.resize(std::size_t{id} + 1);
    }
    std::erase(free_ids_, id);
  } else if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    if (kernels_.size() >= kMaxKernels) throw RuntimeError("too many kernels (limit " + std::to_string(kMaxKernels) + ")");
    id = static_cast<KernelId>(kernels_.size());
    kernels_.emplace_back();
  }
  std::uint32_t device = 0;
  if (opts.device >= 0) {
    if (static_cast<std::size_t>(opts.device) >= devices_.size())
      throw RuntimeError("kernel '" + name + "': device " + std::to_string(opts.device) + " does not exist (" +
                         std::to_string(devices_.size()) + " devices)");
    device = static_cast<std::uint32_t>(opts.device);
  } else {  // least loaded by kernel count
    std::vector<std::uint32_t> load(devices_.size(), 0);
    for (const auto& other : kernels_)
      if (other) ++load[other->device];
    for (std::uint32_t d = 1; d < load.size(); ++d)
      if (load[d] < load[device]) device = d;
  }
  Worker* w = pick_worker(device, worker);
  auto k = std::make_unique<CpuKernel>(*this, name, id, ++launch_generation_, grid, block, opts, device, f->second(opts));
  CpuKernel* raw = k.get();
  kernels_[id] = std::move(k);
  table_[id].store(raw, std::memory_order_seq_cst);
  by_name_[name] = id;
  broker_.add_route(id, raw);

  w->add(raw);
  return id;
}

void CpuRuntime::activate(const std::string& name) {
  std::shared_lock lk(mutex_);
  CpuKernel& k = find_locked(name);
  std::lock_guard life(k.lifecycle);  // activate and deactivate of one kernel do not interleave
  if (k.state.load() == KernelState::Active && atomics::load_acquire(k.control.is_active)) return;
  k.active_since_ns.store(monotonic_ns());
  k.state.store(KernelState::Active);
  atomics::store_release(k.control.is_active, 1u);
  atomics::fetch_add_relaxed(k.control.generation, 1u);
  if (Worker* w = k.worker.load()) w->notify();
}

void CpuRuntime::wait_for(const std::function<bool()>& done, const std::string& what, const std::string& name) {
  const bool ok = detail::wait_until([&] { return done(); }, [](bool b) { return b; }, cfg_.command_timeout);
  if (!ok)
    throw RuntimeError("kernel '" + name + "' did not " + what + " within " +
                       std::to_string(cfg_.command_timeout.count()) + " ms");
}

void CpuRuntime::deactivate(const std::string& name) {
  std::shared_lock lk(mutex_);
  CpuKernel& k = find_locked(name);
  std::lock_guard life(k.lifecycle);
  if (k.state.load() != KernelState::Active) return;
  atomics::store_release(k.control.is_active, 0u);
  atomics::fetch_add_relaxed(k.control.generation, 1u);
  Worker* w = k.worker.load();
  if (w) w->notify();
  const bool idle = detail::wait_until([&] { return atomics::load_acquire(k.control.messages_in_flight) == 0; },
                                       [](bool b) { return b; }, cfg_.command_timeout);
  if (!idle || (w && !w->quiesce(cfg_.command_timeout))) {  // the worker has seen is_active == 0
    // Roll back: the kernel stays active rather than wedged half-way.
    atomics::store_release(k.control.is_active, 1u);
    if (w) w->notify();
    throw RuntimeError("kernel '" + name + "' did not finish its message within " +
                       std::to_string(cfg_.command_timeout.count()) + " ms; it stays active");
  }
  k.active_total_ns.fetch_add(monotonic_ns() - k.active_since_ns.load());
  k.state.store(KernelState::Inactive);
}

void CpuRuntime::terminate_locked(CpuKernel& k) {
  atomics::store_release(k.control.should_terminate, 1u);
  Worker* w = k.worker.load();
  if (w) w->notify();
  wait_for([&] { return atomics::load_acquire(k.control.has_terminated) != 0; }, "terminate", k.name);
  if (k.state.load() == KernelState::Active) k.active_total_ns.fetch_add(monotonic_ns() - k.active_since_ns.load());
  k.state.store(KernelState::Terminated);
  broker_.remove_route(k.id);
  if (w) w->remove(&k);
  // No worker may still hold a pointer to this kernel (its own list, or a K2K delivery in progress).
  for (auto& other : workers_)
    if (!other->quiesce(cfg_.command_timeout))
      throw RuntimeError("kernel '" + k.name + "': worker " + std::to_string(other->index()) +
                         " is stuck in a handler; the kernel is stopped but cannot be freed yet");
}

void CpuRuntime::dead_letter_leftovers(CpuKernel& k) {
  // Messages that raced with close() into the input ring, or that the host never took from the
  // output ring: reported as dead letters, not dropped.
  Slot s;
  for (const Slot& d : k.deferred) broker_.record_dead_letter(d, SendStatus::Closed);
  k.deferred.clear();
  while (k.input->try_dequeue(s) == QueueStatus::Ok) broker_.record_dead_letter(s, SendStatus::Closed);
  while (k.output->try_dequeue(s) == QueueStatus::Ok) broker_.record_dead_letter(s, SendStatus::Closed);
}

void CpuRuntime::terminate(const std::string& name) {
  std::unique_lock lk(mutex_);
  CpuKernel& k = find_locked(name);
  terminate_locked(k);
  const KernelId id = k.id;
  by_name_.erase(name);
  // Unpublish, then wait until no host thread is inside try_send/try_receive (which may hold k).
  table_[id].store(nullptr, std::memory_order_seq_cst);
  HostReaders::synchronize();
  dead_letter_leftovers(k);
  kernels_[id].reset();
  free_ids_.push_back(id);
}

KernelId CpuRuntime::kernel_id(const std::string& name) const {
  std::shared_lock lk(mutex_);
  return find_locked(name).id;
}

SendStatus CpuRuntime::try_send(KernelId kernel, Slot& message) {
  HostReadSection section;  // what it reads of `k` stays valid until it returns
  CpuKernel* k = fast_find(kernel);
  if (k == nullptr) return SendStatus::UnknownKernel;
  if (k->moving.load(std::memory_order_seq_cst)) return SendStatus::Full;  // migrating: retry
  if (message.header.payload_size > Slot::kPayloadCapacity) return SendStatus::TooLarge;
  k->input->prepare_enqueue(message.header.payload_size);  // overlaps the stamping below
  if (message.header.message_id.is_nil()) message.header.message_id = new_message_id();
  message.header.source_kernel = kHostKernel;
  message.header.dest_kernel = kernel;
  message.header.timestamp = host_clock_.now();
  switch (k->input->try_enqueue(message)) {
    case QueueStatus::Ok: break;
    case QueueStatus::Closed: return SendStatus::Closed;
    default: return SendStatus::Full;
  }
  k->wake_worker();
  return SendStatus::Ok;
}

QueueStatus CpuRuntime::try_receive(KernelId kernel, Slot& out) {
  HostReadSection section;  // what it reads of `k` stays valid until it returns
  CpuKernel* k = fast_find(kernel);
  if (k == nullptr) throw RuntimeError("receive: unknown kernel id " + std::to_string(kernel));
  if (k->moving.load(std::memory_order_seq_cst)) return QueueStatus::Empty;  // migrating
  while (k->receive_lock.test_and_set(std::memory_order_acquire)) cpu_relax();
  QueueStatus s = k->output->try_dequeue(out);
  k->receive_lock.clear(std::memory_order_release);
  if (s == QueueStatus::Ok) host_clock_.observe(out.header.timestamp);
  return s;
}

KernelStatus CpuRuntime::status(const std::string& name) const {
  std::shared_lock lk(mutex_);
  const CpuKernel& k = find_locked(name);
  KernelStatus s;
  s.name = k.name;
  s.id = k.id;
  s.state = k.state.load();
  read_counters(k.control, s);
  s.device = static_cast<int>(k.device);
  return s;
}

KernelMetrics CpuRuntime::metrics(const std::string& name) const {
  std::shared_lock lk(mutex_);
  const CpuKernel& k = find_locked(name);
  KernelMetrics m;
  m.telemetry = snapshot(k.telemetry);
  m.input = k.input.get().statistics();
  m.output = const_cast<CpuKernel&>(k).output.get().statistics();
  m.input_capacity = k.options.input_capacity;
  m.output_capacity = k.options.output_capacity;
  m.dead_letters = k.dead_letters.load(std::memory_order_relaxed);
  const std::uint64_t now = monotonic_ns();
  m.uptime_s = static_cast<double>(now - k.launched_ns) * 1e-9;
  std::uint64_t active = k.active_total_ns.load();
  if (k.state.load() == KernelState::Active) active += now - k.active_since_ns.load();
  m.messages_per_second = active ? static_cast<double>(m.telemetry.messages_processed) * 1e9 / static_cast<double>(active) : 0.0;
  return m;
}

TelemetrySnapshot CpuRuntime::telemetry(const std::string& name) const {
  std::shared_lock lk(mutex_);
  const CpuKernel& k = find_locked(name);
  TelemetrySnapshot t;
  t.telemetry = snapshot(k.telemetry);
  t.messages_in_flight = atomics::load_relaxed(k.control.messages_in_flight);
  t.is_active = atomics::load_relaxed(k.control.is_active);
  t.has_terminated = atomics::load_relaxed(k.control.has_terminated);
  t.clock = HlcTimestamp(atomics::load_relaxed(k.control.hlc_physical), atomics::load_relaxed(k.control.hlc_logical), k.id);
  t.t_ns = monotonic_ns();
  return t;
}

std::vector<std::string> CpuRuntime::list_kernels() const {
  std::shared_lock lk(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, id] : by_name_) out.push_back(name);
  return out;
}

std::vector<DeadLetter> CpuRuntime::drain_dead_letters() { return broker_.drain_dead_letters(); }

}  // namespace rk::cpu

namespace rk::cpu {

MigrationReport CpuRuntime::migrate(const std::string& name, std::uint32_t to) {
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_lock lk(mutex_);
  CpuKernel& old = find_locked(name);
  if (to >= devices_.size())
    throw RuntimeError("migrate '" + name + "': device " + std::to_string(to) + " does not exist");
  MigrationReport report;
  report.kernel = name;
  report.from_device = old.device;
  report.to_device = to;
  if (old.device == to) return report;
  if (old.state.load() == KernelState::Terminated || atomics::load_acquire(old.control.has_terminated))
    throw RuntimeError("migrate '" + name + "': the kernel has terminated");
  if (!old.body->copyable()) throw RuntimeError("migrate '" + name + "': its handler type cannot be copied");
  const bool was_active = old.state.load() == KernelState::Active;

  // 1. Senders back off: from now on they see Full (K2K, host) or Empty (host receive) and retry.
  old.moving.store(true, std::memory_order_seq_cst);
  // 2. Wait out every send or receive that may have passed the check before the flag was set.
  HostReaders::synchronize();
  for (auto& w : workers_)
    if (!w->quiesce(cfg_.command_timeout)) {
      old.moving.store(false, std::memory_order_seq_cst);
      throw RuntimeError("migrate '" + name + "': worker " + std::to_string(w->index()) + " is stuck in a handler");
    }
  // 3. Stop the kernel where it is: finish its message, leave its worker.
  Worker* from = old.worker.load();
  bool removed = false;
  auto undo = [&](const std::string& why) {
    if (removed && from) from->add(&old);
    old.moving.store(false, std::memory_order_seq_cst);
    if (was_active) {
      atomics::store_release(old.control.is_active, 1u);
      if (from) from->notify();
    }
    throw RuntimeError("migrate '" + name + "': " + why);
  };
  if (was_active) {
    atomics::store_release(old.control.is_active, 0u);
    if (from) from->notify();
    const bool idle = detail::wait_until([&] { return atomics::load_acquire(old.control.messages_in_flight) == 0; },
                                         [](bool b) { return b; }, cfg_.command_timeout);
    if (!idle) undo("its message did not finish (a handler blocked on a named barrier cannot move)");
  }
  if (from) {
    from->remove(&old);
    removed = true;
    if (!from->quiesce(cfg_.command_timeout)) undo("its worker is stuck in a handler");
  }
  // The kernel may have asked to terminate on its last message: a terminating kernel does not move.
  if (atomics::load_acquire(old.control.should_terminate) || atomics::load_acquire(old.control.has_terminated))
    undo("the kernel is terminating");
  // 4. Checkpoint onto the new device: handler state, clock, counters, queued messages in order. The
  // kernel is stopped now, so the copy holds the effect of every message it has processed.
  std::unique_ptr<KernelBody> body = old.body->clone();
  LaunchOptions opts = old.options;
  opts.device = static_cast<int>(to);
  auto moved = std::make_unique<CpuKernel>(*this, name, old.id, ++launch_generation_, old.grid, old.block, opts, to,
                                           std::move(body));
  CpuKernel& nk = *moved;
  report.state_bytes = nk.body->state_bytes();
  nk.clock = old.clock;
  nk.control.messages_processed = old.control.messages_processed;
  nk.control.error_count = old.control.error_count;
  nk.control.last_error = old.control.last_error;
  nk.control.generation = old.control.generation + 1;
  nk.telemetry = snapshot(old.telemetry);
  nk.next_message_counter = old.next_message_counter;
  nk.dead_letters.store(old.dead_letters.load());
  nk.active_total_ns.store(old.active_total_ns.load());
  Slot s;
  // Passed-over messages keep their place ahead of the ring (next_message reads `deferred` first); the
  // ring's contents fit the new ring, which has the same capacity.
  report.queued_messages += old.deferred.size();
  nk.deferred = std::move(old.deferred);
  while (old.input->try_dequeue(s) == QueueStatus::Ok) {
    if (nk.input->try_enqueue(s) != QueueStatus::Ok) throw RuntimeError("migrate '" + name + "': input overflow");
    ++report.queued_messages;
  }
  while (old.output->try_dequeue(s) == QueueStatus::Ok) {
    if (nk.output->try_enqueue(s) != QueueStatus::Ok) throw RuntimeError("migrate '" + name + "': output overflow");
    ++report.queued_messages;
  }
  // 5. Publish the kernel at its new place, then let senders in.
  CpuKernel* raw = moved.get();
  std::unique_ptr<CpuKernel> retired = std::move(kernels_[old.id]);
  kernels_[raw->id] = std::move(moved);
  table_[raw->id].store(raw, std::memory_order_seq_cst);
  broker_.add_route(raw->id, raw);
  pick_worker(to, -1)->add(raw);
  if (was_active) {
    raw->active_since_ns.store(monotonic_ns());
    raw->state.store(KernelState::Active);
    atomics::store_release(raw->control.is_active, 1u);
    if (Worker* w = raw->worker.load()) w->notify();
  } else {
    raw->state.store(retired->state.load());
  }
  // 6. Nobody may still hold the old object before it is freed.
  HostReaders::synchronize();
  for (auto& w : workers_) (void)w->quiesce(cfg_.command_timeout);  // best effort: it holds no lock
  retired.reset();
  report.duration = std::chrono::steady_clock::now() - t0;
  return report;
}

namespace {
/// The CPU backend's device reduction: a shared-memory collective among the simulated devices.
class SharedMemoryDeviceReduction final : public DeviceReduction {
 public:
  explicit SharedMemoryDeviceReduction(std::uint32_t devices) : collective_(devices) {}
  std::uint32_t participants() const override { return collective_.participants(); }
  GlobalReduction& participant(std::uint32_t i) override { return collective_.participant(i); }

 private:
  SharedMemoryCollective collective_;
};
}  // namespace

std::unique_ptr<DeviceReduction> CpuRuntime::make_device_reduction() {
  return std::make_unique<SharedMemoryDeviceReduction>(device_count());
}

}  // namespace rk::cpu
