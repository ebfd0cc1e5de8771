// Device handler of the device_latency workload. The other kernels it drives are the synthetic `echo`
// (injection, round trip) and `forward` (K2K hop); what the synthetic `consumer` cannot do is count
// 64-byte messages (it takes 16-byte Tokens), so throughput goes into `counter` below.
// Single-source: a template over the context, run by global thread 0, trivially copyable, so the CUDA
// backend runs it on the GPU and the CPU backend (and the fake CUDA layer) on host threads.
#pragma once

#include <cstdint>

#include "rk/core/context.hpp"
#include "rk/core/message.hpp"
#include "rk/workloads/synthetic/messages.hpp"

namespace rk::workloads::device_latency {

/// A numbered message of exactly 64 payload bytes: the sequence number and seven words derived from it
/// (the counter checks them, so a torn or corrupted slot copy is seen).
struct Burst64 {
  static constexpr std::uint32_t kTypeId = 20;
  static constexpr Domain kDomain = Domain::General;
  static constexpr std::uint32_t kWords = 7;
  std::uint64_t seq;
  std::uint64_t check[kWords];
};
static_assert(sizeof(Burst64) == 64);

/// The word `i` of a message's check words (and of the 64-byte payloads of injection and round trip).
RK_HOST_DEVICE constexpr std::uint64_t check_word(std::uint64_t seq, std::uint32_t i) {
  return (seq + 1) * 0x9E3779B97F4A7C15ull ^ (std::uint64_t{i} + 1) * 0xBF58476D1CE4E5B9ull;
}

/// Counter → host, answering a synthetic Control Query: what it has counted so far.
struct CountReport {
  static constexpr std::uint32_t kTypeId = 21;
  static constexpr Domain kDomain = Domain::General;
  std::uint32_t kernel;
  std::uint32_t reserved;
  std::uint64_t received;      ///< Burst64 messages counted
  std::uint64_t out_of_order;  ///< messages whose seq was not the previous one + 1 (a gap or a repeat)
  std::uint64_t corrupt;       ///< messages of the wrong size or with a wrong check word
  std::uint64_t next_seq;      ///< the seq expected next
  std::uint64_t other;         ///< messages of any other type (Query excepted)
};

/// `counter`: counts Burst64 messages, expecting seq 0, 1, 2, … without gaps or repeats and every check
/// word right; answers a Control Query with a CountReport (in order after every message before it).
struct CounterKernel {
  static constexpr bool kRunsOnDevice = true;  // the CUDA backend runs it (rk::cuda::DeviceHandler)
  std::uint64_t received = 0;
  std::uint64_t next_seq = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t corrupt = 0;
  std::uint64_t other = 0;

  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    if (in.header.type_id == Burst64::kTypeId) {
      Burst64 b{};
      if (decode(in, b) != DecodeStatus::Ok) {
        ++corrupt;
        return;
      }
      ++received;
      if (b.seq != next_seq) ++out_of_order;
      next_seq = b.seq + 1;
      bool ok = true;
      for (std::uint32_t i = 0; i < Burst64::kWords; ++i) ok = ok && b.check[i] == check_word(b.seq, i);
      if (!ok) ++corrupt;
      return;
    }
    synthetic::Control c{};
    if (decode(in, c) == DecodeStatus::Ok && c.op == synthetic::Control::Query) {
      CountReport r{};
      r.kernel = ctx.kernel_id();
      r.received = received;
      r.out_of_order = out_of_order;
      r.corrupt = corrupt;
      r.next_seq = next_seq;
      r.other = other;
      Slot s{};
      make_reply_header(in.header, ctx.kernel_id(), s.header);
      encode(s, r);
      ctx.enqueue_output(s);
      return;
    }
    ++other;
  }
};

/// Registers the device_latency handler types with a backend's registrar (`r.template add<H>(name)`).
template <class Registrar>
void register_kernel_types(Registrar& r) {
  r.template add<CounterKernel>("counter");
}

}  // namespace rk::workloads::device_latency
