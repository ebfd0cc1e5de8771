// The single-process cluster (typed gathers, agree) and the device layout across ranks.
#include <gtest/gtest.h>

#include "cluster.hpp"
#include "rk/scenario/error.hpp"

namespace rk::harness {
namespace {

TEST(DeviceLayout, SplitsDevicesIntoOneGroupPerRank) {
  const DeviceLayout four_on_two(4, 2, 1);
  EXPECT_EQ(four_on_two.devices, 4u);
  EXPECT_EQ(four_on_two.owner(0), 0);
  EXPECT_EQ(four_on_two.owner(1), 0);
  EXPECT_EQ(four_on_two.owner(2), 1);
  EXPECT_EQ(four_on_two.owner(3), 1);
  EXPECT_EQ(four_on_two.local_devices(), 2u);
  const DeviceLayout one_on_three(1, 3, 2);  // every rank needs a device: the run gets three
  EXPECT_EQ(one_on_three.devices, 3u);
  EXPECT_EQ(one_on_three.owner(2), 2);
  EXPECT_EQ(one_on_three.local_devices(), 1u);
  const DeviceLayout five_on_two(5, 2, 0);  // device d on rank d·R/N
  EXPECT_EQ(five_on_two.owner(2), 0);
  EXPECT_EQ(five_on_two.owner(3), 1);
  EXPECT_EQ(five_on_two.local_devices(), 3u);
}

struct Counters {
  std::uint64_t a;
  std::uint32_t b;
};

TEST(SingleProcessCluster, GathersTypedValuesAndBytes) {
  const auto c = make_single_process_cluster();
  EXPECT_EQ(c->rank(), 0);
  EXPECT_FALSE(c->distributed());
  const std::vector<Counters> one = c->gather(Counters{7, 9});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].a, 7u);
  EXPECT_EQ(one[0].b, 9u);
  const std::vector<int> values{1, 2, 3};
  const auto all = c->gather_all(std::span<const int>(values));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], values);
  EXPECT_EQ(c->gather_bytes(std::string("a\0b", 3)), std::vector<std::string>{std::string("a\0b", 3)});
  EXPECT_EQ(c->broadcast(42), 42);
  EXPECT_TRUE(c->all_true(true));
  EXPECT_FALSE(c->all_true(false));
}

TEST(SingleProcessCluster, AgreeRethrowsTheFailureWithItsKind) {
  const auto c = make_single_process_cluster();
  EXPECT_NO_THROW(agree(*c, nullptr));
  EXPECT_THROW(agree(*c, std::make_exception_ptr(InputError("bad"))), InputError);
  EXPECT_THROW(agree(*c, std::make_exception_ptr(std::runtime_error("boom"))), std::runtime_error);
  int ran = 0;
  EXPECT_THROW(collectively(*c, [&] {
                 ++ran;
                 throw InputError("in a step");
               }),
               InputError);
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace rk::harness
