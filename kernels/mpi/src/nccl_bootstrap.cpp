// nccl_over_mpi: see nccl_bootstrap.hpp.
#include "rk/mpi/nccl_bootstrap.hpp"

#include <mpi.h>

#include "mpi_check.hpp"

namespace rk::mpi {

std::unique_ptr<cuda::NcclReduction> nccl_over_mpi(const Environment& env, int device) {
  cuda::NcclId id{};
  if (env.rank() == 0) id = cuda::new_nccl_id();
  RK_MPI_CHECK(MPI_Bcast(id.data(), static_cast<int>(id.size()), MPI_BYTE, 0, MPI_COMM_WORLD));
  return cuda::make_nccl_reduction(id, static_cast<std::uint32_t>(env.size()), static_cast<std::uint32_t>(env.rank()),
                                   device);
}

}  // namespace rk::mpi
