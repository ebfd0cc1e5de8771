// Built without a CUDA compiler: there is no real CUDA implementation in this executable (the fake CUDA
// layer still is). The cuda backend says so when asked for a GPU.
#include "rk/cuda/cuda_api.hpp"

namespace rk::cuda {

std::unique_ptr<CudaApi> make_real_cuda_api() { return nullptr; }

}  // namespace rk::cuda
