// Hybrid logical clocks (Kulkarni et al., "Logical Physical Clocks", 2014): timestamps that follow
// causality like Lamport clocks and stay close to wall time. Every message carries one.
#pragma once

#include "rk/core/config.hpp"

namespace rk {

/// An HLC timestamp: physical time (ns since epoch, or GPU globaltimer ns), a logical counter for events
/// within one physical tick, and the node (kernel) id that breaks ties, giving a total order.
struct alignas(16) HlcTimestamp {
  std::uint64_t physical = 0;
  std::uint32_t logical = 0;
  std::uint32_t node_id = 0;

  constexpr HlcTimestamp() = default;  // no __host__ __device__ on a defaulted function (nvcc #20012-D)
  RK_HOST_DEVICE constexpr HlcTimestamp(std::uint64_t p, std::uint32_t l, std::uint32_t n)
      : physical(p), logical(l), node_id(n) {}

  /// Total order: physical, then logical, then node id.
  RK_HOST_DEVICE constexpr int compare(const HlcTimestamp& o) const {
    if (physical != o.physical) return physical < o.physical ? -1 : 1;
    if (logical != o.logical) return logical < o.logical ? -1 : 1;
    if (node_id != o.node_id) return node_id < o.node_id ? -1 : 1;
    return 0;
  }
  /// Causal order ignores the node id: `a.happened_before_or_concurrent...` is not knowable from
  /// timestamps alone; what HLC guarantees is: e → f implies (physical, logical)(e) < (physical, logical)(f).
  RK_HOST_DEVICE constexpr bool causally_before(const HlcTimestamp& o) const {
    return physical < o.physical || (physical == o.physical && logical < o.logical);
  }

  /// Local event or send, with no wall clock at hand: advance the logical counter.
  RK_HOST_DEVICE constexpr void tick() { ++logical; }

  /// Local event or send (HLC paper, "send or local event"): l' = max(l, pt); c is bumped when l is kept.
  RK_HOST_DEVICE constexpr void tick(std::uint64_t wall_now) {
    if (wall_now > physical) {
      physical = wall_now;
      logical = 0;
    } else {
      ++logical;
    }
  }

  /// Receive event (HLC paper, "receive event of message m"). Unlike the seed's merge, this takes the
  /// local wall clock into account: l' = max(l, l_m, pt); c' depends on which of the three won. Without
  /// the wall clock term the physical part would only ever advance through messages and a quiet node's
  /// clock would drift arbitrarily far behind real time. The result is strictly greater (in causal order)
  /// than both the previous local timestamp and the received one.
  RK_HOST_DEVICE constexpr void merge(const HlcTimestamp& received, std::uint64_t wall_now) {
    const std::uint64_t l_old = physical;
    std::uint64_t l_new = l_old > received.physical ? l_old : received.physical;
    if (wall_now > l_new) l_new = wall_now;
    if (l_new == l_old && l_new == received.physical) {
      logical = (logical > received.logical ? logical : received.logical) + 1;
    } else if (l_new == l_old) {
      logical = logical + 1;
    } else if (l_new == received.physical) {
      logical = received.logical + 1;
    } else {
      logical = 0;
    }
    physical = l_new;
  }

  /// Advance physical time if the wall clock moved past it (resets the logical counter).
  RK_HOST_DEVICE constexpr void update_physical(std::uint64_t wall_now) {
    if (wall_now > physical) {
      physical = wall_now;
      logical = 0;
    }
  }
};
static_assert(sizeof(HlcTimestamp) == 16);
static_assert(offsetof(HlcTimestamp, physical) == 0);
static_assert(offsetof(HlcTimestamp, logical) == 8);
static_assert(offsetof(HlcTimestamp, node_id) == 12);

RK_HOST_DEVICE constexpr bool operator==(const HlcTimestamp& a, const HlcTimestamp& b) {
  return a.compare(b) == 0;
}
RK_HOST_DEVICE constexpr bool operator!=(const HlcTimestamp& a, const HlcTimestamp& b) {
  return a.compare(b) != 0;
}
RK_HOST_DEVICE constexpr bool operator<(const HlcTimestamp& a, const HlcTimestamp& b) {
  return a.compare(b) < 0;
}
RK_HOST_DEVICE constexpr bool operator<=(const HlcTimestamp& a, const HlcTimestamp& b) {
  return a.compare(b) <= 0;
}
RK_HOST_DEVICE constexpr bool operator>(const HlcTimestamp& a, const HlcTimestamp& b) {
  return a.compare(b) > 0;
}
RK_HOST_DEVICE constexpr bool operator>=(const HlcTimestamp& a, const HlcTimestamp& b) {
  return a.compare(b) >= 0;
}

/// A single-owner clock: one kernel (or one simulated thread group) owns it, so no synchronisation.
/// `WallClock` is any callable returning wall nanoseconds; tests pass a fake one.
struct HlcState {
  HlcTimestamp last{};

  RK_HOST_DEVICE explicit HlcState(std::uint32_t node_id = 0) { last.node_id = node_id; }

  RK_HOST_DEVICE HlcTimestamp now(std::uint64_t wall) {
    last.tick(wall);
    return last;
  }
  RK_HOST_DEVICE HlcTimestamp update(const HlcTimestamp& received, std::uint64_t wall) {
    last.merge(received, wall);
    return last;
  }
};

#if !RK_DEVICE_CODE
/// A thread-safe HLC for the host side (the runtime, the harness): a tiny spin lock around HlcState.
/// Every call returns a timestamp strictly greater than any previously returned one.
class HlcClock {
 public:
  using WallFn = std::uint64_t (*)();

  explicit HlcClock(std::uint32_t node_id, WallFn wall = &wall_clock_ns) : state_(node_id), wall_(wall) {}

  /// A timestamp for a local or send event.
  HlcTimestamp now() {
    Guard g(lock_);
    return state_.now(wall_());
  }
  /// Merge a received timestamp and return the timestamp of the receive event.
  HlcTimestamp update(const HlcTimestamp& received) {
    Guard g(lock_);
    return state_.update(received, wall_());
  }
  /// Merge a received timestamp without reading the wall clock (merge with pt = 0): still strictly
  /// after both the local clock and the received timestamp, so causality holds; the next now() pulls
  /// the physical part up to the wall clock again. For hot receive paths.
  HlcTimestamp observe(const HlcTimestamp& received) {
    Guard g(lock_);
    return state_.update(received, 0);
  }
  /// The last timestamp handed out, without advancing.
  HlcTimestamp peek() const {
    Guard g(lock_);
    return state_.last;
  }
  std::uint32_t node_id() const { return state_.last.node_id; }

 private:
  struct Guard {
    explicit Guard(std::atomic_flag& f) : f_(f) {
      while (f_.test_and_set(std::memory_order_acquire)) cpu_relax();
    }
    ~Guard() { f_.clear(std::memory_order_release); }
    std::atomic_flag& f_;
  };
  mutable std::atomic_flag lock_ = ATOMIC_FLAG_INIT;
  HlcState state_;
  WallFn wall_;
};
#endif

}  // namespace rk
