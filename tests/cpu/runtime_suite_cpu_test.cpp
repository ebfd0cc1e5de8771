// The backend-agnostic runtime suite (tests/runtime/runtime_suite.hpp) on the CPU backend.
#include "rk/cpu/runtime.hpp"

namespace rk_test {
namespace {

struct Backend {
  static constexpr const char* kName = "cpu";
  static std::unique_ptr<rk::RingKernelRuntime> make(unsigned workers) {
    return std::make_unique<rk::cpu::CpuRuntime>(rk::cpu::CpuRuntimeConfig{.workers = workers});
  }
  template <class H>
  static void add(rk::RingKernelRuntime& rt, const std::string& type) {
    dynamic_cast<rk::cpu::CpuRuntime&>(rt).register_kernel_type<H>(type);
  }
  template <class H>
  static H handler(rk::RingKernelRuntime& rt, const std::string& kernel) {
    return dynamic_cast<rk::cpu::CpuRuntime&>(rt).handler<H>(kernel);
  }
};

}  // namespace
}  // namespace rk_test

#define RK_RUNTIME_SUITE RuntimeSuiteCpu
#include "runtime/runtime_suite.hpp"
