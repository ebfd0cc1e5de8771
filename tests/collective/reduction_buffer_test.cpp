// rk::ReductionBuffer on one thread: layout, validity checks, identity after reset, and every operator on
// every type against the sequential reference (exact for integers and Min/Max, within the float tolerance
// of reference.hpp for Sum/Product, whose slot-wise order differs from a sequential fold).
#include <gtest/gtest.h>

#include <vector>

#include "reference.hpp"
#include "rk/core/reduction_buffer.hpp"

namespace {

using rk::ReductionOp;

template <class T>
class ReductionBufferTypes : public ::testing::Test {};
using ScalarTypes = ::testing::Types<std::int32_t, std::int64_t, std::uint32_t, std::uint64_t, float, double>;
TYPED_TEST_SUITE(ReductionBufferTypes, ScalarTypes);

template <class T>
struct Storage {
  explicit Storage(std::uint32_t slots) : lines((rk::ReductionBuffer<T>::storage_bytes(slots) + 63) / 64) {}
  struct alignas(64) Line {
    unsigned char b[64];
  };
  std::vector<Line> lines;
  void* data() { return lines.data(); }
};

TEST(ReductionBuffer, OneCacheLinePerSlot) {
  EXPECT_EQ(rk::ReductionBuffer<float>::storage_bytes(4), 4 * rk::kCacheLine);
  EXPECT_EQ(rk::ReductionBuffer<std::uint64_t>::storage_bytes(1), rk::kCacheLine);
}

TEST(ReductionBuffer, InvalidConfigurationsDoNothing) {
  Storage<float> s(4);
  EXPECT_FALSE(rk::ReductionBuffer<float>(s.data(), 3, ReductionOp::Sum).valid());  // not a power of two
  EXPECT_FALSE(rk::ReductionBuffer<float>(s.data(), 0, ReductionOp::Sum).valid());
  EXPECT_FALSE(rk::ReductionBuffer<float>(nullptr, 4, ReductionOp::Sum).valid());
  rk::ReductionBuffer<float> bitwise(s.data(), 4, ReductionOp::Xor);  // bitwise on a float
  EXPECT_FALSE(bitwise.valid());
  bitwise.accumulate(0, 1.0f);  // no-op, no crash
  EXPECT_EQ(bitwise.slots(), 0u);
  EXPECT_TRUE(rk::ReductionBuffer<std::int32_t>(s.data(), 4, ReductionOp::Xor).valid());
}

TYPED_TEST(ReductionBufferTypes, EveryOperatorMatchesReference) {
  using T = TypeParam;
  for (const std::uint32_t slots : {1u, 2u, 8u}) {
    Storage<T> storage(slots);
    for (const ReductionOp op : rk::kAllReductionOps) {
      if (!rk::supports<T>(op)) continue;
      SCOPED_TRACE(std::string(rk::to_string(op)) + " slots " + std::to_string(slots));
      rk::ReductionBuffer<T> buf(storage.data(), slots, op);
      ASSERT_TRUE(buf.valid());
      buf.reset();
      for (std::uint32_t s = 0; s < slots; ++s) EXPECT_TRUE(rk::test::same_bits(buf.read_slot(s), rk::test::ref_identity<T>(op)));
      const std::vector<T> values = rk::test::make_input<T>(slots, 1000, op);
      for (std::uint32_t i = 0; i < values.size(); ++i) buf.accumulate(i * 7 + 3, values[i]);
      const T got = buf.read_result();
      if (std::is_integral_v<T> || op == ReductionOp::Min || op == ReductionOp::Max) {
        EXPECT_EQ(got, rk::test::ref_fold<T>(op, values));
      } else {
        EXPECT_EQ(rk::test::check_tolerance<T>(op, got, values), "");
      }
      buf.reset();
      EXPECT_TRUE(rk::test::same_bits(buf.read_result(), rk::test::ref_identity<T>(op)));
    }
  }
}

TEST(ReductionBuffer, ContributorsMapToSlotsModuloCount) {
  Storage<std::int64_t> s(4);
  rk::ReductionBuffer<std::int64_t> buf(s.data(), 4, ReductionOp::Sum);
  buf.reset();
  buf.accumulate(1, 10);
  buf.accumulate(5, 20);
  buf.accumulate(2, 1);
  EXPECT_EQ(buf.read_slot(0), 0);
  EXPECT_EQ(buf.read_slot(1), 30);
  EXPECT_EQ(buf.read_slot(2), 1);
  EXPECT_EQ(buf.read_result(), 31);
}

}  // namespace
