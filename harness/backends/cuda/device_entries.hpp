// The GPU entry points of the device handlers of every workload (device_entries.cu; without a CUDA
// compiler there are none).
#pragma once

#include <string>

namespace rk::harness::backends {

/// &ring_kernel_loop<H> of the handler registered as `type`; null when none was compiled for the GPU.
const void* cuda_device_entry(const std::string& type);

}  // namespace rk::harness::backends
