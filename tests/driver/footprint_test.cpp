// footprint.hpp: the prepare phase's refusal of settings the scenario accepts but the backend or the machine
// cannot run — a kernel's threads above the backend's limit, more kernels than a run holds, and a memory
// estimate (rings, simulated thread stacks, kernel state, the workload's inputs) above the available
// memory — each a located ScenarioError (exit 2), unless RK_ALLOW_OVERCOMMIT lets the memory one pass.
#include <gtest/gtest.h>

#include "footprint.hpp"
#include "rk/core/message.hpp"
#include "rk/core/ring.hpp"

namespace rk::harness {
namespace {

class FakeWorkload final : public workloads::Workload {
 public:
  explicit FakeWorkload(workloads::MemoryEstimate m) : m_(std::move(m)) {}
  std::string name() const override { return "fake"; }
  workloads::MemoryEstimate memory_estimate() const override { return m_; }
  void configure(const workloads::Params&, const workloads::Topology&, const workloads::RunLimits&) override {}
  void run(RingKernelRuntime&, workloads::RunControl&, workloads::ResultSink&) override {}
  workloads::Verification verify() override { return {}; }
  void write_results(workloads::ResultSink&) override {}

 private:
  workloads::MemoryEstimate m_;
};

Backend cpu_like(std::uint32_t max_threads) {
  Backend b;
  b.name = "cpu";
  b.simulated = true;
  b.max_threads_per_kernel = max_threads;
  return b;
}

/// A prepared run as prepare() makes it, from scenario text (kernels planned like plan.cpp does).
Prepared prepared(const std::string& text, const Backend& backend, workloads::MemoryEstimate m = {}) {
  Prepared p;
  p.sc = scenario::parse_scenario(text, "t.yaml", std::filesystem::temp_directory_path(), {},
                                  scenario::ValidationContext{{"echo", "ballast"}, {"fake"}});
  p.backend = &backend;
  p.workload = std::make_unique<FakeWorkload>(std::move(m));
  for (std::size_t i = 0; i < p.sc.kernels.size(); ++i) {
    PlannedKernel k{i, {}};
    k.options.input_capacity = p.sc.kernels[i].queue_capacity;
    k.options.output_capacity = std::max<std::uint32_t>(p.sc.kernels[i].queue_capacity, 1024);
    p.planned.push_back(std::move(k));
  }
  return p;
}

const std::string kTwoKernels =
    "name: t\n"                                  // 1
    "kernels:\n"                                 // 2
    "  - {id: small, type: echo, queue_capacity: 64}\n"        // 3
    "  - {id: big, type: echo, queue_capacity: 16777216}\n"    // 4
    "workload: {name: fake}\n";                  // 5

std::uint64_t rings(std::uint32_t in, std::uint32_t out) {
  return MpscRing<Slot>::bytes_required(in) + SpscRing<Slot>::bytes_required(out);
}

TEST(Footprint, RingsAreCapacityTimesCellSizeForInputAndOutput) {
  const Backend b = cpu_like(4096);
  const Prepared p = prepared(kTwoKernels, b);
  const Footprint f = estimate_footprint(p);
  EXPECT_EQ(f.rings, rings(64, 1024) + rings(1 << 24, 1 << 24));
  EXPECT_GE(f.rings, std::uint64_t{2} << 32);  // 2 × 2^24 slots of 256 bytes: at least 8 GiB
  EXPECT_EQ(f.thread_stacks, 0u);
  EXPECT_EQ(f.largest_kernel, 1u);
  EXPECT_EQ(f.workload.bytes, 0u);
  EXPECT_GT(f.kernel_state, 0u);
  EXPECT_EQ(f.total(), f.rings + f.kernel_state);
}

TEST(Footprint, ThreadStacksHandlerStateAndTelemetryCount) {
  const Backend b = cpu_like(4096);
  const std::string base =
      "name: t\nkernels:\n  - {id: a, type: echo, grid: 4, block: 256}\n"
      "  - {id: s, type: ballast, params: {state_bytes: 100000000}}\nworkload: {name: fake}\n";
  const Footprint with = estimate_footprint(prepared(base, b));
  EXPECT_GE(with.thread_stacks, 1024u * (64u << 10));  // 1024 fibers of 64 KiB
  EXPECT_GE(with.kernel_state, 100000000u);
  const Footprint without_telemetry = estimate_footprint(prepared(base + "probes: {telemetry_interval: 0}\n", b));
  EXPECT_LT(without_telemetry.kernel_state, with.kernel_state);
}

TEST(Footprint, MoreThanAvailableIsALocatedErrorWithTheFigures) {
  const Backend b = cpu_like(4096);
  const Prepared p = prepared(kTwoKernels, b);
  const Footprint f = estimate_footprint(p);
  try {
    check_footprint(p, f, AvailableMemory{std::uint64_t{4} << 30, "MemAvailable"}, false);
    FAIL() << "no error";
  } catch (const scenario::ScenarioError& e) {
    EXPECT_EQ(e.line(), 4) << e.what();  // the kernel with the largest rings
    EXPECT_NE(e.message().find("the run needs about 8.0 GiB of memory"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("4.0 GiB this machine has available (MemAvailable)"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("kernel 'big'"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("RK_ALLOW_OVERCOMMIT=1"), std::string::npos) << e.what();
  }
  // Enough memory, unknown memory, or the override: no error.
  EXPECT_FALSE(check_footprint(p, f, AvailableMemory{std::uint64_t{16} << 30, "MemAvailable"}, false));
  EXPECT_FALSE(check_footprint(p, f, std::nullopt, false));
  const auto warning = check_footprint(p, f, AvailableMemory{std::uint64_t{4} << 30, "MemAvailable"}, true);
  ASSERT_TRUE(warning);
  EXPECT_NE(warning->find("running anyway (RK_ALLOW_OVERCOMMIT=1)"), std::string::npos) << *warning;
}

TEST(Footprint, AWorkloadThatDominatesIsBlamedAtItsParameter) {
  const Backend b = cpu_like(4096);
  const std::string text =
      "name: t\nkernels:\n  - {id: a, type: echo}\nworkload:\n  name: fake\n  graph_file_size: 3\n";
  const Prepared p = prepared(text, b, {std::uint64_t{300} << 30, "a graph of 2147483648 vertices", "graph_file_size"});
  try {
    check_footprint(p, estimate_footprint(p), AvailableMemory{std::uint64_t{20} << 30, "MemAvailable"}, false);
    FAIL() << "no error";
  } catch (const scenario::ScenarioError& e) {
    EXPECT_EQ(e.line(), 6) << e.what();
    EXPECT_EQ(e.column(), 20) << e.what();
    EXPECT_NE(e.message().find("a graph of 2147483648 vertices 300.0 GiB"), std::string::npos) << e.what();
  }
}

TEST(Footprint, ThreadsPerKernelAboveTheBackendsLimitAreRefusedAtTheKernel) {
  const std::string text =
      "name: t\nkernels:\n  - {id: a, type: echo, grid: 16, block: 256}\n"
      "  - {id: b, type: echo, grid: 64, block: [128, 1, 1]}\nworkload: {name: fake}\n";
  const Backend limited = cpu_like(4096);
  try {
    check_backend_limits(prepared(text, limited));
    FAIL() << "no error";
  } catch (const scenario::ScenarioError& e) {
    EXPECT_EQ(e.line(), 4) << e.what();
    EXPECT_EQ(e.message(), "kernel 'b': grid × block is 8192 threads, above the cpu backend's limit of 4096 threads per kernel");
  }
  const Backend unlimited = cpu_like(0);
  EXPECT_NO_THROW(check_backend_limits(prepared(text, unlimited)));
}

TEST(Footprint, MoreKernelsThanARunHoldsAreRefused) {
  const Backend b = cpu_like(4096);
  const std::string text = "name: t\nkernels:\n  - {id: \"k[0..65535]\", type: echo, queue_capacity: 2}\nworkload: {name: fake}\n";
  try {
    check_backend_limits(prepared(text, b));
    FAIL() << "no error";
  } catch (const scenario::ScenarioError& e) {
    EXPECT_EQ(e.line(), 3) << e.what();
    EXPECT_NE(e.message().find("a run holds at most " + std::to_string(kMaxKernels)), std::string::npos) << e.what();
  }
}

TEST(Footprint, AvailableMemoryAndFormatting) {
  const auto m = available_memory();
  ASSERT_TRUE(m);  // Linux: /proc/meminfo
  EXPECT_GT(m->bytes, 0u);
  EXPECT_FALSE(m->source.empty());
  EXPECT_EQ(format_bytes(300), "300 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(std::uint64_t{8} << 30), "8.0 GiB");
  EXPECT_EQ(format_bytes(UINT64_MAX), "16.0 EiB");
}

}  // namespace
}  // namespace rk::harness
