// Queue tiers (capacities, upgrade/downgrade, sizing for a throughput), the factory that builds rings by
// tier and the monitor that grades queue pressure.
#include <gtest/gtest.h>

#include <limits>

#include "rk/core/queue_tier.hpp"

namespace {

using rk::QueueTier;

TEST(QueueTier, Capacities) {
  EXPECT_EQ(rk::capacity(QueueTier::Small), 256u);
  EXPECT_EQ(rk::capacity(QueueTier::Medium), 1024u);
  EXPECT_EQ(rk::capacity(QueueTier::Large), 4096u);
  EXPECT_EQ(rk::capacity(QueueTier::ExtraLarge), 16384u);
  for (const QueueTier t : {QueueTier::Small, QueueTier::Medium, QueueTier::Large, QueueTier::ExtraLarge})
    EXPECT_TRUE(rk::is_power_of_two(rk::capacity(t)));
  EXPECT_STREQ(rk::to_string(QueueTier::Small), "small");
  EXPECT_STREQ(rk::to_string(QueueTier::Medium), "medium");
  EXPECT_STREQ(rk::to_string(QueueTier::Large), "large");
  EXPECT_STREQ(rk::to_string(QueueTier::ExtraLarge), "extra_large");
}

TEST(QueueTier, UpgradeDowngradeSaturate) {
  EXPECT_EQ(rk::upgrade(QueueTier::Small), QueueTier::Medium);
  EXPECT_EQ(rk::upgrade(QueueTier::Medium), QueueTier::Large);
  EXPECT_EQ(rk::upgrade(QueueTier::Large), QueueTier::ExtraLarge);
  EXPECT_EQ(rk::upgrade(QueueTier::ExtraLarge), QueueTier::ExtraLarge);
  EXPECT_EQ(rk::downgrade(QueueTier::ExtraLarge), QueueTier::Large);
  EXPECT_EQ(rk::downgrade(QueueTier::Large), QueueTier::Medium);
  EXPECT_EQ(rk::downgrade(QueueTier::Medium), QueueTier::Small);
  EXPECT_EQ(rk::downgrade(QueueTier::Small), QueueTier::Small);
  static_assert(rk::upgrade(rk::upgrade(rk::upgrade(rk::upgrade(QueueTier::Small)))) == QueueTier::ExtraLarge);
}

TEST(QueueTier, ForThroughput) {
  // 10k msg/s with 100 ms of headroom needs 1000 slots: Medium.
  EXPECT_EQ(rk::for_throughput(10'000, 100), QueueTier::Medium);
  EXPECT_EQ(rk::for_throughput(0, 100), QueueTier::Small);
  EXPECT_EQ(rk::for_throughput(10'000, 0), QueueTier::Small);
  EXPECT_EQ(rk::for_throughput(0, 0), QueueTier::Small);
  // Boundaries (the requirement is rounded up to whole messages).
  EXPECT_EQ(rk::for_throughput(256'000, 1), QueueTier::Small);
  EXPECT_EQ(rk::for_throughput(256'001, 1), QueueTier::Medium);
  EXPECT_EQ(rk::for_throughput(1'024'000, 1), QueueTier::Medium);
  EXPECT_EQ(rk::for_throughput(1'024'001, 1), QueueTier::Large);
  EXPECT_EQ(rk::for_throughput(4'096'000, 1), QueueTier::Large);
  EXPECT_EQ(rk::for_throughput(4'096'001, 1), QueueTier::ExtraLarge);
  EXPECT_EQ(rk::for_throughput(1, 1), QueueTier::Small);
  // Huge: nothing buffers it, ExtraLarge.
  EXPECT_EQ(rk::for_throughput(1'000'000'000, 100), QueueTier::ExtraLarge);
  EXPECT_EQ(rk::for_throughput(1'000'000'000'000ull, 60'000), QueueTier::ExtraLarge);
  static_assert(rk::for_throughput(10'000, 100) == QueueTier::Medium);
}

// Regression: the rate × headroom product used to wrap around and size huge rates as Small.
TEST(QueueTier, ForThroughputSaturatesOnOverflow) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(rk::for_throughput(kMax, 1), QueueTier::ExtraLarge);
  EXPECT_EQ(rk::for_throughput(1ull << 63, 2), QueueTier::ExtraLarge);
  EXPECT_EQ(rk::for_throughput(kMax / 1000 + 1, 1000), QueueTier::ExtraLarge);
}

TEST(QueueFactory, BuildsRingsByTier) {
  for (const QueueTier t : {QueueTier::Small, QueueTier::Medium, QueueTier::Large, QueueTier::ExtraLarge}) {
    auto spsc = rk::QueueFactory::create_spsc<std::uint64_t>(t);
    ASSERT_TRUE(spsc->valid());
    EXPECT_EQ(spsc->capacity(), rk::capacity(t));
    auto mpsc = rk::QueueFactory::create_mpsc<rk::Slot>(t, rk::RingOptions{true});
    ASSERT_TRUE(mpsc->valid());
    EXPECT_EQ(mpsc->capacity(), rk::capacity(t));
    EXPECT_EQ(mpsc.bytes(), rk::MpscRing<rk::Slot>::bytes_required(rk::capacity(t), rk::RingOptions{true}));
    EXPECT_EQ(spsc->try_enqueue(7), rk::QueueStatus::Ok);
    std::uint64_t v = 0;
    EXPECT_EQ(spsc->try_dequeue(v), rk::QueueStatus::Ok);
    EXPECT_EQ(v, 7u);
  }
}

TEST(QueueFactory, OwnedRingIsMovable) {
  auto a = rk::QueueFactory::create_spsc<std::uint32_t>(QueueTier::Small);
  ASSERT_EQ(a->try_enqueue(1u), rk::QueueStatus::Ok);
  auto b = std::move(a);
  std::uint32_t v = 0;
  ASSERT_EQ(b->try_dequeue(v), rk::QueueStatus::Ok);
  EXPECT_EQ(v, 1u);
}

TEST(PressureLevel, Strings) {
  EXPECT_STREQ(rk::to_string(rk::PressureLevel::Normal), "normal");
  EXPECT_STREQ(rk::to_string(rk::PressureLevel::Warning), "warning");
  EXPECT_STREQ(rk::to_string(rk::PressureLevel::Critical), "critical");
}

class QueueMonitorTest : public ::testing::Test {
 protected:
  // Fill a ring to `depth` messages (from empty or from the current depth).
  void fill_to(std::uint64_t depth) {
    while (ring_->size() < depth) ASSERT_EQ(ring_->try_enqueue(0), rk::QueueStatus::Ok);
    std::uint32_t v;
    while (ring_->size() > depth) ASSERT_EQ(ring_->try_dequeue(v), rk::QueueStatus::Ok);
  }
  rk::OwnedRing<rk::MpscRing<std::uint32_t>> ring_{1024};
};

TEST_F(QueueMonitorTest, LevelsAtThresholds) {
  const rk::QueueMonitor<rk::MpscRing<std::uint32_t>> mon(*ring_);
  EXPECT_EQ(mon.config().warning_threshold, 0.75);
  EXPECT_EQ(mon.config().critical_threshold, 0.90);
  struct Case {
    std::uint64_t depth;
    rk::PressureLevel level;
  };
  // Warning at 75% = 768 of 1024, Critical at 90% = 921.6 -> 922.
  for (const Case c : {Case{0, rk::PressureLevel::Normal}, Case{767, rk::PressureLevel::Normal},
                       Case{768, rk::PressureLevel::Warning}, Case{921, rk::PressureLevel::Warning},
                       Case{922, rk::PressureLevel::Critical}, Case{1024, rk::PressureLevel::Critical},
                       Case{500, rk::PressureLevel::Normal}}) {
    fill_to(c.depth);
    const rk::QueueHealth h = mon.check_health();
    EXPECT_EQ(h.current_depth, c.depth);
    EXPECT_EQ(h.capacity, 1024u);
    EXPECT_DOUBLE_EQ(h.utilization, static_cast<double>(c.depth) / 1024.0);
    EXPECT_EQ(h.pressure_level, c.level) << "depth " << c.depth;
    EXPECT_EQ(h.is_healthy, c.level != rk::PressureLevel::Critical) << "depth " << c.depth;
  }
}

TEST_F(QueueMonitorTest, CustomThresholds) {
  rk::QueueMonitorConfig cfg;
  cfg.warning_threshold = 0.5;
  cfg.critical_threshold = 0.6;
  const rk::QueueMonitor<rk::MpscRing<std::uint32_t>> mon(*ring_, cfg);
  fill_to(511);
  EXPECT_EQ(mon.check_health().pressure_level, rk::PressureLevel::Normal);
  fill_to(512);
  EXPECT_EQ(mon.check_health().pressure_level, rk::PressureLevel::Warning);
  fill_to(615);
  EXPECT_EQ(mon.check_health().pressure_level, rk::PressureLevel::Critical);
}

TEST_F(QueueMonitorTest, SuggestTier) {
  const rk::QueueMonitor<rk::MpscRing<std::uint32_t>> mon(*ring_);
  // Nearly idle and a small peak: move down (but never below Small).
  EXPECT_EQ(mon.suggest_tier(QueueTier::Medium), QueueTier::Small);
  EXPECT_EQ(mon.suggest_tier(QueueTier::Small), QueueTier::Small);
  // Moderate load: stay.
  fill_to(500);
  EXPECT_EQ(mon.suggest_tier(QueueTier::Medium), QueueTier::Medium);
  fill_to(800);
  EXPECT_EQ(mon.suggest_tier(QueueTier::Medium), QueueTier::Medium) << "warning does not change the tier";
  // Critical: move up (saturating at ExtraLarge).
  fill_to(950);
  EXPECT_EQ(mon.suggest_tier(QueueTier::Medium), QueueTier::Large);
  EXPECT_EQ(mon.suggest_tier(QueueTier::ExtraLarge), QueueTier::ExtraLarge);
  // Drained, but the peak was high: keep the tier.
  fill_to(0);
  EXPECT_GE(mon.metrics().peak_depth, 128u);
  EXPECT_EQ(mon.suggest_tier(QueueTier::Medium), QueueTier::Medium);
}

TEST_F(QueueMonitorTest, MetricsAreTheRingStatistics) {
  const rk::QueueMonitor<rk::MpscRing<std::uint32_t>> mon(*ring_);
  fill_to(10);
  const rk::QueueStatistics s = mon.metrics();
  EXPECT_EQ(s.total_enqueued, 10u);
  EXPECT_EQ(s.total_dequeued, 0u);
}

}  // namespace
