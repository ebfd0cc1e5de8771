// Hybrid logical clocks: unit tests of tick/merge/update_physical and seeded property tests, including
// a simulation of nodes with skewed (fast, slow, frozen) wall clocks exchanging messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <vector>

#include "rk/core/hlc.hpp"

namespace {

using rk::HlcTimestamp;

constexpr int kCases = 500;

// Physical parts near a realistic epoch value, logical parts far from overflow.
HlcTimestamp random_ts(std::mt19937_64& rng, std::uint64_t base) {
  std::uniform_int_distribution<std::uint64_t> dp(0, 1000);
  std::uniform_int_distribution<std::uint32_t> dl(0, 50);
  return {base + dp(rng), dl(rng), static_cast<std::uint32_t>(rng() & 0xF)};
}

TEST(HlcTimestamp, TotalOrder) {
  const HlcTimestamp a{10, 0, 1}, b{10, 0, 2}, c{10, 1, 0}, d{11, 0, 0};
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
  EXPECT_EQ(a, (HlcTimestamp{10, 0, 1}));
  EXPECT_NE(a, b);
  EXPECT_LE(a, a);
  EXPECT_GE(d, c);
  EXPECT_GT(d, a);
  EXPECT_EQ(a.compare(a), 0);
  EXPECT_EQ(a.compare(d), -1);
  EXPECT_EQ(d.compare(a), 1);
  // Causal order ignores the node id.
  EXPECT_FALSE(a.causally_before(b));
  EXPECT_FALSE(b.causally_before(a));
  EXPECT_TRUE(b.causally_before(c));
  EXPECT_TRUE(c.causally_before(d));
  EXPECT_FALSE(d.causally_before(c));
}

TEST(HlcTimestamp, Tick) {
  HlcTimestamp t{100, 5, 3};
  t.tick();
  EXPECT_EQ(t, (HlcTimestamp{100, 6, 3}));
  t.tick(99);  // wall clock behind: logical advances
  EXPECT_EQ(t, (HlcTimestamp{100, 7, 3}));
  t.tick(100);  // equal: logical advances
  EXPECT_EQ(t, (HlcTimestamp{100, 8, 3}));
  t.tick(200);  // wall clock ahead: physical jumps, logical resets
  EXPECT_EQ(t, (HlcTimestamp{200, 0, 3}));
}

TEST(HlcTimestamp, MergeCases) {
  // Wall clock wins.
  HlcTimestamp t{100, 4, 1};
  t.merge({150, 9, 2}, 200);
  EXPECT_EQ(t, (HlcTimestamp{200, 0, 1}));
  // Received physical wins.
  t = {100, 4, 1};
  t.merge({150, 9, 2}, 120);
  EXPECT_EQ(t, (HlcTimestamp{150, 10, 1}));
  // Local physical wins.
  t = {300, 4, 1};
  t.merge({150, 9, 2}, 120);
  EXPECT_EQ(t, (HlcTimestamp{300, 5, 1}));
  // Local and received tie.
  t = {300, 4, 1};
  t.merge({300, 9, 2}, 120);
  EXPECT_EQ(t, (HlcTimestamp{300, 10, 1}));
  t = {300, 12, 1};
  t.merge({300, 9, 2}, 300);
  EXPECT_EQ(t, (HlcTimestamp{300, 13, 1}));
  // Wall clock equal to the received physical, above the local one.
  t = {100, 4, 1};
  t.merge({150, 9, 2}, 150);
  EXPECT_EQ(t, (HlcTimestamp{150, 10, 1}));
}

TEST(HlcTimestamp, UpdatePhysical) {
  HlcTimestamp t{100, 4, 1};
  t.update_physical(50);
  EXPECT_EQ(t, (HlcTimestamp{100, 4, 1}));
  t.update_physical(100);
  EXPECT_EQ(t, (HlcTimestamp{100, 4, 1}));
  t.update_physical(101);
  EXPECT_EQ(t, (HlcTimestamp{101, 0, 1}));
}

TEST(HlcState, NowAndUpdate) {
  rk::HlcState s(7);
  EXPECT_EQ(s.last.node_id, 7u);
  const HlcTimestamp a = s.now(1000);
  EXPECT_EQ(a, (HlcTimestamp{1000, 0, 7}));
  const HlcTimestamp b = s.now(1000);
  EXPECT_EQ(b, (HlcTimestamp{1000, 1, 7}));
  const HlcTimestamp c = s.update({2000, 3, 9}, 1500);
  EXPECT_EQ(c, (HlcTimestamp{2000, 4, 7})) << "the node id stays the local one";
  EXPECT_EQ(s.last, c);
}

TEST(HlcProperty, MergeIsCausallyAfterBothInputs) {
  std::mt19937_64 rng(0x5EED0001);
  std::uniform_int_distribution<std::uint64_t> dw(0, 2000);
  for (int i = 0; i < kCases; ++i) {
    const std::uint64_t base = 1'700'000'000'000'000'000ull;
    const HlcTimestamp local = random_ts(rng, base);
    const HlcTimestamp received = random_ts(rng, base);
    const std::uint64_t wall = base + dw(rng);
    HlcTimestamp t = local;
    t.merge(received, wall);
    ASSERT_TRUE(local.causally_before(t)) << "case " << i;
    ASSERT_TRUE(received.causally_before(t)) << "case " << i;
    ASSERT_GE(t.physical, wall) << "case " << i;
    ASSERT_EQ(t.node_id, local.node_id);
    // Tight: the physical part is exactly the maximum of the three inputs.
    ASSERT_EQ(t.physical, std::max({local.physical, received.physical, wall}));
  }
}

TEST(HlcProperty, TickIsStrictlyIncreasing) {
  std::mt19937_64 rng(0x5EED0002);
  std::uniform_int_distribution<int> jump(-500, 500);
  for (int c = 0; c < kCases / 5; ++c) {
    HlcTimestamp t = random_ts(rng, 1'000'000);
    std::uint64_t wall = 1'000'000;
    for (int i = 0; i < 200; ++i) {
      wall = static_cast<std::uint64_t>(static_cast<std::int64_t>(wall) + jump(rng));  // may go back
      const HlcTimestamp prev = t;
      if (rng() & 1) t.tick(wall); else t.tick();
      ASSERT_TRUE(prev.causally_before(t)) << c << "/" << i;
      ASSERT_LT(prev, t);
    }
  }
}

TEST(HlcProperty, UpdatePhysicalNeverDecreases) {
  std::mt19937_64 rng(0x5EED0003);
  std::uniform_int_distribution<std::uint64_t> dw(0, 3000);
  for (int i = 0; i < kCases; ++i) {
    HlcTimestamp t = random_ts(rng, 1000);
    const HlcTimestamp prev = t;
    const std::uint64_t wall = dw(rng);
    t.update_physical(wall);
    ASSERT_GE(t, prev);
    ASSERT_GE(t.physical, prev.physical);
    ASSERT_GE(t.physical, wall);
    if (wall <= prev.physical) {
      ASSERT_EQ(t, prev);
    }
  }
}

TEST(HlcProperty, PhysicalNeverBelowWallClock) {
  std::mt19937_64 rng(0x5EED0004);
  std::uniform_int_distribution<std::uint64_t> dw(0, 3000);
  for (int i = 0; i < kCases; ++i) {
    HlcTimestamp t = random_ts(rng, 1000);
    const std::uint64_t wall = dw(rng);
    switch (rng() % 3) {
      case 0: t.tick(wall); break;
      case 1: t.merge(random_ts(rng, 1000), wall); break;
      default: t.update_physical(wall); break;
    }
    ASSERT_GE(t.physical, wall) << "case " << i;
  }
}

// N nodes, each with a fake wall clock: accurate, fast (runs ahead and faster), slow (behind, slower)
// or frozen. Events: local tick, send to a random node, receive the oldest message of the inbox.
TEST(HlcProperty, SimulationWithSkewedClocksKeepsCausality) {
  enum class Kind { Accurate, Fast, Slow, Frozen };
  struct Node {
    rk::HlcState clock;
    Kind kind;
    std::int64_t offset;
    HlcTimestamp last_event{};
    bool has_event = false;
    std::uint64_t wall(std::uint64_t real) const {
      switch (kind) {
        case Kind::Accurate: return real;
        case Kind::Fast: return real * 2 + static_cast<std::uint64_t>(offset);
        case Kind::Slow: return real / 3 + static_cast<std::uint64_t>(offset);
        case Kind::Frozen: return static_cast<std::uint64_t>(offset);
      }
      return real;
    }
  };
  using VClock = std::vector<std::uint32_t>;
  struct InFlight {
    HlcTimestamp sent;
    VClock vc;
  };
  struct Event {
    HlcTimestamp ts;
    VClock vc;
  };
  // e happened before f (Lamport) iff vc(e) <= vc(f) componentwise and they differ.
  const auto happened_before = [](const VClock& e, const VClock& f) {
    bool strictly = false;
    for (std::size_t k = 0; k < e.size(); ++k) {
      if (e[k] > f[k]) return false;
      strictly |= e[k] < f[k];
    }
    return strictly;
  };

  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(0xC0FFEE00 + seed);
    const int n = 3 + static_cast<int>(rng() % 6);
    std::vector<Node> nodes;
    for (int i = 0; i < n; ++i) {
      const Kind k = static_cast<Kind>(i % 4);
      const std::int64_t offset = static_cast<std::int64_t>(rng() % 1'000'000);
      nodes.push_back(Node{rk::HlcState(static_cast<std::uint32_t>(i)), k, offset});
    }
    std::vector<std::deque<InFlight>> inbox(n);
    std::vector<VClock> vcs(n, VClock(n, 0));
    std::vector<Event> events;
    std::uint64_t real = 10'000'000;
    std::uint64_t receives = 0;
    for (int step = 0; step < 5000; ++step) {
      real += rng() % 50;
      const int i = static_cast<int>(rng() % n);
      Node& node = nodes[i];
      const std::uint64_t wall = node.wall(real);
      HlcTimestamp ev;
      const int action = static_cast<int>(rng() % 3);
      if (action == 2 && !inbox[i].empty()) {
        const InFlight m = inbox[i].front();
        inbox[i].pop_front();
        ev = node.clock.update(m.sent, wall);
        for (int k = 0; k < n; ++k) vcs[i][k] = std::max(vcs[i][k], m.vc[k]);
        ASSERT_TRUE(m.sent.causally_before(ev)) << "seed " << seed << " step " << step;
        ++receives;
        ++vcs[i][i];
      } else {
        ev = node.clock.now(wall);
        ++vcs[i][i];
        if (action == 1) inbox[rng() % n].push_back({ev, vcs[i]});
      }
      events.push_back({ev, vcs[i]});
      ASSERT_GE(ev.physical, wall);
      ASSERT_EQ(ev.node_id, static_cast<std::uint32_t>(i));
      if (node.has_event) {
        ASSERT_TRUE(node.last_event.causally_before(ev)) << "seed " << seed << " step " << step;
      }
      node.last_event = ev;
      node.has_event = true;
    }
    EXPECT_GT(receives, 100u);
    // Transitive causality: any two events ordered by happened-before are ordered by their HLCs.
    std::uniform_int_distribution<std::size_t> pick(0, events.size() - 1);
    std::uint64_t related = 0;
    for (int k = 0; k < 20000; ++k) {
      std::size_t a = pick(rng), b = pick(rng);
      if (a > b) std::swap(a, b);
      if (!happened_before(events[a].vc, events[b].vc)) continue;
      ++related;
      ASSERT_TRUE(events[a].ts.causally_before(events[b].ts)) << "seed " << seed << " events " << a << "," << b;
    }
    EXPECT_GT(related, 1000u);
  }
}

}  // namespace
