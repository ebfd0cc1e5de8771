// The synthetic workloads' latency samples on a CpuRuntime, driven by the workloads' own host drivers
// through a fake harness: every sample reaches the sink (sample count = messages), in chunks of at most
// 65,536 sent while the run goes on, and the workload thread's heap does not grow with the number of
// messages (the drivers used to keep every sample until the end, ~32 B a message in pipeline). The
// figures the workloads compute themselves: whole-run percentiles within the histogram's precision of
// the exact ones, ping_pong's per-block figures exact.
#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "rk/cpu/runtime.hpp"
#include "rk/workloads/declared_params.hpp"
#include "rk/workloads/histogram.hpp"
#include "rk/workloads/latency_stream.hpp"
#include "rk/workloads/synthetic/kernels.hpp"
#include "rk/workloads/synthetic/workloads.hpp"

namespace {

using namespace rk;
using namespace rk::workloads;

/// Bytes the main thread's heap holds (the workload runs on it; the runtime's workers have arenas of their own).
std::size_t heap_in_use() {
#if defined(__GLIBC__)
  const struct mallinfo2 m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
#else
  return 0;
#endif
}


class Control final : public RunControl {
 public:
  bool stop_requested() const override { return false; }
  void progress(std::uint64_t, std::uint64_t) override {}
  std::uint64_t now_ns() const override { return 0; }
};

/// Counts what reaches it. Samples are kept only for the probes given room beforehand (reserved, so
/// keeping them does not touch the heap while the workload runs).
class CountingSink final : public NullSink {
 public:
  struct Probe {
    std::uint64_t calls = 0, samples = 0, largest_call = 0;
    std::vector<std::uint64_t> kept;
    bool keep = false;
  };
  struct Table {
    std::vector<Column> columns;
    std::size_t row_size = 0, rows = 0;
    std::vector<std::byte> bytes;
    template <class T>
    T get(const std::string& column, std::size_t row) const {
      for (const auto& c : columns)
        if (c.name == column) {
          T v{};
          std::memcpy(&v, bytes.data() + row * row_size + c.offset, sizeof v);
          return v;
        }
      ADD_FAILURE() << "no column " << column;
      return T{};
    }
  };
  std::map<std::string, Probe> probes;
  std::map<std::string, Table> tables;
  std::map<std::string, std::int64_t> attrs_i;
  std::map<std::string, double> attrs_f;
  std::size_t heap_at_first_call = 0, heap_growth = 0;  // largest heap_in_use() − that of the first call
  bool any_call = false;

  void keep(const std::string& probe, std::size_t n) {
    probes[probe].keep = true;
    probes[probe].kept.reserve(n);
  }

