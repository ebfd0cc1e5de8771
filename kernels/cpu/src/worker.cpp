// Worker threads and the K2K broker of the CPU backend.
#include <algorithm>

#include "rk/cpu/runtime.hpp"

namespace rk::cpu {

Worker::Worker(CpuRuntime& rt, std::uint32_t index) : rt_(rt), index_(index), thread_([this] { run(); }) {}

Worker::~Worker() {
  stop_.store(true, std::memory_order_release);
  {
    std::lock_guard lk(mutex_);
    wake_flag_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Worker::add(CpuKernel* k) {
  {
    std::lock_guard lk(mutex_);
    shared_list_.push_back(k);
    list_version_.fetch_add(1, std::memory_order_release);
  }
  k->worker.store(this, std::memory_order_release);
  notify();
}

void Worker::remove(CpuKernel* k) {
  std::lock_guard lk(mutex_);
  shared_list_.erase(std::remove(shared_list_.begin(), shared_list_.end(), k), shared_list_.end());
  list_version_.fetch_add(1, std::memory_order_release);
}

std::size_t Worker::kernel_count() const {
  std::lock_guard lk(mutex_);
  return shared_list_.size();
}

void Worker::notify() {
  // Pairs with park(): the worker announces parked_ and then re-checks for work; a sender publishes
  // its message and then reads parked_. The fences make sure one of the two sees the other.
  atomics::fence_seq_cst();
  if (parked_.load(std::memory_order_relaxed) == 0) return;
  {
    std::lock_guard lk(mutex_);
    wake_flag_ = true;
  }
  cv_.notify_one();
}

bool Worker::quiesce(std::chrono::nanoseconds timeout) {
  if (!thread_.joinable() || std::this_thread::get_id() == thread_.get_id()) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::uint64_t start = epoch();
  while (epoch() < start + 2 && !stop_.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    {
      std::lock_guard lk(mutex_);
      wake_flag_ = true;
    }
    cv_.notify_one();
    std::this_thread::yield();
  }
  return true;
}

void Worker::refresh() {
  if (list_version_.load(std::memory_order_acquire) == local_version_) return;
  std::lock_guard lk(mutex_);
  local_list_ = shared_list_;
  local_version_ = list_version_.load(std::memory_order_relaxed);
}

void Worker::pump_others(const CpuKernel* waiting) {
  // Not refresh(): the caller iterates local_list_; a kernel launched here meanwhile is polled by the
  // next loop iteration once the barrier is passed (or given up).
  for (CpuKernel* k : local_list_)
    if (k != waiting) k->poll(*this);
}

void Worker::run() {
  const CpuRuntimeConfig& cfg = rt_.config();
  std::uint32_t idle = 0;
  while (!stop_.load(std::memory_order_acquire)) {
    // Only this thread writes epoch_. seq_cst: the handshake with quiesce() is a store-then-load pattern
    // (the host unpublishes then reads epoch_; we bump epoch_ then read the lists), which needs a fence.
    epoch_.store(epoch_.load(std::memory_order_relaxed) + 1, std::memory_order_seq_cst);
    refresh();
    bool did = false;
    IdleStrategy strategy = IdleStrategy::Park;
    for (CpuKernel* k : local_list_) {
      did |= k->poll(*this);
      if (k->state.load(std::memory_order_relaxed) == KernelState::Active) {
        const IdleStrategy s = k->options.idle;
        if (s == IdleStrategy::Spin || (s == IdleStrategy::Yield && strategy != IdleStrategy::Spin) ||
            (s == IdleStrategy::Adaptive && strategy == IdleStrategy::Park))
          strategy = s;
      }
    }
    if (did) {
      idle = 0;
      continue;
    }
    ++idle;
    switch (strategy) {
      case IdleStrategy::Spin:
        cpu_relax();
        break;
      case IdleStrategy::Yield:
        if (idle < cfg.spin_rounds) cpu_relax();
        else std::this_thread::yield();
        break;
      case IdleStrategy::Adaptive:
        if (idle < cfg.spin_rounds) cpu_relax();
        else if (idle < cfg.spin_rounds + cfg.yield_rounds) std::this_thread::yield();
        else park_after_publishing();
        break;
      case IdleStrategy::Park:
        if (idle < 64) cpu_relax();
        else park_after_publishing();
        break;
    }
  }
}

void Worker::park() {
  parked_.store(1, std::memory_order_relaxed);
  atomics::fence_seq_cst();
  bool work = false;
  for (CpuKernel* k : local_list_) work = work || k->has_work();
  if (!work && list_version_.load(std::memory_order_acquire) == local_version_) {
    std::unique_lock lk(mutex_);
    cv_.wait_for(lk, rt_.config().park_timeout,
                 [&] { return wake_flag_ || stop_.load(std::memory_order_relaxed); });
    wake_flag_ = false;
  }
  parked_.store(0, std::memory_order_relaxed);
}

void Worker::park_after_publishing() {
  // A sleeping worker polls rarely: its kernels' control blocks must be current before it sleeps.
  for (CpuKernel* k : local_list_) k->publish_if_stale();
  park();
}

void Broker::add_route(KernelId id, CpuKernel* k) { routes_[id].store(k, std::memory_order_release); }
void Broker::remove_route(KernelId id) { routes_[id].store(nullptr, std::memory_order_release); }
void Broker::set_remote_route(KernelId id, RemoteEndpoint* endpoint) {
  if (id >= kMaxKernels) throw RuntimeError("remote route: kernel id " + std::to_string(id) + " out of range");
  remote_[id].store(endpoint, std::memory_order_release);
}

SendStatus Broker::try_deliver(KernelId target, const Slot& message) {
  if (target >= kMaxKernels) return SendStatus::UnknownKernel;
  CpuKernel* k = routes_[target].load(std::memory_order_seq_cst);
  if (k == nullptr) {
    RemoteEndpoint* remote = remote_[target].load(std::memory_order_acquire);
    return remote != nullptr ? remote->forward(target, message) : SendStatus::UnknownKernel;
  }
  if (k->moving.load(std::memory_order_seq_cst)) return SendStatus::Full;  // migrating: retry later
  switch (k->input->try_enqueue(message)) {
    case QueueStatus::Ok: break;
    case QueueStatus::Closed: return SendStatus::Closed;
    default: return SendStatus::Full;
  }
  k->wake_worker();
  return SendStatus::Ok;
}

SendStatus Broker::deliver(KernelId target, const Slot& message) {
  const SendStatus s = try_deliver(target, message);
  if (s != SendStatus::Ok) record_dead_letter(message, s);
  return s;
}

void Broker::record_dead_letter(const Slot& message, SendStatus reason) {
  dead_total_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lk(dead_mutex_);
  if (dead_.size() < dead_letter_capacity_) dead_.push_back(DeadLetter{message, reason});
}

std::vector<DeadLetter> Broker::drain_dead_letters() {
  std::lock_guard lk(dead_mutex_);
  std::vector<DeadLetter> out;
  out.swap(dead_);
  return out;
}

}  // namespace rk::cpu
