// SharedMemoryCollective under repeated back-to-back calls from participants running at different speeds
// (random yields and sleeps): generation counting and the parity-double-buffered staging must keep every
// call's result exact while fast participants race ahead into the next call.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "reference.hpp"
#include "rk/cpu/collective/shared_memory_collective.hpp"

namespace {

using rk::ReductionOp;
using rk::cpu::SharedMemoryCollective;

void hammer(std::uint32_t n, std::uint32_t calls, SharedMemoryCollective::Options options) {
  SharedMemoryCollective c(n, options);
  std::vector<std::uint32_t> failures(n, 0);
  constexpr std::size_t kCounts[] = {1, 3, 64, 9000, 17};  // 9000 × 8 B takes the reduce-scatter path
  rk::test::run_team(n, [&](std::uint32_t r) {
    std::mt19937 rng(r);
    rk::GlobalReduction& g = c.participant(r);
    std::vector<std::uint64_t> in, out;
    for (std::uint32_t k = 0; k < calls; ++k) {
      const std::size_t count = kCounts[k % std::size(kCounts)];
      in.assign(count, 0);
      for (std::size_t i = 0; i < count; ++i) in[i] = (std::uint64_t{k} << 32) + i * 1000 + r;
      out.assign(count, ~0ull);
      if (rng() % 7 == 0) std::this_thread::yield();
      if (rng() % 97 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      g.all_reduce<std::uint64_t>(in, out, ReductionOp::Sum);
      for (std::size_t i = 0; i < count; ++i) {
        const std::uint64_t expected = n * ((std::uint64_t{k} << 32) + i * 1000) + std::uint64_t{n} * (n - 1) / 2;
        if (out[i] != expected) ++failures[r];
      }
      // Interleave a scalar Max so consecutive calls differ in type, op and path.
      if (g.all_reduce_value<std::int32_t>(static_cast<std::int32_t>(r * k), ReductionOp::Max) !=
          static_cast<std::int32_t>((n - 1) * k))
        ++failures[r];
    }
  });
  for (std::uint32_t r = 0; r < n; ++r) EXPECT_EQ(failures[r], 0u) << "participant " << r;
}

TEST(CollectiveStress, RepeatedCallsEightParticipants) { hammer(8, 300, {}); }
TEST(CollectiveStress, RepeatedCallsThreeParticipantsNoSpin) {
  hammer(3, 400, SharedMemoryCollective::Options{.small_max_bytes = 32 * 1024, .spin_iterations = 0});
}
TEST(CollectiveStress, RepeatedCallsAlwaysReduceScatter) {
  hammer(4, 300, SharedMemoryCollective::Options{.small_max_bytes = 0});
}

}  // namespace
