// The `pagerank` workload: loads or generates the graph (configure), runs PageRank on the
// `pagerank_partition` kernels and, in the same run, the parallel CSR pull baseline (run), checks the
// ring-kernel result against the sequential reference (verify) and records ranks, the per-iteration
// L1 change and a per-iteration table (write_results).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>
#include <optional>
#include <thread>

#include "rk/workloads/pagerank/reference.hpp"
#include "rk/workloads/pagerank/ring.hpp"
#include "rk/workloads/pagerank/workloads.hpp"

namespace rk::workloads::pagerank {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

double mean_seconds(const std::vector<std::uint64_t>& ns) {
  if (ns.empty()) return 0.0;
  return static_cast<double>(std::accumulate(ns.begin(), ns.end(), std::uint64_t{0})) / 1e9 / static_cast<double>(ns.size());
}

class PageRankWorkload final : public Workload {
 public:
  std::string name() const override { return "pagerank"; }

  // MPI runs: every rank partitions the same graph the same way, hands its own partition kernels their
  // views (pointers into this process) and registers the arena of gather vectors, so contributions to a
  // partition of another rank travel with their bytes. Rank 0 drives the iterations as usual; afterwards
  // the other ranks send it the ranks of their partitions.
  void prepare_process(RingKernelRuntime& local, const std::function<bool(KernelId)>& is_local,
                       SharedArenas& arenas) override {
    ring_ = std::make_unique<RingPageRank>(graph(), partition_ids(), opts_);
    arenas.register_arena(ring_->partitions().arena());
    ring_->setup(local, is_local, std::chrono::seconds(60));
    local_ = is_local;
  }
  std::string process_results() override {
    // Records: partition index (uint32), then its owned vertices' ranks (float64 each).
    std::string out;
    if (!ring_) return out;
    const PartitionedGraph& pg = ring_->partitions();
    for (std::uint32_t p = 0; p < pg.parts(); ++p) {
      if (!local_(parts_[p].id)) continue;
      const std::vector<double> r = pg.partition_ranks(p);
      out.append(reinterpret_cast<const char*>(&p), sizeof p);
      out.append(reinterpret_cast<const char*>(r.data()), r.size() * sizeof(double));
    }
    return out;
  }
  void merge_process_results(const std::vector<std::string>& by_rank) override {
    if (!ring_) return;
    const std::vector<std::uint64_t>& bounds = ring_->partitions().bounds();
    for (std::size_t rank = 1; rank < by_rank.size(); ++rank) {
      const std::string& blob = by_rank[rank];
      for (std::size_t at = 0; at + sizeof(std::uint32_t) <= blob.size();) {
        std::uint32_t p = 0;
        std::memcpy(&p, blob.data() + at, sizeof p);
        at += sizeof p;
        if (p + 1 >= bounds.size()) throw WorkloadError("pagerank: rank " + std::to_string(rank) + " sent partition " + std::to_string(p));
        const std::uint64_t n = bounds[p + 1] - bounds[p];
        if (at + n * sizeof(double) > blob.size() || result_.ranks.size() < bounds[p + 1])
          throw WorkloadError("pagerank: rank " + std::to_string(rank) + " sent a short result for partition " + std::to_string(p));
        std::memcpy(result_.ranks.data() + bounds[p], blob.data() + at, n * sizeof(double));
        at += n * sizeof(double);
      }
    }
  }

