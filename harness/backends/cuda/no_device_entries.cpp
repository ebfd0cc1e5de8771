// Built without a CUDA compiler: no handler was compiled for the GPU (the fake CUDA layer runs them on host
// threads all the same).
#include "device_entries.hpp"

namespace rk::harness::backends {

const void* cuda_device_entry(const std::string&) { return nullptr; }

}  // namespace rk::harness::backends
