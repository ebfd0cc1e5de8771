// kernels/core/global_reduction.hpp without threads: scalar-type tags, the type-erased element-wise
// reducers against the sequential reference for every operator and type, refusal of bitwise operators
// on floats, and the GlobalReduction helpers on a one-participant collective.
#include <gtest/gtest.h>

#include <vector>

#include "reference.hpp"
#include "rk/core/global_reduction.hpp"
#include "rk/cpu/collective/shared_memory_collective.hpp"

namespace {

using rk::ReductionOp;
using rk::ScalarType;

template <class T>
class GlobalReductionTypes : public ::testing::Test {};
using ScalarTypes = ::testing::Types<std::int32_t, std::int64_t, std::uint32_t, std::uint64_t, float, double>;
TYPED_TEST_SUITE(GlobalReductionTypes, ScalarTypes);

static_assert(rk::scalar_type_of<std::int32_t> == ScalarType::I32);
static_assert(rk::scalar_type_of<std::uint64_t> == ScalarType::U64);
static_assert(rk::scalar_type_of<float> == ScalarType::F32);
static_assert(rk::scalar_type_of<double> == ScalarType::F64);
static_assert(rk::size_of(ScalarType::U32) == 4 && rk::size_of(ScalarType::I64) == 8);
static_assert(!rk::supports(ScalarType::F64, ReductionOp::Xor) && rk::supports(ScalarType::I32, ReductionOp::Xor));

TEST(GlobalReduction, ReductionErrorIsARuntimeError) {
  try {
    rk::check_supported(ScalarType::F32, ReductionOp::And);
    FAIL() << "expected a ReductionError";
  } catch (const rk::RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("f32"), std::string::npos) << e.what();
  }
}

TYPED_TEST(GlobalReductionTypes, VisitMapsTagToType) {
  using T = TypeParam;
  const bool same = rk::visit_scalar_type(rk::scalar_type_of<T>, []<class U>(std::type_identity<U>) {
    return std::is_same_v<U, T>;
  });
  EXPECT_TRUE(same);
}

TYPED_TEST(GlobalReductionTypes, ReduceAndFoldArraysMatchReference) {
  using T = TypeParam;
  constexpr ScalarType st = rk::scalar_type_of<T>;
  for (const ReductionOp op : rk::kAllReductionOps) {
    if (!rk::supports<T>(op)) continue;
    SCOPED_TRACE(rk::to_string(op));
    std::vector<std::vector<T>> rows;
    for (std::uint64_t r = 0; r < 5; ++r) rows.push_back(rk::test::make_input<T>(r, 5000, op));
    const std::vector<T> expected = rk::test::ref_elementwise(op, rows);

    std::vector<const void*> ptrs;
    for (const auto& row : rows) ptrs.push_back(row.data());
    std::vector<T> folded(5000);
    rk::fold_arrays(st, op, ptrs.data(), ptrs.size(), folded.data(), folded.size());
    EXPECT_TRUE(rk::test::same_bits<T>(folded, expected));

    // reduce_arrays accumulates onto its left operand: start from the identity, add the rows in order.
    std::vector<T> acc(5000, rk::test::ref_identity<T>(op));
    for (const auto& row : rows) rk::reduce_arrays(st, op, row.data(), acc.data(), acc.size());
    EXPECT_TRUE(rk::test::same_bits<T>(acc, expected));

    // fold of a slice: left to right from the identity.
    EXPECT_TRUE(rk::test::same_bits(rk::fold<T>(rows[0], op), rk::test::ref_fold<T>(op, rows[0])));
  }
}

TYPED_TEST(GlobalReductionTypes, FoldOfNothingIsTheIdentity) {
  using T = TypeParam;
  for (const ReductionOp op : rk::kAllReductionOps) {
    if (!rk::supports<T>(op)) continue;
    std::vector<T> out(3, T(7));
    rk::fold_arrays(rk::scalar_type_of<T>, op, nullptr, 0, out.data(), out.size());
    for (const T x : out) EXPECT_TRUE(rk::test::same_bits(x, rk::test::ref_identity<T>(op)));
    EXPECT_TRUE(rk::test::same_bits(rk::fold<T>({}, op), rk::test::ref_identity<T>(op)));
  }
}