  void configure(const Params& params, const Topology& topo, const RunLimits& limits) override {
    opts_.damping = params.get_double("damping");
    opts_.tolerance = params.get_double("tolerance");
    opts_.max_iterations = static_cast<std::uint32_t>(params.get_int("max_iterations"));
    baseline_ = params.get_bool("baseline");
    baseline_threads_ = static_cast<unsigned>(params.get_int("baseline_threads"));
    if (baseline_threads_ == 0) baseline_threads_ = std::max(1u, std::thread::hardware_concurrency());
    limits_ = limits;
    parts_.clear();

    for (const KernelInfo* k : topo.of_type("pagerank_partition")) parts_.push_back(*k);
    if (parts_.empty()) params.fail("", "pagerank needs kernels of type 'pagerank_partition' (e.g. pr_part[0..3])");
    if (parts_.size() > kMaxPartitions)
      params.fail("", "pagerank supports at most " + std::to_string(kMaxPartitions) + " partitions");
    for (const KernelInfo& k : parts_) {
      if (!k.input_from_host || !k.outputs_to_host)
        params.fail("", "pagerank needs routes host → " + k.name + " and " + k.name + " → host");
      for (const KernelInfo& other : parts_)
        if (other.id != k.id && std::find(k.outputs.begin(), k.outputs.end(), other.id) == k.outputs.end())
          params.fail("", "partitions exchange contributions over K2K: route every partition to every other "
                          "(missing " + k.name + " → " + other.name + "; e.g. {from: \"pr_part[*]\", to: \"pr_part[*]\", rule: broadcast})");
    }

    // The graph is checked here (a streaming pass over a file: no edge kept) and made in graph(), once the
    // harness has checked memory_estimate() against the machine.
    if (params.has("graph")) {
      source_ = params.get_string("graph");
      shape_ = scan_snap(source_);  // DataFileError: FILE:LINE: error: … (exit 2)
      from_file_ = true;
      make_edges_ = [path = source_] { return load_snap(path); };
    } else {
      const Params* gen = params.generator();
      if (gen == nullptr) params.fail("", "pagerank needs a graph: workload.graph (SNAP edge list) or workload.generator");
      const std::string kind = gen->get_string("kind");
      const auto scale = static_cast<std::uint32_t>(gen->get_int("scale"));
      const auto edge_factor = static_cast<std::uint32_t>(gen->get_int("edge_factor"));
      const auto seed = static_cast<std::uint64_t>(gen->get_int("seed", static_cast<std::int64_t>(limits.seed & 0x7FFFFFFFFFFFFFFFull)));
      if (kind == "rmat" || kind == "kronecker") {
        RmatParams p;
        p.scale = scale;
        p.edge_factor = edge_factor;
        p.a = gen->get_double("a");
        p.b = gen->get_double("b");
        p.c = gen->get_double("c");
        if (p.a + p.b + p.c > 1.0) gen->fail("c", "R-MAT probabilities need a + b + c <= 1 (d = 1 - a - b - c)");
        p.seed = seed;
        shape_ = {std::uint64_t{1} << scale, std::uint64_t{edge_factor} << scale};
        make_edges_ = [p] { return generate_rmat(p); };
        source_ = "rmat(scale=" + std::to_string(scale) + ", edge_factor=" + std::to_string(edge_factor) +
                  ", a=" + fmt("%g", p.a) + ", b=" + fmt("%g", p.b) + ", c=" + fmt("%g", p.c) + ", seed=" + std::to_string(seed) + ")";
      } else if (kind == "uniform") {
        const auto vertices = static_cast<std::uint64_t>(gen->get_int("vertices", std::int64_t{1} << scale));
        const auto m = static_cast<std::uint64_t>(gen->get_int("edges", static_cast<std::int64_t>(vertices * edge_factor)));
        shape_ = {vertices, m};
        make_edges_ = [=] { return generate_uniform(vertices, m, seed); };
        source_ = "uniform(vertices=" + std::to_string(vertices) + ", edges=" + std::to_string(m) + ", seed=" + std::to_string(seed) + ")";
      } else {
        gen->fail("kind", "unknown generator kind '" + kind + "' (expected rmat, kronecker or uniform)");
      }
    }
  }

  MemoryEstimate memory_estimate() const override {
    return {estimate_pagerank_bytes(shape_, static_cast<std::uint32_t>(parts_.size()), from_file_),
            "a graph of " + std::to_string(shape_.vertices) + " vertices and " + std::to_string(shape_.edges) +
                " edges in " + std::to_string(parts_.size()) + " partitions",
            from_file_ ? "graph" : "generator"};
  }

  /// The graph, loaded or generated on first use (configure() only checked it).
  const Graph& graph() {
    if (make_edges_) {
      EdgeList edges = make_edges_();
      if (limits_.stop_requested()) throw Interrupted();  // the input can take seconds: honour Ctrl-C between steps
      graph_ = build_graph(edges);
      make_edges_ = nullptr;
      if (limits_.stop_requested()) throw Interrupted();
    }
    return graph_;
  }

  std::vector<KernelId> partition_ids() const {
    std::vector<KernelId> ids;
    for (const KernelInfo& k : parts_) ids.push_back(k.id);
    return ids;
  }

  void run(RingKernelRuntime& rt, RunControl& ctl, ResultSink& sink) override {
    const std::vector<KernelId> ids = partition_ids();
    // A member: if run() throws, kernels may still reference the partition state until the harness
    // terminates them, so it must outlive this call. Under MPI prepare_process() made it already.
    if (!ring_) ring_ = std::make_unique<RingPageRank>(graph(), ids, opts_);
    RingPageRank& ring = *ring_;
    exchanged_values_ = ring.partitions().exchanged_values();
    sink.event("info", "workload", "", "pagerank: " + std::to_string(graph_.vertices) + " vertices, " +
                                           std::to_string(graph_.edges) + " edges, " + std::to_string(ids.size()) + " partitions");
    const auto timeout = std::max<std::chrono::nanoseconds>(limits_.drain_timeout, std::chrono::seconds(60));
    result_ = ring.run(
        rt, [&] { return ctl.stop_requested(); }, timeout, false,
        [&](const IterationRecord& r) { ctl.progress(r.iteration + 1, opts_.max_iterations); });
    ran_ = true;
    if (baseline_ && !result_.stopped && result_.iterations > 0 && !ctl.stop_requested()) {
      PageRankOptions b = opts_;
      b.max_iterations = result_.iterations;  // the same number of iterations as the ring kernels
      baseline_result_ = baseline_pagerank(graph_, b, baseline_threads_, true);
    }
  }

