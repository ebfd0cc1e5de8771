// HierarchicalReduction inside one process: M simulated "processes" (groups of threads), each with L
// devices on its own SharedMemoryCollective, joined by a cross-group SharedMemoryCollective standing in for
// MPI (the MPI version runs in tests/mpi). Results equal the two-level reference bit for bit; a failing
// cross-process step reaches every device without blocking.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "reference.hpp"
#include "rk/cpu/collective/hierarchical_reduction.hpp"
#include "rk/cpu/collective/shared_memory_collective.hpp"

namespace {

using rk::ReductionOp;
using rk::cpu::HierarchicalReduction;
using rk::cpu::SharedMemoryCollective;

template <class T>
class HierarchicalTypes : public ::testing::Test {};
using ScalarTypes = ::testing::Types<std::int32_t, std::int64_t, std::uint32_t, std::uint64_t, float, double>;
TYPED_TEST_SUITE(HierarchicalTypes, ScalarTypes);

template <class T>
void check_hierarchical(std::uint32_t groups, std::uint32_t local, ReductionOp op, std::size_t count) {
  SCOPED_TRACE(std::string(rk::to_string(op)) + " groups=" + std::to_string(groups) + " local=" +
               std::to_string(local) + " count=" + std::to_string(count));
  SharedMemoryCollective cross(groups);
  std::vector<std::unique_ptr<SharedMemoryCollective>> locals;
  for (std::uint32_t j = 0; j < groups; ++j) locals.push_back(std::make_unique<SharedMemoryCollective>(local));
  std::vector<std::unique_ptr<HierarchicalReduction>> handles;
  for (std::uint32_t j = 0; j < groups; ++j)
    for (std::uint32_t l = 0; l < local; ++l)
      handles.push_back(std::make_unique<HierarchicalReduction>(locals[j]->participant(l), &cross.participant(j)));

  std::vector<std::vector<std::vector<T>>> in(groups, std::vector<std::vector<T>>(local));
  std::vector<std::vector<std::vector<T>>> scalars_in(groups, std::vector<std::vector<T>>(local));
  for (std::uint32_t j = 0; j < groups; ++j)
    for (std::uint32_t l = 0; l < local; ++l) {
      in[j][l] = rk::test::make_input<T>(1000 * j + l + count, count, op);
      scalars_in[j][l] = {rk::test::ref_fold<T>(op, in[j][l])};  // reduce(): the local fold, then the tree
    }
  const std::vector<T> expected = rk::test::ref_hierarchical(op, in);
  const T expected_scalar = rk::test::ref_hierarchical(op, scalars_in)[0];

  const std::uint32_t n = groups * local;
  std::vector<std::vector<T>> out(n, std::vector<T>(count)), again(n, std::vector<T>(count));
  std::vector<T> scalar(n);
  rk::test::run_team(n, [&](std::uint32_t g) {
    HierarchicalReduction& h = *handles[g];
    EXPECT_EQ(h.rank(), g);
    EXPECT_EQ(h.participants(), n);
    const auto& mine = in[g / local][g % local];
    h.all_reduce<T>(mine, out[g], op);
    scalar[g] = h.reduce<T>(mine, op);
    h.all_reduce<T>(mine, again[g], op);
  });
  for (std::uint32_t g = 0; g < n; ++g) {
    EXPECT_TRUE(rk::test::same_bits<T>(out[g], expected)) << "rank " << g;
    EXPECT_TRUE(rk::test::same_bits<T>(again[g], expected)) << "rank " << g << " (repeat)";
    EXPECT_TRUE(rk::test::same_bits(scalar[g], expected_scalar)) << "rank " << g;
  }
}

TYPED_TEST(HierarchicalTypes, EveryOperatorMatchesTwoLevelReference) {
  using T = TypeParam;
  for (const ReductionOp op : rk::kAllReductionOps) {
    if (!rk::supports<T>(op)) continue;
    for (const std::uint32_t groups : {2u, 3u})
      for (const std::uint32_t local : {1u, 2u, 4u})
        for (const std::size_t count : {std::size_t{1}, std::size_t{100}, std::size_t{12000}})
          check_hierarchical<T>(groups, local, op, count);
  }
}

TEST(Hierarchical, WithoutCrossProcessIsTheLocalCollective) {
  SharedMemoryCollective local(3);
  std::vector<double> out(3);
  rk::test::run_team(3, [&](std::uint32_t r) {
    HierarchicalReduction h(local.participant(r));
    EXPECT_EQ(h.participants(), 3u);
    EXPECT_EQ(h.processes(), 1u);
    out[r] = h.all_reduce_value<double>(r + 0.5, ReductionOp::Sum);
  });
  EXPECT_EQ(out, std::vector<double>(3, 4.5));
}

/// A cross-process reduction whose all-reduce fails (a lost MPI peer, say).
class FailingReduction final : public rk::GlobalReduction {
 public:
  std::uint32_t participants() const override { return 2; }
  std::uint32_t rank() const override { return 0; }
  void all_reduce_bytes(const void*, void*, std::size_t, rk::ScalarType, ReductionOp) override {
    throw std::runtime_error("peer lost");
  }
};

TEST(Hierarchical, CrossProcessFailureReachesEveryDevice) {
  SharedMemoryCollective local(4);
  FailingReduction failing;
  std::vector<std::string> what(4);
  rk::test::run_team(4, [&](std::uint32_t r) {
    HierarchicalReduction h(local.participant(r), &failing);
    try {
      h.all_reduce_value<std::int64_t>(1, ReductionOp::Sum);
    } catch (const std::exception& e) {
      what[r] = e.what();
    }
  });
  EXPECT_EQ(what[0], "peer lost");
  for (std::uint32_t r = 1; r < 4; ++r) EXPECT_NE(what[r].find("cross-process"), std::string::npos) << what[r];
}

}  // namespace
