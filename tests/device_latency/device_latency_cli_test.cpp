// scenarios/gpu/device_latency.yaml run briefly through `ringkernel` on the CPU backend and on the fake CUDA
// layer: it must verify itself (exit 0) and write every figure as its own dataset of raw samples.
#include <cstdlib>

#include "cli_test_util.hpp"
#include "rk/record/reader.hpp"

namespace rk::harness_test {
namespace {

/// Small counts: a few seconds at most on a 2-core machine.
ProcResult run_short(const std::string& backend, const fs::path& output, const fs::path& dir) {
  const std::vector<std::string> args = {
      "run", (kSourceDir / "scenarios" / "gpu" / "device_latency.yaml").string(), "--backend", backend,
      "--set", "warmup=0s", "--set", "drain_timeout=30s",
      "--set", "workload.injection_samples=2000", "--set", "workload.round_trips=2000",
      "--set", "workload.hop_samples=300", "--set", "workload.messages=20000",
      "--set", "workload.throughput_rounds=2", "--set", "workload.baseline_samples=10",
      "--set", "workload.atomic_bounce_samples=1000",
      "--output", output.string(), "--quiet"};
  return run_cli(args, dir, 120s);
}

void check_file(const fs::path& output, const std::string& backend) {
  ASSERT_TRUE(fs::is_regular_file(output)) << output;
  record::ResultsReader r(output);
  EXPECT_EQ(r.string_attr("/", "status"), "complete");
  EXPECT_EQ(r.string_attr("/", "backend"), backend);
  const std::vector<std::pair<std::string, std::uint64_t>> probes = {
      {"injection", 2000}, {"round_trip", 2000}, {"k2k_hop", 300}, {"atomic_bounce", 1000}};
  for (const auto& [probe, count] : probes) {
    const std::string ds = "/latency/" + probe + "/samples_ns";
    ASSERT_TRUE(r.has(ds)) << ds;
    EXPECT_EQ(r.length(ds), count) << ds;
    EXPECT_EQ(r.u64_attr(ds, "count"), count) << ds;
  }
  // Neither backend here has device baselines (a real GPU only): no launch_sync / graph_replay datasets.
  EXPECT_FALSE(r.has("/latency/launch_sync"));
  EXPECT_FALSE(r.has("/latency/graph_replay"));
  const std::string w = "/workloads/device_latency";
  ASSERT_TRUE(r.has(w + "/throughput_msgs_per_s"));
  const auto rates = r.read_array<double>(w + "/throughput_msgs_per_s");
  ASSERT_EQ(rates.size(), 2u);
  for (const double x : rates) EXPECT_GT(x, 0.0);
  EXPECT_EQ(r.length(w + "/throughput_round_ns"), 2u);
  EXPECT_EQ(r.i64_attr(w, "throughput_messages_counted"), 40000);
  ASSERT_TRUE(r.has("/throughput/throughput/messages"));
  const auto msgs = r.read_array<std::uint64_t>("/throughput/throughput/messages");
  std::uint64_t total = 0;
  for (const auto m : msgs) total += m;
  EXPECT_EQ(total, 40000u);
}

TEST(DeviceLatencyCli, CpuBackendVerifiesAndRecordsEveryFigure) {
  TempDir dir;
  const fs::path out = dir / "cpu.h5";
  ::unsetenv("RK_CUDA_FAKE");
  const ProcResult res = run_short("cpu", out, dir.path());
  ASSERT_EQ(res.exit_code, 0) << describe(res);
  check_file(out, "cpu");
}

TEST(DeviceLatencyCli, FakeCudaBackendVerifiesAndRecordsEveryFigure) {
  TempDir dir;
  const fs::path out = dir / "fake.h5";
  ::setenv("RK_CUDA_FAKE", "1", 1);  // inherited by the child only for this run
  const ProcResult res = run_short("cuda", out, dir.path());
  ::unsetenv("RK_CUDA_FAKE");
  ASSERT_EQ(res.exit_code, 0) << describe(res);
  check_file(out, "cuda");
}

TEST(DeviceLatencyCli, MisspeltParameterIsRejected) {
  TempDir dir;
  const ProcResult res = run_cli({"run", (kSourceDir / "scenarios" / "gpu" / "device_latency.yaml").string(),
                                  "--backend", "cpu", "--set", "workload.mesages=10", "--quiet"},
                                 dir.path(), 60s);
  EXPECT_EQ(res.exit_code, 2) << describe(res);
  EXPECT_NE(res.err.find("messages"), std::string::npos) << res.err;  // did-you-mean
}

}  // namespace
}  // namespace rk::harness_test
