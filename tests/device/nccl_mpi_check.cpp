// NCCL across MPI ranks (run under mpirun, one GPU per rank): the communicator is bootstrapped over MPI
// and every non-bitwise op on float64 equals the rank-ordered reference on every rank. Without a GPU per
// rank every rank reports itself skipped (exit 77), never passed.
#include <cuda_runtime.h>

#include <cstdio>
#include <vector>

#include "rk/mpi/environment.hpp"
#include "rk/mpi/nccl_bootstrap.hpp"

int main(int argc, char** argv) {
  rk::mpi::Environment env(&argc, &argv);
  int n = 0;
  const bool have = cudaGetDeviceCount(&n) == cudaSuccess && n >= env.size();
  // Every rank must agree, or some would wait in the bootstrap for the others.
  if (!env.all_true(have)) {
    if (env.rank() == 0) std::printf("SKIP: fewer CUDA devices than ranks (NCCL-over-MPI code compiled only)\n");
    return 77;
  }
  auto red = rk::mpi::nccl_over_mpi(env, env.rank());
  constexpr std::size_t count = 1000;
  int failures = 0;
  const auto value = [](int r, std::size_t i) { return 1.0 + 0.001 * static_cast<double>(static_cast<std::size_t>(r) * count + i); };
  for (rk::ReductionOp op : rk::kAllReductionOps) {
    if (rk::is_bitwise(op)) continue;
    std::vector<double> in(count), out(count);
    for (std::size_t i = 0; i < count; ++i) in[i] = value(env.rank(), i);
    red->all_reduce(std::span<const double>(in), std::span<double>(out), op);
    for (std::size_t i = 0; i < count; ++i) {
      double ref = 0;
      rk::identity<double>(op, ref);
      for (int r = 0; r < env.size(); ++r) rk::reduce<double>(op, ref, value(r, i), ref);
      failures += out[i] != ref;
    }
  }
  std::printf("rank %d: nccl-over-mpi all-reduce on %d rank(s): %d mismatches\n", env.rank(), env.size(), failures);
  return env.all_true(failures == 0) ? 0 : 1;
}
