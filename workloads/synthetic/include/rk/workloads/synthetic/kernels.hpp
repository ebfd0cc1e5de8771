// Ring-kernel handlers of the synthetic topologies. Single-source: every handler is a template over
// the context, so the same body runs on the CPU backend and on a GPU. Kernel-wide work is done by
// global thread 0; the other threads of a larger grid only take part in the collectives.
#pragma once

#include <vector>

#include "rk/core/context.hpp"
#include "rk/core/param_spec.hpp"
#include "rk/core/runtime.hpp"
#include "rk/workloads/outbox.hpp"
#include "rk/workloads/synthetic/messages.hpp"

namespace rk::workloads::synthetic {

inline constexpr std::uint32_t kMaxOutputs = 256;
inline constexpr std::uint32_t kTrackedSources = 4096;

/// Output routes a kernel was launched with (KernelParams::routes), in a fixed-size copy the handler
/// can keep on a device: the first kMaxOutputs targets in scenario order, and the rule.
struct Routes {
  KernelId ids[kMaxOutputs] = {};
  std::uint32_t count = 0;
  RouteRule rule = RouteRule::Direct;
  std::uint32_t next = 0;  // round robin position

  Routes() = default;
  explicit Routes(const KernelParams& p) : rule(p.routes().rule) {
    for (const KernelId id : p.routes().outputs) {
      if (count == kMaxOutputs) break;
      ids[count++] = id;
    }
  }
};

/// Per-source order checking: each source's sequence numbers must arrive strictly increasing
/// (`consecutive`: increasing by exactly one).
struct OrderTracker {
  std::uint64_t next[kTrackedSources] = {};
  bool seen[kTrackedSources] = {};
  std::uint64_t violations = 0, untracked = 0;

  RK_HOST_DEVICE void observe(std::uint32_t source, std::uint64_t seq, bool consecutive) {
    if (source >= kTrackedSources) {
      ++untracked;
      return;
    }
    if (seen[source] && (consecutive ? seq != next[source] : seq < next[source])) ++violations;
    seen[source] = true;
    next[source] = seq + 1;
  }
};

template <class Ctx>
RK_HOST_DEVICE inline void reply_report(Ctx& ctx, const MessageHeader& request, const Report& r) {
  Slot s{};
  make_reply_header(request, ctx.kernel_id(), s.header);
  encode(s, r);
  ctx.enqueue_output(s);
}

/// `echo`: answers every message with a copy of it (same payload, reply header).
struct EchoKernel {
  static constexpr bool kRunsOnDevice = true;  // the CUDA backend runs it (rk::cuda::DeviceHandler)
  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    Slot out;
    make_reply_header(in.header, ctx.kernel_id(), out.header);
    out.header.message_id = {};
    out.header.type_id = in.header.type_id;
    out.header.payload_size = in.header.payload_size;
    const std::uint32_t p = in.header.payload_size < Slot::kPayloadCapacity ? in.header.payload_size : Slot::kPayloadCapacity;
    copy_words16(out.payload, in.payload, (p + 15) / 16);  // 16-byte words: no byte loop on a GPU
    ctx.enqueue_output(out);
  }
};

/// `forward`: stamps a Trace and passes it on along its routes (to the host when it has none).
struct ForwardKernel {
  static constexpr bool kRunsOnDevice = true;  // the CUDA backend runs it (rk::cuda::DeviceHandler)
  Routes routes;
  FixedOutbox<512> outbox;
  OrderTracker order;
  std::uint64_t received = 0;

  ForwardKernel() = default;
  explicit ForwardKernel(const KernelParams& p) : routes(p) {}

  /// Idle hook (rk::HasIdleHook): held-back messages go out as soon as their target has room.
  template <class Ctx>
  RK_HOST_DEVICE bool idle(Ctx& ctx) {
    return outbox.retry(ctx);
  }

  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    if (in.header.type_id == Control::kTypeId) {
      Control c{};
      decode(in, c);
      outbox.flush(ctx);
      if (c.op == Control::Query) reply_report(ctx, in.header, report(ctx));
      return;
    }
    Trace t{};
    if (decode(in, t) != DecodeStatus::Ok) {
      ctx.report_error();
      return;
    }
    ++received;
    order.observe(t.origin, t.seq, true);
    if (t.hops < Trace::kMaxStamps) t.stamp_ns[t.hops++] = ctx.wall_ns();  // the wall clock, not the HLC's max()
    Slot out{};
    out.header.correlation_id = in.header.correlation_id;
    encode(out, t);
    if (routes.count == 0) {
      outbox.send(ctx, kHostKernel, out);
    } else {
      const KernelId target = routes.rule == RouteRule::Hash ? routes.ids[t.seq % routes.count]
                                                        : routes.ids[routes.next++ % routes.count];
      outbox.send(ctx, target, out);
    }
  }
  template <class Ctx>
  RK_HOST_DEVICE Report report(Ctx& ctx) const {
    Report r{};
    r.kernel = ctx.kernel_id();
    r.received = received;
    r.sent = outbox.delivered;
    r.order_violations = order.violations;
    r.backlog = outbox.count;
    r.lost = outbox.lost;
    r.untracked = order.untracked;
    return r;
  }
};

