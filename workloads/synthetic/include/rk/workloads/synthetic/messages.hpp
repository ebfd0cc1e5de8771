// Message types of the synthetic topologies (General domain, type ids 1–9).
#pragma once

#include "rk/core/message.hpp"

namespace rk::workloads::synthetic {

/// ping_pong: a request the echo kernel answers; payload may be padded up to a slot.
struct Ping {
  static constexpr std::uint32_t kTypeId = 1;
  static constexpr Domain kDomain = Domain::General;
  std::uint64_t seq;
};

/// pipeline: a message that collects the HLC physical time at every stage it passes.
struct Trace {
  static constexpr std::uint32_t kTypeId = 2;
  static constexpr Domain kDomain = Domain::General;
  static constexpr std::uint32_t kMaxStamps = 22;
  std::uint64_t seq;
  std::uint32_t origin;
  std::uint32_t hops;
  std::uint64_t stamp_ns[kMaxStamps];
};
static_assert(sizeof(Trace) <= Slot::kPayloadCapacity);

/// fan_out / all_to_all: one numbered message from a source kernel.
struct Token {
  static constexpr std::uint32_t kTypeId = 3;
  static constexpr Domain kDomain = Domain::General;
  std::uint32_t source;
  std::uint32_t reserved;
  std::uint64_t seq;
};

/// Host → kernel commands.
struct Control {
  static constexpr std::uint32_t kTypeId = 4;
  static constexpr Domain kDomain = Domain::General;
  enum Op : std::uint32_t { Start = 1, Flush = 2, Query = 3 };
  std::uint32_t op;
  std::uint32_t reserved;
  std::uint64_t arg;
};

/// Kernel → host: what a kernel has seen and done.
struct Report {
  static constexpr std::uint32_t kTypeId = 5;
  static constexpr Domain kDomain = Domain::General;
  std::uint32_t kernel;
  std::uint32_t reserved;
  std::uint64_t received;              ///< data messages received
  std::uint64_t sent;                  ///< data messages delivered onward
  std::uint64_t order_violations;      ///< per-source sequence gaps or reorderings
  std::uint64_t causality_violations;  ///< receive clock not after the send timestamp
  std::uint64_t backlog;               ///< messages waiting for room downstream
  std::uint64_t lost;                  ///< messages the kernel had to drop (backlog overflow)
  std::uint64_t untracked;             ///< messages from sources beyond the tracking table
};

}  // namespace rk::workloads::synthetic
