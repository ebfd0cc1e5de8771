// rk::ReductionBuffer with several threads contributing at once: integer results exact for every operator;
// float Sum of integer-valued floats (exact in any order) exact too.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "reference.hpp"
#include "rk/core/reduction_buffer.hpp"

namespace {

using rk::ReductionOp;

template <class T>
void contend(ReductionOp op, std::uint32_t slots, std::uint32_t threads, std::uint32_t per_thread) {
  SCOPED_TRACE(std::string(rk::to_string(op)) + " slots " + std::to_string(slots));
  struct alignas(64) Line {
    unsigned char b[64];
  };
  std::vector<Line> storage(rk::ReductionBuffer<T>::storage_bytes(slots) / 64);
  rk::ReductionBuffer<T> buf(storage.data(), slots, op);
  buf.reset();
  std::vector<std::vector<T>> inputs;
  for (std::uint32_t t = 0; t < threads; ++t) {
    inputs.push_back(rk::test::make_input<T>(100 + t, per_thread, op));
    if constexpr (std::is_floating_point_v<T>)
      for (T& x : inputs.back()) x = std::floor(x) ;  // integer-valued: every order gives the same sum
  }
  std::vector<std::thread> team;
  for (std::uint32_t t = 0; t < threads; ++t)
    team.emplace_back([&, t] {
      for (std::uint32_t i = 0; i < per_thread; ++i) buf.accumulate(t * per_thread + i, inputs[t][i]);
    });
  for (auto& th : team) th.join();
  std::vector<T> all;
  for (const auto& in : inputs) all.insert(all.end(), in.begin(), in.end());
  EXPECT_EQ(buf.read_result(), rk::test::ref_fold<T>(op, all));
}

TEST(ReductionBufferThreads, IntegersExactForEveryOperator) {
  for (const ReductionOp op : rk::kAllReductionOps) {
    contend<std::int64_t>(op, 4, 4, 5000);
    contend<std::uint32_t>(op, 1, 4, 5000);
  }
}

TEST(ReductionBufferThreads, IntegerValuedFloatSumIsExact) {
  // make_input's Sum values reach ±512·2^18; floor()ed doubles sum exactly.
  contend<double>(ReductionOp::Sum, 2, 4, 5000);
  contend<float>(ReductionOp::Max, 2, 4, 5000);
  contend<float>(ReductionOp::Min, 4, 4, 5000);
}

}  // namespace
