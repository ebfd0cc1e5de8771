// Cooperative fibers (ucontext) used to run the simulated GPU threads of one ring kernel on one worker
// thread, so that sync_threads/sync_grid/warp collectives can suspend a thread until its peers arrive.
// Under ThreadSanitizer every switch is announced with the TSan fiber API.
#pragma once

#include <ucontext.h>

#include <cstddef>
#include <functional>
#include <memory>

namespace rk::cpu {

class Fiber {
 public:
  static constexpr std::size_t kDefaultStackBytes = 128 * 1024;

  explicit Fiber(std::function<void()> body, std::size_t stack_bytes = kDefaultStackBytes);
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  /// Run the fiber until it yields or its body returns. Must not be called from inside a fiber.
  void resume();
  /// Suspend the calling fiber and return to whoever resumed it.
  static void yield();
  /// The fiber running on this thread, or nullptr on a plain thread stack.
  static Fiber* current();

  bool finished() const { return finished_; }

 private:
  static void trampoline(unsigned lo, unsigned hi);

  std::function<void()> body_;
  std::unique_ptr<std::byte[]> stack_;
  ucontext_t ctx_{};
  ucontext_t caller_{};
  void* tsan_fiber_ = nullptr;
  void* tsan_caller_ = nullptr;
  bool finished_ = false;
};

}  // namespace rk::cpu