TEST(GlobalReduction, FoldInPlaceOverAnyInput) {
  std::vector<std::vector<double>> rows;
  for (std::uint64_t r = 0; r < 3; ++r) rows.push_back(rk::test::make_input<double>(r, 3000, ReductionOp::Sum));
  const std::vector<double> expected = rk::test::ref_elementwise(ReductionOp::Sum, rows);
  for (std::size_t target = 0; target < 3; ++target) {
    auto copy = rows;
    const void* ptrs[3] = {copy[0].data(), copy[1].data(), copy[2].data()};
    rk::fold_arrays(ScalarType::F64, ReductionOp::Sum, ptrs, 3, copy[target].data(), 3000);
    EXPECT_TRUE(rk::test::same_bits<double>(copy[target], expected)) << "out aliases input " << target;
  }
}

TEST(GlobalReduction, SumStartsFromTheIdentity) {
  // identity ⊕ -0.0 = +0.0: the rule says every fold starts from the identity, also for one participant.
  const float in = -0.0f;
  float out = 1;
  const void* p = &in;
  rk::fold_arrays(ScalarType::F32, ReductionOp::Sum, &p, 1, &out, 1);
  EXPECT_FALSE(std::signbit(out));
}

TEST(GlobalReduction, BitwiseOnFloatsThrows) {
  float a[2] = {1, 2};
  double b[2] = {1, 2};
  for (const ReductionOp op : {ReductionOp::And, ReductionOp::Or, ReductionOp::Xor}) {
    EXPECT_THROW(rk::reduce_arrays(ScalarType::F32, op, a, a, 2), rk::ReductionError);
    EXPECT_THROW(rk::reduce_arrays(ScalarType::F64, op, b, b, 2), rk::ReductionError);
    const void* p = b;
    EXPECT_THROW(rk::fold_arrays(ScalarType::F64, op, &p, 1, b, 2), rk::ReductionError);
    EXPECT_THROW(rk::fold<double>(b, op), rk::ReductionError);

    rk::cpu::SharedMemoryCollective one(1);
    rk::GlobalReduction& g = one.participant(0);
    EXPECT_THROW(g.reduce<float>(a, op), rk::ReductionError);
    EXPECT_THROW(g.all_reduce<double>(std::span<const double>(b), std::span<double>(b), op), rk::ReductionError);
    EXPECT_THROW(g.all_reduce_bytes(a, a, 2, ScalarType::F32, op), rk::ReductionError);
  }
}

TEST(GlobalReduction, BitwiseOnFloatsThrowsWithoutBlockingOtherParticipants) {
  // The check happens before any synchronisation, so one thread can see it on a 2-participant collective.
  rk::cpu::SharedMemoryCollective two(2);
  float a[1] = {1};
  EXPECT_THROW(two.participant(1).all_reduce_bytes(a, a, 1, ScalarType::F32, ReductionOp::Xor), rk::ReductionError);
}

TYPED_TEST(GlobalReductionTypes, SingleParticipantHelpers) {
  using T = TypeParam;
  rk::cpu::SharedMemoryCollective one(1);
  rk::GlobalReduction& g = one.participant(0);
  EXPECT_EQ(g.participants(), 1u);
  EXPECT_EQ(g.rank(), 0u);
  for (const ReductionOp op : rk::kAllReductionOps) {
    if (!rk::supports<T>(op)) continue;
    const std::vector<T> in = rk::test::make_input<T>(11, 257, op);
    const T expected = rk::test::ref_fold<T>(op, in);
    EXPECT_TRUE(rk::test::same_bits(g.reduce<T>(in, op), expected));
    EXPECT_TRUE(rk::test::same_bits(g.reduce_and_broadcast<T>(in, op), expected));
    std::vector<T> out(in.size());
    g.all_reduce<T>(in, out, op);
    for (std::size_t i = 0; i < in.size(); ++i)
      EXPECT_TRUE(rk::test::same_bits(out[i], rk::test::ref_apply(op, rk::test::ref_identity<T>(op), in[i])));
  }
  std::vector<T> in(3), out(4);
  EXPECT_THROW(g.all_reduce<T>(in, out, ReductionOp::Sum), rk::ReductionError);
}

TEST(GlobalReduction, ParticipantOutOfRangeThrows) {
  rk::cpu::SharedMemoryCollective c(3);
  EXPECT_THROW(c.participant(3), rk::ReductionError);
  EXPECT_THROW(rk::cpu::SharedMemoryCollective(0), rk::ReductionError);
}

}  // namespace
