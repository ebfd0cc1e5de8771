// PageRank: SNAP parsing (errors with line numbers, parallel = sequential), generators (deterministic
// per seed), the sequential reference on hand-made graphs with known ranks, the parallel CSR baseline,
// and the ring-kernel topology driven through the workload on 1, 2 and 4 simulated CPU devices —
// equal to the reference and bit-identical from run to run.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <variant>

#include "rk/cpu/runtime.hpp"
#include "rk/workloads/declared_params.hpp"
#include "rk/workloads/pagerank/graph.hpp"
#include "rk/workloads/pagerank/reference.hpp"
#include "rk/workloads/pagerank/ring.hpp"
#include "rk/workloads/pagerank/workloads.hpp"

namespace pr = rk::workloads::pagerank;
using rk::workloads::KernelInfo;
using rk::workloads::Topology;

namespace {

// ---------------------------------------------------------------------------------------------------
// Fakes of the harness side.

/// The pagerank workload's parameters from strings, read against its declaration.
rk::workloads::MapParams pagerank_params(bool with_generator) {
  return rk::workloads::MapParams::of(rk::workloads::pagerank::workloads().front(), with_generator);
}


class FakeControl final : public rk::workloads::RunControl {
 public:
  bool stop_requested() const override { return false; }
  void progress(std::uint64_t done, std::uint64_t) override { last = done; }
  std::uint64_t now_ns() const override { return 0; }
  std::uint64_t last = 0;
};

class FakeSink final : public rk::workloads::ResultSink {
 public:
  void latency(const std::string&, std::span<const std::uint64_t>) override {}
  void throughput(const std::string&, std::uint64_t, std::uint64_t, std::uint64_t) override {}
  void event(const std::string&, const std::string&, const std::string&, const std::string&) override {}
  void write_f64(const std::string& n, std::span<const double> v) override { f64[n].assign(v.begin(), v.end()); }
  void write_u64(const std::string& n, std::span<const std::uint64_t> v) override { u64[n].assign(v.begin(), v.end()); }
  void write_i64(const std::string&, std::span<const std::int64_t>) override {}
  void write_strings(const std::string&, const std::vector<std::string>&) override {}
  void write_table(const std::string& n, const std::vector<Column>& cols, std::size_t row_size, const void*,
                   std::size_t count) override {
    tables[n] = count;
    columns[n] = cols.size();
    row_bytes = row_size;
  }
  void attr(const std::string& n, double v) override { dattr[n] = v; }
  void attr(const std::string& n, std::int64_t v) override { iattr[n] = v; }
  void attr(const std::string& n, const std::string& v) override { sattr[n] = v; }

