// All-reduce among N simulated devices of one process (threads sharing memory): the CPU backend's
// counterpart of an NCCL communicator. Each device holds a GlobalReduction handle from participant(i).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "rk/core/global_reduction.hpp"
#include "rk/cpu/collective/spin_barrier.hpp"

namespace rk::cpu {

/// A collective among `participants` threads of one process. Results are a flat left fold in rank order
/// (see global_reduction.hpp), identical on every participant and from run to run.
///
/// Algorithm, chosen per call by size (every participant takes the same path):
///  * small (≤ Options::small_max_bytes): each participant copies its input into its staging slot and
///    arrives at the barrier; everyone then folds all slots itself. One barrier per call; staging is
///    double-buffered by call parity so a fast participant's next call cannot overwrite a slot a slow one
///    is still reading.
///  * large: participants publish their input/output pointers and arrive; each reduces its own contiguous
///    element range over all inputs in rank order into its output (reduce-scatter), arrives, copies the
///    other ranges from their owners' outputs (all-gather), and arrives once more before returning so no
///    buffer is reused while being read. Three barriers, no extra memory, work split N ways.
/// Calls may be repeated any number of times (generation-counted barrier). Participants must issue the
/// same sequence of calls with the same count, type and operator; a mismatch is detected and every
/// participant throws ReductionError. Each participant passes its own buffers.
class SharedMemoryCollective {
 public:
  struct Options {
    /// Largest call (count × element size, bytes) that takes the single-barrier staged path.
    std::size_t small_max_bytes = 32 * 1024;
    /// Spin iterations of the barrier before a waiter sleeps.
    std::uint32_t spin_iterations = SpinBarrier::kDefaultSpin;
  };

  explicit SharedMemoryCollective(std::uint32_t participants) : SharedMemoryCollective(participants, Options{}) {}
  SharedMemoryCollective(std::uint32_t participants, Options options);
  ~SharedMemoryCollective();
  SharedMemoryCollective(const SharedMemoryCollective&) = delete;
  SharedMemoryCollective& operator=(const SharedMemoryCollective&) = delete;

  std::uint32_t participants() const { return participants_; }
  /// The handle of participant i (i < participants()), used by one thread at a time. Lives as long as the
  /// collective.
  GlobalReduction& participant(std::uint32_t i);

 private:
  class Participant;
  struct alignas(kCacheLine) Call {
    const void* in = nullptr;
    void* out = nullptr;
    std::size_t count = 0;
    ScalarType type = ScalarType::I32;
    ReductionOp op = ReductionOp::Sum;
  };

  Call& call(std::uint32_t parity, std::uint32_t rank) { return calls_[parity * participants_ + rank]; }
  struct alignas(kCacheLine) Line {
    std::byte bytes[kCacheLine];
  };
  std::byte* staging(std::uint32_t parity, std::uint32_t rank) {
    return reinterpret_cast<std::byte*>(staging_.data()) + (static_cast<std::size_t>(parity) * participants_ + rank) * staging_stride_;
  }
  void check_same_call(std::uint32_t parity);

  std::uint32_t participants_;
  Options options_;
  std::size_t staging_stride_;
  SpinBarrier barrier_;
  std::vector<Call> calls_;             // [parity][rank]
  std::vector<Line> staging_;           // [parity][rank] × staging_stride_ bytes
  std::vector<std::unique_ptr<Participant>> handles_;
};

}  // namespace rk::cpu
