// PageRank on the CPU backend: seconds per iteration and TEPS of the ring-kernel version (partition
// kernels exchanging contributions over K2K, global reductions per iteration) beside the in-tree
// baseline, a plain parallel CSR pull loop on std::threads — measured in the same process, alternating
// ring and baseline rounds so both see the same machine state. Both results are checked against the
// sequential reference. Prints a table; `--csv FILE` also writes one row per (variant, round, iteration).
//
//   pagerank_bench [--scale 20] [--edge-factor 16] [--iterations 5] [--rounds 3] [--partitions 4]
//                  [--devices 1] [--workers 2] [--threads 2] [--seed 1] [--no-verify] [--csv FILE]
//
// The harness records the same comparison to HDF5 on every `pagerank` run (attributes
// seconds_per_iteration, teps, baseline_seconds_per_iteration, baseline_teps, ring_over_baseline_time):
//   ringkernel run scenarios/pagerank.yaml --set workload.generator.scale=20
//       --set workload.max_iterations=5 --set workload.tolerance=0
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "rk/cpu/runtime.hpp"
#include "rk/workloads/pagerank/graph.hpp"
#include "rk/workloads/pagerank/kernels.hpp"
#include "rk/workloads/pagerank/reference.hpp"
#include "rk/workloads/pagerank/ring.hpp"

namespace pr = rk::workloads::pagerank;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint32_t scale = 20, edge_factor = 16, iterations = 5, rounds = 3, partitions = 4, devices = 1, workers = 2,
                threads = std::max(1u, std::thread::hardware_concurrency());
  std::uint64_t seed = 1;
  bool verify = true;
  std::string csv;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::uint64_t {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::strtoull(argv[++i], nullptr, 10);
    };
    if (a == "--scale") scale = static_cast<std::uint32_t>(next());
    else if (a == "--edge-factor") edge_factor = static_cast<std::uint32_t>(next());
    else if (a == "--iterations") iterations = static_cast<std::uint32_t>(next());
    else if (a == "--rounds") rounds = static_cast<std::uint32_t>(next());
    else if (a == "--partitions") partitions = static_cast<std::uint32_t>(next());
    else if (a == "--devices") devices = static_cast<std::uint32_t>(next());
    else if (a == "--workers") workers = static_cast<std::uint32_t>(next());
    else if (a == "--threads") threads = static_cast<std::uint32_t>(next());
    else if (a == "--seed") seed = next();
    else if (a == "--no-verify") verify = false;
    else if (a == "--csv" && i + 1 < argc) csv = argv[++i];
    else {
      std::fprintf(stderr, "unknown argument %s (see the comment at the top of pagerank_bench.cpp)\n", a.c_str());
      return 2;
    }
  }

  auto t0 = Clock::now();
  pr::RmatParams rp;
  rp.scale = scale;
  rp.edge_factor = edge_factor;
  rp.seed = seed;
  pr::Graph g = pr::build_graph(pr::generate_rmat(rp));
  std::printf("graph      R-MAT scale %u, edge factor %u: %llu vertices, %llu edges, %llu dangling (%.2f s)\n", scale,
              edge_factor, static_cast<unsigned long long>(g.vertices), static_cast<unsigned long long>(g.edges),
              static_cast<unsigned long long>(g.dangling()), seconds_since(t0));

  pr::PageRankOptions opts;
  opts.tolerance = 0;  // fixed iteration count: like is compared with like
  opts.max_iterations = iterations;

  rk::cpu::CpuRuntime rt({.devices = devices, .workers = workers});
  auto reg = rt.registrar();
  pr::register_kernel_types(reg);
  std::vector<rk::KernelId> ids;
  for (std::uint32_t p = 0; p < partitions; ++p) {
    rk::LaunchOptions o;
    o.kernel_type = "pagerank_partition";
    o.device = static_cast<int>(p % devices);
    o.idle = rk::IdleStrategy::Adaptive;
    ids.push_back(rt.launch("pr_part[" + std::to_string(p) + "]", {}, {}, o));
  }
  for (std::uint32_t p = 0; p < partitions; ++p) rt.activate("pr_part[" + std::to_string(p) + "]");
  t0 = Clock::now();
  pr::RingPageRank ring(g, ids, opts);
  std::printf("partition  %u partitions on %u device(s) × %u worker(s); %llu values cross partitions per iteration (%.2f s)\n",
              partitions, devices, workers, static_cast<unsigned long long>(ring.partitions().exchanged_values()),
              seconds_since(t0));

  std::vector<double> ring_s, base_s;
  std::ofstream out;
  if (!csv.empty()) {
    out.open(csv);
    out << "variant,round,iteration,seconds,teps,messages,bytes\n";
  }
  pr::RingResult last_ring;
  pr::PageRankResult last_base;
  for (std::uint32_t r = 0; r < rounds; ++r) {
    last_ring = ring.run(rt, {}, std::chrono::seconds(120), true);
    for (const auto& row : last_ring.rows) {
      ring_s.push_back(static_cast<double>(row.total_ns) / 1e9);
      if (out) out << "ring," << r << "," << row.iteration << "," << row.total_ns / 1e9 << "," << row.teps << "," << row.messages << "," << row.bytes << "\n";
    }
    last_base = pr::baseline_pagerank(g, opts, threads, true);
    for (std::size_t i = 0; i < last_base.iteration_ns.size(); ++i) {
      const double s = static_cast<double>(last_base.iteration_ns[i]) / 1e9;
      base_s.push_back(s);
      if (out) out << "baseline," << r << "," << i << "," << s << "," << static_cast<double>(g.edges) / s << ",0,0\n";
    }
  }
  rt.shutdown();

  const double rm = median(ring_s), bm = median(base_s);
  const double rmean = std::accumulate(ring_s.begin(), ring_s.end(), 0.0) / static_cast<double>(ring_s.size());
  const double bmean = std::accumulate(base_s.begin(), base_s.end(), 0.0) / static_cast<double>(base_s.size());
  std::printf("\n%-34s %12s %12s %12s\n", "variant", "s/iter p50", "s/iter mean", "TEPS (p50)");
  std::printf("%-34s %12.4f %12.4f %12.4g\n", ("ring kernels (" + std::to_string(partitions) + " partitions)").c_str(), rm, rmean,
              static_cast<double>(g.edges) / rm);
  std::printf("%-34s %12.4f %12.4f %12.4g\n", ("CSR pull baseline (" + std::to_string(threads) + " threads)").c_str(), bm, bmean,
              static_cast<double>(g.edges) / bm);
  std::printf("ring / baseline time (p50)          %.3f   (< 1: ring faster)\n", rm / bm);
  std::printf("K2K per iteration                   %llu messages, %.1f MiB\n",
              static_cast<unsigned long long>(last_ring.rows.empty() ? 0 : last_ring.rows.back().messages),
              last_ring.rows.empty() ? 0.0 : static_cast<double>(last_ring.rows.back().bytes) / (1 << 20));
  int rc = 0;
  if (verify) {
    t0 = Clock::now();
    const auto ref = pr::reference_pagerank(g, opts);
    const auto cr = pr::compare_to_reference(last_ring, ref), cb = pr::compare_to_reference(last_base, ref);
    std::printf("verify     ring %s (max rel diff %.3g), baseline %s (max rel diff %.3g) (%.2f s)\n",
                cr.equal ? "== reference" : "DIFFERS", cr.max_scaled_diff, cb.equal ? "== reference" : "DIFFERS",
                cb.max_scaled_diff, seconds_since(t0));
    if (!cr.equal || !cb.equal) rc = 1;
  }
  return rc;
}
