// The seed's ReductionBuffer: a small array of atomic accumulators ("slots") in memory the caller
// provides — mapped pinned memory on a GPU, so the host reads the result without a copy; plain host
// memory on the CPU backend. Contributors (threads, blocks, kernels) combine their partial into slot
// `contributor % slots`, spreading contention over several cache lines; the reader folds the slots.
// Host + device: no heap, no exceptions, only rk::atomics.
//
// NOT bit-reproducible for floats: atomics combine partials in arrival order, which varies from run to
// run, so a float Sum/Product may differ in the last bits between runs (integers and Min/Max are exact).
// The deterministic path is rk::GlobalReduction (global_reduction.hpp).
#pragma once

#include "rk/core/config.hpp"
#include "rk/core/reduction.hpp"

namespace rk {

/// Slots of T accumulators over caller-provided storage, each slot on its own cache line.
/// Not owning: the storage must outlive the buffer and hold storage_bytes(slots) bytes, aligned to at least
/// alignof(T) (kCacheLine recommended). Copies are views of the same storage.
template <ReductionScalar T>
class ReductionBuffer {
 public:
  /// Elements between consecutive slots (one cache line per slot).
  static constexpr std::uint32_t kStride =
      static_cast<std::uint32_t>(kCacheLine / sizeof(T) == 0 ? 1 : kCacheLine / sizeof(T));

  /// Bytes of storage a buffer of `slots` slots needs.
  RK_HOST_DEVICE static constexpr std::size_t storage_bytes(std::uint32_t slots) {
    return static_cast<std::size_t>(slots) * kStride * sizeof(T);
  }

  ReductionBuffer() = default;

  /// A view over `storage`; valid() is false (and the buffer does nothing) when `storage` is null, `slots`
  /// is not a power of two, or `op` does not apply to T. Does not initialise the slots: call reset() once
  /// (from one thread) before the first accumulate().
  RK_HOST_DEVICE ReductionBuffer(void* storage, std::uint32_t slots, ReductionOp op)
      : slots_(static_cast<T*>(storage)), count_(slots), op_(op) {
    if (storage == nullptr || !is_power_of_two(slots) || !supports<T>(op)) {
      slots_ = nullptr;
      count_ = 0;
    }
  }

  RK_HOST_DEVICE bool valid() const { return slots_ != nullptr; }
  RK_HOST_DEVICE std::uint32_t slots() const { return count_; }
  RK_HOST_DEVICE ReductionOp op() const { return op_; }

  /// The identity of the buffer's operator (what an untouched slot holds).
  RK_HOST_DEVICE T identity() const {
    T id{};
    rk::identity<T>(op_, id);
    return id;
  }

  /// Sets every slot to the identity. Not concurrent with accumulate().
  RK_HOST_DEVICE void reset() {
    const T id = identity();
    for (std::uint32_t s = 0; s < count_; ++s) atomics::store_release(slot(s), id);
  }

  /// Atomically combines `value` into slot `contributor % slots()`: fetch_add for integer Sum, a
  /// compare-and-swap loop otherwise (which returns early when the slot would not change, for Min/Max).
  RK_HOST_DEVICE void accumulate(std::uint32_t contributor, T value) {
    if (!valid()) return;
    T& s = slot(contributor & (count_ - 1));
    dispatch<T>(op_, [&](auto o) {
      constexpr ReductionOp Op = decltype(o)::value;
      if constexpr (Op == ReductionOp::Sum && std::is_integral_v<T>) {
        atomics::fetch_add(s, value);
      } else {
        T cur = atomics::load_relaxed(s);
        for (;;) {
          if constexpr (Op == ReductionOp::Min) {
            if (!(value < cur)) return;
          } else if constexpr (Op == ReductionOp::Max) {
            if (!(cur < value)) return;
          }
          if (atomics::compare_exchange(s, cur, Reducer<Op, T>::apply(cur, value))) return;
        }
      }
    });
  }

  /// identity ⊕ slot[0] ⊕ … ⊕ slot[slots-1]. Call after the contributors are done (kernel completed,
  /// threads joined, or a barrier): a concurrent read sees some subset of the contributions.
  RK_HOST_DEVICE T read_result() const {
    T acc = identity();
    for (std::uint32_t s = 0; s < count_; ++s) {
      const T v = atomics::load_acquire(slot(s));
      reduce<T>(op_, acc, v, acc);
    }
    return acc;
  }

  /// The current value of one slot (s < slots()).
  RK_HOST_DEVICE T read_slot(std::uint32_t s) const { return atomics::load_acquire(slot(s)); }

 private:
  RK_HOST_DEVICE T& slot(std::uint32_t s) const { return slots_[static_cast<std::size_t>(s) * kStride]; }

  T* slots_ = nullptr;
  std::uint32_t count_ = 0;
  ReductionOp op_ = ReductionOp::Sum;
};

}  // namespace rk
