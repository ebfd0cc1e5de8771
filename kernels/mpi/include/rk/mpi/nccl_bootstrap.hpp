// NCCL communicators across the processes of an MPI job: rank 0 makes the NCCL unique id, MPI_Bcast
// hands it to every rank, and each rank joins with its own GPU (ncclCommInitRank). Built only when both
// MPI and the CUDA backend's NCCL collectives are (target rk_mpi_nccl).
// UNVERIFIED on hardware: compiled in CI, never run on a GPU (see README).
#pragma once

#include <memory>

#include "rk/cuda/nccl_reduction.hpp"
#include "rk/mpi/environment.hpp"

namespace rk::mpi {

/// Collective over MPI_COMM_WORLD: this rank's participant (rank = MPI rank) in one NCCL communicator of
/// all ranks, on CUDA device `device`. Deterministic reductions as rk::cuda::NcclReduction.
std::unique_ptr<cuda::NcclReduction> nccl_over_mpi(const Environment& env, int device);

}  // namespace rk::mpi