  void latency(const std::string& p, std::span<const std::uint64_t> s) override {
    const std::size_t heap = heap_in_use();
    if (!any_call) heap_at_first_call = heap;
    any_call = true;
    heap_growth = std::max(heap_growth, heap > heap_at_first_call ? heap - heap_at_first_call : 0);
    Probe& probe = probes[p];
    ++probe.calls;
    probe.samples += s.size();
    probe.largest_call = std::max<std::uint64_t>(probe.largest_call, s.size());
    if (probe.keep) probe.kept.insert(probe.kept.end(), s.begin(), s.end());
  }
  void write_table(const std::string& n, const std::vector<Column>& cols, std::size_t row_size, const void* rows,
                   std::size_t count) override {
    Table& t = tables[n];
    t.columns = cols;
    t.row_size = row_size;
    t.rows = count;
    t.bytes.assign(static_cast<const std::byte*>(rows), static_cast<const std::byte*>(rows) + row_size * count);
  }
  void attr(const std::string& n, double v) override { attrs_f[n] = v; }
  void attr(const std::string& n, std::int64_t v) override { attrs_i[n] = v; }
};

/// Launches a kernel the way the harness does (routes as params, id requested) and describes it.
KernelInfo launch(cpu::CpuRuntime& rt, const std::string& name, const std::string& type, KernelId id,
                  std::vector<KernelId> outs, bool from_host, bool to_host, int device = 0,
                  std::map<std::string, std::string> params = {}) {
  LaunchOptions o;
  o.kernel_type = type;
  o.requested_id = static_cast<int>(id);
  o.device = device;
  o.params.set_routes({outs, RouteRule::Direct, to_host});
  for (const auto& [k, v] : params) o.params.set(k, v);
  rt.launch(name, Dim3{}, Dim3{}, o);
  KernelInfo k;
  k.name = name;
  k.type = type;
  k.id = id;
  k.device = device;
  k.outputs = std::move(outs);
  k.input_from_host = from_host;
  k.outputs_to_host = to_host;
  return k;
}

const WorkloadInfo& info(const std::string& name) {
  static const std::vector<WorkloadInfo> all = synthetic::workloads();
  for (const auto& w : all)
    if (w.name == name) return w;
  throw std::runtime_error("no workload " + name);
}

std::unique_ptr<Workload> make(const std::string& name) { return info(name).create(); }

std::string failures(const Verification& v) {
  std::string s;
  for (const auto& f : v.failures) s += f + "\n";
  return s;
}

/// Nearest rank, as harness/record computes it.
std::uint64_t exact_p50(std::vector<std::uint64_t> v) {
  const std::size_t rank = std::max<std::size_t>(1, (v.size() + 1) / 2);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
  return v[rank - 1];
}

void expect_within_histogram_precision(std::uint64_t got, std::uint64_t exact, const std::string& what) {
  const std::uint64_t diff = got > exact ? got - exact : exact - got;
  EXPECT_LE(diff, LatencyHistogram::error_bound(exact)) << what << ": " << got << " vs exact " << exact;
}

Verification run(Workload& w, cpu::CpuRuntime& rt, const Topology& topo, const MapParams& params, RunLimits limits,
                 CountingSink& sink) {
  w.configure(params, topo, limits);
  Control ctl;
  w.run(rt, ctl, sink);
  Verification v = w.verify();
  w.write_results(sink);
  return v;
}

constexpr std::uint64_t kChunk = LatencyStream::kDefaultChunk;

TEST(SyntheticStreaming, PipelineStreamsEveryHopInBoundedChunks) {
  cpu::CpuRuntime rt({.devices = 1, .workers = 1});
  auto reg = rt.registrar();
  synthetic::register_kernel_types(reg);
  Topology topo;
  for (KernelId s = 0; s < 4; ++s)
    topo.kernels.push_back(launch(rt, "stage[" + std::to_string(s) + "]", "forward", s,
                                  s < 3 ? std::vector<KernelId>{static_cast<KernelId>(s + 1)} : std::vector<KernelId>{}, s == 0, s == 3));
  for (const auto& k : topo.kernels) rt.activate(k.name);
  auto w = make("pipeline");
  MapParams params = MapParams::of(info("pipeline"));
  params.values["window"] = "256";
  RunLimits limits;
  constexpr std::uint64_t kMessages = 150'000;  // more than two chunks
  limits.iterations = kMessages;
  limits.drain_timeout = std::chrono::seconds(30);
  limits.latency_probes.push_back({"end_to_end", "host", "stage[3]"});
  CountingSink sink;
  const Verification v = run(*w, rt, topo, params, limits, sink);
  rt.shutdown();
  ASSERT_TRUE(v.ok) << failures(v);
  EXPECT_EQ(sink.attrs_i.at("messages_received"), static_cast<std::int64_t>(kMessages));
  for (const std::string probe : {"end_to_end", "hop_stage[0]_stage[1]", "hop_stage[1]_stage[2]", "hop_stage[2]_stage[3]"}) {
    ASSERT_EQ(sink.probes.count(probe), 1u) << probe;
    const auto& p = sink.probes.at(probe);
    EXPECT_EQ(p.samples, kMessages) << probe;
    EXPECT_LE(p.largest_call, kChunk) << probe;
    EXPECT_GE(p.calls, 3u) << probe;  // sent during the run, not all at its end
  }
#if defined(__GLIBC__)
  // Keeping the samples took 4 × 8 B per message: more than 4 MB here between the first call and the last.
  EXPECT_LT(sink.heap_growth, std::size_t{1} << 20);
#endif
}

TEST(SyntheticStreaming, PingPongStreamsAndKeepsItsDocumentedFigures) {
  cpu::CpuRuntime rt({.devices = 1, .workers = 1});
  auto reg = rt.registrar();
  synthetic::register_kernel_types(reg);
  Topology topo;
  topo.kernels.push_back(launch(rt, "echo", "echo", 0, {}, true, true));
  rt.activate("echo");
  auto w = make("ping_pong");
  MapParams params = MapParams::of(info("ping_pong"));
  params.values["baseline_samples"] = "20000";
  params.values["baseline_block"] = "10000";
  params.values["baseline_lines"] = "4";
  RunLimits limits;
  constexpr std::uint64_t kRoundTrips = 200'000;
  limits.iterations = kRoundTrips;
  limits.drain_timeout = std::chrono::seconds(30);
  limits.latency_probes.push_back({"round_trip", "host", "echo"});
  CountingSink sink;
  sink.keep("round_trip", kRoundTrips);
  sink.keep("atomic_bounce", 20'000);
  const Verification v = run(*w, rt, topo, params, limits, sink);
  rt.shutdown();
  ASSERT_TRUE(v.ok) << failures(v);

  const auto& rt_probe = sink.probes.at("round_trip");
  const auto& bounce = sink.probes.at("atomic_bounce");
  EXPECT_EQ(rt_probe.samples, kRoundTrips);
  EXPECT_LE(rt_probe.largest_call, kChunk);
  EXPECT_GE(rt_probe.calls, 4u);
  EXPECT_EQ(bounce.samples, 20'000u);
  EXPECT_EQ(sink.attrs_i.at("round_trips"), static_cast<std::int64_t>(kRoundTrips));
#if defined(__GLIBC__)
  // Keeping every round trip took 8 B each: about 1.5 MB here between the first call and the last.
  EXPECT_LT(sink.heap_growth, std::size_t{512} << 10);
#endif

  // Whole-run figures from histograms: within half a bucket of the exact nearest-rank p50s.
  const auto& rts = rt_probe.kept;
  const auto& bounces = bounce.kept;
  expect_within_histogram_precision(static_cast<std::uint64_t>(sink.attrs_i.at("p50_ns")), exact_p50(rts), "p50_ns");
  expect_within_histogram_precision(static_cast<std::uint64_t>(sink.attrs_i.at("baseline_p50_ns")), exact_p50(bounces),
                                    "baseline_p50_ns");
  // Bounces go block by block (10,000 each), each block's shared among the 4 lines in turn (2,500 each).
  const auto& lines = sink.tables.at("bounce_lines");
  ASSERT_EQ(lines.rows, 4u);
  double mean = 0;
  for (std::size_t l = 0; l < 4; ++l) {
    std::vector<std::uint64_t> mine;
    for (std::size_t block = 0; block < 2; ++block)
      mine.insert(mine.end(), bounces.begin() + static_cast<std::ptrdiff_t>(block * 10'000 + l * 2500),
                  bounces.begin() + static_cast<std::ptrdiff_t>(block * 10'000 + (l + 1) * 2500));
    EXPECT_EQ(lines.get<std::uint32_t>("line", l), l);
    EXPECT_EQ(lines.get<std::uint64_t>("samples", l), 5000u);
    const auto p50 = lines.get<std::uint64_t>("p50_ns", l);
    expect_within_histogram_precision(p50, exact_p50(mine), "line " + std::to_string(l));
    mean += static_cast<double>(p50) / 4;
  }
  EXPECT_NEAR(static_cast<double>(sink.attrs_i.at("baseline_line_mean_p50_ns")), mean, 0.51);
  // Per-block figures stay exact: the block's 10,000 round trips (the re-warming ones are not recorded)
  // and the bounce block right after them.
  const auto& blocks = sink.tables.at("blocks");
  ASSERT_EQ(blocks.rows, 2u);
  for (std::size_t b = 0; b < 2; ++b) {
    const auto at = [](const std::vector<std::uint64_t>& v, std::size_t from, std::size_t n) {
      return std::vector<std::uint64_t>(v.begin() + static_cast<std::ptrdiff_t>(from),
                                        v.begin() + static_cast<std::ptrdiff_t>(from + n));
    };
    EXPECT_EQ(blocks.get<std::uint64_t>("round_trip_p50_ns", b), exact_p50(at(rts, b * 10'000, 10'000))) << b;
    EXPECT_EQ(blocks.get<std::uint64_t>("atomic_bounce_p50_ns", b), exact_p50(at(bounces, b * 10'000, 10'000))) << b;
  }
}

TEST(SyntheticStreaming, MigrationCostStreamsItsDurations) {
  cpu::CpuRuntime rt({.devices = 2, .workers = 1});
  auto reg = rt.registrar();
  synthetic::register_kernel_types(reg);
  Topology topo;
  topo.kernels.push_back(launch(rt, "ballast", "ballast", 0, {}, true, true, 0, {{"state_bytes", "4096"}}));
  rt.activate("ballast");
  auto w = make("migration_cost");
  MapParams params = MapParams::of(info("migration_cost"));
  params.values["migrations"] = "40";
  params.values["messages_between"] = "2";
  RunLimits limits;
  limits.latency_probes.push_back({"migration", "ballast", "ballast"});
  CountingSink sink;
  sink.keep("migration", 40);
  const Verification v = run(*w, rt, topo, params, limits, sink);
  rt.shutdown();
  ASSERT_TRUE(v.ok) << failures(v);
  const auto& p = sink.probes.at("migration");
  EXPECT_EQ(p.samples, 40u);
  EXPECT_EQ(sink.attrs_i.at("migrations"), 40);
  expect_within_histogram_precision(static_cast<std::uint64_t>(sink.attrs_i.at("p50_ns")), exact_p50(p.kept), "p50_ns");
}

}  // namespace
