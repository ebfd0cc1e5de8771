#include <gtest/gtest.h>
#include "rk/cpu/runtime.hpp"
struct Ping { static constexpr std::uint32_t kTypeId = 1; std::uint64_t seq; };
struct Echo {
  template <class Ctx> void operator()(Ctx& ctx, const rk::Slot& in) {
    rk::Slot out = in; out.header.message_id = {}; ctx.enqueue_output(out);
  }
};
TEST(Smoke, Echo) {
  rk::cpu::CpuRuntime rt({.workers = 1});
  rt.register_kernel_type<Echo>("echo");
  rk::LaunchOptions o; o.kernel_type = "echo";
  rt.launch("e", {}, {}, o);
  rt.activate("e");
  for (std::uint64_t i = 0; i < 1000; ++i) {
    rt.send("e", Ping{i});
    auto p = rt.receive<Ping>("e", std::chrono::seconds(2));
    ASSERT_EQ(p.seq, i);
  }
}
