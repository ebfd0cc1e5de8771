// Settings the scenario accepts but this machine or backend cannot run, through the command line: each is
// exit 2 naming FILE:LINE with the figure, from `run` (no results file) and `validate`, before anything is
// allocated. The children run with a 4 GiB address-space limit, so that a regression fails fast with
// std::bad_alloc instead of taking the machine's memory.
#include <sys/resource.h>

#include <cstdint>
#include <fstream>

#include "cli_test_util.hpp"

namespace rk::harness_test {
namespace {

constexpr std::uint64_t kChildAddressSpace = std::uint64_t{4} << 30;

std::uint64_t mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return 0;
}

/// Runs ringkernel with its address space limited (and an environment variable set, when given).
ProcResult run_limited(const std::vector<std::string>& args, const fs::path& dir, const char* env = nullptr) {
  if (env) ::putenv(const_cast<char*>(env));
  Child child(args, dir, ChildLimit{RLIMIT_AS, kChildAddressSpace});  // forks with the environment
  if (env) ::unsetenv(std::string(env).substr(0, std::string(env).find('=')).c_str());
  return child.wait(60s);
}

void expect_refused(const ProcResult& r, const std::string& location, const std::string& figure) {
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_NE(r.err.find(location), std::string::npos) << "expected " << location << "\n" << describe(r);
  EXPECT_NE(r.err.find(figure), std::string::npos) << "expected " << figure << "\n" << describe(r);
}

// Two edges, one to vertex 2^31 − 1: every vertex-indexed vector has 2^31 entries (> 200 GiB in all).
TEST(CliLimits, GraphWithTheLargestIdIsRefusedByRunAndValidate) {
  if (mem_available() > (std::uint64_t{256} << 30)) GTEST_SKIP() << "this machine has the memory for it";
  TempDir dir;
  write_text(dir / "big.txt", "0 1\n2147483647 0\n");
  write_text(dir / "big.yaml",
             "name: big\nbackend: cpu\nkernels:\n  - {id: \"pr[0..3]\", type: pagerank_partition}\nroutes:\n"
             "  - {from: host, to: \"pr[*]\", rule: broadcast}\n  - {from: \"pr[*]\", to: \"pr[*]\", rule: broadcast}\n"
             "  - {from: \"pr[*]\", to: host}\nworkload:\n  name: pagerank\n  graph: big.txt\n");
  const std::string figure = "a graph of 2147483648 vertices and 2 edges in 4 partitions";
  expect_refused(run_limited({"validate", (dir / "big.yaml").string()}, dir.path()), "big.yaml:11:10: error: ", figure);
  const auto r = run_limited({"run", (dir / "big.yaml").string(), "--output", (dir / "out.h5").string(), "--quiet"}, dir.path());
  expect_refused(r, "big.yaml:11:10: error: the run needs about ", figure);
  EXPECT_NE(r.err.find("RK_ALLOW_OVERCOMMIT=1"), std::string::npos) << describe(r);
  EXPECT_FALSE(fs::exists(dir / "out.h5"));
  EXPECT_FALSE(fs::exists(tmp_of(dir / "out.h5")));
}

const std::string kHugeRings =
    "name: rings\n"                                              // 1
    "backend: cpu\n"                                             // 2
    "iterations: 100\n"                                          // 3
    "kernels:\n"                                                 // 4
    "  - {id: echo, type: echo}\n"                               // 5
    "  - {id: \"spare[0..63]\", type: echo, queue_capacity: 16777216}\n"  // 6
    "routes:\n"                                                  // 7
    "  - {from: host, to: echo}\n"                               // 8
    "  - {from: echo, to: host}\n"                               // 9
    "workload: {name: ping_pong, baseline: false}\n";            // 10

TEST(CliLimits, RingsBeyondTheMachinesMemoryAreRefusedAtTheKernel) {
  if (mem_available() > (std::uint64_t{512} << 30)) GTEST_SKIP() << "this machine has the memory for it";
  TempDir dir;
  write_text(dir / "rings.yaml", kHugeRings);
  const auto r = run_limited({"run", (dir / "rings.yaml").string(), "--output", (dir / "out.h5").string(), "--quiet"}, dir.path());
  expect_refused(r, "rings.yaml:6:5: error: the run needs about ", "rings 512.0 GiB");
  EXPECT_NE(r.err.find("kernel 'spare[0]' (rings of 16777216 + 16777216 slots) 8.0 GiB, 65 kernels in all"), std::string::npos)
      << describe(r);
  EXPECT_FALSE(fs::exists(dir / "out.h5"));
  expect_refused(run_limited({"validate", (dir / "rings.yaml").string()}, dir.path()), "rings.yaml:6:5: error: ",
                 "rings 512.0 GiB");
}

TEST(CliLimits, AllowOvercommitTurnsTheRefusalIntoAWarning) {
  TempDir dir;
  write_text(dir / "rings.yaml", kHugeRings);
  static char env[] = "RK_ALLOW_OVERCOMMIT=1";
  const auto r = run_limited({"validate", (dir / "rings.yaml").string()}, dir.path(), env);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  if (mem_available() <= (std::uint64_t{512} << 30)) {
    EXPECT_NE(r.err.find("running anyway (RK_ALLOW_OVERCOMMIT=1)"), std::string::npos) << describe(r);
  }
}

TEST(CliLimits, ThreadsPerKernelAboveTheCpuBackendsLimitAreRefusedBeforeTheRun) {
  TempDir dir;
  write_text(dir / "grid.yaml",
             "name: grid\nbackend: cpu\niterations: 100\nkernels:\n  - id: echo\n    type: echo\n    grid: 64\n"
             "    block: 128\nroutes:\n  - {from: host, to: echo}\n  - {from: echo, to: host}\n"
             "workload: {name: ping_pong, baseline: false}\n");
  const std::string message =
      "grid.yaml:5:5: error: kernel 'echo': grid × block is 8192 threads, above the cpu backend's limit of 4096 threads per kernel";
  const auto r = run_limited({"run", (dir / "grid.yaml").string(), "--output", (dir / "out.h5").string(), "--quiet"}, dir.path());
  expect_refused(r, message, "");
  EXPECT_FALSE(fs::exists(dir / "out.h5"));
  expect_refused(run_limited({"validate", (dir / "grid.yaml").string()}, dir.path()), message, "");
}

TEST(CliLimits, DurationsNear2To63NanosecondsAreRefused) {
  TempDir dir;
  for (const std::string set : {"duration=2562047h", "warmup=2562047h"}) {
    const auto r = run_cli({"run", shipped("pipeline"), "--set", set, "--output", (dir / "out.h5").string(), "--quiet"},
                           dir.path());
    expect_refused(r, "--set " + set + ":1:", "must be at most 8760h (365 days; got 2562047h)");
    EXPECT_FALSE(fs::exists(dir / "out.h5"));
  }
}

TEST(CliLimits, GraphFileWithAByteOrderMarkRuns) {
  TempDir dir;
  write_text(dir / "bom.txt", "\xEF\xBB\xBF" + read_text(kSourceDir / "tests/harness/data/graph_handmade.txt"));
  const auto r = run_cli({"run", shipped("pagerank"), "--set", "workload.graph=" + (dir / "bom.txt").string(), "--set",
                          "workload.baseline=false", "--output", (dir / "out.h5").string(), "--quiet"},
                         dir.path(), 120s);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

// A billion generated orders (~120 GiB with what a run keeps per order) are refused before any is
// generated: `validate` and `run` answer at once instead of filling the memory first.
TEST(CliLimits, AGeneratedOrderStreamBeyondTheMachineIsRefusedBeforeItIsMade) {
  if (mem_available() > (std::uint64_t{128} << 30)) GTEST_SKIP() << "this machine has the memory for it";
  TempDir dir;
  const std::vector<std::string> set = {"--set", "workload.generator.orders=1000000000"};
  auto validate = std::vector<std::string>{"validate", shipped("order_matching")};
  validate.insert(validate.end(), set.begin(), set.end());
  expect_refused(run_limited(validate, dir.path()), "order_matching.yaml:", "1000000000 orders");
  auto run = std::vector<std::string>{"run", shipped("order_matching"), "--output", (dir / "out.h5").string(), "--quiet"};
  run.insert(run.end(), set.begin(), set.end());
  expect_refused(run_limited(run, dir.path()), "order_matching.yaml:", "1000000000 orders");
  EXPECT_FALSE(fs::exists(dir / "out.h5"));
}

// The RK_* variables ringkernel reads are checked like parameters: a misspelt name is exit 2 with a
// did-you-mean, a value the variable does not take too (`yes` would otherwise read as "not allowed").
TEST(CliLimits, MisspeltOrBadEnvironmentVariablesAreRefused) {
  TempDir dir;
  const std::vector<std::string> validate = {"validate", shipped("pipeline")};
  auto r = run_limited(validate, dir.path(), "RK_ALLOW_OVERCOMIT=1");
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_NE(r.err.find("did you mean 'RK_ALLOW_OVERCOMMIT'"), std::string::npos) << describe(r);
  r = run_limited(validate, dir.path(), "RK_ALLOW_OVERCOMMIT=yes");
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_NE(r.err.find("expected 0 or 1"), std::string::npos) << describe(r);
  r = run_limited(validate, dir.path(), "RK_SOME_OTHER_TOOL=whatever");  // not ours, not close to ours
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

}  // namespace
}  // namespace rk::harness_test
