// ThreadGroup: the simulated GPU threads of one kernel as fibers on the kernel's worker thread.
// Threads run one after another until they reach a barrier; a barrier suspends a thread until all
// threads it names have arrived, so the handler sees the same ordering guarantees as on a GPU.
#include <bit>
#include <stdexcept>

#include "rk/cpu/kernel.hpp"

namespace rk::cpu {

ThreadGroup::ThreadGroup(CpuKernel& kernel, Dim3 grid, Dim3 block)
    : kernel_(kernel),
      grid_(grid),
      block_(block),
      block_threads_(static_cast<std::uint32_t>(block.volume())),
      warps_per_block_((block_threads_ + kWarpSize - 1) / kWarpSize) {
  const auto blocks = static_cast<std::uint32_t>(grid.volume());
  const std::uint32_t n = blocks * block_threads_;
  contexts_.reserve(n);
  for (std::uint32_t b = 0; b < blocks; ++b)
    for (std::uint32_t t = 0; t < block_threads_; ++t) contexts_.emplace_back(kernel, this, b, t);
  started_seq_.assign(n, 0);
  finished_seq_.assign(n, 0);
  block_barriers_.resize(blocks);
  warps_.resize(std::size_t{blocks} * warps_per_block_);
  fibers_.reserve(n);
  // Small stacks: handlers are expected to be GPU-like (little stack). 64 KiB each.
  for (std::uint32_t i = 0; i < n; ++i)
    fibers_.push_back(std::make_unique<Fiber>([this, i] { fiber_main(i); }, 64 * 1024));
}

ThreadGroup::~ThreadGroup() {
  // Fibers idle at the top of their loop return when resumed with shutting_down_; fibers stuck in a
  // handler (after a deadlock) are simply dropped with their stacks.
  shutting_down_ = true;
  if (!in_progress_)
    for (auto& f : fibers_) f->resume();
}

void ThreadGroup::fiber_main(std::uint32_t i) {
  for (;;) {
    while (started_seq_[i] == message_seq_) {
      if (shutting_down_) return;
      Fiber::yield();
    }
    if (shutting_down_) return;
    started_seq_[i] = message_seq_;
    ++progress_;
    try {
      kernel_.body->handle(contexts_[i], *message_);
    } catch (...) {
      kernel_.fail(KernelError::HandlerException);
    }
    finished_seq_[i] = message_seq_;
    ++finished_;
    ++progress_;
    Fiber::yield();
  }
}

ThreadGroup::Result ThreadGroup::start(const Slot& message) {
  message_ = &message;
  ++message_seq_;
  finished_ = 0;
  in_progress_ = true;
  return run();
}

ThreadGroup::Result ThreadGroup::resume() { return in_progress_ ? run() : Result::Done; }

ThreadGroup::Result ThreadGroup::run() {
  const auto n = static_cast<std::uint32_t>(fibers_.size());
  for (;;) {
    const std::uint64_t before = progress_;
    for (std::uint32_t i = 0; i < n; ++i) {
      if (finished_seq_[i] != message_seq_) fibers_[i]->resume();
    }
    if (finished_ == n) {
      in_progress_ = false;
      return Result::Done;
    }
    if (progress_ == before) return external_waiters_ > 0 ? Result::Blocked : Result::Deadlock;
  }
}

void ThreadGroup::arrive_and_wait(Barrier& b, std::uint32_t expected) {
  if (b.arrived == 0) b.expected = expected;
  ++progress_;
  if (++b.arrived >= b.expected) {
    b.arrived = 0;
    ++b.generation;
    return;
  }
  const std::uint64_t gen = b.generation;
  while (b.generation == gen) Fiber::yield();
}

void ThreadGroup::block_barrier(std::uint32_t block) { arrive_and_wait(block_barriers_[block], block_threads_); }

void ThreadGroup::grid_barrier() { arrive_and_wait(grid_barrier_, static_cast<std::uint32_t>(fibers_.size())); }

void ThreadGroup::warp_barrier(std::uint32_t block, std::uint32_t warp, std::uint32_t mask) {
  const std::uint32_t first = warp * kWarpSize;
  const std::uint32_t lanes = block_threads_ - first < kWarpSize ? block_threads_ - first : kWarpSize;
  const std::uint32_t existing = lanes == kWarpSize ? kFullWarpMask : (1u << lanes) - 1u;
  const auto expected = static_cast<std::uint32_t>(std::popcount(mask & existing));
  arrive_and_wait(warps_[std::size_t{block} * warps_per_block_ + warp].barrier, expected == 0 ? 1 : expected);
}

std::int32_t* ThreadGroup::warp_exchange(std::uint32_t block, std::uint32_t warp, std::uint32_t parity) {
  return warps_[std::size_t{block} * warps_per_block_ + warp].exchange[parity];
}

}  // namespace rk::cpu
