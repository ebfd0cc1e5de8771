// The atomic-bounce baseline of ping_pong: its lines and how the samples are shared among them.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>

#include "rk/workloads/synthetic/workloads.hpp"

namespace rk::workloads::synthetic {
namespace {

TEST(AtomicBounce, LinesHaveAPageEachAndDifferentOffsets) {
  const BounceLines lines(70);
  ASSERT_EQ(lines.count(), 70u);
  std::set<std::uintptr_t> pages, offsets_in_first_64;
  for (std::uint32_t i = 0; i < lines.count(); ++i) {
    const auto a = reinterpret_cast<std::uintptr_t>(&lines.line(i));
    EXPECT_EQ(a % 64, 0u) << i;
    pages.insert(a / 4096);
    if (i < 64) offsets_in_first_64.insert(a % 4096);
    EXPECT_EQ(lines.line(i).load(), 0u) << i;
  }
  EXPECT_EQ(pages.size(), 70u);
  EXPECT_EQ(offsets_in_first_64.size(), 64u);
}

TEST(AtomicBounce, SamplesAreSharedEvenlyAmongTheLines) {
  const BounceLines lines(4);
  std::vector<std::vector<std::uint64_t>> per_line(4);
  const auto s = atomic_bounce_round_trips(1002, {}, lines, &per_line);
  ASSERT_EQ(s.size(), 1002u);
  EXPECT_EQ(per_line[0].size(), 251u);
  EXPECT_EQ(per_line[1].size(), 251u);
  EXPECT_EQ(per_line[2].size(), 250u);
  EXPECT_EQ(per_line[3].size(), 250u);
  for (std::uint64_t ns : s) EXPECT_GT(ns, 0u);
  // Every recorded or warm-up bounce left its line at rest (even: answered); a second call goes on
  // from there, and the same lines bounce again.
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(lines.line(i).load() % 2, 0u) << i;
  EXPECT_EQ(atomic_bounce_round_trips(8, {}, lines).size(), 8u);
}

TEST(AtomicBounce, FewerSamplesThanLinesLeaveTheLastLinesOut) {
  const BounceLines lines(8);
  std::vector<std::vector<std::uint64_t>> per_line(8);
  EXPECT_EQ(atomic_bounce_round_trips(3, {}, lines, &per_line).size(), 3u);
  for (std::uint32_t i = 0; i < 8; ++i) EXPECT_EQ(per_line[i].size(), i < 3 ? 1u : 0u) << i;
}

TEST(AtomicBounce, StopsWhenAsked) {
  const BounceLines lines(2);
  int asked = 0;
  const auto s = atomic_bounce_round_trips(1'000'000, [&] { return ++asked > 1; }, lines);
  EXPECT_EQ(s.size(), 1024u);  // asked before the first sample and again after 1,024
}

}  // namespace
}  // namespace rk::workloads::synthetic
