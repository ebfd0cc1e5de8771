// Portability layer for kernels/core: host/device qualifiers and the few atomic operations the rings,
// control block and clocks need, on any memory a backend hands us (host, mapped pinned, device).
// Everything here compiles as plain C++20 (g++/clang) and as CUDA device code (nvcc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

// Host-only parts of the core (blocking waits, the thread-safe clock) use these in both compilers.
#include <atomic>
#include <chrono>
#include <thread>

#if defined(__CUDACC__)
#define RK_HOST_DEVICE __host__ __device__
#define RK_DEVICE __device__
#define RK_FORCEINLINE __forceinline__
#include <cuda/atomic>
#else
#define RK_HOST_DEVICE
#define RK_DEVICE
#define RK_FORCEINLINE inline __attribute__((always_inline))
#endif

#if defined(__CUDA_ARCH__)
#define RK_DEVICE_CODE 1
#else
#define RK_DEVICE_CODE 0
#endif

namespace rk {

/// Size of a cache line on the host and of the L2 sector pair we pad to on the device.
inline constexpr std::size_t kCacheLine = 64;

namespace atomics {

// One set of wrappers for host and device. On nvcc we use cuda::atomic_ref with system scope so the
// same ring works in mapped pinned memory shared by host and GPU; on the host compiler std::atomic_ref.
#if defined(__CUDACC__)
template <class T>
RK_HOST_DEVICE RK_FORCEINLINE ::cuda::atomic_ref<T, ::cuda::thread_scope_system> ref(T& v) {
  return ::cuda::atomic_ref<T, ::cuda::thread_scope_system>(v);
}
namespace mo = ::cuda::std;
#else
template <class T>
RK_FORCEINLINE std::atomic_ref<T> ref(T& v) {
  return std::atomic_ref<T>(v);
}
namespace mo = std;
#endif

template <class T>
RK_HOST_DEVICE RK_FORCEINLINE T load_acquire(const T& v) {
  return ref(const_cast<T&>(v)).load(mo::memory_order_acquire);
}
template <class T>
RK_HOST_DEVICE RK_FORCEINLINE T load_relaxed(const T& v) {
  return ref(const_cast<T&>(v)).load(mo::memory_order_relaxed);
}
template <class T>
RK_HOST_DEVICE RK_FORCEINLINE void store_release(T& v, T x) {
  ref(v).store(x, mo::memory_order_release);
}
template <class T>
RK_HOST_DEVICE RK_FORCEINLINE void store_relaxed(T& v, T x) {
  ref(v).store(x, mo::memory_order_relaxed);
}
template <class T>
RK_HOST_DEVICE RK_FORCEINLINE T fetch_add(T& v, T x) {
  return ref(v).fetch_add(x, mo::memory_order_acq_rel);
}
template <class T>
RK_HOST_DEVICE RK_FORCEINLINE T fetch_add_relaxed(T& v, T x) {
  return ref(v).fetch_add(x, mo::memory_order_relaxed);
}
template <class T>
RK_HOST_DEVICE RK_FORCEINLINE T exchange(T& v, T x) {
  return ref(v).exchange(x, mo::memory_order_acq_rel);
}
/// Strong compare-and-swap; on failure `expected` receives the current value.
template <class T>
RK_HOST_DEVICE RK_FORCEINLINE bool compare_exchange(T& v, T& expected, T desired) {
  return ref(v).compare_exchange_strong(expected, desired, mo::memory_order_acq_rel,
                                        mo::memory_order_acquire);
}
/// Raises a relaxed maximum (used for peak depth and max latency statistics).
template <class T>
RK_HOST_DEVICE RK_FORCEINLINE void fetch_max_relaxed(T& v, T x) {
  T cur = load_relaxed(v);
  while (cur < x && !ref(v).compare_exchange_weak(cur, x, mo::memory_order_relaxed,
                                                  mo::memory_order_relaxed)) {
  }
}
template <class T>
RK_HOST_DEVICE RK_FORCEINLINE void fetch_min_relaxed(T& v, T x) {
  T cur = load_relaxed(v);
  while (x < cur && !ref(v).compare_exchange_weak(cur, x, mo::memory_order_relaxed,
                                                  mo::memory_order_relaxed)) {
  }
}

RK_HOST_DEVICE RK_FORCEINLINE void fence_seq_cst() {
#if defined(__CUDACC__)
  ::cuda::atomic_thread_fence(::cuda::std::memory_order_seq_cst, ::cuda::thread_scope_system);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

}  // namespace atomics

/// A polite busy-wait hint: `pause` on x86 hosts, a short sleep on the GPU.
RK_HOST_DEVICE RK_FORCEINLINE void cpu_relax() {
#if RK_DEVICE_CODE
#if __CUDA_ARCH__ >= 700
  __nanosleep(32);
#endif
#elif defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Monotonic nanoseconds: steady_clock on the host, %globaltimer on the GPU.
RK_HOST_DEVICE RK_FORCEINLINE std::uint64_t monotonic_ns() {
#if RK_DEVICE_CODE
  std::uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
#else
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
#endif
}

/// Wall-clock nanoseconds since the Unix epoch (the HLC's physical time source).
/// On the GPU, %globaltimer is nanoseconds kept by the driver close to the host's wall clock.
RK_HOST_DEVICE RK_FORCEINLINE std::uint64_t wall_clock_ns() {
#if RK_DEVICE_CODE
  return monotonic_ns();
#else
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
#endif
}

RK_HOST_DEVICE constexpr bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

/// Copies `words` 16-byte words between 16-byte aligned buffers: one 128-bit load and store per word on the
/// GPU (a byte loop would be one access per byte, and over PCIe one transaction per byte).
RK_HOST_DEVICE RK_FORCEINLINE void copy_words16(void* dst, const void* src, std::size_t words) {
#if RK_DEVICE_CODE
  auto* d = static_cast<uint4*>(dst);
  const auto* s = static_cast<const uint4*>(src);
  for (std::size_t i = 0; i < words; ++i) d[i] = s[i];
#else
  memcpy(dst, src, words * 16);
#endif
}
/// Copies `bytes` (a multiple of Align) between buffers aligned to Align, in words of Align bytes (at most
/// 8) on the GPU, where a memcpy of unknown alignment becomes a byte loop. A typed message's alignment is
/// enough: a slot's payload is 16-byte aligned.
template <std::size_t Align>
RK_HOST_DEVICE RK_FORCEINLINE void copy_aligned(void* dst, const void* src, std::size_t bytes) {
#if RK_DEVICE_CODE
  using Word = std::conditional_t<(Align >= 8), std::uint64_t,
                                  std::conditional_t<(Align >= 4), std::uint32_t,
                                                     std::conditional_t<(Align >= 2), std::uint16_t, std::uint8_t>>>;
  auto* d = static_cast<Word*>(dst);
  const auto* s = static_cast<const Word*>(src);
  for (std::size_t i = 0; i < bytes / sizeof(Word); ++i) d[i] = s[i];
#else
  memcpy(dst, src, bytes);
#endif
}

/// Copies `words` 4-byte words between 4-byte aligned buffers (32-bit accesses on the GPU).
RK_HOST_DEVICE RK_FORCEINLINE void copy_words4(void* dst, const void* src, std::size_t words) {
#if RK_DEVICE_CODE
  auto* d = static_cast<std::uint32_t*>(dst);
  const auto* s = static_cast<const std::uint32_t*>(src);
  for (std::size_t i = 0; i < words; ++i) d[i] = s[i];
#else
  memcpy(dst, src, words * 4);
#endif
}

}  // namespace rk
