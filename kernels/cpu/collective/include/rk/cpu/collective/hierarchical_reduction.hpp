// Two-level global reduction: the devices of this process through a local collective, then the processes
// through a cross-process one (e.g. rk::mpi::MpiReduction) that only local rank 0 calls, the result
// broadcast back to the local devices. What a multi-GPU, multi-node run uses: NCCL/shared memory inside a
// node, MPI between nodes.
#pragma once

#include <cstdint>
#include <vector>

#include "rk/core/global_reduction.hpp"

namespace rk::cpu {

/// One local device's handle on a device-then-process reduction. Build one per local device, each over
/// that device's handle of the same local collective and the same (optional) cross-process reduction.
///
/// Order (deterministic, documented per global_reduction.hpp): within process j the L local devices are
/// folded in local rank order, P_j = identity ⊕ x_{j,0} ⊕ … ⊕ x_{j,L-1}; then the processes in rank order,
/// result = identity ⊕ P_0 ⊕ … ⊕ P_{M-1}. Exact for integers and Min/Max; for float Sum/Product this
/// two-level tree may differ in the last bits from a flat fold over the M·L values.
/// Global rank = process rank × L + local rank; every process must have the same number of local devices.
class HierarchicalReduction final : public GlobalReduction {
 public:
  /// `local`: this device's handle on the collective among this process's devices. `cross_process`: the
  /// reduction among processes, shared by this process's handles but only called by local rank 0 (so it
  /// must tolerate being called from that thread, e.g. MPI_THREAD_SERIALIZED); null for one process.
  explicit HierarchicalReduction(GlobalReduction& local, GlobalReduction* cross_process = nullptr)
      : local_(local), cross_(cross_process) {}

  std::uint32_t participants() const override { return local_.participants() * processes(); }
  std::uint32_t rank() const override { return process_rank() * local_.participants() + local_.rank(); }
  std::uint32_t local_rank() const { return local_.rank(); }
  std::uint32_t process_rank() const { return cross_ != nullptr ? cross_->rank() : 0; }
  std::uint32_t processes() const { return cross_ != nullptr ? cross_->participants() : 1; }

  /// Local all-reduce, cross-process all-reduce at local rank 0, local broadcast. If the cross-process step
  /// throws, local rank 0 rethrows it and the other local devices throw ReductionError (none blocks).
  void all_reduce_bytes(const void* in, void* out, std::size_t count, ScalarType type, ReductionOp op) override;

 private:
  GlobalReduction& local_;
  GlobalReduction* cross_;
  std::vector<std::uint32_t> words_;  // broadcast buffer, reused between calls
};

}  // namespace rk::cpu
