// choose_backend: what `backend: auto|NAME` and `allow_simulated_devices` mean (scenarios/README.md),
// over made-up lists of backends (a GPU backend with a given number of devices, the simulating CPU one).
#include <gtest/gtest.h>

#include "plan.hpp"

namespace rk::harness {
namespace {

Backend fake(const std::string& name, bool simulated, std::uint32_t physical) {
  Backend b;
  b.name = name;
  b.simulated = simulated;
  b.physical_devices = [physical] { return physical; };
  return b;
}

std::vector<Backend> with_gpus(std::uint32_t gpus) { return {fake("cuda", false, gpus), fake("cpu", true, 0)}; }

TEST(BackendChoice, AutoTakesTheGpuBackendWhenItHasTheDevices) {
  std::string note;
  EXPECT_EQ(choose_backend("auto", 2, false, with_gpus(2), note).name, "cuda");
  EXPECT_TRUE(note.empty());
  EXPECT_EQ(choose_backend("auto", 4, false, with_gpus(2), note).name, "cpu");  // too few GPUs: simulate
  EXPECT_EQ(choose_backend("auto", 1, false, with_gpus(0), note).name, "cpu");
  EXPECT_EQ(choose_backend("auto", 1, false, {fake("cpu", true, 0)}, note).name, "cpu");
}

TEST(BackendChoice, NamedBackendIsTakenOrRefused) {
  std::string note;
  EXPECT_EQ(choose_backend("cpu", 64, false, with_gpus(1), note).name, "cpu");  // always simulates
  EXPECT_EQ(choose_backend("cuda", 1, false, with_gpus(1), note).name, "cuda");
  try {
    choose_backend("cuda", 4, false, with_gpus(1), note);
    FAIL() << "4 devices on a 1-GPU machine without allow_simulated_devices";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("allow_simulated_devices"), std::string::npos) << e.what();
  }
  EXPECT_THROW(choose_backend("opencl", 1, true, with_gpus(1), note), InputError);
}

TEST(BackendChoice, AllowSimulatedDevicesFallsBackToTheSimulatingBackendWithANote) {
  std::string note;
  EXPECT_EQ(choose_backend("cuda", 4, true, with_gpus(1), note).name, "cpu");
  EXPECT_NE(note.find("has 1 of the 4 devices"), std::string::npos) << note;
  // A CUDA run on an executable without the CUDA backend: refused, unless simulation is allowed.
  const std::vector<Backend> cpu_only{fake("cpu", true, 0)};
  EXPECT_THROW(choose_backend("cuda", 1, false, cpu_only, note), InputError);
  EXPECT_EQ(choose_backend("cuda", 2, true, cpu_only, note).name, "cpu");
  EXPECT_NE(note.find("not built"), std::string::npos) << note;
}

}  // namespace
}  // namespace rk::harness
