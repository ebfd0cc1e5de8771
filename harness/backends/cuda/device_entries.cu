// Compiles the persistent loop for the GPU once per device handler of every workload (the generated
// kernel catalog) and keeps each entry point under its type name.
#include <map>
#include <string>

#include "device_entries.hpp"
#include "rk/cuda/gpu_loop.cuh"
#include "rk/harness/generated/kernel_catalog.hpp"

namespace rk::harness::backends {

namespace {
struct EntryRegistrar {
  std::map<std::string, const void*> entries;
  template <class H>
  void add(const std::string& name) {
    if constexpr (cuda::DeviceHandler<H>) entries[name] = reinterpret_cast<const void*>(&cuda::ring_kernel_loop<H>);
  }
};
}  // namespace

const void* cuda_device_entry(const std::string& type) {
  static const std::map<std::string, const void*> entries = [] {
    EntryRegistrar r;
    generated::register_all_kernel_types(r);
    return r.entries;
  }();
  const auto it = entries.find(type);
  return it == entries.end() ? nullptr : it->second;
}

}  // namespace rk::harness::backends