  std::map<std::string, std::vector<double>> f64;
  std::map<std::string, std::vector<std::uint64_t>> u64;
  std::map<std::string, std::size_t> tables, columns;
  std::size_t row_bytes = 0;
  std::map<std::string, double> dattr;
  std::map<std::string, std::int64_t> iattr;
  std::map<std::string, std::string> sattr;
};

/// The topology the harness would plan for `pr_part[0..K-1]` with host routes and an all-to-all
/// broadcast route between the partitions.
Topology partition_topology(std::uint32_t K, std::uint32_t devices) {
  Topology t;
  for (std::uint32_t i = 0; i < K; ++i) {
    KernelInfo k;
    k.name = "pr_part[" + std::to_string(i) + "]";
    k.type = "pagerank_partition";
    k.id = static_cast<rk::KernelId>(i);
    k.device = static_cast<int>(i % devices);
    k.rule = rk::RouteRule::Broadcast;
    k.input_from_host = k.outputs_to_host = true;
    for (std::uint32_t j = 0; j < K; ++j)
      if (j != i) k.outputs.push_back(static_cast<rk::KernelId>(j));
    t.kernels.push_back(k);
  }
  return t;
}

void launch(rk::cpu::CpuRuntime& rt, const Topology& t) {
  auto r = rt.registrar();
  pr::register_kernel_types(r);
  for (const auto& k : t.kernels) {
    rk::LaunchOptions o;
    o.kernel_type = k.type;
    o.requested_id = k.id;
    o.device = k.device;
    o.params.set_routes({k.outputs, rk::RouteRule::Broadcast, k.outputs_to_host});  // as partition_topology
    rt.launch(k.name, rk::Dim3{}, rk::Dim3{}, o);
  }
  for (const auto& k : t.kernels) rt.activate(k.name);
}

struct WorkloadRun {
  std::vector<double> ranks, l1;
  std::int64_t iterations = 0;
  rk::workloads::Verification verification;
  FakeSink sink;
};

/// Runs the `pagerank` workload as the harness does, on `devices` simulated devices and K partitions.
WorkloadRun run_workload(const rk::workloads::MapParams& params, std::uint32_t devices, std::uint32_t K) {
  rk::cpu::CpuRuntime rt({.devices = devices, .workers = 1});
  const Topology topo = partition_topology(K, devices);
  auto wl = pr::workloads().front().create();
  rk::workloads::RunLimits limits;
  limits.seed = 7;
  wl->configure(params, topo, limits);
  launch(rt, topo);
  FakeControl ctl;
  WorkloadRun out;
  wl->run(rt, ctl, out.sink);
  out.verification = wl->verify();
  wl->write_results(out.sink);
  rt.shutdown();
  out.ranks = out.sink.f64["ranks"];
  out.l1 = out.sink.f64["l1_delta"];
  out.iterations = out.sink.iattr["iterations"];
  return out;
}

std::string temp_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("rk_pagerank_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

pr::Graph graph_of(const std::string& text) { return pr::build_graph(pr::parse_snap("t.txt", text.data(), text.size(), 1)); }

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

pr::PageRankOptions tight() {
  pr::PageRankOptions o;
  o.tolerance = 1e-15;
  o.max_iterations = 1000;
  return o;
}

// ---------------------------------------------------------------------------------------------------
// Parser.

TEST(PageRankParser, ParsesCommentsBlankLinesTabsAndCrlf) {
  const std::string text = "# a comment\n0 1\n\n  # indented comment\n1\t2\r\n2  0  \n\t3 0\n";
  const auto el = pr::parse_snap("g.txt", text.data(), text.size(), 1);
  EXPECT_EQ(el.vertices, 4u);
  ASSERT_EQ(el.edges(), 4u);
  EXPECT_EQ(el.src, (std::vector<std::uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(el.dst, (std::vector<std::uint32_t>{1, 2, 0, 0}));
}

TEST(PageRankParser, VerticesAreZeroToMaxId) {
  const std::string text = "7 2\n";
  const auto el = pr::parse_snap("g.txt", text.data(), text.size(), 1);
  EXPECT_EQ(el.vertices, 8u);
  const auto g = pr::build_graph(el);
  EXPECT_EQ(g.dangling(), 7u);
}

TEST(PageRankParser, MalformedLinesNameFileAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0 1\n1 x\n", "g.txt:2: error: "},         {"0 1\n# c\n\n5\n", "g.txt:4: error: "},
      {"-1 2\n", "g.txt:1: error: "},             {"0 1 2\n", "g.txt:1: error: "},
      {"0 1\n0,1\n", "g.txt:2: error: "},         {"99999999999 1\n", "g.txt:1: error: "},
      {"0 1\n1 2\nabc", "g.txt:3: error: "},
  };
  for (const auto& [text, prefix] : cases) {
    try {
      pr::parse_snap("g.txt", text.data(), text.size(), 1);
      ADD_FAILURE() << "no error for: " << text;
    } catch (const pr::DataFileError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
    }
  }
}

TEST(PageRankParser, EmptyGraphAndMissingFileAreErrors) {
  const std::string text = "# only comments\n\n";
  EXPECT_THROW(pr::parse_snap("g.txt", text.data(), text.size(), 1), pr::DataFileError);
  EXPECT_THROW(pr::load_snap("/nonexistent/graph.txt"), pr::DataFileError);
}

TEST(PageRankParser, ParallelParseEqualsSequentialAndFindsFirstErrorLine) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += std::to_string(i % 977) + (i % 3 ? "\t" : " ") + std::to_string((i * 31) % 1013) + "\n";
  const auto one = pr::parse_snap("g", text.data(), text.size(), 1);
  const auto four = pr::parse_snap("g", text.data(), text.size(), 4);
  EXPECT_EQ(one.src, four.src);
  EXPECT_EQ(one.dst, four.dst);
  EXPECT_EQ(one.vertices, four.vertices);
  // Two errors, in different chunks: the first one (line 150001) is reported.
  std::string bad = text;
  auto line_start = [&](std::size_t line) {
    std::size_t pos = 0;
    for (std::size_t l = 1; l < line; ++l) pos = bad.find('\n', pos) + 1;
    return pos;
  };
  bad.insert(line_start(190001), "oops ");
  bad.insert(line_start(150001), "1 2 3\n");
  for (unsigned threads : {1u, 3u, 4u}) {
    try {
      pr::parse_snap("big.txt", bad.data(), bad.size(), threads);
      ADD_FAILURE() << "no error";
    } catch (const pr::DataFileError& e) {
      EXPECT_EQ(e.line(), 150001u) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("big.txt:150001: error: malformed edge '1 2 3'", 0), 0u) << e.what();
    }
  }
  // Through a file.
  const auto path = temp_file("bad.txt", "0 1\n1 2\n2 zero\n");
  try {
    pr::load_snap(path, 2);
    ADD_FAILURE() << "no error";
  } catch (const pr::DataFileError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":3: error: malformed edge '2 zero': expected a non-negative integer vertex id");
  }
  std::filesystem::remove(path);
}

