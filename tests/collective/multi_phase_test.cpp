// MultiPhaseExecutor in each sync mode: iterative averaging through a between-phase Sum converges to the
// mean and gives identical bits in every mode (the reduction is deterministic); an int64 reduction is
// visible to the next phase; stats add up; a throwing phase is reported without hanging the team.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <vector>

#include "rk/cpu/collective/multi_phase.hpp"
#include "rk/cpu/collective/shared_memory_collective.hpp"

namespace {

using rk::ReductionOp;
using rk::ScalarType;
using rk::cpu::MultiPhaseConfig;
using rk::cpu::MultiPhaseExecutor;
using rk::cpu::PhaseContext;
using rk::cpu::SyncMode;

constexpr SyncMode kModes[] = {SyncMode::Cooperative, SyncMode::SoftwareBarrier, SyncMode::PerPhaseLaunch};

/// x_p starts at p + p²/7; each iteration publishes x_p, then relaxes it halfway towards the global mean.
std::vector<double> averaging(SyncMode mode, std::uint32_t n, std::uint64_t iterations, rk::cpu::MultiPhaseStats* stats) {
  std::vector<double> x(n);
  for (std::uint32_t p = 0; p < n; ++p) x[p] = p + p * p / 7.0;
  MultiPhaseConfig config;
  config.with_sync_mode(mode)
      .with_phase("publish", [&](PhaseContext& ctx) { ctx.contribute(x[ctx.participant()]); })
      .with_phase("relax",
                  [&](PhaseContext& ctx) {
                    const double mean = ctx.reduced_f64() / ctx.participants();
                    x[ctx.participant()] = 0.5 * x[ctx.participant()] + 0.5 * mean;
                  })
      .with_reduction_between_phases(ReductionOp::Sum);
  MultiPhaseExecutor executor(config, n);
  const auto& s = executor.run(iterations);
  if (stats != nullptr) *stats = s;
  return x;
}

TEST(MultiPhase, AveragingConvergesIdenticallyInEveryMode) {
  constexpr std::uint32_t n = 4;
  double mean = 0;
  for (std::uint32_t p = 0; p < n; ++p) mean += p + p * p / 7.0;
  mean /= n;
  std::vector<std::vector<double>> results;
  for (const SyncMode mode : kModes) {
    SCOPED_TRACE(rk::cpu::to_string(mode));
    rk::cpu::MultiPhaseStats stats;
    results.push_back(averaging(mode, n, 60, &stats));
    for (const double v : results.back()) EXPECT_NEAR(v, mean, 1e-12);
    EXPECT_EQ(stats.iterations, 60u);
    EXPECT_EQ(stats.sync_points, 120u);
    ASSERT_EQ(stats.phases.size(), 2u);
    EXPECT_EQ(stats.phases[0].name, "publish");
    EXPECT_EQ(stats.phases[1].name, "relax");
    EXPECT_GT(stats.total_time.count(), 0);
    EXPECT_GT(stats.reduction_time.count(), 0);
    EXPECT_GE(stats.sync_overhead.count(), 0);
    EXPECT_LE(stats.sync_overhead + stats.reduction_time + stats.phases[0].compute_time + stats.phases[1].compute_time,
              stats.total_time);
  }
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);
}

TEST(MultiPhase, IntegerReductionIsVisibleToTheNextPhase) {
  for (const SyncMode mode : kModes) {
    SCOPED_TRACE(rk::cpu::to_string(mode));
    constexpr std::uint32_t n = 3;
    std::vector<int> bad(n, 0);
    MultiPhaseConfig config;
    config.with_sync_mode(mode)
        .with_phase("count",
                    [&](PhaseContext& ctx) {
                      // The reduction after "check" (nobody contributes) left the identity, 0.
                      if (ctx.has_reduced() != (ctx.iteration() > 0) || ctx.reduced_i64() != 0) ++bad[ctx.participant()];
                      ctx.contribute(static_cast<std::int64_t>(ctx.participant() + 1 + ctx.iteration()));
                    })
        .with_phase("check",
                    [&](PhaseContext& ctx) {
                      const auto it = static_cast<std::int64_t>(ctx.iteration());
                      if (!ctx.has_reduced() || ctx.reduced_i64() != 6 + 3 * it) ++bad[ctx.participant()];
                      if (ctx.phase() != 1) ++bad[ctx.participant()];
                    })
        .with_reduction_between_phases(ReductionOp::Sum, ScalarType::I64);
    MultiPhaseExecutor executor(config, n);
    executor.run(20);
    EXPECT_EQ(bad, std::vector<int>(n, 0));
    EXPECT_EQ(executor.stats().iterations, 20u);
  }
}

