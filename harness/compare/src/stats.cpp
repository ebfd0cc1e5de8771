// Median, quantiles, bootstrap interval, Mann–Whitney U and the verdict rule (rk/compare/stats.hpp).
#include "rk/compare/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "rk/workloads/stats.hpp"

namespace rk::compare {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Index in [0, n) from one draw: a plain modulo of a 64-bit draw (bias below 2^-50 for the counts here),
/// so the sequence does not depend on the standard library's distributions.
std::size_t draw_index(std::mt19937_64& rng, std::size_t n) { return static_cast<std::size_t>(rng() % n); }

/// Ranks of the pooled values, ties given the mean of their ranks, times two (so they are integers).
std::vector<std::size_t> doubled_midranks(std::vector<double> pooled) {
  std::vector<std::size_t> order(pooled.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return pooled[a] < pooled[b]; });
  std::vector<std::size_t> ranks(pooled.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && pooled[order[j]] == pooled[order[i]]) ++j;
    for (std::size_t k = i; k < j; ++k) ranks[order[k]] = i + 1 + j;  // 2 · (mean of ranks i+1 .. j)
    i = j;
  }
  return ranks;
}

/// For every n-subset of `ranks`, equally likely under the null hypothesis: how many have each sum.
std::vector<double> rank_sum_distribution(const std::vector<std::size_t>& ranks, std::size_t n) {
  std::size_t max_sum = 0;
  for (const auto r : ranks) max_sum += r;
  std::vector<std::vector<double>> dp(n + 1, std::vector<double>(max_sum + 1, 0.0));
  dp[0][0] = 1;
  std::size_t seen = 0;
  for (const auto r : ranks) {
    seen += r;
    for (std::size_t k = n; k-- > 0;)
      for (std::size_t s = seen - r + 1; s-- > 0;)
        if (dp[k][s] != 0) dp[k + 1][s + r] += dp[k][s];
  }
  return dp[n];
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return kNaN;
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return kNaN;
  return rk::workloads::percentile(std::move(values), q);
}

double relative_iqr(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double m = median(values);
  if (m == 0) return kNaN;
  return (quantile(values, 0.75) - quantile(values, 0.25)) / std::abs(m);
}

Interval bootstrap_ratio_ci(const std::vector<double>& baseline, const std::vector<double>& candidate,
                            double confidence, std::size_t resamples, std::uint64_t seed) {
  if (baseline.empty() || candidate.empty() || resamples == 0) return {kNaN, kNaN};
  std::mt19937_64 rng(seed);
  std::vector<double> ratios;
  ratios.reserve(resamples);
  std::vector<double> a(baseline.size()), b(candidate.size());
  for (std::size_t i = 0; i < resamples; ++i) {
    for (auto& v : a) v = baseline[draw_index(rng, baseline.size())];
    for (auto& v : b) v = candidate[draw_index(rng, candidate.size())];
    ratios.push_back(median(b) / median(a));  // a zero baseline median gives inf or NaN: the interval says so
  }
  for (auto& r : ratios)
    if (std::isnan(r)) r = std::numeric_limits<double>::infinity();
  const double tail = (1 - confidence) / 2;
  return {quantile(ratios, tail), quantile(ratios, 1 - tail)};
}