  Verification verify() override {
    Verification v;
    v.check(ran_ && result_.iterations > 0, "pagerank did not run");
    if (!ran_) return v;
    reference_ = reference_pagerank(graph_, opts_);
    comparison_ = compare_to_reference(result_, reference_);
    v.check(comparison_.equal, "ring-kernel PageRank is not equal to the sequential reference: " + comparison_.message);
    v.check(result_.errors == 0, std::to_string(result_.errors) + " bad messages reported by partition kernels");
    v.check(result_.unmatched == 0, "K2K contribution messages received differ from those sent by " + std::to_string(result_.unmatched));
    const double sum = std::accumulate(result_.ranks.begin(), result_.ranks.end(), 0.0);
    v.check(std::fabs(sum - 1.0) <= 1e-9, "ranks sum to " + fmt("%.17g", sum) + ", not 1");
    if (baseline_result_) {
      const Comparison b = compare_to_reference(*baseline_result_, reference_);
      v.check(b.equal, "the CSR baseline is not equal to the sequential reference: " + b.message);
    }
    const double ring_s = mean_seconds(result_.iteration_ns);
    v.figures.emplace_back("graph", source_);
    v.figures.emplace_back("vertices / edges", std::to_string(graph_.vertices) + " / " + std::to_string(graph_.edges));
    v.figures.emplace_back("partitions", std::to_string(parts_.size()));
    v.figures.emplace_back("iterations", std::to_string(result_.iterations) + (result_.converged ? " (converged)" : " (max_iterations)"));
    v.figures.emplace_back("final L1 delta", fmt("%.3g", result_.l1_delta.empty() ? 0.0 : result_.l1_delta.back()));
    v.figures.emplace_back("ring s/iteration", fmt("%.6f", ring_s));
    v.figures.emplace_back("ring TEPS", fmt("%.4g", ring_s > 0 ? static_cast<double>(graph_.edges) / ring_s : 0.0));
    if (baseline_result_) {
      const double base_s = mean_seconds(baseline_result_->iteration_ns);
      v.figures.emplace_back("baseline s/iteration (" + std::to_string(baseline_threads_) + " threads)", fmt("%.6f", base_s));
      v.figures.emplace_back("baseline TEPS", fmt("%.4g", base_s > 0 ? static_cast<double>(graph_.edges) / base_s : 0.0));
      v.figures.emplace_back("ring / baseline time", fmt("%.3f", base_s > 0 ? ring_s / base_s : 0.0));
    }
    v.figures.emplace_back("max relative diff vs reference", fmt("%.3g", comparison_.max_scaled_diff));
    return v;
  }

