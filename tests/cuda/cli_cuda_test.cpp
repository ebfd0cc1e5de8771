// `ringkernel` with `--backend cuda` on the fake CUDA layer (RK_CUDA_FAKE): the shipped synthetic scenarios
// run to "verification passed" with their kernels on host threads that run the GPU's loop; what the backend
// cannot run, or a bad RK_CUDA_FAKE, is exit 2 with the reason. The fake proves orchestration, not a GPU.
#include <cstdlib>

#include "harness/cli_test_util.hpp"

namespace rk::harness_test {
namespace {

/// Sets an environment variable for the children of one test (the test runs them one at a time).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

void expect_verified_on_fake(const std::string& scenario, std::vector<std::string> extra) {
  ScopedEnv fake("RK_CUDA_FAKE", "1");
  TempDir dir;
  std::vector<std::string> args{"run", shipped(scenario), "--backend", "cuda", "--output", (dir / "out.h5").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_cli(args, dir.path(), 120s);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("verification"), std::string::npos) << describe(r);
  EXPECT_NE(r.out.find("passed"), std::string::npos) << describe(r);
  EXPECT_NE(r.out.find("cuda"), std::string::npos) << describe(r);
  EXPECT_TRUE(fs::exists(dir / "out.h5"));
}

TEST(CliCudaFake, PingPongIsVerified) { expect_verified_on_fake("ping_pong", {"--set", "iterations=2000", "--set", "warmup=0s", "--set", "workload.baseline=false"}); }
TEST(CliCudaFake, PipelineIsVerified) { expect_verified_on_fake("pipeline", {"--set", "iterations=20000"}); }
TEST(CliCudaFake, FanOutIsVerified) { expect_verified_on_fake("fan_out", {"--set", "iterations=100000"}); }
TEST(CliCudaFake, AllToAllIsVerified) { expect_verified_on_fake("all_to_all", {"--set", "iterations=1000"}); }

TEST(CliCudaFake, DevicesListsTheFakeAsNotAGpu) {
  ScopedEnv fake("RK_CUDA_FAKE", "sms=3");
  TempDir dir;
  const auto r = run_cli({"devices"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("FAKE CUDA layer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 SMs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hostNativeAtomicSupported 0"), std::string::npos) << r.out;
}

TEST(CliCudaFake, HostOnlyKernelTypeIsRefusedByName) {
  ScopedEnv fake("RK_CUDA_FAKE", "1");
  TempDir dir;
  const auto r = run_cli({"run", shipped("order_matching"), "--backend", "cuda", "--output", (dir / "out.h5").string()}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_NE(r.err.find("cannot run kernel type 'om_"), std::string::npos) << describe(r);
  EXPECT_FALSE(fs::exists(dir / "out.h5"));
}

TEST(CliCudaFake, AutoPassesOverTheGpuBackendForHostOnlyTypes) {
  ScopedEnv fake("RK_CUDA_FAKE", "1");
  TempDir dir;
  const auto r = run_cli({"validate", shipped("order_matching")}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST(CliCudaFake, MisspelledFakeSettingIsExitTwo) {
  ScopedEnv fake("RK_CUDA_FAKE", "smz=2");
  TempDir dir;
  const auto r = run_cli({"run", shipped("ping_pong"), "--backend", "cuda", "--output", (dir / "out.h5").string()}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_NE(r.err.find("RK_CUDA_FAKE=smz=2"), std::string::npos) << describe(r);
}

TEST(CliCudaFake, MisspelledVariableNameIsExitTwo) {
  ScopedEnv fake("RK_CUDA_FAKES", "1");
  TempDir dir;
  const auto r = run_cli({"run", shipped("ping_pong"), "--output", (dir / "out.h5").string()}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_NE(r.err.find("RK_CUDA_FAKE"), std::string::npos) << describe(r);
}

}  // namespace
}  // namespace rk::harness_test