// ---------------------------------------------------------------------------------------------------
// Generators.

TEST(PageRankGenerators, RmatIsDeterministicPerSeedAndThreadCount) {
  pr::RmatParams p;
  p.scale = 12;
  p.edge_factor = 8;
  p.seed = 5;
  const auto a = pr::generate_rmat(p, 1), b = pr::generate_rmat(p, 3);
  EXPECT_EQ(a.vertices, 4096u);
  EXPECT_EQ(a.edges(), 8u * 4096u);
  EXPECT_EQ(a.src, b.src);
  EXPECT_EQ(a.dst, b.dst);
  p.seed = 6;
  const auto c = pr::generate_rmat(p, 2);
  EXPECT_NE(a.src, c.src);
  for (auto v : a.src) ASSERT_LT(v, 4096u);
  // Skewed: vertex 0's quadrant (a = 0.57) dominates.
  const auto g = pr::build_graph(a);
  EXPECT_GT(g.out_degree[0], 8u * 10);
}

TEST(PageRankGenerators, UniformIsDeterministicPerSeed) {
  const auto a = pr::generate_uniform(1000, 5000, 3, 1), b = pr::generate_uniform(1000, 5000, 3, 4);
  EXPECT_EQ(a.src, b.src);
  EXPECT_EQ(a.dst, b.dst);
  EXPECT_NE(a.src, pr::generate_uniform(1000, 5000, 4, 1).src);
  for (auto v : a.dst) ASSERT_LT(v, 1000u);
}

// ---------------------------------------------------------------------------------------------------
// Reference on hand-made graphs with known ranks.

TEST(PageRankReference, CycleIsUniform) {
  const auto r = pr::reference_pagerank(graph_of("0 1\n1 2\n2 3\n3 4\n4 0\n"), tight());
  for (double x : r.ranks) EXPECT_NEAR(x, 0.2, 1e-15);
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.iterations, 1u);
}

TEST(PageRankReference, InStarWithDanglingCentre) {
  const int k = 6;
  std::string text;
  for (int i = 1; i <= k; ++i) text += std::to_string(i) + " 0\n";
  const auto r = pr::reference_pagerank(graph_of(text), tight());
  const double d = 0.85, n = k + 1;
  const double centre = (1 + k * d) / (n + k * d);
  EXPECT_NEAR(r.ranks[0], centre, 1e-12);
  for (int i = 1; i <= k; ++i) EXPECT_NEAR(r.ranks[i], (1 - centre) / k, 1e-12);
  EXPECT_NEAR(sum(r.ranks), 1.0, 1e-12);
}

TEST(PageRankReference, TwoVerticesOneDangling) {
  const auto r = pr::reference_pagerank(graph_of("0 1\n"), tight());
  EXPECT_NEAR(r.ranks[0], 1 / 2.85, 1e-12);
  EXPECT_NEAR(r.ranks[1], 1.85 / 2.85, 1e-12);
}

TEST(PageRankReference, SelfLoop) {
  const auto r = pr::reference_pagerank(graph_of("0 0\n1 0\n"), tight());
  EXPECT_NEAR(r.ranks[1], 0.15 / 2, 1e-12);
  EXPECT_NEAR(r.ranks[0], 1.85 / 2, 1e-12);
}

