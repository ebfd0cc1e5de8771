// Host readers: lets host threads use a kernel object without a lock (the runtime's try_send and
// try_receive) while terminate() and migrate() wait until no host thread can still hold a pointer to
// what they unpublished, before freeing it.
//
// Each host thread has a slot of its own (a cache line, registered on first use) with a counter it
// alone writes: odd while it is inside a fast path, even outside. Entering is a plain store and, on
// Linux with membarrier(2), only a compiler barrier; the cost of ordering moves to the rare writer,
// which unpublishes, forces a full barrier on every thread of the process (membarrier
// PRIVATE_EXPEDITED), then waits for every slot it saw odd to move on. Where membarrier is not
// available, readers fence after entering instead (one full fence, still no locked read-modify-write
// on a shared line). The earlier design, a shared reader count, cost two locked instructions per call
// on a line every host thread wrote (an empty try_receive: 19.2 ns then, 9.4 ns now).
#pragma once

#include <atomic>
#include <cstdint>

#include "rk/core/config.hpp"

namespace rk::cpu {

class HostReaders {
 public:
  struct alignas(kCacheLine) Slot {
    std::atomic<std::uint64_t> seq{0};  ///< odd while the owning thread is inside a section
    std::uint32_t depth = 0;            ///< nesting of sections (owning thread only)
    Slot* next = nullptr;               ///< the registry's list (guarded by its mutex)
  };

  /// This thread's slot, registered on first use and unregistered when the thread exits.
  static Slot& local() {
    Slot* s = tls_slot_;
    return s != nullptr ? *s : register_thread();
  }

  /// Whether readers only need a compiler barrier (membarrier available); decided once per process.
  static bool asymmetric();

  /// Wait until every host thread that may have read a value unpublished before this call has left
  /// the section in which it read it. Called by writers after their unpublishing store, never from
  /// inside a section (another writer could be waiting for that section to end).
  static void synchronize();

  /// This thread's slot, or null before its first section and after the thread's teardown began.
  static inline thread_local Slot* tls_slot_ = nullptr;

 private:
  static Slot& register_thread();
};

/// A section of a host fast path: what it reads of published kernels stays valid until it ends.
class HostReadSection {
 public:
  HostReadSection() : s_(HostReaders::local()) {
    if (s_.depth++ != 0) return;
    s_.seq.store(s_.seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    // Order the store before the section's loads: free when the writer's membarrier does it for us.
    if (asymmetric_) std::atomic_signal_fence(std::memory_order_seq_cst);
    else std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  ~HostReadSection() {
    if (--s_.depth != 0) return;
    s_.seq.store(s_.seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  HostReadSection(const HostReadSection&) = delete;
  HostReadSection& operator=(const HostReadSection&) = delete;

 private:
  static inline const bool asymmetric_ = HostReaders::asymmetric();
  HostReaders::Slot& s_;
};

}  // namespace rk::cpu
