// Internal: registration of every workload's kernel types with a backend.
#pragma once

#include "rk/cpu/runtime.hpp"
#include "rk/harness/driver.hpp"

namespace rk::harness {

void register_kernel_types(cpu::CpuRuntime& rt);

}  // namespace rk::harness