TEST(MultiPhase, NoReductionJustSynchronises) {
  for (const SyncMode mode : kModes) {
    constexpr std::uint32_t n = 4;
    std::vector<std::uint64_t> counter(n, 0);
    std::atomic<int> violations{0};
    MultiPhaseConfig config;
    config.with_sync_mode(mode)
        .with_phase("write", [&](PhaseContext& ctx) { counter[ctx.participant()] = ctx.iteration() + 1; })
        .with_phase("read", [&](PhaseContext& ctx) {
          // After the barrier every participant's write of this iteration is visible.
          for (std::uint32_t q = 0; q < n; ++q)
            if (counter[q] != ctx.iteration() + 1) violations.fetch_add(1);
        })
        .with_phase("pause", [](PhaseContext&) {});  // separates this iteration's reads from the next writes
    MultiPhaseExecutor executor(config, n);
    const auto& stats = executor.run(25);
    EXPECT_EQ(violations.load(), 0) << rk::cpu::to_string(mode);
    EXPECT_EQ(stats.reduction_time.count(), 0);
  }
}

TEST(MultiPhase, ThrowingPhaseIsReportedWithoutHanging) {
  for (const SyncMode mode : kModes) {
    MultiPhaseConfig config;
    config.with_sync_mode(mode)
        .with_phase("maybe_throw",
                    [](PhaseContext& ctx) {
                      if (ctx.participant() == 1 && ctx.iteration() == 3) throw std::runtime_error("phase failed");
                      ctx.contribute(1.0);
                    })
        .with_reduction_between_phases(ReductionOp::Max);
    MultiPhaseExecutor executor(config, 3);
    EXPECT_THROW(executor.run(10), std::runtime_error) << rk::cpu::to_string(mode);
    EXPECT_EQ(executor.stats().iterations, 10u);
  }
}

TEST(MultiPhase, InvalidConfigurationsAreRefused) {
  EXPECT_THROW(MultiPhaseExecutor(MultiPhaseConfig{}, 2), rk::ReductionError);  // no phases
  MultiPhaseConfig bitwise_float;
  bitwise_float.with_phase("p", [](PhaseContext&) {}).with_reduction_between_phases(ReductionOp::Xor);
  EXPECT_THROW(MultiPhaseExecutor(bitwise_float, 2), rk::ReductionError);
  MultiPhaseConfig f32;
  f32.with_phase("p", [](PhaseContext&) {}).with_reduction_between_phases(ReductionOp::Sum, ScalarType::F32);
  EXPECT_THROW(MultiPhaseExecutor(f32, 2), rk::ReductionError);
  MultiPhaseConfig ok;
  ok.with_phase("p", [](PhaseContext&) {});
  EXPECT_THROW(MultiPhaseExecutor(ok, 0), rk::ReductionError);

  // Contributing the wrong type throws inside the phase and comes out of run().
  MultiPhaseConfig wrong;
  wrong.with_phase("p", [](PhaseContext& ctx) { ctx.contribute(std::int64_t{1}); })
      .with_reduction_between_phases(ReductionOp::Sum, ScalarType::F64);
  MultiPhaseExecutor executor(wrong, 2);
  EXPECT_THROW(executor.run(1), rk::ReductionError);
}

TEST(MultiPhase, ExternalHandles) {
  rk::cpu::SharedMemoryCollective c(2);
  MultiPhaseConfig config;
  std::vector<double> seen(2);
  config.with_phase("a", [](PhaseContext& ctx) { ctx.contribute(ctx.participant() + 1.0); })
      .with_phase("b", [&](PhaseContext& ctx) { seen[ctx.participant()] = ctx.reduced_f64(); })
      .with_reduction_between_phases(ReductionOp::Product);
  MultiPhaseExecutor executor(config, {&c.participant(0), &c.participant(1)});
  executor.run(2);
  EXPECT_EQ(seen, std::vector<double>({2.0, 2.0}));
}

}  // namespace
