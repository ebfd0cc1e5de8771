// SharedMemoryCollective: every operator × type on 1, 2, 3, 4 and 8 simulated devices (threads) equals
// the sequential reference in rank order — bit for bit, for floats too — on both the staged path and the
// reduce-scatter path; a second run gives identical bits; floats are also within the stated tolerance of
// a long double reference; in-place calls; mismatched arguments make every participant throw.
#include <gtest/gtest.h>

#include <vector>

#include "reference.hpp"
#include "rk/cpu/collective/shared_memory_collective.hpp"

namespace {

using rk::ReductionOp;
using rk::cpu::SharedMemoryCollective;

template <class T>
class CollectiveMatrix : public ::testing::Test {};
using ScalarTypes = ::testing::Types<std::int32_t, std::int64_t, std::uint32_t, std::uint64_t, float, double>;
TYPED_TEST_SUITE(CollectiveMatrix, ScalarTypes);

constexpr std::uint32_t kParticipantCounts[] = {1, 2, 3, 4, 8};

template <class T>
void check_all_reduce(SharedMemoryCollective& c, ReductionOp op, std::size_t count, std::uint64_t seed) {
  const std::uint32_t n = c.participants();
  SCOPED_TRACE(std::string(rk::to_string(op)) + " n=" + std::to_string(n) + " count=" + std::to_string(count));
  std::vector<std::vector<T>> in(n);
  for (std::uint32_t r = 0; r < n; ++r) in[r] = rk::test::make_input<T>(seed * 131 + r, count, op);
  const std::vector<T> expected = rk::test::ref_elementwise(op, in);

  // reduce(): slices of different lengths per participant (rank r drops its last r elements).
  auto slice = [&](std::uint32_t r) { return std::span<const T>(in[r]).first(count > r ? count - r : 0); };
  std::vector<T> partials(n);
  std::vector<T> all_values;
  for (std::uint32_t r = 0; r < n; ++r) {
    partials[r] = rk::test::ref_fold<T>(op, slice(r));
    all_values.insert(all_values.end(), slice(r).begin(), slice(r).end());
  }
  const T expected_scalar = rk::test::ref_fold<T>(op, partials);

  std::vector<std::vector<T>> out(n, std::vector<T>(count)), again(n, std::vector<T>(count));
  std::vector<T> scalar(n), scalar_again(n);
  rk::test::run_team(n, [&](std::uint32_t r) {
    rk::GlobalReduction& g = c.participant(r);
    g.all_reduce<T>(in[r], out[r], op);
    scalar[r] = g.reduce<T>(slice(r), op);
    g.all_reduce<T>(in[r], again[r], op);
    scalar_again[r] = g.reduce_and_broadcast<T>(slice(r), op);
  });
  for (std::uint32_t r = 0; r < n; ++r) {
    EXPECT_TRUE(rk::test::same_bits<T>(out[r], expected)) << "rank " << r;
    EXPECT_TRUE(rk::test::same_bits<T>(again[r], out[r])) << "rank " << r << " (repeat)";
    EXPECT_TRUE(rk::test::same_bits(scalar[r], expected_scalar)) << "rank " << r;
    EXPECT_TRUE(rk::test::same_bits(scalar_again[r], expected_scalar)) << "rank " << r << " (repeat)";
  }
  if constexpr (std::is_floating_point_v<T>) {
    std::vector<T> column(n);
    for (std::size_t i = 0; i < count; ++i) {
      for (std::uint32_t r = 0; r < n; ++r) column[r] = in[r][i];
      const std::string err = rk::test::check_tolerance<T>(op, out[0][i], column);
      ASSERT_EQ(err, "") << "element " << i;
    }
    EXPECT_EQ(rk::test::check_tolerance<T>(op, scalar[0], all_values), "");
  }
}

TYPED_TEST(CollectiveMatrix, EveryOperatorAndParticipantCountMatchesReference) {
  using T = TypeParam;
  for (const std::uint32_t n : kParticipantCounts) {
    SharedMemoryCollective c(n);
    SharedMemoryCollective scatter(n, SharedMemoryCollective::Options{.small_max_bytes = 0});
    for (const ReductionOp op : rk::kAllReductionOps) {
      if (!rk::supports<T>(op)) continue;
      // 20011 elements exceed the default staged limit (32 KiB): the reduce-scatter path.
      for (const std::size_t count : {std::size_t{1}, std::size_t{37}, std::size_t{3001}, std::size_t{20011}})
        check_all_reduce<T>(c, op, count, count);
      // Forced reduce-scatter, including ranges that are empty (count < participants).
      for (const std::size_t count : {std::size_t{1}, std::size_t{37}, std::size_t{3001}})
        check_all_reduce<T>(scatter, op, count, count + 7);
    }
  }
}

TEST(Collective, InPlaceOnBothPaths) {
  for (const std::size_t small_max : {std::size_t{32 * 1024}, std::size_t{0}}) {
    SharedMemoryCollective c(4, SharedMemoryCollective::Options{.small_max_bytes = small_max});
    std::vector<std::vector<double>> data(4);
    for (std::uint32_t r = 0; r < 4; ++r) data[r] = rk::test::make_input<double>(r, 1000, ReductionOp::Sum);
    const std::vector<double> expected = rk::test::ref_elementwise(ReductionOp::Sum, data);
    rk::test::run_team(4, [&](std::uint32_t r) {
      c.participant(r).all_reduce<double>(data[r], data[r], ReductionOp::Sum);
    });
    for (std::uint32_t r = 0; r < 4; ++r) EXPECT_TRUE(rk::test::same_bits<double>(data[r], expected));
  }
}

TEST(Collective, MismatchedArgumentsThrowEverywhere) {
  for (const std::size_t small_max : {std::size_t{32 * 1024}, std::size_t{0}}) {
    SharedMemoryCollective c(3, SharedMemoryCollective::Options{.small_max_bytes = small_max});
    std::vector<int> threw(3, 0);
    rk::test::run_team(3, [&](std::uint32_t r) {
      std::vector<std::int32_t> in(10 + (r == 2 ? 1 : 0), 1), out(in.size());
      try {
        c.participant(r).all_reduce<std::int32_t>(in, out, ReductionOp::Sum);
      } catch (const rk::ReductionError&) {
        threw[r] = 1;
      }
      // The collective is still usable afterwards.
      std::int64_t v = r;
      EXPECT_EQ(c.participant(r).all_reduce_value<std::int64_t>(v, ReductionOp::Sum), 3);
    });
    EXPECT_EQ(threw, std::vector<int>({1, 1, 1}));
  }
}

}  // namespace