TEST(PageRankReference, IdsThatNeverAppearAreIsolatedDanglingVertices) {
  const auto r = pr::reference_pagerank(graph_of("0 1\n1 0\n4 0\n"), tight());
  ASSERT_EQ(r.ranks.size(), 5u);
  EXPECT_EQ(r.ranks[2], r.ranks[3]);
  EXPECT_EQ(r.ranks[2], r.ranks[4]);  // nothing points to 2, 3 or 4
  EXPECT_NEAR(sum(r.ranks), 1.0, 1e-12);
  EXPECT_GT(r.ranks[0], r.ranks[1]);
}

TEST(PageRankReference, StopsAtMaxIterations) {
  pr::PageRankOptions o;
  o.tolerance = 0;
  o.max_iterations = 7;
  const auto r = pr::reference_pagerank(graph_of("0 1\n1 2\n2 0\n2 1\n"), o);
  EXPECT_EQ(r.iterations, 7u);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.l1_delta.size(), 7u);
}

TEST(PageRankBaseline, EqualsReferenceOnGeneratedGraphs) {
  pr::RmatParams p;
  p.scale = 13;
  const auto g = pr::build_graph(pr::generate_rmat(p));
  const pr::PageRankOptions o;
  const auto ref = pr::reference_pagerank(g, o);
  for (unsigned t : {1u, 2u, 3u}) {
    const auto b = pr::baseline_pagerank(g, o, t);
    const auto c = pr::compare_to_reference(b, ref);
    EXPECT_TRUE(c.equal) << t << " threads: " << c.message;
    EXPECT_EQ(b.iteration_ns.size(), b.iterations);
  }
  const auto fixed = pr::baseline_pagerank(g, {.damping = 0.85, .tolerance = 1e-6, .max_iterations = 3}, 2, true);
  EXPECT_EQ(fixed.iterations, 3u);
}

TEST(PageRankPartitions, BlocksCoverEveryCrossEdge) {
  pr::RmatParams p;
  p.scale = 10;
  const auto g = pr::build_graph(pr::generate_rmat(p));
  pr::PartitionedGraph parts(g, {0, 1, 2, 3}, 0.85);
  EXPECT_EQ(parts.bounds().front(), 0u);
  EXPECT_EQ(parts.bounds().back(), g.vertices);
  std::uint64_t edges = 0, recv = 0;
  for (std::uint32_t i = 0; i < 4; ++i) {
    const auto& v = parts.view(i);
    edges += v.in_offsets[v.count];
    for (std::uint32_t q = 0; q < 4; ++q) recv += v.recv_count[q];
    for (std::uint64_t e = 0; e < v.in_offsets[v.count]; ++e) ASSERT_LT(v.in_cols[e], v.x_size);
  }
  EXPECT_EQ(edges, g.edges);
  EXPECT_EQ(recv, parts.exchanged_values());
}

// ---------------------------------------------------------------------------------------------------
// Ring kernels through the workload on 1, 2 and 4 simulated devices.

rk::workloads::MapParams rmat_params(std::int64_t scale, std::int64_t seed) {
  rk::workloads::MapParams p = pagerank_params(true);
  p.gen->values = {{"kind", "rmat"}, {"scale", std::to_string(scale)}, {"edge_factor", "8"}, {"seed", std::to_string(seed)}};
  return p;
}

TEST(PageRankRing, EqualsReferenceOnGeneratedGraphsAcrossDevices) {
  std::vector<double> first;
  for (std::uint32_t devices : {1u, 2u, 4u}) {
    const rk::workloads::MapParams params = rmat_params(11, 3);
    const WorkloadRun a = run_workload(params, devices, 4);
    EXPECT_TRUE(a.verification.ok) << devices << " devices: "
                                   << (a.verification.failures.empty() ? "" : a.verification.failures.front());
    ASSERT_EQ(a.ranks.size(), 2048u);
    EXPECT_GT(a.iterations, 5);
    EXPECT_EQ(a.l1.size(), static_cast<std::size_t>(a.iterations));
    EXPECT_EQ(a.sink.tables.at("iterations"), static_cast<std::size_t>(a.iterations));
    EXPECT_GT(a.sink.iattr.at("messages"), 0);
    EXPECT_EQ(a.sink.iattr.at("messages"), a.iterations * 12);  // 4 partitions, all-to-all, every block non-empty
    // Bit-identical across runs.
    const WorkloadRun b = run_workload(params, devices, 4);
    EXPECT_EQ(a.ranks, b.ranks);
    EXPECT_EQ(a.l1, b.l1);
    // The same partitioning gives the same bits on any number of devices.
    if (first.empty()) first = a.ranks;
    EXPECT_EQ(a.ranks, first) << devices << " devices";
    EXPECT_EQ(a.sink.iattr.at("unused_final_scatter_messages"), 12);
  }
}

