// MpiReduction: rk::GlobalReduction across the ranks of MPI_COMM_WORLD, deterministic (never MPI_Allreduce,
// whose combination order is the library's choice). The CPU backend's cross-process step; with
// rk::cpu::HierarchicalReduction it joins the simulated devices of several processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "rk/core/global_reduction.hpp"
#include "rk/mpi/environment.hpp"

namespace rk::mpi {

/// One rank's handle; participants() = number of ranks, rank() = world rank. Results are a flat left fold
/// over ranks 0..N-1 (global_reduction.hpp), computed identically on every rank:
///  * up to Options::allgather_max_bytes per call: MPI_Allgather of every rank's array, then each rank folds
///    the N arrays in rank order itself (N× the data on the wire; best for latency);
///  * larger: a reduce-scatter by element ranges — MPI_Alltoallv sends range q of every rank's input to rank
///    q, which folds the N pieces in rank order — then MPI_Allgatherv of the reduced ranges (≈2× the data
///    on the wire; for bandwidth). Calls are cut into chunks of Options::chunk_bytes so counts fit MPI's int.
/// Both give the same bits. Failures throw MpiError (the communicator returns errors instead of aborting).
/// Construction and destruction are collective (MPI_Comm_dup / MPI_Comm_free); destroy before the
/// Environment. Calls must be serialised (one thread at a time), as MPI_THREAD_SERIALIZED requires.
class MpiReduction final : public GlobalReduction {
 public:
  struct Options {
    std::size_t allgather_max_bytes = 64 * 1024;
    std::size_t chunk_bytes = std::size_t{64} << 20;  ///< clamped to [4 KiB, 1 GiB]
  };

  explicit MpiReduction(const Environment& env) : MpiReduction(env, Options{}) {}
  MpiReduction(const Environment& env, Options options);
  ~MpiReduction() override;
  MpiReduction(const MpiReduction&) = delete;
  MpiReduction& operator=(const MpiReduction&) = delete;

  std::uint32_t participants() const override { return size_; }
  std::uint32_t rank() const override { return rank_; }
  void all_reduce_bytes(const void* in, void* out, std::size_t count, ScalarType type, ReductionOp op) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint32_t rank_ = 0;
  std::uint32_t size_ = 1;
};

}  // namespace rk::mpi