  void write_results(ResultSink& sink) override {
    sink.attr("vertices", static_cast<std::int64_t>(graph_.vertices));
    sink.attr("edges", static_cast<std::int64_t>(graph_.edges));
    sink.attr("iterations", static_cast<std::int64_t>(result_.iterations));
    sink.attr("damping", opts_.damping);
    sink.attr("tolerance", opts_.tolerance);
    sink.attr("max_iterations", static_cast<std::int64_t>(opts_.max_iterations));
    sink.attr("converged", static_cast<std::int64_t>(result_.converged ? 1 : 0));
    sink.attr("graph", source_);
    sink.attr("partitions", static_cast<std::int64_t>(parts_.size()));
    sink.attr("dangling_vertices", static_cast<std::int64_t>(graph_.dangling()));
    sink.attr("exchanged_values_per_iteration", static_cast<std::int64_t>(exchanged_values_));
    sink.attr("messages", static_cast<std::int64_t>(result_.messages));
    sink.attr("bytes", static_cast<std::int64_t>(result_.bytes));
    sink.attr("unused_final_scatter_messages", static_cast<std::int64_t>(result_.unused_messages));
    const double ring_s = mean_seconds(result_.iteration_ns);
    sink.attr("seconds_per_iteration", ring_s);
    sink.attr("teps", ring_s > 0 ? static_cast<double>(graph_.edges) / ring_s : 0.0);
    if (ran_ && !reference_.ranks.empty()) {
      sink.attr("max_abs_diff_vs_reference", comparison_.max_abs_diff);
      sink.attr("max_rel_diff_vs_reference", comparison_.max_scaled_diff);
      sink.attr("reference_iterations", static_cast<std::int64_t>(reference_.iterations));
    }
    if (baseline_result_) {
      const double base_s = mean_seconds(baseline_result_->iteration_ns);
      sink.attr("baseline", std::string("parallel CSR pull loop (std::thread)"));
      sink.attr("baseline_threads", static_cast<std::int64_t>(baseline_threads_));
      sink.attr("baseline_seconds_per_iteration", base_s);
      sink.attr("baseline_teps", base_s > 0 ? static_cast<double>(graph_.edges) / base_s : 0.0);
      sink.attr("ring_over_baseline_time", base_s > 0 ? ring_s / base_s : 0.0);
      sink.write_u64("baseline_iteration_ns", baseline_result_->iteration_ns);
    }
    sink.write_f64("ranks", result_.ranks);
    sink.write_f64("l1_delta", result_.l1_delta);
    using C = ResultSink::Column;
    using T = ResultSink::ColumnType;
    const std::vector<C> cols = {
        {"iteration", offsetof(IterationRecord, iteration), T::U64},
        {"l1_delta", offsetof(IterationRecord, l1_delta), T::F64},
        {"dangling_mass", offsetof(IterationRecord, dangling_mass), T::F64},
        {"scatter_ns", offsetof(IterationRecord, scatter_ns), T::U64},
        {"gather_ns", offsetof(IterationRecord, gather_ns), T::U64},
        {"total_ns", offsetof(IterationRecord, total_ns), T::U64},
        {"messages", offsetof(IterationRecord, messages), T::U64},
        {"bytes", offsetof(IterationRecord, bytes), T::U64},
        {"teps", offsetof(IterationRecord, teps), T::F64},
    };
    sink.write_table("iterations", cols, sizeof(IterationRecord), result_.rows.data(), result_.rows.size());
  }

 private:
  PageRankOptions opts_;
  bool baseline_ = true;
  unsigned baseline_threads_ = 1;
  RunLimits limits_;
  std::vector<KernelInfo> parts_;
  std::string source_;
  GraphShape shape_;
  bool from_file_ = false;
  std::function<EdgeList()> make_edges_;  ///< set by configure(), consumed by graph()
  Graph graph_;
  std::unique_ptr<RingPageRank> ring_;
  std::function<bool(KernelId)> local_ = [](KernelId) { return true; };
  std::uint64_t exchanged_values_ = 0;
  bool ran_ = false;
  RingResult result_;
  std::optional<PageRankResult> baseline_result_;
  PageRankResult reference_;
  Comparison comparison_;
};

}  // namespace

std::vector<WorkloadInfo> workloads() {
  return {{"pagerank",
           "PageRank over partition kernels exchanging contributions by K2K, with global reductions per "
           "iteration; verified against a sequential reference, timed against a parallel CSR pull baseline",
           [] { return std::unique_ptr<Workload>(std::make_unique<PageRankWorkload>()); },
           {ParamSpec::path("graph", "the generator's graph", "SNAP edge list (replaces the generator)"),
            ParamSpec::real("damping", 0.85, 0.0, 1.0, "damping factor"),
            ParamSpec::real("tolerance", 1e-6, 0.0, 1e9, "stop when the L1 change of an iteration falls below this"),
            ParamSpec::integer("max_iterations", 100, 1, 1'000'000, "iterations at most"),
            ParamSpec::flag("baseline", true, "time the parallel CSR pull baseline for the same iterations"),
            ParamSpec::integer("baseline_threads", 0, 0, 1024, "threads of the baseline; 0 = hardware threads")},
           {ParamSpec::text("kind", "rmat", {"rmat", "kronecker", "uniform"}, "graph generator"),
            ParamSpec::integer("scale", 16, 1, 24, "2^scale vertices"),
            ParamSpec::integer("edge_factor", 16, 1, 1024, "edges per vertex"),
            ParamSpec::integer_computed("seed", "the scenario's seed", 0, INT64_MAX, "generator seed"),
            ParamSpec::real("a", 0.57, 0.0, 1.0, "R-MAT quadrant probability a"),
            ParamSpec::real("b", 0.19, 0.0, 1.0, "R-MAT quadrant probability b"),
            ParamSpec::real("c", 0.19, 0.0, 1.0, "R-MAT quadrant probability c (d = 1 - a - b - c)"),
            ParamSpec::integer_computed("vertices", "2^scale", 1, std::int64_t{1} << 24, "uniform: vertices"),
            ParamSpec::integer_computed("edges", "vertices × edge_factor", 1, std::int64_t{1} << 31, "uniform: edges")},
           {}}};
}

}  // namespace rk::workloads::pagerank
