// ucontext fibers with ThreadSanitizer fiber annotations.
#include "rk/cpu/fiber.hpp"

#include <cstdint>
#include <stdexcept>

#if defined(RK_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace rk::cpu {

namespace {
thread_local Fiber* t_current = nullptr;
}

Fiber::Fiber(std::function<void()> body, std::size_t stack_bytes)
    : body_(std::move(body)), stack_(new std::byte[stack_bytes]) {
  if (getcontext(&ctx_) != 0) throw std::runtime_error("getcontext failed");
  ctx_.uc_stack.ss_sp = stack_.get();
  ctx_.uc_stack.ss_size = stack_bytes;
  ctx_.uc_link = nullptr;
  const auto p = reinterpret_cast<std::uintptr_t>(this);
  makecontext(&ctx_, reinterpret_cast<void (*)()>(&Fiber::trampoline), 2,
              static_cast<unsigned>(p & 0xFFFFFFFFu), static_cast<unsigned>(p >> 32));
#if defined(RK_TSAN)
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
}

Fiber::~Fiber() {
#if defined(RK_TSAN)
  if (tsan_fiber_) __tsan_destroy_fiber(tsan_fiber_);
#endif
}

void Fiber::trampoline(unsigned lo, unsigned hi) {
  auto* self = reinterpret_cast<Fiber*>(static_cast<std::uintptr_t>(lo) | (static_cast<std::uintptr_t>(hi) << 32));
  self->body_();
  self->finished_ = true;
  // Never return: uc_link is null. Switch back for good.
  t_current = nullptr;
#if defined(RK_TSAN)
  __tsan_switch_to_fiber(self->tsan_caller_, 0);
#endif
  setcontext(&self->caller_);
}

void Fiber::resume() {
  if (finished_) return;
  if (t_current != nullptr) throw std::logic_error("Fiber::resume called from inside a fiber");
  t_current = this;
#if defined(RK_TSAN)
  tsan_caller_ = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(tsan_fiber_, 0);
#endif
  swapcontext(&caller_, &ctx_);
  t_current = nullptr;
}

void Fiber::yield() {
  Fiber* self = t_current;
  if (self == nullptr) return;  // on a plain thread: nothing to yield to
  t_current = nullptr;
#if defined(RK_TSAN)
  __tsan_switch_to_fiber(self->tsan_caller_, 0);
#endif
  swapcontext(&self->ctx_, &self->caller_);
  t_current = self;
}

Fiber* Fiber::current() { return t_current; }

}  // namespace rk::cpu
