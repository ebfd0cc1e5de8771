// Handlers of the CUDA backend's tests: device handlers (kRunsOnDevice, trivially copyable, host-device
// templates over the context), so the same bodies run on the fake CUDA layer's host threads
// (fake_suite_test.cpp) and, compiled by nvcc, on a GPU (gpu_suite_test.cu).
#pragma once

#include <cstdint>

#include "rk/core/context.hpp"
#include "rk/core/message.hpp"
#include "rk/core/runtime.hpp"
#include "runtime/suite_messages.hpp"

namespace rk_cuda_test {

using rk_test::Count;
using rk_test::Ping;
using rk_test::Token;
/// 64 bytes of payload whose every word derives from `seq` (the mapped-ring message-passing check).
struct Pattern {
  static constexpr std::uint32_t kTypeId = 4;
  std::uint64_t seq;
  std::uint64_t words[7];
  RK_HOST_DEVICE static Pattern make(std::uint64_t seq) {
    Pattern p{};
    p.seq = seq;
    for (std::uint32_t i = 0; i < 7; ++i) p.words[i] = seq * 0x9E3779B97F4A7C15ull + i;
    return p;
  }
  RK_HOST_DEVICE bool intact() const {
    for (std::uint32_t i = 0; i < 7; ++i)
      if (words[i] != seq * 0x9E3779B97F4A7C15ull + i) return false;
    return true;
  }
};
/// What a wide kernel reports: threads that ran the handler, and lanes its warp ballot counted.
struct Wide {
  static constexpr std::uint32_t kTypeId = 5;
  std::uint64_t threads;
  std::uint64_t lanes;
};

/// Answers every message with a copy of it; counts what it had to drop because it was told to stop while
/// its output was full.
struct DEcho {
  static constexpr bool kRunsOnDevice = true;
  std::uint64_t dropped = 0;
  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const rk::Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    rk::Slot out = in;
    out.header.message_id = {};
    while (ctx.output_queue_free_slots() == 0) {  // wait for the host to drain, unless asked to stop
      if (ctx.is_termination_requested()) {
        ++dropped;
        return ctx.report_error();
      }
    }
    ctx.enqueue_output(out);
  }
};

/// Counts messages and answers each with the count so far (its state survives deactivate/activate).
struct DCounter {
  static constexpr bool kRunsOnDevice = true;
  std::uint64_t seen = 0;
  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const rk::Slot&) {
    if (ctx.global_thread_id() != 0) return;
    ++seen;
    ctx.enqueue_output(Count{seen});
  }
};

/// Reports an error on Ping 1, answers every Ping.
struct DFaulty {
  static constexpr bool kRunsOnDevice = true;
  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const rk::Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    Ping p{};
    rk::decode(in, p);
    if (p.seq == 1) ctx.report_error();
    ctx.enqueue_output(p);
  }
};

/// Forwards Tokens to the kernel in parameter `next` (the host when absent), checking per-source order and
/// that its clock is past every received send event.
struct DForward {
  static constexpr bool kRunsOnDevice = true;
  static constexpr std::uint32_t kSources = 64;
  rk::KernelId next = rk::kHostKernel;
  std::uint64_t next_seq[kSources] = {};
  std::uint64_t out_of_order = 0;
  std::uint64_t causality_violations = 0;
  std::uint64_t forwarded = 0;

  DForward() = default;
  explicit DForward(const rk::KernelParams& p) : next(static_cast<rk::KernelId>(p.get_int("next", rk::kHostKernel))) {}

  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const rk::Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    Token t{};
    rk::decode(in, t);
    if (t.source < kSources) {
      if (t.seq != next_seq[t.source]) ++out_of_order;
      next_seq[t.source] = t.seq + 1;
    }
    if (!in.header.timestamp.causally_before(ctx.now())) ++causality_violations;
    rk::Slot out{};
    rk::encode(out, t);
    if (next == rk::kHostKernel) {
      while (ctx.output_queue_free_slots() == 0)
        if (ctx.is_termination_requested()) return ctx.report_error();
      ctx.enqueue_output(out);
    } else {
      while (ctx.try_send_to_kernel(next, out) == rk::SendStatus::Full)
        if (ctx.is_termination_requested()) return ctx.report_error();
    }
    ++forwarded;
  }
};

/// Sends one K2K Ping to the kernel id in the payload and answers with the send's status.
struct DSendTo {
  static constexpr bool kRunsOnDevice = true;
  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const rk::Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    Ping p{};
    rk::decode(in, p);
    const rk::SendStatus s = ctx.send_to_kernel(static_cast<rk::KernelId>(p.seq), Ping{p.seq});
    ctx.enqueue_output(Count{static_cast<std::uint64_t>(s)});
  }
};

/// Every thread of the grid counts itself in shared handler state; each warp's lane 0 adds the lanes its
/// ballot saw; thread 0 answers with both totals and resets them.
struct DWide {
  static constexpr bool kRunsOnDevice = true;
  std::int32_t threads = 0;
  std::int32_t lanes = 0;
  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const rk::Slot& in) {
    ctx.atomic_add(&threads, 1);
    const std::uint32_t ballot = ctx.warp_ballot(true);
    const std::int32_t first = ctx.warp_shuffle(static_cast<std::int32_t>(ctx.lane_id()), 0);
    if (ctx.lane_id() == 0 && first == 0) ctx.atomic_add(&lanes, static_cast<std::int32_t>(popcount(ballot)));
    ctx.sync_grid();
    if (ctx.global_thread_id() == 0) {
      Wide w{static_cast<std::uint64_t>(ctx.atomic_exch(&threads, 0)), static_cast<std::uint64_t>(ctx.atomic_exch(&lanes, 0))};
      rk::Slot out{};
      rk::make_reply_header(in.header, ctx.kernel_id(), out.header);
      rk::encode(out, w);
      ctx.enqueue_output(out);
    }
    ctx.sync_grid();
  }
  RK_HOST_DEVICE static std::uint32_t popcount(std::uint32_t v) {
    std::uint32_t n = 0;
    for (; v; v &= v - 1) ++n;
    return n;
  }
};

inline rk::LaunchOptions opts(const std::string& type, std::uint32_t capacity = 1024) {
  rk::LaunchOptions o;
  o.kernel_type = type;
  o.input_capacity = capacity;
  o.output_capacity = capacity;
  return o;
}

}  // namespace rk_cuda_test