/// `producer`: on Start{n} owes n more Tokens and emits them over its routes (round robin, hash or
/// broadcast) while its outbox has room; what it cannot emit yet it emits on the next message (Flush,
/// Query, Start), so a slow consumer slows the producer down instead of costing tokens.
struct ProducerKernel {
  static constexpr bool kRunsOnDevice = true;  // the CUDA backend runs it (rk::cuda::DeviceHandler)
  static constexpr std::uint32_t kOutbox = 1024;
  Routes routes;
  FixedOutbox<kOutbox> outbox;
  std::uint64_t next_seq = 0;
  std::uint64_t produced = 0;  ///< tokens handed to the outbox (delivered or waiting there)
  std::uint64_t owed = 0;      ///< tokens asked for and not generated yet

  ProducerKernel() = default;
  explicit ProducerKernel(const KernelParams& p) : routes(p) {}

  /// Idle hook (rk::HasIdleHook): held-back tokens go out, and owed ones are generated, as room appears.
  template <class Ctx>
  RK_HOST_DEVICE bool idle(Ctx& ctx) {
    if (outbox.count == 0 && owed == 0) return false;
    const std::uint64_t before = outbox.delivered;
    outbox.flush(ctx);
    generate(ctx);
    return outbox.delivered != before;
  }

  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    Control c{};
    if (decode(in, c) != DecodeStatus::Ok) {
      ctx.report_error();
      return;
    }
    if (c.op == Control::Start) owed += c.arg;
    outbox.flush(ctx);
    generate(ctx);
    if (c.op == Control::Query) {
      Report r{};
      r.kernel = ctx.kernel_id();
      r.sent = outbox.delivered;
      r.received = produced;  // tokens generated (delivered + still in the outbox)
      r.backlog = outbox.count + owed;
      r.lost = outbox.lost;
      reply_report(ctx, in.header, r);
    }
  }

 private:
  template <class Ctx>
  RK_HOST_DEVICE void generate(Ctx& ctx) {
    const std::uint32_t per_token = routes.rule == RouteRule::Broadcast ? routes.count : 1;
    if (routes.count == 0) {
      owed = 0;
      return;
    }
    while (owed > 0 && outbox.count + per_token <= kOutbox / 2) {
      const std::uint64_t seq = next_seq++;
      --owed;
      Slot s{};
      encode(s, Token{ctx.kernel_id(), 0, seq});
      if (routes.rule == RouteRule::Broadcast) {
        for (std::uint32_t o = 0; o < routes.count; ++o) outbox.send(ctx, routes.ids[o], s);
        produced += routes.count;
      } else {
        const KernelId target = routes.rule == RouteRule::Hash ? routes.ids[seq % routes.count]
                                                          : routes.ids[routes.next++ % routes.count];
        outbox.send(ctx, target, s);
        ++produced;
      }
    }
  }
};

/// `consumer`: counts Tokens, checking per-source order and causality; answers Query with a Report.
struct ConsumerKernel {
  static constexpr bool kRunsOnDevice = true;  // the CUDA backend runs it (rk::cuda::DeviceHandler)
  OrderTracker order;
  std::uint64_t received = 0;
  std::uint64_t causality_violations = 0;
  bool consecutive = false;

  ConsumerKernel() = default;
  explicit ConsumerKernel(const KernelParams& p) : consecutive(p.get_bool("consecutive", false)) {}
  static std::vector<ParamSpec> params() {
    return {ParamSpec::flag("consecutive", false, "expect each source's sequence numbers without gaps")};
  }

  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    if (in.header.type_id == Token::kTypeId) {
      Token t{};
      decode(in, t);
      ++received;
      order.observe(t.source, t.seq, consecutive);
      if (!in.header.timestamp.causally_before(ctx.now())) ++causality_violations;
      return;
    }
    Control c{};
    if (decode(in, c) == DecodeStatus::Ok && c.op == Control::Query) {
      Report r{};
      r.kernel = ctx.kernel_id();
      r.received = received;
      r.order_violations = order.violations;
      r.causality_violations = causality_violations;
      r.untracked = order.untracked;
      reply_report(ctx, in.header, r);
    }
  }
};

