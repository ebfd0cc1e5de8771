// The fake CUDA layer: a CudaApi whose "device memory" is host memory and whose kernels run on host threads
// (HostPlatform, the same loop template the GPU runs). For machines without a GPU — CI among them — and
// for faults a real GPU will not produce on demand. Never reported as a GPU: its devices say `fake`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rk/cuda/cuda_api.hpp"

namespace rk::cuda {

struct FakeCudaConfig {
  int devices = 1;
  int sms = 8;
  int blocks_per_sm = 4;             ///< occupancy the admission check sees, whatever the kernel
  int max_threads_per_block = 1024;
  std::uint32_t max_host_threads = 1024;  ///< host threads one fake kernel may have (grid × block)
  std::uint64_t memory_bytes = 16ull << 30;
  bool host_native_atomics = false;  ///< as on x86 hosts with PCIe GPUs
  bool p2p = true;
  bool cooperative_launch = true;
  bool can_map_host_memory = true;
  bool fail_launch = false;          ///< every launch fails as cudaErrorLaunchFailure would
};

/// The value of RK_CUDA_FAKE: "1" (defaults) or a comma list of devices=N, sms=N, blocks_per_sm=N,
/// memory_mib=N, host_atomics, no_p2p, no_cooperative, no_map, fail_launch. nullopt with `error` set when
/// the text is not one.
std::optional<FakeCudaConfig> parse_fake_config(std::string_view text, std::string& error);

std::unique_ptr<CudaApi> make_fake_cuda_api(const FakeCudaConfig& config);

}  // namespace rk::cuda
