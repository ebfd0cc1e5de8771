// The outbox every workload handler sends through: messages whose target (a kernel, or the host) has no
// room are kept in order and retried, so per-destination FIFO holds; anything that cannot be kept is
// counted as lost and reported (ctx.report_error), never dropped silently.
//
// One template over its storage:
//   FixedOutbox<N>  N messages in place, no allocation: usable in device code (the synthetic handlers).
//   GrowingOutbox   host vectors that start at 256 messages and double while below `storage.limit`
//                   (default 65536): for the host-only handlers (order matching).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rk/core/context.hpp"
#include "rk/workloads/util.hpp"

// The Outbox members are host-device because FixedOutbox runs in device code; with GrowingOutbox they
// call host-only storage, which nvcc accepts once its execution-space check is off for them (the
// device side is never instantiated for a host-only storage).
#if defined(__CUDACC__)
#define RK_OUTBOX_NO_EXEC_CHECK _Pragma("nv_exec_check_disable")
#else
#define RK_OUTBOX_NO_EXEC_CHECK
#endif

namespace rk::workloads {

/// Storage of N messages in place; it never grows, so a message that finds it full is lost.
template <std::uint32_t N>
struct FixedOutboxStorage {
  using Index = std::uint32_t;
  Slot items[N];
  KernelId targets[N] = {};

  RK_HOST_DEVICE static constexpr Index capacity() { return N; }
  RK_HOST_DEVICE static constexpr bool grow(Index& /*head*/, Index /*count*/) { return false; }
};

/// Host storage: empty until first needed, then 256 messages, doubling while it holds fewer than `limit`.
struct GrowingOutboxStorage {
  using Index = std::size_t;
  std::vector<Slot> items;
  std::vector<KernelId> targets;
  Index limit = Index{1} << 16;

  Index capacity() const { return items.size(); }
  /// Make room for one more when `count` == capacity(): false once the limit is reached.
  bool grow(Index& head, Index count) {
    if (count >= limit) return false;
    const Index cap = items.empty() ? 256 : items.size() * 2;
    std::vector<Slot> ni(cap);
    std::vector<KernelId> nt(cap);
    for (Index i = 0; i < count; ++i) {
      ni[i] = items[(head + i) % items.size()];
      nt[i] = targets[(head + i) % items.size()];
    }
    items.swap(ni);
    targets.swap(nt);
    head = 0;
    return true;
  }
};

/// Messages waiting for room downstream, in send order (a ring over `Storage`).
template <class Storage>
struct Outbox {
  using Index = typename Storage::Index;
  Storage storage;
  Index head = 0, count = 0;
  std::uint64_t delivered = 0, lost = 0;

  /// Deliver or queue (after what already waits). `target` kHostKernel means the kernel's output ring.
  RK_OUTBOX_NO_EXEC_CHECK
  template <class Ctx>
  RK_HOST_DEVICE void send(Ctx& ctx, KernelId target, const Slot& s) {
    if (count > 0) flush(ctx);
    if (count == 0 && attempt(ctx, target, s)) return;
    if (count == storage.capacity() && !storage.grow(head, count)) {
      ++lost;
      ctx.report_error();
      return;
    }
    const Index tail = (head + count) % storage.capacity();
    storage.items[tail] = s;
    storage.targets[tail] = target;
    ++count;
  }

  /// Send what waits, in order, until a target has no room.
  RK_OUTBOX_NO_EXEC_CHECK
  template <class Ctx>
  RK_HOST_DEVICE void flush(Ctx& ctx) {
    while (count > 0 && attempt(ctx, storage.targets[head], storage.items[head])) {
      head = (head + 1) % storage.capacity();
      --count;
    }
  }

  /// For the kernel's idle hook: retry what waits; true when something went out.
  RK_OUTBOX_NO_EXEC_CHECK
  template <class Ctx>
  RK_HOST_DEVICE bool retry(Ctx& ctx) {
    if (count == 0) return false;
    const std::uint64_t before = delivered;
    flush(ctx);
    return delivered != before;
  }

 private:
  template <class Ctx>
  RK_HOST_DEVICE bool attempt(Ctx& ctx, KernelId target, const Slot& s) {
    const bool ok = try_deliver_once(ctx, target, s);
    if (ok) ++delivered;
    return ok;
  }
};

template <std::uint32_t N>
using FixedOutbox = Outbox<FixedOutboxStorage<N>>;
using GrowingOutbox = Outbox<GrowingOutboxStorage>;

#undef RK_OUTBOX_NO_EXEC_CHECK

}  // namespace rk::workloads