/// `peer` (all_to_all): on Start{rounds} owes `rounds` Tokens to every other peer and sends them while
/// its outbox has room (the rest on later messages); checks what it receives: per-source consecutive
/// sequence numbers and HLC causality (the receive clock after the merge must be causally after the send
/// timestamp, and each source's timestamps must increase).
struct PeerKernel {
  static constexpr bool kRunsOnDevice = true;  // the CUDA backend runs it (rk::cuda::DeviceHandler)
  static constexpr std::uint32_t kOutbox = 2 * kMaxOutputs;  // room for a full round to every peer
  Routes routes;
  FixedOutbox<kOutbox> outbox;
  OrderTracker order;
  HlcTimestamp last_from[kTrackedSources] = {};
  std::uint64_t next_seq_to[kMaxOutputs] = {};
  std::uint64_t received = 0;
  std::uint64_t causality_violations = 0;
  std::uint64_t owed_rounds = 0;

  PeerKernel() = default;
  explicit PeerKernel(const KernelParams& p) : routes(p) {}

  /// Idle hook (rk::HasIdleHook): held-back tokens go out, and owed rounds start, as room appears.
  template <class Ctx>
  RK_HOST_DEVICE bool idle(Ctx& ctx) {
    if (outbox.count == 0 && owed_rounds == 0) return false;
    const std::uint64_t before = outbox.delivered;
    outbox.flush(ctx);
    send_owed(ctx);
    return outbox.delivered != before;
  }

  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    outbox.flush(ctx);
    if (in.header.type_id == Token::kTypeId) {
      Token t{};
      decode(in, t);
      ++received;
      order.observe(t.source, t.seq, true);
      if (!in.header.timestamp.causally_before(ctx.now())) ++causality_violations;
      if (t.source < kTrackedSources) {
        if (!(last_from[t.source] < in.header.timestamp)) ++causality_violations;
        last_from[t.source] = in.header.timestamp;
      }
      send_owed(ctx);
      return;
    }
    Control c{};
    if (decode(in, c) != DecodeStatus::Ok) {
      ctx.report_error();
      return;
    }
    if (c.op == Control::Start) owed_rounds += c.arg;
    send_owed(ctx);
    if (c.op == Control::Query) {
      Report r{};
      r.kernel = ctx.kernel_id();
      r.received = received;
      r.sent = outbox.delivered;
      r.order_violations = order.violations;
      r.causality_violations = causality_violations;
      r.backlog = outbox.count + owed_rounds * routes.count;
      r.lost = outbox.lost;
      r.untracked = order.untracked;
      reply_report(ctx, in.header, r);
    }
  }

 private:
  template <class Ctx>
  RK_HOST_DEVICE void send_owed(Ctx& ctx) {
    while (owed_rounds > 0 && outbox.count + routes.count <= kOutbox) {
      --owed_rounds;
      for (std::uint32_t o = 0; o < routes.count; ++o) {
        Slot s{};
        encode(s, Token{ctx.kernel_id(), 0, next_seq_to[o]++});
        outbox.send(ctx, routes.ids[o], s);
      }
    }
  }
};

/// `ballast`: a counter with `state_bytes` of state (parameter), for measuring migration cost by state
/// size. Answers every Ping with the count so far, so a lost or repeated message shows.
struct BallastKernel {
  std::vector<std::byte> ballast;
  std::uint64_t seen = 0;

  BallastKernel() = default;
  explicit BallastKernel(const KernelParams& p)
      : ballast(static_cast<std::size_t>(p.get_int("state_bytes", 0)), std::byte{1}) {}
  static std::vector<ParamSpec> params() {
    return {ParamSpec::integer("state_bytes", 0, 0, std::int64_t{1} << 32, "bytes of handler state a migration copies")};
  }

  /// Heap state a migration copies (the harness reports it with the migration).
  std::size_t state_bytes() const { return ballast.size(); }

  template <class Ctx>
  void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    ++seen;
    Slot out{};
    make_reply_header(in.header, ctx.kernel_id(), out.header);
    encode(out, Ping{seen});
    ctx.enqueue_output(out);
  }
};

/// Registers the synthetic handler types with a backend's registrar (`r.template add<H>(name)`).
template <class Registrar>
void register_kernel_types(Registrar& r) {
  r.template add<EchoKernel>("echo");
  r.template add<ForwardKernel>("forward");
  r.template add<ProducerKernel>("producer");
  r.template add<ConsumerKernel>("consumer");
  r.template add<PeerKernel>("peer");
  r.template add<BallastKernel>("ballast");
}

}  // namespace rk::workloads::synthetic
