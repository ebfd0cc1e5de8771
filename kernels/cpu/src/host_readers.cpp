// Host readers: per-thread slots and the writer's grace period (see host_readers.hpp).
#include "rk/cpu/host_readers.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace rk::cpu {

namespace {

struct Registry {
  std::mutex mutex;
  HostReaders::Slot* head = nullptr;
};

Registry& registry() {
  // Never destroyed: threads may still exit (and unregister) while static objects are destroyed.
  static Registry* r = new Registry;
  return *r;
}

/// Unregisters this thread's slot when the thread exits.
struct SlotOwner {
  HostReaders::Slot* slot = nullptr;
  ~SlotOwner() {
    if (slot == nullptr) return;
    HostReaders::tls_slot_ = nullptr;
    Registry& r = registry();
    {
      std::lock_guard lk(r.mutex);
      for (HostReaders::Slot** p = &r.head; *p != nullptr; p = &(*p)->next)
        if (*p == slot) {
          *p = slot->next;
          break;
        }
    }
    delete slot;
  }
};

#if defined(__linux__) && defined(__NR_membarrier)
long membarrier(int cmd) { return syscall(__NR_membarrier, cmd, 0, 0); }
#endif

/// A full memory barrier on every running thread of the process (or only on this one, in fallback
/// mode, where readers fence themselves).
void heavy_barrier() {
#if defined(__linux__) && defined(__NR_membarrier)
  if (HostReaders::asymmetric()) {
    if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return;
    // Registered, yet refused: readers rely on it, so going on could free memory in use.
    std::fprintf(stderr, "ringkernel: membarrier(PRIVATE_EXPEDITED) failed after registration\n");
    std::abort();
  }
#endif
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

}  // namespace

bool HostReaders::asymmetric() {
  static const bool ok = [] {
    // RK_HOST_READERS_FENCE=1 forces the fallback (readers fence themselves), so tests cover it too.
    if (const char* e = std::getenv("RK_HOST_READERS_FENCE"); e != nullptr && *e != '\0' && *e != '0') return false;
#if defined(__linux__) && defined(__NR_membarrier)
    const long cmds = membarrier(MEMBARRIER_CMD_QUERY);
    if (cmds < 0 || (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
    return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
#else
    return false;
#endif
  }();
  return ok;
}

HostReaders::Slot& HostReaders::register_thread() {
  static thread_local SlotOwner owner;
  auto* s = new Slot;
  {
    Registry& r = registry();
    std::lock_guard lk(r.mutex);
    s->next = r.head;
    r.head = s;
  }
  owner.slot = s;
  tls_slot_ = s;
  return *s;
}

void HostReaders::synchronize() {
  heavy_barrier();
  Registry& r = registry();
  std::lock_guard lk(r.mutex);
  for (Slot* s = r.head; s != nullptr; s = s->next) {
    const std::uint64_t seen = s->seq.load(std::memory_order_acquire);
    if ((seen & 1) == 0) continue;
    while (s->seq.load(std::memory_order_acquire) == seen) std::this_thread::yield();
  }
}

}  // namespace rk::cpu
