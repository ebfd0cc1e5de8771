// The runtime interface's value types: KernelParams getters, idle strategies, state and status strings,
// Dim3, SendStatus, reply headers and the RingContext concept (checked with a minimal mock context).
#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "rk/core/runtime.hpp"

namespace {

TEST(KernelParams, Getters) {
  rk::KernelParams p;
  p.set("n", "42");
  p.set("neg", "-7");
  p.set("big", "9223372036854775807");
  p.set("x", "2.5");
  p.set("sci", "1e-3");
  p.set("on", "true");
  p.set("off", "false");
  p.set("name", "pagerank");
  EXPECT_TRUE(p.has("n"));
  EXPECT_FALSE(p.has("missing"));
  EXPECT_EQ(p.get_int("n"), 42);
  EXPECT_EQ(p.get_int("neg"), -7);
  EXPECT_EQ(p.get_int("big"), std::numeric_limits<std::int64_t>::max());
  EXPECT_DOUBLE_EQ(p.get_double("x"), 2.5);
  EXPECT_DOUBLE_EQ(p.get_double("n"), 42.0);
  EXPECT_DOUBLE_EQ(p.get_double("sci"), 0.001);
  EXPECT_TRUE(p.get_bool("on"));
  EXPECT_FALSE(p.get_bool("off", true));
  EXPECT_EQ(p.get_string("name"), "pagerank");
  EXPECT_EQ(p.values().size(), 8u);
  p.set("n", "43");  // overwrite
  EXPECT_EQ(p.get_int("n"), 43);
}

TEST(KernelParams, DefaultsWhenMissing) {
  const rk::KernelParams p;
  EXPECT_EQ(p.get_int("a", 5), 5);
  EXPECT_EQ(p.get_int("a"), 0);
  EXPECT_DOUBLE_EQ(p.get_double("a", 1.5), 1.5);
  EXPECT_TRUE(p.get_bool("a", true));
  EXPECT_FALSE(p.get_bool("a"));
  EXPECT_EQ(p.get_string("a", "dflt"), "dflt");
  EXPECT_EQ(p.get_string("a"), "");
}

TEST(KernelParams, BadValuesThrowRuntimeError) {
  rk::KernelParams p;
  p.set("word", "abc");
  p.set("trail", "12x");
  p.set("frac", "1.5");
  p.set("empty", "");
  p.set("overflow", "99999999999999999999");
  p.set("huge", "1e999");
  p.set("yes", "yes");
  p.set("one", "1");
  p.set("True", "True");
  for (const char* k : {"word", "trail", "frac", "empty", "overflow", "huge", "yes"})
    EXPECT_THROW(p.get_int(k), rk::RuntimeError) << k;
  for (const char* k : {"word", "trail", "empty", "huge", "yes"})
    EXPECT_THROW(p.get_double(k), rk::RuntimeError) << k;
  for (const char* k : {"word", "empty", "yes", "one", "True", "frac"})
    EXPECT_THROW(p.get_bool(k), rk::RuntimeError) << k;
  try {
    p.get_int("trail");
    FAIL() << "no exception";
  } catch (const rk::RuntimeError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'trail'"), std::string::npos) << what;
    EXPECT_NE(what.find("'12x'"), std::string::npos) << what;
    EXPECT_NE(what.find("integer"), std::string::npos) << what;
  }
  static_assert(std::is_base_of_v<std::runtime_error, rk::RuntimeError>);
}

TEST(IdleStrategy, ParseAndPrint) {
  using rk::IdleStrategy;
  for (const IdleStrategy s : {IdleStrategy::Adaptive, IdleStrategy::Spin, IdleStrategy::Yield, IdleStrategy::Park}) {
    const auto parsed = rk::parse_idle_strategy(rk::to_string(s));
    ASSERT_TRUE(parsed.has_value()) << rk::to_string(s);
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(rk::parse_idle_strategy("spin"), IdleStrategy::Spin);
  EXPECT_EQ(rk::parse_idle_strategy("park"), IdleStrategy::Park);
  EXPECT_FALSE(rk::parse_idle_strategy("").has_value());
  EXPECT_FALSE(rk::parse_idle_strategy("Spin").has_value());
  EXPECT_FALSE(rk::parse_idle_strategy("spin ").has_value());
  EXPECT_FALSE(rk::parse_idle_strategy("busy").has_value());
  EXPECT_FALSE(rk::parse_idle_strategy("?").has_value());
}

TEST(RuntimeTypes, Strings) {
  EXPECT_STREQ(rk::to_string(rk::KernelState::Launched), "launched");
  EXPECT_STREQ(rk::to_string(rk::KernelState::Active), "active");
  EXPECT_STREQ(rk::to_string(rk::KernelState::Inactive), "inactive");
  EXPECT_STREQ(rk::to_string(rk::KernelState::Terminated), "terminated");
  EXPECT_STREQ(rk::to_string(rk::SendStatus::Ok), "ok");
  EXPECT_STREQ(rk::to_string(rk::SendStatus::Full), "destination queue full");
  EXPECT_STREQ(rk::to_string(rk::SendStatus::UnknownKernel), "unknown destination kernel");
  EXPECT_STREQ(rk::to_string(rk::SendStatus::Closed), "destination closed");
  EXPECT_STREQ(rk::to_string(rk::SendStatus::TooLarge), "payload too large for a slot");
}

TEST(RuntimeTypes, Defaults) {
  const rk::LaunchOptions o;
  EXPECT_EQ(o.input_capacity, 1024u);
  EXPECT_EQ(o.output_capacity, 1024u);
  EXPECT_TRUE(rk::is_power_of_two(o.input_capacity));
  EXPECT_EQ(o.idle, rk::IdleStrategy::Adaptive);
  EXPECT_EQ(o.max_batch, 64u);
  const rk::KernelStatus s;
  EXPECT_EQ(s.state, rk::KernelState::Launched);
  EXPECT_EQ(s.last_error, rk::KernelError::None);
  const rk::DeadLetter d;
  EXPECT_EQ(d.reason, rk::SendStatus::Ok);
}

TEST(Dim3, VolumeAndLinear) {
  constexpr rk::Dim3 d{};
  static_assert(d.volume() == 1);
  EXPECT_EQ((rk::Dim3{4, 3, 2}.volume()), 24u);
  EXPECT_EQ((rk::Dim3{65536, 65536, 2}.volume()), 1ull << 33) << "64-bit product, no 32-bit overflow";
  EXPECT_EQ((rk::Dim3{0xFFFFFFFFu, 0xFFFFFFFFu, 1}.volume()), 0xFFFFFFFE00000001ull);
  EXPECT_EQ(rk::Dim3::linear(256), (rk::Dim3{256, 1, 1}));
  EXPECT_FALSE(rk::Dim3::linear(256) == (rk::Dim3{256, 1, 2}));
}

TEST(ReplyHeader, FromRequest) {
  rk::MessageHeader req{};
  req.message_id = {1, 2};
  req.source_kernel = 5;
  req.dest_kernel = 9;
  req.priority = 200;
  req.flags = rk::message_flags::kControl;
  rk::MessageHeader out{};
  rk::make_reply_header(req, 9, out);
  EXPECT_EQ(out.correlation_id, (rk::MessageId{1, 2})) << "no correlation: the request id";
  EXPECT_EQ(out.source_kernel, 9);
  EXPECT_EQ(out.dest_kernel, 5);
  EXPECT_EQ(out.priority, 200);
  EXPECT_EQ(out.flags, rk::message_flags::kReply);
  req.correlation_id = {7, 8};
  rk::make_reply_header(req, 9, out);
  EXPECT_EQ(out.correlation_id, (rk::MessageId{7, 8})) << "an existing correlation is kept";
}

// A context with every member the concept asks for (bodies irrelevant: only the concept is checked).
struct MockContext {
  std::uint32_t thread_id() const { return 0; }
  std::uint32_t block_id() const { return 0; }
  rk::Dim3 block_dim() const { return {}; }
  rk::Dim3 grid_dim() const { return {}; }
  std::uint32_t warp_id() const { return 0; }
  std::uint32_t lane_id() const { return 0; }
  std::uint32_t global_thread_id() const { return 0; }
  rk::KernelId kernel_id() const { return 0; }
  void sync_threads() {}
  void sync_grid() {}
  void sync_warp(std::uint32_t) {}
  void named_barrier(std::uint32_t) {}
  rk::HlcTimestamp now() { return {}; }
  std::uint64_t wall_ns() const { return 0; }
  void tick() {}
  void update_clock(const rk::HlcTimestamp&) {}
  void thread_fence() {}
  void thread_fence_block() {}
  void thread_fence_system() {}
  std::int32_t atomic_add(std::int32_t*, std::int32_t) { return 0; }
  std::int32_t atomic_cas(std::int32_t*, std::int32_t, std::int32_t) { return 0; }
  std::int32_t atomic_exch(std::int32_t*, std::int32_t) { return 0; }
  std::int32_t warp_shuffle(std::int32_t, std::uint32_t, std::uint32_t) { return 0; }
  std::uint32_t warp_ballot(bool, std::uint32_t) { return 0; }
  bool enqueue_output(const rk::Slot&) { return true; }
  std::uint64_t output_queue_free_slots() const { return 0; }
  rk::SendStatus send_to_kernel(rk::KernelId, const rk::Slot&) { return rk::SendStatus::Ok; }
  rk::SendStatus try_send_to_kernel(rk::KernelId, const rk::Slot&) { return rk::SendStatus::Ok; }
  bool try_receive_from_kernel(rk::KernelId, rk::Slot&) { return false; }
  void request_termination() {}
  bool is_termination_requested() const { return false; }
  void report_error() {}
};
struct MissingBarrier : MockContext {
  void sync_grid() = delete;
};
struct WrongReturnType : MockContext {
  int thread_id() const { return 0; }  // must be std::uint32_t exactly
};
static_assert(rk::RingContext<MockContext>);
static_assert(!rk::RingContext<MissingBarrier>);
static_assert(!rk::RingContext<WrongReturnType>);
static_assert(!rk::RingContext<int>);

}  // namespace
