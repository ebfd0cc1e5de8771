// Sequential reference PageRank and the parallel CSR pull baseline.
#include "rk/workloads/pagerank/reference.hpp"

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cmath>
#include <thread>

namespace rk::workloads::pagerank {

std::vector<std::uint64_t> balanced_ranges(const Graph& g, std::uint32_t parts) {
  std::vector<std::uint64_t> b(parts + 1, g.vertices);
  b[0] = 0;
  const std::uint64_t total = g.edges + g.vertices;
  std::uint64_t v = 0;
  for (std::uint32_t i = 1; i < parts; ++i) {
    const std::uint64_t target = static_cast<std::uint64_t>((static_cast<unsigned __int128>(total) * i) / parts);
    // first v with in_offsets[v] + v >= target
    std::uint64_t lo = v, hi = g.vertices;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (g.in_offsets[mid] + mid < target) lo = mid + 1;
      else hi = mid;
    }
    v = lo;
    b[i] = v;
  }
  return b;
}

PageRankResult reference_pagerank(const Graph& g, const PageRankOptions& o) {
  PageRankResult r;
  const std::uint64_t n = g.vertices;
  r.ranks.assign(n, 1.0 / static_cast<double>(n));
  std::vector<double> contrib(n), next(n);
  for (std::uint32_t it = 0; it < o.max_iterations; ++it) {
    CompensatedSum dangling_sum;
    for (std::uint64_t u = 0; u < n; ++u) {
      if (g.out_degree[u] == 0) dangling_sum.add(r.ranks[u]);
      contrib[u] = contribution(r.ranks[u], g.out_degree[u]);
    }
    const double dangling = dangling_sum.value();
    const double base = teleport_base(o.damping, dangling, n);
    CompensatedSum l1_sum;
    for (std::uint64_t v = 0; v < n; ++v) {
      double s = 0.0;
      for (std::uint64_t e = g.in_offsets[v]; e < g.in_offsets[v + 1]; ++e) s += contrib[g.in_sources[e]];
      next[v] = new_rank(base, o.damping, s);
      l1_sum.add(std::fabs(next[v] - r.ranks[v]));
    }
    const double l1 = l1_sum.value();
    r.ranks.swap(next);
    r.l1_delta.push_back(l1);
    r.dangling_mass.push_back(dangling);
    r.iteration_ns.push_back(0);
    ++r.iterations;
    if (l1 < o.tolerance) {
      r.converged = true;
      break;
    }
  }
  return r;
}

PageRankResult baseline_pagerank(const Graph& g, const PageRankOptions& o, unsigned threads, bool fixed_iterations) {
  using Clock = std::chrono::steady_clock;
  const unsigned T = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  const std::uint64_t n = g.vertices;
  PageRankResult r;
  r.ranks.assign(n, 1.0 / static_cast<double>(n));
  std::vector<double> contrib(n), next(n);
  const std::vector<std::uint64_t> bounds = balanced_ranges(g, T);
  struct alignas(64) Partial {
    double dangling = 0, l1 = 0;
  };
  std::vector<Partial> partial(T);
  double base = 0.0;
  bool done = false;
  Clock::time_point t0;
  auto combine_dangling = [&]() noexcept {
    CompensatedSum ds;
    for (const auto& p : partial) ds.add(p.dangling);
    const double d = ds.value();
    base = teleport_base(o.damping, d, n);
    r.dangling_mass.push_back(d);
  };
  auto combine_l1 = [&]() noexcept {
    CompensatedSum ls;
    for (const auto& p : partial) ls.add(p.l1);
    const double l1 = ls.value();
    r.ranks.swap(next);
    r.l1_delta.push_back(l1);
    r.iteration_ns.push_back(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()));
    ++r.iterations;
    if (l1 < o.tolerance) r.converged = true;
    done = r.iterations >= o.max_iterations || (r.converged && !fixed_iterations);
    t0 = Clock::now();
  };
  std::barrier phase1(static_cast<std::ptrdiff_t>(T), combine_dangling);
  std::barrier phase2(static_cast<std::ptrdiff_t>(T), combine_l1);
  auto body = [&](unsigned t) {
    const std::uint64_t lo = bounds[t], hi = bounds[t + 1];
    while (!done) {
      CompensatedSum d;
      const double* rank = r.ranks.data();
      for (std::uint64_t u = lo; u < hi; ++u) {
        if (g.out_degree[u] == 0) d.add(rank[u]);
        contrib[u] = contribution(rank[u], g.out_degree[u]);
      }
      partial[t].dangling = d.value();
      phase1.arrive_and_wait();
      const double b = base;
      CompensatedSum l1;
      const std::uint64_t* off = g.in_offsets.data();
      const std::uint32_t* src = g.in_sources.data();
      const double* c = contrib.data();
      for (std::uint64_t v = lo; v < hi; ++v) {
        double s = 0.0;
        for (std::uint64_t e = off[v]; e < off[v + 1]; ++e) s += c[src[e]];
        const double x = new_rank(b, o.damping, s);
        next[v] = x;
        l1.add(std::fabs(x - rank[v]));
      }
      partial[t].l1 = l1.value();
      phase2.arrive_and_wait();
    }
  };
  if (o.max_iterations == 0) return r;
  t0 = Clock::now();
  std::vector<std::thread> team;
  for (unsigned t = 1; t < T; ++t) team.emplace_back(body, t);
  body(0);
  for (auto& th : team) th.join();
  return r;
}

Comparison compare_to_reference(const PageRankResult& r, const PageRankResult& ref, double rel) {
  Comparison c;
  if (r.ranks.size() != ref.ranks.size()) {
    c.message = "rank vector has " + std::to_string(r.ranks.size()) + " entries, the reference " + std::to_string(ref.ranks.size());
    return c;
  }
  const double floor = ref.ranks.empty() ? 0.0 : 1.0 / static_cast<double>(ref.ranks.size());
  for (std::uint64_t v = 0; v < ref.ranks.size(); ++v) {
    const double d = std::fabs(r.ranks[v] - ref.ranks[v]);
    const double scaled = d / std::max(std::fabs(ref.ranks[v]), floor);
    if (!(scaled <= c.max_scaled_diff)) {  // also catches NaN
      c.max_scaled_diff = std::isnan(scaled) ? INFINITY : scaled;
      c.worst_vertex = v;
    }
    c.max_abs_diff = std::max(c.max_abs_diff, d);
  }
  if (r.iterations != ref.iterations) {
    c.message = "ran " + std::to_string(r.iterations) + " iterations, the reference " + std::to_string(ref.iterations);
    return c;
  }
  if (!(c.max_scaled_diff <= rel)) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "rank of vertex %llu differs from the reference by %.3g (relative %.3g > %.3g)",
                  static_cast<unsigned long long>(c.worst_vertex), std::fabs(r.ranks[c.worst_vertex] - ref.ranks[c.worst_vertex]),
                  c.max_scaled_diff, rel);
    c.message = buf;
    return c;
  }
  c.equal = true;
  return c;
}

}  // namespace rk::workloads::pagerank
