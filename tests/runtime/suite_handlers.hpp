// Test handlers shared by the backend-agnostic runtime suite (runtime_suite.hpp) and backend-specific
// tests. Single-source like the workloads' handlers: templates over the context.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "rk/core/runtime.hpp"
#include "runtime/suite_messages.hpp"

namespace rk_test {


struct Echo {
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot& in) {
    rk::Slot out = in;
    out.header.message_id = {};
    ctx.enqueue_output(out);
  }
};

/// Counts messages; state must survive deactivate/activate.
struct Counter {
  static inline std::atomic<int> live{0};
  Counter() { ++live; }
  ~Counter() { --live; }
  std::uint64_t seen = 0;
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot&) {
    ++seen;
    ctx.enqueue_output(Count{seen});
  }
};

inline rk::LaunchOptions opts(const std::string& type, rk::IdleStrategy idle = rk::IdleStrategy::Adaptive) {
  rk::LaunchOptions o;
  o.kernel_type = type;
  o.idle = idle;
  return o;
}

struct Faulty {
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot& in) {
    Ping p{};
    rk::decode(in, p);
    if (p.seq == 1) ctx.report_error();
    if (p.seq == 2) throw std::runtime_error("boom");
    ctx.enqueue_output(p);
  }
};

/// Forwards every message to the kernel named by parameter `next` (or to the host when empty),
/// checking that messages from each source arrive in order.
struct Forward {
  explicit Forward(const rk::KernelParams& p) : next(static_cast<rk::KernelId>(p.get_int("next", rk::kHostKernel))) {}
  rk::KernelId next;
  std::map<rk::KernelId, std::uint64_t> last_seq;
  std::uint64_t out_of_order = 0;
  rk::HlcTimestamp last_seen{};
  std::uint64_t causality_violations = 0;
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot& in) {
    Token t{};
    rk::decode(in, t);
    auto [it, fresh] = last_seq.try_emplace(t.source, t.seq);
    if (!fresh) {
      if (t.seq != it->second + 1) ++out_of_order;
      it->second = t.seq;
    }
    // The runtime merged the message's clock before calling us: our clock is past the send event.
    if (!in.header.timestamp.causally_before(ctx.now())) ++causality_violations;
    rk::Slot out{};
    rk::encode(out, t);
    if (next == rk::kHostKernel) {
      while (!ctx.enqueue_output(out)) std::this_thread::yield();
    } else {
      while (ctx.send_to_kernel(next, out) == rk::SendStatus::Full) std::this_thread::yield();
    }
  }
};

/// Sends one K2K message to the kernel id given in the payload.
struct SendTo {
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot& in) {
    Ping p{};
    rk::decode(in, p);
    const rk::SendStatus s = ctx.send_to_kernel(static_cast<rk::KernelId>(p.seq), Ping{p.seq});
    ctx.enqueue_output(Count{static_cast<std::uint64_t>(s)});
  }
};

/// Forwards each Ping to kernel `seq`; when that kernel is full it holds the message back, and only its
/// idle hook (or its next message) retries.
struct HoldingForwarder {
  std::vector<rk::Slot> held;
  template <class Ctx>
  void operator()(Ctx& ctx, const rk::Slot& in) {
    retry(ctx);
    Ping p{};
    rk::decode(in, p);
    rk::Slot out{};
    rk::encode(out, Ping{p.seq});
    if (held.empty() && ctx.try_send_to_kernel(static_cast<rk::KernelId>(p.seq), out) == rk::SendStatus::Ok) return;
    held.push_back(out);
  }
  template <class Ctx>
  bool retry(Ctx& ctx) {
    std::size_t sent = 0;
    while (sent < held.size()) {
      rk::Slot s = held[sent];
      Ping p{};
      rk::decode(s, p);
      if (ctx.try_send_to_kernel(static_cast<rk::KernelId>(p.seq), s) != rk::SendStatus::Ok) break;
      ++sent;
    }
    held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(sent));
    return sent > 0;
  }
};
struct ForwarderWithHook : HoldingForwarder {
  template <class Ctx>
  bool idle(Ctx& ctx) {
    return retry(ctx);
  }
};

}  // namespace rk_test
