// CpuRuntime: lifecycle, host send/receive and inspection of ring kernels on the CPU backend.
#include "rk/cpu/runtime.hpp"

#include <algorithm>

namespace rk::cpu {

CpuRuntime::CpuRuntime(CpuRuntimeConfig cfg)
    : cfg_(cfg), host_clock_(kHostKernel), broker_(cfg.dead_letter_capacity) {
  std::uint32_t n = cfg_.workers ? cfg_.workers : std::max(1u, std::thread::hardware_concurrency());
  cfg_.workers = n;
  workers_.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(*this, i));
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
  while (fast_readers_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  kernels_.clear();
  by_name_.clear();
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
  auto k = std::make_unique<CpuKernel>(*this, name, id, ++launch_generation_, grid, block, opts, f->second(opts));
  CpuKernel* raw = k.get();
  kernels_[id] = std::move(k);
  table_[id].store(raw, std::memory_order_seq_cst);
  by_name_[name] = id;
  broker_.add_route(id, raw);

  Worker* w = nullptr;
  if (opts.worker >= 0) {
    if (static_cast<std::size_t>(opts.worker) >= workers_.size())
      throw RuntimeError("kernel '" + name + "': worker " + std::to_string(opts.worker) + " does not exist");
    w = workers_[static_cast<std::size_t>(opts.worker)].get();
  } else {
    w = workers_.front().get();
    for (auto& c : workers_)
      if (c->kernel_count() < w->kernel_count()) w = c.get();
  }
  w->add(raw);
  return id;
}

void CpuRuntime::activate(const std::string& name) {
  std::shared_lock lk(mutex_);
  CpuKernel& k = find_locked(name);
  if (k.state.load() == KernelState::Active) return;
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
  if (k.state.load() != KernelState::Active) return;
  atomics::store_release(k.control.is_active, 0u);
  atomics::fetch_add_relaxed(k.control.generation, 1u);
  if (Worker* w = k.worker.load()) w->notify();
  wait_for([&] { return atomics::load_acquire(k.control.messages_in_flight) == 0; }, "finish its message", name);
  if (Worker* w = k.worker.load()) w->quiesce();  // the worker has seen is_active == 0
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
  for (auto& other : workers_) other->quiesce();
}

void CpuRuntime::terminate(const std::string& name) {
  std::unique_lock lk(mutex_);
  CpuKernel& k = find_locked(name);
  terminate_locked(k);
  const KernelId id = k.id;
  by_name_.erase(name);
  // Unpublish, then wait until no host thread is inside try_send/try_receive (which may hold k).
  table_[id].store(nullptr, std::memory_order_seq_cst);
  while (fast_readers_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  kernels_[id].reset();
  free_ids_.push_back(id);
}

KernelId CpuRuntime::kernel_id(const std::string& name) const {
  std::shared_lock lk(mutex_);
  return find_locked(name).id;
}

SendStatus CpuRuntime::try_send(KernelId kernel, Slot& message) {
  FastReader reader(fast_readers_);
  CpuKernel* k = fast_find(kernel);
  if (k == nullptr) return SendStatus::UnknownKernel;
  if (message.header.payload_size > Slot::kPayloadCapacity) return SendStatus::TooLarge;
  if (message.header.message_id.is_nil()) message.header.message_id = new_message_id();
  message.header.source_kernel = kHostKernel;
  message.header.dest_kernel = kernel;
  message.header.timestamp = host_clock_.now();
  switch (k->input->try_enqueue(message)) {
    case QueueStatus::Ok: break;
    case QueueStatus::Closed: return SendStatus::Closed;
    default: return SendStatus::Full;
  }
  if (Worker* w = k->worker.load(std::memory_order_acquire)) w->notify();
  return SendStatus::Ok;
}

QueueStatus CpuRuntime::try_receive(KernelId kernel, Slot& out) {
  FastReader reader(fast_readers_);
  CpuKernel* k = fast_find(kernel);
  if (k == nullptr) throw RuntimeError("receive: unknown kernel id " + std::to_string(kernel));
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
  s.messages_processed = atomics::load_relaxed(k.control.messages_processed);
  s.messages_in_flight = atomics::load_relaxed(k.control.messages_in_flight);
  s.error_count = atomics::load_relaxed(k.control.error_count);
  s.last_error = static_cast<KernelError>(atomics::load_relaxed(k.control.last_error));
  s.device = static_cast<int>(cfg_.device_index);
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
