// Global reductions across the GPUs of one process with NCCL, behind rk::GlobalReduction. Each
// participant is one GPU: one communicator of an ncclCommInitAll clique in this process, or of an
// ncclCommInitRank communicator across processes (bootstrapped over MPI: rk/mpi/nccl_bootstrap.hpp). Deterministic: NCCL's
// all-reduce does not fix the order in which ranks are combined, so this all-gathers the inputs and
// folds them on the device in rank order — the same order the CPU collectives use, so a GPU run and a
// simulated run give the same bits. Bandwidth-oriented callers may use all_reduce_native() (ncclAllReduce).
// UNVERIFIED on hardware: it compiles in CI (nvcc + NCCL headers) but has never run on a GPU.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "rk/core/global_reduction.hpp"

namespace rk::cuda {

class NcclClique;

/// One GPU's handle on the clique's collectives.
class NcclReduction final : public GlobalReduction {
 public:
  NcclReduction(std::shared_ptr<NcclClique> clique, std::uint32_t rank);
  std::uint32_t participants() const override;
  std::uint32_t rank() const override { return rank_; }
  /// Host buffers in, host buffer out (staged through device memory). Call from one host thread per
  /// participant, all participants with the same count, type and op.
  void all_reduce_bytes(const void* in, void* out, std::size_t count, ScalarType type, ReductionOp op) override;
  /// ncclAllReduce on device buffers (fast, order not fixed by NCCL: not bit-reproducible for floats).
  void all_reduce_native(const void* d_in, void* d_out, std::size_t count, ScalarType type, ReductionOp op);

 private:
  std::shared_ptr<NcclClique> clique_;
  std::uint32_t rank_;
};

/// The communicators of the given devices (ncclCommInitAll) and one participant handle per device.
std::vector<std::unique_ptr<NcclReduction>> make_nccl_reductions(const std::vector<int>& devices);

/// An ncclUniqueId as plain bytes, so that code without nccl.h (the MPI layer) can pass it around.
using NcclId = std::array<std::byte, 128>;
/// A new id for a communicator spanning processes (ncclGetUniqueId; call on one process, send it to all).
NcclId new_nccl_id();
/// This process's participant in a communicator of `participants` processes, one GPU each: rank `rank`
/// on CUDA device `device` (ncclCommInitRank). Every process calls it with the same id.
std::unique_ptr<NcclReduction> make_nccl_reduction(const NcclId& id, std::uint32_t participants, std::uint32_t rank,
                                                   int device);

}  // namespace rk::cuda
