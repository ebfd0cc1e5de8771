// rk::compare statistics: hand-computed medians, quartiles and Mann–Whitney p-values, and the verdict rule
// on synthetic repetitions (equal, shifted, noisy, too few) over many seeds.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "rk/compare/compare.hpp"
#include "rk/compare/stats.hpp"

namespace {

using namespace rk::compare;

/// `n` repetitions of a figure: `mean` with relative normal noise `noise`.
std::vector<double> reps(std::mt19937_64& rng, std::size_t n, double mean, double noise) {
  std::normal_distribution<double> d(mean, mean * noise);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

/// How often each verdict comes out over `seeds` seeds.
struct Tally {
  int same = 0, faster = 0, slower = 0, unsure = 0;
};
Tally tally(int seeds, std::size_t n, double base, double cand, double noise, Better better = Better::lower) {
  Tally t;
  for (int s = 0; s < seeds; ++s) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(s) + 1);
    const auto a = reps(rng, n, base, noise);
    const auto b = reps(rng, n, cand, noise);
    switch (compare_figure(a, b, better).verdict) {
      case Verdict::same: ++t.same; break;
      case Verdict::faster: ++t.faster; break;
      case Verdict::slower: ++t.slower; break;
      case Verdict::unsure: ++t.unsure; break;
    }
  }
  return t;
}

TEST(CompareStats, MedianAndQuartiles) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_TRUE(std::isnan(median({})));
  // Nearest rank, as /latency's percentiles: ceil(q·n)-th smallest.
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4, 5, 6, 7, 8}, 0.25), 2);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4, 5, 6, 7, 8}, 0.75), 6);
  EXPECT_DOUBLE_EQ(relative_iqr({1, 2, 3, 4, 5, 6, 7, 8}), 4 / 4.5);
  EXPECT_DOUBLE_EQ(relative_iqr({7}), 0);
}

TEST(CompareStats, MannWhitneyExactAgainstHandCounts) {
  // m = n = 3: 20 orderings; U of y over x is 9 in one of them (all y above), so two-sided p = 2/20.
  auto r = mann_whitney_u({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 9);
  EXPECT_NEAR(r.p_value, 0.1, 1e-12);
  // m = n = 4: 70 orderings, p = 2/70.
  r = mann_whitney_u({1, 2, 3, 4}, {5, 6, 7, 8});
  EXPECT_NEAR(r.p_value, 2.0 / 70, 1e-12);
  EXPECT_DOUBLE_EQ(mann_whitney_u({5, 6, 7, 8}, {1, 2, 3, 4}).u, 0);
  // Interleaved: U = 1 + 2 + 3 = 6; counts of U = 0..9 for m = n = 3 are 1,1,2,3,3,3,3,2,1,1, so
  // P(U ≥ 6) = 7/20 and p = 0.7.
  r = mann_whitney_u({1, 3, 5}, {2, 4, 6});
  EXPECT_DOUBLE_EQ(r.u, 6);
  EXPECT_NEAR(r.p_value, 0.7, 1e-12);
  // Equal sides: p = 1.
  EXPECT_NEAR(mann_whitney_u({1, 2, 3}, {1, 2, 3}).p_value, 1, 1e-12);
}

TEST(CompareStats, MannWhitneyExactWithTies) {
  // x = {1,2,2,3}, y = {2,3,3,4}: U = 2 + 3.5 + 3.5 + 4 = 13. Pooled midranks 1, 3,3,3,3, 6,6,6 (the 2s
  // share ranks 2–4, the 3s 5–7), 8; y's rank sum is 23. Of the 70 ways to pick y's four ranks, 10 sum to
  // 23 or more and 69 to 23 or less: p = 2 · 10/70.
  const auto r = mann_whitney_u({1, 2, 2, 3}, {2, 3, 3, 4});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 13);
  EXPECT_NEAR(r.p_value, 20.0 / 70, 1e-12);
  // Ties across three equal repetitions per side: still 2/20, not the normal approximation's 0.047.
  EXPECT_NEAR(mann_whitney_u({100, 100, 100}, {120, 120, 120}).p_value, 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(mann_whitney_u({2, 2}, {2, 2}).p_value, 1);
}

TEST(CompareStats, MannWhitneyNormalApproximationBeyondFifty) {
  // 60 per side, values i mod 7 and (i mod 7) + 1: U = 2279.5, mean 1800, tie-corrected variance,
  // continuity correction: p = erfc(z/√2) = 0.011164776635824986 (computed by hand in Python).
  std::vector<double> x, y;
  for (int i = 0; i < 60; ++i) {
    x.push_back(i % 7);
    y.push_back(i % 7 + 1);
  }
  const auto r = mann_whitney_u(x, y);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 2279.5);
  EXPECT_NEAR(r.p_value, 0.011164776635824986, 1e-12);
}

