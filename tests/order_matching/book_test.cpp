// Every matching rule on hand-made order sequences, against expected trades and rejects (reference
// matcher; the same cases run through the ring kernels in topology_test.cpp).
#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

#include "cases.hpp"
#include "rk/workloads/order_matching/book.hpp"

using namespace rk::workloads::order_matching;
using omtest::T;

namespace {

MatchResult run(const std::string& csv) { return reference_match(parse_orders_csv(csv, "case.csv").orders); }

}  // namespace

TEST(OrderMatchingRules, HandMadeCasesMatchExpected) {
  for (const auto& c : omtest::hand_cases()) {
    SCOPED_TRACE(c.name);
    const MatchResult r = run(c.csv);
    EXPECT_EQ(r.trades, c.trades);
    std::vector<Reject> rejects = r.rejects;
    std::sort(rejects.begin(), rejects.end());
    std::vector<Reject> expected = c.rejects;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(rejects, expected);
  }
}

TEST(OrderMatchingRules, RestingStateAfterPartialFill) {
  Book b;
  std::vector<Trade> t;
  auto fill = [&](const Trade& x) { t.push_back(x); };
  b.submit(1, Side::Sell, 101, 5, 0, fill);
  b.submit(2, Side::Buy, 105, 8, 0, fill);  // fills 5 at 101, rests 3 at 105
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].price, 101);
  EXPECT_EQ(b.best(Side::Buy), 105);
  EXPECT_EQ(b.depth(Side::Buy, 105), 3);
  EXPECT_EQ(b.levels(Side::Sell), 0u);
  EXPECT_TRUE(b.cancel(2));
  EXPECT_EQ(b.resting(), 0u);
  EXPECT_FALSE(b.cancel(2));
}

TEST(OrderMatchingRules, MarketOrderNeverRestsEvenOnEmptyBook) {
  Book b;
  int fills = 0;
  b.submit(1, Side::Buy, 0, 10, 0, [&](const Trade&) { ++fills; });
  EXPECT_EQ(fills, 0);
  EXPECT_EQ(b.resting(), 0u);
}

TEST(OrderMatchingRules, IdRegistryIntervals) {
  IdRegistry r;
  for (std::uint64_t i = 1; i <= 1000; ++i) EXPECT_TRUE(r.insert(i));
  EXPECT_EQ(r.intervals(), 1u);
  EXPECT_FALSE(r.insert(500));
  EXPECT_TRUE(r.insert(2000));
  EXPECT_TRUE(r.insert(1500));
  EXPECT_TRUE(r.insert(1499));
  EXPECT_TRUE(r.insert(1501));
  EXPECT_FALSE(r.insert(1500));
  EXPECT_TRUE(r.insert(0));
  EXPECT_TRUE(r.insert(~0ull));
  EXPECT_FALSE(r.insert(~0ull));
  // Random ids against a std::set.
  std::mt19937_64 rng(3);
  IdRegistry q;
  std::set<std::uint64_t> ref;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t id = rng() % 5000;
    EXPECT_EQ(q.insert(id), ref.insert(id).second);
  }
  for (std::uint64_t id = 0; id < 5000; ++id) EXPECT_EQ(q.contains(id), ref.count(id) == 1);
}

TEST(OrderMatchingRules, IdIndexAgainstUnorderedMap) {
  std::mt19937_64 rng(5);
  IdIndex idx;
  std::unordered_map<std::uint64_t, std::uint32_t> ref;
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t k = rng() % 4096;
    const auto it = ref.find(k);
    if (it == ref.end()) {
      idx.insert(k, static_cast<std::uint32_t>(i));
      ref[k] = static_cast<std::uint32_t>(i);
    } else if (rng() & 1) {
      EXPECT_TRUE(idx.erase(k));
      ref.erase(it);
    }
    const std::uint64_t probe = rng() % 4096;
    const auto rit = ref.find(probe);
    EXPECT_EQ(idx.find(probe), rit == ref.end() ? IdIndex::kNone : rit->second);
  }
  EXPECT_EQ(idx.size(), ref.size());
}

TEST(OrderMatchingRules, BookIsCopyable) {
  Book a;
  a.submit(1, Side::Buy, 100, 10, 0, [](const Trade&) {});
  Book b = a;
  std::vector<Trade> ta, tb;
  a.submit(2, Side::Sell, 100, 4, 0, [&](const Trade& t) { ta.push_back(t); });
  b.submit(2, Side::Sell, 100, 4, 0, [&](const Trade& t) { tb.push_back(t); });
  EXPECT_EQ(ta, tb);
  EXPECT_EQ(a.depth(Side::Buy, 100), 6);
}

TEST(OrderMatchingGenerator, DeterministicAndRealistic) {
  GeneratorConfig c;
  c.orders = 200000;
  c.symbols = 8;
  c.seed = 11;
  const OrderStream a = generate_orders(c), b = generate_orders(c);
  ASSERT_EQ(a.orders.size(), 200000u);
  EXPECT_EQ(a.orders, b.orders);
  c.seed = 12;
  EXPECT_NE(generate_orders(c).orders, a.orders);
  const MatchResult r = reference_match(a.orders);
  // A realistic flow trades a little and rejects only cancels of orders that already traded away.
  EXPECT_GT(r.trades.size(), 1000u);
  EXPECT_LT(r.trades.size(), a.orders.size() / 2);
  for (const Reject& j : r.rejects) EXPECT_EQ(j.reason, static_cast<std::uint32_t>(RejectReason::UnknownOrder));
  // Books keep roughly `resting` orders each.
  std::vector<Book> books(8);
  Admission adm;
  for (const Order& o : a.orders)
    if (adm.admit(o) == RejectReason::None) apply(books[o.symbol], o, [](const Trade&) {}, [](RejectReason) {});
  for (const Book& bk : books) {
    EXPECT_GT(bk.resting(), 500u);
    EXPECT_LT(bk.resting(), 2000u);
  }
}