TEST(PageRankRing, UniformGeneratorAndOtherPartitionCounts) {
  rk::workloads::MapParams params = pagerank_params(true);
  params.gen->values = {{"kind", "uniform"}, {"vertices", "3000"}, {"edges", "20000"}};
  params.values = {{"damping", "0.9"}, {"tolerance", "1e-9"}};
  for (auto [devices, K] : {std::pair{1u, 1u}, std::pair{2u, 3u}, std::pair{4u, 5u}}) {
    const WorkloadRun r = run_workload(params, devices, K);
    EXPECT_TRUE(r.verification.ok) << devices << "/" << K << ": "
                                   << (r.verification.failures.empty() ? "" : r.verification.failures.front());
    EXPECT_EQ(r.sink.dattr.at("damping"), 0.9);
    EXPECT_EQ(r.sink.iattr.at("vertices"), 3000);
  }
}

TEST(PageRankRing, HandMadeGraphsFromFilesAcrossDevices) {
  const std::vector<std::string> graphs = {
      "0 1\n1 2\n2 3\n3 4\n4 0\n",            // cycle
      "1 0\n2 0\n3 0\n4 0\n5 0\n",            // star into a dangling centre
      "0 0\n1 0\n",                           // self-loop
      "0 1\n1 0\n9 0\n",                      // ids 2..8 never appear
      "# comment\n0 1\n1 2\n2 0\n2 1\n3 3\n", // mixed
  };
  int n = 0;
  for (const auto& text : graphs) {
    const auto path = temp_file("g" + std::to_string(n++) + ".txt", text);
    rk::workloads::MapParams params = pagerank_params(false);
    params.values = {{"graph", path}};
    const auto ref = pr::reference_pagerank(pr::build_graph(pr::load_snap(path)), pr::PageRankOptions{});
    for (std::uint32_t devices : {1u, 2u, 4u}) {
      const WorkloadRun r = run_workload(params, devices, 4);  // more partitions than some graphs have vertices
      EXPECT_TRUE(r.verification.ok) << text << " on " << devices << ": "
                                     << (r.verification.failures.empty() ? "" : r.verification.failures.front());
      ASSERT_EQ(r.ranks.size(), ref.ranks.size());
      for (std::size_t v = 0; v < ref.ranks.size(); ++v) EXPECT_NEAR(r.ranks[v], ref.ranks[v], 1e-15) << text;
      EXPECT_NEAR(sum(r.ranks), 1.0, 1e-12);
    }
    std::filesystem::remove(path);
  }
}

TEST(PageRankWorkload, ConfigureRejectsBadInput) {
  auto wl = pr::workloads().front().create();
  const rk::workloads::RunLimits limits;
  const rk::workloads::MapParams none = pagerank_params(false);  // neither graph nor generator
  EXPECT_THROW(wl->configure(none, partition_topology(2, 1), limits), rk::workloads::InputError);
  Topology no_k2k = partition_topology(2, 1);
  no_k2k.kernels[0].outputs.clear();
  EXPECT_THROW(wl->configure(rmat_params(6, 1), no_k2k, limits), rk::workloads::InputError);
  EXPECT_THROW(wl->configure(rmat_params(6, 1), Topology{}, limits), rk::workloads::InputError);
  rk::workloads::MapParams bad_kind = rmat_params(6, 1);
  bad_kind.gen->values["kind"] = "erdos";
  EXPECT_THROW(wl->configure(bad_kind, partition_topology(2, 1), limits), rk::workloads::InputError);
  const auto path = temp_file("bad_cfg.txt", "0 1\n1\n");
  rk::workloads::MapParams file = pagerank_params(false);
  file.values = {{"graph", path}};
  try {
    wl->configure(file, partition_topology(2, 1), limits);
    ADD_FAILURE() << "no error";
  } catch (const pr::DataFileError& e) {
    EXPECT_EQ(e.line(), 2u);
  }
  std::filesystem::remove(path);
}

}  // namespace
