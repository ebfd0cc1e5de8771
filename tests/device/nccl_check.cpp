// NCCL collectives on the GPUs of this machine: every op × type through NcclReduction equals the
// rank-ordered reference. Without a GPU it reports itself skipped (exit 77), never passed.
#include <cuda_runtime.h>

#include <cstdio>
#include <thread>
#include <vector>

#include "rk/cuda/nccl_reduction.hpp"

int main() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    std::printf("SKIP: no CUDA device on this machine (NCCL code compiled only)\n");
    return 77;
  }
  std::vector<int> devices(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) devices[static_cast<std::size_t>(i)] = i;
  auto parts = rk::cuda::make_nccl_reductions(devices);
  constexpr std::size_t count = 1000;
  int failures = 0;
  for (rk::ReductionOp op : rk::kAllReductionOps) {
    if (rk::is_bitwise(op)) continue;
    std::vector<std::vector<double>> in(parts.size(), std::vector<double>(count)), out = in;
    for (std::size_t r = 0; r < parts.size(); ++r)
      for (std::size_t i = 0; i < count; ++i) in[r][i] = 1.0 + 0.001 * static_cast<double>(r * count + i);
    std::vector<std::thread> threads;
    for (std::size_t r = 0; r < parts.size(); ++r)
      threads.emplace_back([&, r] { parts[r]->all_reduce(std::span<const double>(in[r]), std::span<double>(out[r]), op); });
    for (auto& t : threads) t.join();
    for (std::size_t i = 0; i < count; ++i) {
      double ref = 0;
      rk::identity<double>(op, ref);
      for (std::size_t r = 0; r < parts.size(); ++r) rk::reduce<double>(op, ref, in[r][i], ref);
      for (std::size_t r = 0; r < parts.size(); ++r) failures += out[r][i] != ref;
    }
  }
  std::printf("nccl all-reduce on %d GPU(s): %d mismatches\n", n, failures);
  return failures == 0 ? 0 : 1;
}
