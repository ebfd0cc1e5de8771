// Reductions: every operator on every scalar type it applies to, checked against independent references
// on random arrays (exact for integers including wrap-around, bit-identical for floats in the same
// order), identity laws, and the run-time checked forms that refuse bitwise operators on floats.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "rk/core/reduction.hpp"

namespace {

using rk::ReductionOp;

template <class T>
class ReductionTest : public ::testing::Test {};
using ScalarTypes = ::testing::Types<std::int32_t, std::int64_t, std::uint32_t, std::uint64_t, float, double>;
TYPED_TEST_SUITE(ReductionTest, ScalarTypes);

template <class T>
std::vector<T> random_array(std::mt19937_64& rng, std::size_t n, ReductionOp op) {
  std::vector<T> v(n);
  for (auto& x : v) {
    if constexpr (std::is_integral_v<T>) {
      x = static_cast<T>(rng());  // full range: sums and products wrap
    } else if (op == ReductionOp::Product) {
      x = static_cast<T>(std::uniform_real_distribution<double>(0.5, 1.5)(rng));
    } else {
      x = static_cast<T>(std::uniform_real_distribution<double>(-1e6, 1e6)(rng));
    }
  }
  return v;
}

template <class T>
bool same_bits(T a, T b) {
  if constexpr (std::is_same_v<T, float>) return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
  else if constexpr (std::is_same_v<T, double>) return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
  else return a == b;
}

/// An independent reference: integers in a wider unsigned type reduced modulo 2^N, floats with the
/// plain operators in the same left-to-right order.
template <class T>
T reference(ReductionOp op, const std::vector<T>& v) {
  if constexpr (std::is_integral_v<T>) {
    using W = unsigned __int128;
    constexpr W mod_mask = (W{1} << (8 * sizeof(T))) - 1;
    switch (op) {
      case ReductionOp::Sum: {
        W acc = 0;
        for (T x : v) acc += static_cast<W>(static_cast<std::make_unsigned_t<T>>(x));
        return static_cast<T>(static_cast<std::make_unsigned_t<T>>(acc & mod_mask));
      }
      case ReductionOp::Product: {
        W acc = 1;
        for (T x : v) acc = (acc * static_cast<W>(static_cast<std::make_unsigned_t<T>>(x))) & mod_mask;
        return static_cast<T>(static_cast<std::make_unsigned_t<T>>(acc));
      }
      case ReductionOp::Min: return *std::min_element(v.begin(), v.end());
      case ReductionOp::Max: return *std::max_element(v.begin(), v.end());
      case ReductionOp::And: return std::accumulate(v.begin(), v.end(), static_cast<T>(~T{0}), std::bit_and<T>{});
      case ReductionOp::Or: return std::accumulate(v.begin(), v.end(), T{0}, std::bit_or<T>{});
      case ReductionOp::Xor: return std::accumulate(v.begin(), v.end(), T{0}, std::bit_xor<T>{});
    }
  } else {
    switch (op) {
      case ReductionOp::Sum: return std::accumulate(v.begin(), v.end(), T{0}, std::plus<T>{});
      case ReductionOp::Product: return std::accumulate(v.begin(), v.end(), T{1}, std::multiplies<T>{});
      case ReductionOp::Min: return *std::min_element(v.begin(), v.end());
      case ReductionOp::Max: return *std::max_element(v.begin(), v.end());
      default: break;
    }
  }
  ADD_FAILURE() << "no reference for " << rk::to_string(op);
  return T{};
}

template <ReductionOp Op, class T>
void check_fold(std::mt19937_64& rng) {
  if constexpr (!rk::supports<T>(Op)) {
    return;
  } else {
    for (int c = 0; c < 50; ++c) {
      const std::size_t n = 1 + rng() % 300;
      const std::vector<T> v = random_array<T>(rng, n, Op);
      T acc = rk::identity<Op, T>();
      for (T x : v) acc = rk::reduce<Op, T>(acc, x);
      const T ref = reference<T>(Op, v);
      ASSERT_TRUE(same_bits(acc, ref)) << rk::to_string(Op) << " case " << c << ": " << acc << " vs " << ref;
      // The run-time form gives the same bits.
      T rt{};
      ASSERT_TRUE(rk::identity<T>(Op, rt));
      for (T x : v) ASSERT_TRUE(rk::reduce<T>(Op, rt, x, rt));
      ASSERT_TRUE(same_bits(rt, acc)) << rk::to_string(Op);
    }
  }
}

template <ReductionOp Op, class T>
void check_identity(std::mt19937_64& rng) {
  if constexpr (!rk::supports<T>(Op)) {
    return;
  } else {
    using L = std::numeric_limits<T>;
    std::vector<T> xs = {T{0}, T{1}, L::max(), L::lowest(), L::min()};
    if constexpr (std::is_signed_v<T>) xs.push_back(T{-1});
    if constexpr (std::is_floating_point_v<T>) {
      xs.push_back(L::infinity());
      xs.push_back(-L::infinity());
      xs.push_back(L::denorm_min());
    }
    for (int i = 0; i < 200; ++i) xs.push_back(random_array<T>(rng, 1, Op)[0]);
    const T e = rk::identity<Op, T>();
    for (const T x : xs) {
      ASSERT_TRUE(same_bits(rk::reduce<Op, T>(e, x), x)) << rk::to_string(Op) << " e*x, x=" << x;
      ASSERT_TRUE(same_bits(rk::reduce<Op, T>(x, e), x)) << rk::to_string(Op) << " x*e, x=" << x;
    }
  }
}

TYPED_TEST(ReductionTest, FoldMatchesReferenceForEveryOp) {
  std::mt19937_64 rng(0xA11CE + sizeof(TypeParam) * 3 + std::is_signed_v<TypeParam>);
  check_fold<ReductionOp::Sum, TypeParam>(rng);
  check_fold<ReductionOp::Min, TypeParam>(rng);
  check_fold<ReductionOp::Max, TypeParam>(rng);
  check_fold<ReductionOp::Product, TypeParam>(rng);
  check_fold<ReductionOp::And, TypeParam>(rng);
  check_fold<ReductionOp::Or, TypeParam>(rng);
  check_fold<ReductionOp::Xor, TypeParam>(rng);
}

TYPED_TEST(ReductionTest, IdentityLaws) {
  std::mt19937_64 rng(0xB0B + sizeof(TypeParam));
  check_identity<ReductionOp::Sum, TypeParam>(rng);
  check_identity<ReductionOp::Min, TypeParam>(rng);
  check_identity<ReductionOp::Max, TypeParam>(rng);
  check_identity<ReductionOp::Product, TypeParam>(rng);
  check_identity<ReductionOp::And, TypeParam>(rng);
  check_identity<ReductionOp::Or, TypeParam>(rng);
  check_identity<ReductionOp::Xor, TypeParam>(rng);
}

TYPED_TEST(ReductionTest, RuntimeFormRefusesOnlyBitwiseOnFloats) {
  using T = TypeParam;
  for (const ReductionOp op : rk::kAllReductionOps) {
    const bool ok = std::is_integral_v<T> || !rk::is_bitwise(op);
    EXPECT_EQ(rk::supports<T>(op), ok) << rk::to_string(op);
    T out = T{42};
    EXPECT_EQ(rk::reduce<T>(op, T{3}, T{5}, out), ok) << rk::to_string(op);
    if (!ok) {
      EXPECT_EQ(out, T{42}) << "out untouched when refused";
    }
    T id = T{42};
    EXPECT_EQ(rk::identity<T>(op, id), ok) << rk::to_string(op);
    if (!ok) {
      EXPECT_EQ(id, T{42});
    }
    bool called = false;
    EXPECT_EQ(rk::dispatch<T>(op, [&](auto) { called = true; }), ok);
    EXPECT_EQ(called, ok);
  }
}

TEST(Reduction, RuntimeBitwiseOnFloatAndDoubleIsFalse) {
  for (const ReductionOp op : {ReductionOp::And, ReductionOp::Or, ReductionOp::Xor}) {
    float f = 0;
    double d = 0;
    EXPECT_FALSE(rk::reduce<float>(op, 1.0f, 2.0f, f));
    EXPECT_FALSE(rk::reduce<double>(op, 1.0, 2.0, d));
    EXPECT_FALSE(rk::identity<float>(op, f));
    EXPECT_FALSE(rk::identity<double>(op, d));
  }
  std::int32_t i = 0;
  EXPECT_FALSE(rk::reduce<std::int32_t>(static_cast<ReductionOp>(99), 1, 2, i)) << "unknown op";
}

TEST(Reduction, WrapAroundExamples) {
  using I32 = std::int32_t;
  using I64 = std::int64_t;
  constexpr I32 kMax32 = std::numeric_limits<I32>::max();
  constexpr I64 kMin64 = std::numeric_limits<I64>::min();
  static_assert(rk::reduce<ReductionOp::Sum, I32>(kMax32, 1) == std::numeric_limits<I32>::min());
  static_assert(rk::reduce<ReductionOp::Sum, I64>(kMin64, -1) == std::numeric_limits<I64>::max());
  static_assert(rk::reduce<ReductionOp::Sum, std::uint32_t>(0xFFFFFFFFu, 2u) == 1u);
  static_assert(rk::reduce<ReductionOp::Product, I32>(65536, 65536) == 0);
  static_assert(rk::reduce<ReductionOp::Product, I32>(kMax32, 2) == -2);
  static_assert(rk::reduce<ReductionOp::Product, std::uint64_t>(1ull << 32, 1ull << 32) == 0);
  static_assert(rk::reduce<ReductionOp::Min, I32>(-5, 3) == -5);
  static_assert(rk::reduce<ReductionOp::Max, std::uint32_t>(0xFFFFFFFFu, 3u) == 0xFFFFFFFFu);
  static_assert(rk::reduce<ReductionOp::Xor, std::uint64_t>(0xF0, 0xFF) == 0x0F);
  SUCCEED();
}

TEST(Reduction, Identities) {
  static_assert(rk::identity<ReductionOp::Sum, std::int32_t>() == 0);
  static_assert(rk::identity<ReductionOp::Product, double>() == 1.0);
  static_assert(rk::identity<ReductionOp::Min, std::int32_t>() == std::numeric_limits<std::int32_t>::max());
  static_assert(rk::identity<ReductionOp::Max, std::int32_t>() == std::numeric_limits<std::int32_t>::min());
  static_assert(rk::identity<ReductionOp::Min, std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
  static_assert(rk::identity<ReductionOp::Max, std::uint64_t>() == 0);
  static_assert(rk::identity<ReductionOp::And, std::int64_t>() == -1);
  static_assert(rk::identity<ReductionOp::And, std::uint32_t>() == 0xFFFFFFFFu);
  static_assert(rk::identity<ReductionOp::Min, float>() == std::numeric_limits<float>::infinity());
  static_assert(rk::identity<ReductionOp::Max, double>() == -std::numeric_limits<double>::infinity());
  SUCCEED();
}

TEST(Reduction, Names) {
  EXPECT_STREQ(rk::to_string(ReductionOp::Sum), "sum");
  EXPECT_STREQ(rk::to_string(ReductionOp::Min), "min");
  EXPECT_STREQ(rk::to_string(ReductionOp::Max), "max");
  EXPECT_STREQ(rk::to_string(ReductionOp::And), "and");
  EXPECT_STREQ(rk::to_string(ReductionOp::Or), "or");
  EXPECT_STREQ(rk::to_string(ReductionOp::Xor), "xor");
  EXPECT_STREQ(rk::to_string(ReductionOp::Product), "product");
  EXPECT_EQ(std::size(rk::kAllReductionOps), 7u);
  int bitwise = 0;
  for (const ReductionOp op : rk::kAllReductionOps) bitwise += rk::is_bitwise(op);
  EXPECT_EQ(bitwise, 3);
}

static_assert(rk::ReductionScalar<float> && rk::ReductionScalar<std::uint64_t>);
static_assert(!rk::ReductionScalar<std::int16_t> && !rk::ReductionScalar<long double> && !rk::ReductionScalar<bool>);

}  // namespace