TEST(CompareStats, BootstrapIsDeterministicAndBracketsTheRatio) {
  const std::vector<double> a{100, 101, 99, 100.5, 99.5}, b{110, 111, 109, 110.5, 109.5};
  const Interval i = bootstrap_ratio_ci(a, b), j = bootstrap_ratio_ci(a, b);
  EXPECT_EQ(i.low, j.low);
  EXPECT_EQ(i.high, j.high);
  EXPECT_LE(i.low, 1.1);
  EXPECT_GE(i.high, 1.1);
  EXPECT_GT(i.low, 1.05);
  const Interval same = bootstrap_ratio_ci({5, 5, 5}, {5, 5, 5});
  EXPECT_DOUBLE_EQ(same.low, 1);
  EXPECT_DOUBLE_EQ(same.high, 1);
}

TEST(CompareStats, EqualDistributionsAreSameInMostSeeds) {
  const Tally t = tally(50, 10, 1000, 1000, 0.01);
  EXPECT_GE(t.same, 45) << "unsure " << t.unsure << " slower " << t.slower << " faster " << t.faster;
  EXPECT_EQ(t.slower + t.faster, 0);
}

TEST(CompareStats, TwentyPercentShiftWithLowNoiseIsSlower) {
  EXPECT_EQ(tally(50, 10, 1000, 1200, 0.02).slower, 50);                  // latency up 20%
  EXPECT_EQ(tally(50, 10, 1000, 800, 0.02, Better::higher).slower, 50);   // a rate down 20%
  EXPECT_EQ(tally(50, 10, 1000, 800, 0.02).faster, 50);                   // latency down 20%
  EXPECT_GE(tally(50, 5, 1000, 1200, 0.02).slower, 48);                   // 5 repetitions are enough
}

TEST(CompareStats, HighNoiseIsUnsure) {
  const Tally equal = tally(50, 10, 1000, 1000, 0.30);
  EXPECT_GE(equal.unsure, 45) << "same " << equal.same << " slower " << equal.slower;
  EXPECT_LE(equal.slower, 2);
  const Tally shifted = tally(50, 10, 1000, 1100, 0.30);  // 10% lost in 30% noise
  EXPECT_EQ(shifted.same, 0);
  EXPECT_GE(shifted.unsure, 40);
}

TEST(CompareStats, SmallChangeBelowThresholdIsSame) {
  EXPECT_GE(tally(50, 10, 1000, 1020, 0.005).same, 45);  // 2% is real but below the 5% threshold
}

TEST(CompareStats, TooFewRepetitionsAreUnsureUnlessHuge) {
  EXPECT_EQ(compare_figure({100, 101}, {120, 121}, Better::lower).verdict, Verdict::unsure);  // 20%, 2 each
  EXPECT_EQ(compare_figure({100, 100, 100}, {120, 120, 120}, Better::lower).verdict, Verdict::unsure);  // p = 0.1
  EXPECT_EQ(compare_figure({100}, {100}, Better::lower).verdict, Verdict::unsure);  // never SAME on one run
  EXPECT_EQ(compare_figure({100}, {430}, Better::lower).verdict, Verdict::slower);  // 4.3x: no test needed
  EXPECT_EQ(compare_figure({100, 102}, {200, 210}, Better::lower).verdict, Verdict::slower);
  EXPECT_EQ(compare_figure({100, 102}, {40, 45}, Better::lower).verdict, Verdict::faster);
  EXPECT_EQ(compare_figure({100, 300}, {200, 250}, Better::lower).verdict, Verdict::unsure);  // overlapping sides
  EXPECT_EQ(compare_figure({100, 100, 100, 100}, {120, 120, 120, 120}, Better::lower).verdict, Verdict::slower);
}

TEST(CompareStats, ParseFraction) {
  EXPECT_DOUBLE_EQ(parse_fraction("5%"), 0.05);
  EXPECT_DOUBLE_EQ(parse_fraction("0.05"), 0.05);
  EXPECT_DOUBLE_EQ(parse_fraction("12.5%"), 0.125);
  EXPECT_THROW((void)parse_fraction("five"), InputError);
  EXPECT_THROW((void)parse_fraction("-1%"), InputError);
  EXPECT_THROW((void)parse_fraction(""), InputError);
}

}  // namespace
