// Statistics for comparing runs: each value is one figure of one repetition (one results file), never a
// sample inside a run (those are autocorrelated). Median and relative IQR per side, a bootstrap confidence
// interval of the ratio of medians, a Mann–Whitney U test, and the rule that turns them into a verdict.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace rk::compare {

/// The median: the middle value, or the mean of the two middle values for an even count; NaN when empty.
[[nodiscard]] double median(std::vector<double> values);

/// Nearest-rank quantile (the project's one percentile definition, rk::workloads::percentile); NaN when empty.
[[nodiscard]] double quantile(std::vector<double> values, double q);

/// Noise of one side: (Q3 − Q1) / median with nearest-rank quartiles (for up to 4 values, the range over the
/// median); 0 for fewer than two values, NaN when the median is 0.
[[nodiscard]] double relative_iqr(const std::vector<double>& values);

/// A closed interval.
struct Interval {
  double low = 0;
  double high = 0;
};

/// Bootstrap percentile interval of median(candidate) / median(baseline): both sides resampled with
/// replacement (repetitions, not samples), `resamples` times, from a std::mt19937_64 seeded with `seed`, so
/// the same input always gives the same interval. NaN bounds when either side is empty.
[[nodiscard]] Interval bootstrap_ratio_ci(const std::vector<double>& baseline, const std::vector<double>& candidate,
                                          double confidence = 0.95, std::size_t resamples = 10000,
                                          std::uint64_t seed = 0x52696e674b65726eULL);

/// A two-sided Mann–Whitney U test.
struct MannWhitney {
  double u = 0;        ///< U of `y` over `x`: pairs (x, y) with y > x, plus half the ties
  double p_value = 1;  ///< two-sided
  bool exact = false;  ///< exact null distribution (both sides ≤ 50); else normal approximation
};

/// Exact p-value when both sides have at most 50 values: every way to split the pooled (mid)ranks into the
/// two sides is counted, so ties are handled exactly too (the permutation distribution given the ties).
/// Otherwise the normal approximation with tie correction and continuity correction. p = 1 when either
/// side is empty. Two-sided: twice the smaller tail, at most 1.
[[nodiscard]] MannWhitney mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);

/// Which way is better for a figure.
enum class Better : std::uint8_t { lower, higher };

enum class Verdict : std::uint8_t { same, faster, slower, unsure };

/// "SAME", "FASTER", "SLOWER", "UNSURE".
[[nodiscard]] std::string_view to_string(Verdict verdict);
[[nodiscard]] std::string_view to_string(Better better);

/// The thresholds of the verdict (see verdict()).
struct VerdictRule {
  double threshold = 0.05;          ///< a change smaller than this (relative) is SAME
  double alpha = 0.05;              ///< significance level of the Mann–Whitney test
  std::size_t min_repetitions = 3;  ///< per side, for SAME, and for a SLOWER/FASTER by the rank test
  double huge = 0.5;                ///< a change at least this large whose sides do not overlap needs no test
  double confidence = 0.95;         ///< of the bootstrap interval
};

/// What compare_figure found for one figure.
struct FigureStats {
  std::size_t baseline_n = 0, candidate_n = 0;
  double baseline_median = 0, candidate_median = 0;
  double baseline_noise = 0, candidate_noise = 0;  ///< relative_iqr of each side
  double ratio = 0;                                ///< candidate median / baseline median
  Interval ratio_ci;                               ///< bootstrap interval of the ratio
  MannWhitney test;
  Verdict verdict = Verdict::unsure;
};

/// The verdict rule. With c the cost ratio (the ratio for lower-is-better figures, its inverse for
/// higher-is-better ones; c > 1 is worse) and [c_lo, c_hi] its bootstrap interval, t the threshold:
///  - SLOWER: c > 1 + t and either (both sides have ≥ min_repetitions, Mann–Whitney p < alpha and c_lo > 1)
///    or (c ≥ 1 + huge and every candidate value is worse than every baseline value);
///  - FASTER: the mirror image (c < 1 / (1 + t), c_hi < 1, or c ≤ 1 / (1 + huge) with no overlap);
///  - SAME: both sides have ≥ min_repetitions and [c_lo, c_hi] lies within [1 / (1 + t), 1 + t];
///  - UNSURE: anything else (too few repetitions, too noisy, or a change that is not significant).
[[nodiscard]] FigureStats compare_figure(const std::vector<double>& baseline, const std::vector<double>& candidate,
                                         Better better, const VerdictRule& rule = {});

}  // namespace rk::compare
