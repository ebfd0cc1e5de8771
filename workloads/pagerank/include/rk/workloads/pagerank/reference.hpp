// The PageRank math shared by every variant, the sequential reference (the oracle) and the in-tree
// baseline: a plain parallel CSR pull loop on std::threads. Host-only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rk/workloads/pagerank/graph.hpp"
#include "rk/workloads/pagerank/kernels.hpp"  // CompensatedSum

namespace rk::workloads::pagerank {

struct PageRankOptions {
  double damping = 0.85;
  double tolerance = 1e-6;          ///< stop once the L1 norm of the change is below this
  std::uint32_t max_iterations = 100;
};

/// Result of one PageRank computation.
struct PageRankResult {
  std::vector<double> ranks;
  std::vector<double> l1_delta;            ///< per iteration
  std::vector<double> dangling_mass;       ///< per iteration: rank held by dangling vertices before it
  std::vector<std::uint64_t> iteration_ns; ///< per iteration wall time (reference: 0)
  std::uint32_t iterations = 0;
  bool converged = false;
};

/// The constant every vertex receives in an iteration: teleport plus the dangling mass spread
/// uniformly. Shared by all variants so the same inputs give the same bits.
inline double teleport_base(double damping, double dangling_mass, std::uint64_t vertices) {
  const double n = static_cast<double>(vertices);
  return (1.0 - damping) / n + damping * dangling_mass / n;
}
/// A vertex's new rank from its pulled in-sum.
inline double new_rank(double base, double damping, double in_sum) { return base + damping * in_sum; }
/// A vertex's contribution to each out-neighbour.
inline double contribution(double rank, std::uint32_t out_degree) {
  return out_degree == 0 ? 0.0 : rank / static_cast<double>(out_degree);
}

/// Sequential reference: pull over CSR-in, vertices and in-edges in fixed order, float64 throughout.
PageRankResult reference_pagerank(const Graph& g, const PageRankOptions& o);

/// The baseline: the same math as a plain parallel CSR pull loop — `threads` persistent std::threads
/// (0: hardware threads) over contiguous vertex ranges balanced by in-edges, a barrier between the
/// contribution and pull loops, per-thread partial sums combined in thread order by one thread.
/// Records per-iteration wall time. Runs exactly `o.max_iterations` when `fixed_iterations`.
PageRankResult baseline_pagerank(const Graph& g, const PageRankOptions& o, unsigned threads = 0,
                                 bool fixed_iterations = false);

/// "Equal to the reference": the same iteration count and, for every vertex,
/// |r - ref| <= rel · max(|ref|, 1/V). Default rel = 1e-12.
struct Comparison {
  bool equal = false;
  double max_abs_diff = 0.0;
  double max_scaled_diff = 0.0;  ///< max |r - ref| / max(|ref|, 1/V)
  std::uint64_t worst_vertex = 0;
  std::string message;           ///< why not equal (empty when equal)
};
Comparison compare_to_reference(const PageRankResult& r, const PageRankResult& ref, double rel = 1e-12);

/// Contiguous vertex ranges [bounds[i], bounds[i+1]) balanced by in-edges + vertices (deterministic).
std::vector<std::uint64_t> balanced_ranges(const Graph& g, std::uint32_t parts);

}  // namespace rk::workloads::pagerank
