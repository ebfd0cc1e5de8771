// The host side of PageRank as ring kernels: partitioning the graph into the state each
// `pagerank_partition` kernel works on, and the driver that runs the iterations over the
// backend-agnostic runtime interface (control messages in, reports out, reductions on the host in
// fixed partition order). Host-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "rk/core/runtime.hpp"
#include "rk/workloads/pagerank/graph.hpp"
#include "rk/workloads/pagerank/kernels.hpp"
#include "rk/workloads/pagerank/reference.hpp"

namespace rk::workloads::pagerank {

/// The graph cut into contiguous vertex ranges, with every partition's state and the shared arena
/// that holds all gather vectors (x). Owns the memory its PartitionViews point into.
class PartitionedGraph {
 public:
  /// `kernel_of[p]` is the kernel id of partition p; `kernel_of.size()` is the number of partitions.
  PartitionedGraph(const Graph& g, const std::vector<KernelId>& kernel_of, double damping, std::uint32_t arena_id = 1);
  std::uint32_t parts() const { return static_cast<std::uint32_t>(parts_.size()); }
  const PartitionView& view(std::uint32_t p) const { return parts_[p]->view; }
  const std::vector<std::uint64_t>& bounds() const { return bounds_; }
  /// Reset every partition's ranks to 1/V.
  void reset_ranks();
  /// The ranks of all partitions, index = vertex id.
  std::vector<double> ranks() const;
  /// The ranks of partition p's owned vertices (bounds()[p] .. bounds()[p+1]).
  std::vector<double> partition_ranks(std::uint32_t p) const { return parts_.at(p)->rank; }
  /// The arena every partition's gather vectors live in (contributions are references into it).
  ArenaView arena() const { return arena_view_; }
  /// Per iteration: values that cross partitions (Σ recv counts) and the messages carrying them.
  std::uint64_t exchanged_values() const;
  std::uint64_t messages_per_iteration() const;
  std::uint64_t arena_bytes() const { return arena_bytes_; }

 private:
  struct Part {
    std::vector<std::uint64_t> in_offsets;
    std::vector<std::uint32_t> in_cols, out_degree, send_idx;
    std::vector<std::uint64_t> send_off, recv_off, recv_count;
    std::vector<std::uint64_t> dest_offset[2];
    std::vector<double> rank;
    std::uint64_t x_offset[2] = {0, 0};  // byte offsets of x (per parity) in the arena
    PartitionView view;
  };
  std::uint64_t vertices_ = 0;
  std::vector<std::uint64_t> bounds_;
  std::vector<KernelId> kernel_of_;
  std::vector<double> arena_;
  std::uint64_t arena_bytes_ = 0;
  ArenaView arena_view_{};
  std::vector<std::unique_ptr<Part>> parts_;
};

/// One iteration as the ring-kernel run measured it (a row of /workloads/pagerank/iterations).
struct IterationRecord {
  std::uint64_t iteration;
  double l1_delta;
  double dangling_mass;      ///< globally reduced dangling mass the iteration used
  std::uint64_t scatter_ns;  ///< slowest partition's scatter that fed this iteration (kernel clock)
  std::uint64_t gather_ns;   ///< slowest partition's gather of this iteration (kernel clock)
  std::uint64_t total_ns;    ///< host wall time of the iteration: end of the previous step (or the Start
                             ///< round trip for iteration 0) to the last report of this one
  std::uint64_t messages;    ///< K2K messages that carried this iteration's contributions
  std::uint64_t bytes;       ///< their slot bytes plus referenced payload bytes
  double teps;               ///< edges / total_ns
};

struct RingResult : PageRankResult {
  std::vector<IterationRecord> rows;
  std::uint64_t messages = 0, bytes = 0;
  std::uint32_t errors = 0;          ///< bad messages the kernels reported
  std::uint64_t unmatched = 0;       ///< Contrib messages received ≠ sent (summed over iterations)
  std::uint64_t unused_messages = 0; ///< sent by the last (speculative) scatter, never gathered
  bool stopped = false;              ///< stop() became true before the end
};

/// Drives PageRank on launched, active `pagerank_partition` kernels (kernel_of[p] runs partition p).
class RingPageRank {
 public:
  RingPageRank(const Graph& g, std::vector<KernelId> kernel_of, PageRankOptions o);
  PartitionedGraph& partitions() { return *parts_; }
  /// Sends every kernel its Setup, then iterates until convergence (or exactly max_iterations when
  /// `fixed_iterations`), `stop()` or an error, then sends Finish and waits until every kernel has
  /// dropped its view of the partition state. Throws WorkloadError when a kernel does not answer within
  /// `timeout` (then kernels may still hold the view: keep this object alive until they are terminated).
  /// Resets the ranks and hands the partitions for which `is_local(kernel)` holds their views (Setup), then
  /// waits for their answers. run() does this for every partition unless setup() ran before (MPI: every
  /// rank sets up its own partitions in its own process).
  void setup(RingKernelRuntime& rt, const std::function<bool(KernelId)>& is_local, std::chrono::nanoseconds timeout);
  RingResult run(RingKernelRuntime& rt, const std::function<bool()>& stop = {},
                 std::chrono::nanoseconds timeout = std::chrono::seconds(60), bool fixed_iterations = false,
                 const std::function<void(const IterationRecord&)>& on_iteration = {});

 private:
  const Graph& g_;
  std::vector<KernelId> kernel_of_;
  PageRankOptions o_;
  std::unique_ptr<PartitionedGraph> parts_;
  bool set_up_ = false;
};

}  // namespace rk::workloads::pagerank
