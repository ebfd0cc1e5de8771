// The CUDA backend as the driver sees it: persistent ring kernels on this machine's GPUs (CudaRuntime over
// the real CUDA runtime), or, when RK_CUDA_FAKE is set, on the fake CUDA layer — the same loop on host
// threads, for machines without a GPU (CI) and for fault injection. A run on the fake says so in its
// device names ("fake CUDA device …, not a GPU") and device kind ("cuda-fake").
#include <cstdlib>
#include <ostream>

#include "device_entries.hpp"
#include "rk/cuda/fake_cuda.hpp"
#include "rk/cuda/runtime.hpp"
#include "rk/harness/backend.hpp"
#include "rk/harness/generated/kernel_catalog.hpp"

namespace rk::harness::backends {

namespace {

constexpr const char* kFakeEnv = "RK_CUDA_FAKE";

/// The CUDA implementation this process uses: the fake when RK_CUDA_FAKE is set, else the real one (null
/// when this executable was built without CUDA).
std::unique_ptr<cuda::CudaApi> make_api() {
  if (const char* fake = std::getenv(kFakeEnv)) {
    std::string error;
    const auto cfg = cuda::parse_fake_config(fake, error);
    if (!cfg) throw RuntimeError(std::string(kFakeEnv) + ": " + error);
    return cuda::make_fake_cuda_api(*cfg);
  }
  return cuda::make_real_cuda_api();
}

std::uint32_t physical_devices() {
  try {
    auto api = make_api();
    return api ? static_cast<std::uint32_t>(api->device_count()) : 0u;
  } catch (const std::exception&) {
    return 0;
  }
}

/// Device handler names (what the runtime will launch), without making a runtime.
struct DeviceTypes {
  std::vector<std::string> names;
  template <class H>
  void add(const std::string& name) {
    if constexpr (cuda::DeviceHandler<H>) names.push_back(name);
  }
};

std::unique_ptr<RingKernelRuntime> make_cuda_runtime(const BackendConfig& c) {
  auto api = make_api();
  if (!api)
    throw RuntimeError("the cuda backend was built without a CUDA compiler: no GPU can run here (RK_CUDA_FAKE=1 runs it on "
                       "the fake CUDA layer)");
  cuda::CudaRuntimeConfig cfg;
  cfg.devices = c.local_devices > 0 ? c.local_devices : c.devices;
  cfg.rank = c.rank;
  cfg.command_timeout = c.command_timeout;
  auto rt = std::make_unique<cuda::CudaRuntime>(std::move(api), cfg, &cuda_device_entry);
  auto r = rt->registrar();
  generated::register_all_kernel_types(r);
  return rt;
}

void describe(std::ostream& out) {
  std::unique_ptr<cuda::CudaApi> api;
  try {
    api = make_api();
  } catch (const std::exception& e) {
    out << "  cuda   " << e.what() << "\n";
    return;
  }
  if (!api) {
    out << "  cuda   not available: built without a CUDA compiler (RK_CUDA_FAKE=1 runs it on the fake CUDA layer)\n";
    return;
  }
  const int n = api->device_count();
  if (n == 0) {
    out << "  cuda   no GPU found (no device, or no driver); RK_CUDA_FAKE=1 runs it on the fake CUDA layer\n";
    return;
  }
  out << "  cuda   " << n << " device(s)" << (std::getenv(kFakeEnv) ? " of the FAKE CUDA layer (RK_CUDA_FAKE): host threads, not GPUs" : "")
      << "\n";
  for (int d = 0; d < n; ++d) {
    const cuda::DeviceAttributes a = api->attributes(d);
    out << "         " << d << ": " << a.name << " (sm_" << a.compute_major << a.compute_minor << ", " << a.sm_count << " SMs, "
        << a.total_memory / (1u << 20) << " MiB, " << a.clock_khz / 1000 << " MHz, bus " << a.pci_bus_id << ")\n"
        << "            hostNativeAtomicSupported " << a.host_native_atomics << ", pageableMemoryAccess "
        << a.pageable_memory_access << ", cooperativeLaunch " << a.cooperative_launch << ", canMapHostMemory "
        << a.can_map_host_memory << ", unifiedAddressing " << a.unified_addressing << "\n";
  }
  DeviceTypes t;
  generated::register_all_kernel_types(t);
  out << "         kernel types it runs:";
  for (const auto& name : t.names) out << " " << name;
  out << "\n";
}

}  // namespace

Backend cuda_backend() {
  Backend b;
  b.name = "cuda";
  b.simulated = false;
  b.physical_devices = &physical_devices;
  b.make_runtime = &make_cuda_runtime;
  b.kernel_types = [] {
    DeviceTypes t;
    generated::register_all_kernel_types(t);
    return t.names;
  };
  b.describe = &describe;
  b.environment = {kFakeEnv};
  b.check_environment = [](const std::string&, const std::string& value) {
    std::string error;
    return cuda::parse_fake_config(value, error) ? std::string() : error;
  };
  return b;
}

}  // namespace rk::harness::backends
