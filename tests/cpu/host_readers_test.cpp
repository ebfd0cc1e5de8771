// HostReaders: a writer that unpublishes an object and calls synchronize() may free it: no reader
// section that could have seen it is still running. Checked by readers that would notice a freed
// object (its `alive` word poisoned before the delete), under TSan in CI.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <thread>
#include <vector>

#include "rk/cpu/host_readers.hpp"

namespace {

using rk::cpu::HostReaders;
using rk::cpu::HostReadSection;

struct Object {
  std::atomic<std::uint64_t> alive{1};
  std::uint64_t generation = 0;
};

TEST(HostReaders, ModeFollowsTheEnvironment) {
  // The fallback is forced by RK_HOST_READERS_FENCE (ctest runs this suite a second time with it);
  // otherwise membarrier decides, and Linux has had it since 4.14.
  const char* e = std::getenv("RK_HOST_READERS_FENCE");
  if (e != nullptr && *e != '\0' && *e != '0') {
    EXPECT_FALSE(HostReaders::asymmetric());
  }
  std::printf("[ mode ] %s\n", HostReaders::asymmetric() ? "membarrier (readers: compiler barrier only)"
                                                          : "fallback (readers: full fence)");
}

TEST(HostReaders, NoSectionSeesAnObjectAfterItsGracePeriod) {
  std::atomic<Object*> published{new Object};
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> dead_seen{0}, reads{0};
  std::atomic<int> started{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t)
    readers.emplace_back([&] {
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        HostReadSection section;
        Object* o = published.load(std::memory_order_seq_cst);
        if (o == nullptr) continue;
        // Keep looking for a while: the object must stay alive for the whole section. (With a
        // synchronize() that returns at once, this test fails within a few hundred cycles.)
        for (int i = 0; i < 64; ++i)
          if (o->alive.load(std::memory_order_relaxed) != 1) {
            dead_seen.fetch_add(1);
            break;
          }
        if (++n == 1) started.fetch_add(1);
      }
      reads.fetch_add(n);
    });
  while (started.load() < 2) std::this_thread::yield();  // both readers are in their loops
  // At least 500 cycles and 100 ms of them (a broken grace period is then caught nearly every run).
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  for (int i = 0; i < 500 || std::chrono::steady_clock::now() < until; ++i) {
    Object* old = published.exchange(nullptr, std::memory_order_seq_cst);
    HostReaders::synchronize();
    old->alive.store(0, std::memory_order_relaxed);  // what a reader still inside would see
    delete old;
    auto* next = new Object;
    next->generation = static_cast<std::uint64_t>(i) + 1;
    published.store(next, std::memory_order_seq_cst);
  }
  stop = true;
  for (auto& r : readers) r.join();
  delete published.load();
  EXPECT_EQ(dead_seen.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
}

TEST(HostReaders, SectionsNestAndThreadsComeAndGo) {
  // Nested sections count once; a thread that exits unregisters its slot, so synchronize() neither
  // waits for it nor touches freed memory (threads started and ended while a writer synchronizes).
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop.load()) HostReaders::synchronize();
  });
  for (int i = 0; i < 200; ++i) {
    std::thread t([] {
      HostReadSection outer;
      {
        HostReadSection inner;
        EXPECT_EQ(HostReaders::local().seq.load() & 1, 1u);
      }
      EXPECT_EQ(HostReaders::local().seq.load() & 1, 1u);  // still inside the outer section
    });
    t.join();
  }
  {
    HostReadSection s;
  }
  EXPECT_EQ(HostReaders::local().seq.load() & 1, 0u);
  stop = true;
  writer.join();
}

}  // namespace