MannWhitney mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y) {
  MannWhitney r;
  const std::size_t m = x.size(), n = y.size();
  if (m == 0 || n == 0) return r;
  for (const double yv : y)
    for (const double xv : x) r.u += yv > xv ? 1.0 : yv == xv ? 0.5 : 0.0;

  if (m <= 50 && n <= 50) {
    // Exact, conditional on the ties: y's (mid)ranks are a uniformly random n-subset of the pooled ones.
    std::vector<double> pooled(x);
    pooled.insert(pooled.end(), y.begin(), y.end());
    const std::vector<std::size_t> ranks = doubled_midranks(pooled);
    std::size_t observed = 0;
    for (std::size_t i = m; i < ranks.size(); ++i) observed += ranks[i];
    const std::vector<double> dist = rank_sum_distribution(ranks, n);
    double all = 0, below = 0, above = 0;
    for (std::size_t s = 0; s < dist.size(); ++s) {
      all += dist[s];
      if (s <= observed) below += dist[s];
      if (s >= observed) above += dist[s];
    }
    r.p_value = std::min(1.0, 2 * std::min(below, above) / all);
    r.exact = true;
    return r;
  }

  std::map<double, std::size_t> counts;
  for (const double v : x) ++counts[v];
  for (const double v : y) ++counts[v];
  const std::size_t total = m + n;
  const double mean = static_cast<double>(m) * static_cast<double>(n) / 2;
  double tie_term = 0;
  for (const auto& [value, t] : counts) {
    const auto td = static_cast<double>(t);
    tie_term += td * td * td - td;
  }
  const auto nt = static_cast<double>(total);
  const double variance =
      static_cast<double>(m) * static_cast<double>(n) / 12 * ((nt + 1) - tie_term / (nt * (nt - 1)));
  if (variance <= 0) {  // every value equal
    r.p_value = 1;
    return r;
  }
  const double z = std::max(0.0, std::abs(r.u - mean) - 0.5) / std::sqrt(variance);
  r.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return r;
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::same: return "SAME";
    case Verdict::faster: return "FASTER";
    case Verdict::slower: return "SLOWER";
    case Verdict::unsure: return "UNSURE";
  }
  return "UNSURE";
}

std::string_view to_string(Better better) { return better == Better::lower ? "lower" : "higher"; }

FigureStats compare_figure(const std::vector<double>& baseline, const std::vector<double>& candidate, Better better,
                           const VerdictRule& rule) {
  FigureStats s;
  s.baseline_n = baseline.size();
  s.candidate_n = candidate.size();
  s.baseline_median = median(baseline);
  s.candidate_median = median(candidate);
  s.baseline_noise = relative_iqr(baseline);
  s.candidate_noise = relative_iqr(candidate);
  s.ratio = s.candidate_median / s.baseline_median;
  s.ratio_ci = bootstrap_ratio_ci(baseline, candidate, rule.confidence);
  s.test = mann_whitney_u(baseline, candidate);
  if (baseline.empty() || candidate.empty() || !std::isfinite(s.ratio) || s.ratio <= 0) return s;  // UNSURE

  // Cost ratio: > 1 is worse, whichever way the figure is better.
  const bool lower = better == Better::lower;
  const double c = lower ? s.ratio : 1 / s.ratio;
  const double c_lo = lower ? s.ratio_ci.low : 1 / s.ratio_ci.high;
  const double c_hi = lower ? s.ratio_ci.high : 1 / s.ratio_ci.low;
  const auto [b_min, b_max] = std::minmax_element(baseline.begin(), baseline.end());
  const auto [c_min, c_max] = std::minmax_element(candidate.begin(), candidate.end());
  const bool all_worse = lower ? *c_min > *b_max : *c_max < *b_min;
  const bool all_better = lower ? *c_max < *b_min : *c_min > *b_max;
  const bool enough = s.baseline_n >= rule.min_repetitions && s.candidate_n >= rule.min_repetitions;
  const bool significant = enough && s.test.p_value < rule.alpha;
  const double up = 1 + rule.threshold, down = 1 / up;

  if (c > up && ((significant && c_lo > 1) || (all_worse && c >= 1 + rule.huge))) {
    s.verdict = Verdict::slower;
  } else if (c < down && ((significant && c_hi < 1) || (all_better && c <= 1 / (1 + rule.huge)))) {
    s.verdict = Verdict::faster;
  } else if (enough && c_lo >= down && c_hi <= up) {
    s.verdict = Verdict::same;
  }
  return s;
}

}  // namespace rk::compare
