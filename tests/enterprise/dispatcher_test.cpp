// KernelDispatcher (host-side type routing, retries) and DispatchTable (kernel-side type dispatch).
#include <gtest/gtest.h>

#include "rk/core/persistent_message.hpp"
#include "rk/cpu/runtime.hpp"
#include "rk/harness/dispatcher.hpp"

namespace {

using namespace std::chrono_literals;
using namespace rk::harness;

struct AddResponse {
  static constexpr std::uint32_t kTypeId = 11;
  std::int64_t sum;
};
struct AddRequest {
  static constexpr std::uint32_t kTypeId = 10;
  static constexpr std::uint32_t kHandlerId = 1;
  static constexpr bool kRequiresResponse = true;
  using Response = AddResponse;
  std::int64_t a, b;
};
struct Note {
  static constexpr std::uint32_t kTypeId = 12;
  static constexpr std::uint32_t kHandlerId = 2;
  static constexpr bool kRequiresResponse = false;
  using Response = void;
  std::int64_t value;
};
static_assert(rk::PersistentMessage<AddRequest>);
static_assert(rk::PersistentMessage<Note>);

struct Adder {
  using Message = AddRequest;
  template <class Ctx>
  AddResponse handle(Ctx&, const AddRequest& r, const rk::MessageHeader&) {
    return {r.a + r.b};
  }
};
struct Notes {
  using Message = Note;
  std::int64_t total = 0;
  template <class Ctx>
  void handle(Ctx&, const Note& n, const rk::MessageHeader&) {
    total += n.value;
  }
};
using Table = rk::DispatchTable<Adder, Notes>;
static_assert(Table::serves(10) && Table::serves(12) && !Table::serves(11));

struct Unknown {
  static constexpr std::uint32_t kTypeId = 99;
  std::int32_t x;
};

TEST(DispatchTable, RoutesByTypeRepliesAndCountsUnknown) {
  rk::cpu::CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<Table>("table");
  rk::LaunchOptions o;
  o.kernel_type = "table";
  rt.launch("t", {}, {}, o);
  rt.activate("t");
  rt.send("t", AddRequest{2, 40});
  rk::Slot reply;
  ASSERT_EQ(rt.receive(rt.kernel_id("t"), reply, 2s), rk::QueueStatus::Ok);
  AddResponse resp{};
  ASSERT_EQ(rk::decode(reply, resp), rk::DecodeStatus::Ok);
  EXPECT_EQ(resp.sum, 42);
  EXPECT_TRUE(reply.header.flags & rk::message_flags::kReply);
  rt.send("t", Note{5});
  rt.send("t", Note{6});
  rt.send("t", Unknown{1});
  rt.send("t", AddRequest{1, 1});
  ASSERT_EQ(rt.receive(rt.kernel_id("t"), reply, 2s), rk::QueueStatus::Ok);
  rt.deactivate("t");
  auto& table = rt.handler<Table>("t");
  EXPECT_EQ(table.handler<1>().total, 11);
  EXPECT_EQ(table.stats().dispatched, 4u);
  EXPECT_EQ(table.stats().responses, 2u);
  EXPECT_EQ(table.stats().unknown, 1u);
  EXPECT_EQ(rt.status("t").error_count, 1u);
}

struct Sink {
  template <class Ctx>
  void operator()(Ctx&, const rk::Slot&) {}
};

TEST(KernelDispatcher, RoutesByTypeAndMeasures) {
  rk::cpu::CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<Table>("table");
  rk::LaunchOptions o;
  o.kernel_type = "table";
  const rk::KernelId k = rt.launch("t", {}, {}, o);
  rt.activate("t");
  KernelDispatcher d = DispatcherBuilder(rt).with_default_priority(rk::priority::kHigh).with_timeout(1s).build();
  EXPECT_THROW(d.dispatch(AddRequest{1, 2}), DispatchFailure);  // no route yet
  d.route<AddRequest>(k);
  const DispatchReceipt r = d.dispatch(AddRequest{1, 2});
  EXPECT_EQ(r.kernel, k);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_FALSE(r.message_id.is_nil());
  rk::Slot reply;
  ASSERT_EQ(rt.receive(k, reply, 2s), rk::QueueStatus::Ok);
  EXPECT_EQ(reply.header.correlation_id, r.message_id);
  EXPECT_EQ(reply.header.priority, rk::priority::kHigh);
  EXPECT_EQ(d.metrics().messages_dispatched.load(), 1u);
  EXPECT_EQ(d.metrics().errors.load(), 1u);
}

TEST(KernelDispatcher, RetriesAFullQueueThenFails) {
  rk::cpu::CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<Sink>("sink");
  rk::LaunchOptions o;
  o.kernel_type = "sink";
  o.input_capacity = 2;
  const rk::KernelId k = rt.launch("s", {}, {}, o);  // inactive: the queue stays full
  KernelDispatcher d(rt, DispatcherConfig{rk::priority::kNormal, 500ms, RetryPolicy::exponential(3, 100us, 1ms)});
  d.dispatch(k, Note{1});
  d.dispatch(k, Note{2});
  try {
    d.dispatch(k, Note{3});
    FAIL() << "expected a DispatchFailure";
  } catch (const DispatchFailure& e) {
    EXPECT_EQ(e.code(), DispatchError::Full);
  }
  EXPECT_EQ(d.metrics().retries.load(), 3u);
  EXPECT_THROW(d.dispatch(static_cast<rk::KernelId>(500), Note{1}), DispatchFailure);
  EXPECT_EQ(RetryPolicy::exponential(5, 1us, 4us).delay(4), 4us);
  EXPECT_EQ(RetryPolicy::exponential(5, 1us, 4us).delay(2), 2us);
}

}  // namespace
