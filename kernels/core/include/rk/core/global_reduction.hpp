// Global reductions across participants (simulated devices, GPUs, processes): the scalar-type tag and
// type-erased element-wise reducer the collectives share, and the abstract GlobalReduction handle each
// participant calls. Host-only. Backends implement it: rk::cpu::SharedMemoryCollective (devices in one
// process), rk::cpu::HierarchicalReduction (devices, then processes), rk::mpi::MpiReduction (processes).
//
// Determinism rule (every implementation follows it, the tests check it bit for bit):
//  * a participant folds its local elements left to right starting from the identity:
//        p = identity ⊕ x[0] ⊕ x[1] ⊕ … ⊕ x[n-1]
//  * participants are then combined in rank order, again starting from the identity:
//        result = identity ⊕ p_0 ⊕ p_1 ⊕ … ⊕ p_{N-1}
//    (element-wise for all_reduce: result[i] = identity ⊕ in_0[i] ⊕ … ⊕ in_{N-1}[i]).
//  * `a ⊕ b` is rk::Reducer<Op, T>::apply(a, b) with the accumulator on the left.
// No operation depends on timing or on which participant arrives first, so repeated runs give identical
// bits, equal to a sequential reference computed in the same order. Flat collectives combine their N
// participants in one left fold; a hierarchical one defines a two-level fold (devices in order within a
// process, then processes in rank order), which for floats may differ in the last bits from a flat fold
// over the same values — still deterministic. Integer Sum/Product wrap modulo 2^bits, as on the GPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "rk/core/reduction.hpp"
#include "rk/core/runtime.hpp"

namespace rk {

/// Thrown for a reduction that cannot be performed: an operator that does not apply to the type (bitwise
/// on floats), mismatched arguments across participants, sizes that do not match.
class ReductionError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

/// Run-time tag of the six ReductionScalar types, for type-erased collectives.
enum class ScalarType : std::uint8_t { I32, I64, U32, U64, F32, F64 };

inline constexpr ScalarType kAllScalarTypes[] = {ScalarType::I32, ScalarType::I64, ScalarType::U32,
                                                 ScalarType::U64, ScalarType::F32, ScalarType::F64};

namespace detail {
template <class T>
constexpr ScalarType scalar_type_of_impl() {
  if constexpr (std::is_same_v<T, std::int32_t>) return ScalarType::I32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return ScalarType::I64;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return ScalarType::U32;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return ScalarType::U64;
  else if constexpr (std::is_same_v<T, float>) return ScalarType::F32;
  else return ScalarType::F64;
}
}  // namespace detail

/// The tag of a ReductionScalar type: scalar_type_of<float> == ScalarType::F32.
template <ReductionScalar T>
inline constexpr ScalarType scalar_type_of = detail::scalar_type_of_impl<T>();

constexpr const char* to_string(ScalarType t) {
  switch (t) {
    case ScalarType::I32: return "i32";
    case ScalarType::I64: return "i64";
    case ScalarType::U32: return "u32";
    case ScalarType::U64: return "u64";
    case ScalarType::F32: return "f32";
    case ScalarType::F64: return "f64";
  }
  return "?";
}

/// Size of one element in bytes.
constexpr std::size_t size_of(ScalarType t) {
  return (t == ScalarType::I32 || t == ScalarType::U32 || t == ScalarType::F32) ? 4 : 8;
}

constexpr bool is_floating_point(ScalarType t) { return t == ScalarType::F32 || t == ScalarType::F64; }

/// Whether `op` applies to elements of type `t` (bitwise operators need integers).
constexpr bool supports(ScalarType t, ReductionOp op) { return !is_floating_point(t) || !is_bitwise(op); }

/// Calls `f(std::type_identity<T>{})` with the C++ type behind the tag and returns what f returns.
template <class F>
decltype(auto) visit_scalar_type(ScalarType t, F&& f) {
  switch (t) {
    case ScalarType::I32: return f(std::type_identity<std::int32_t>{});
    case ScalarType::I64: return f(std::type_identity<std::int64_t>{});
    case ScalarType::U32: return f(std::type_identity<std::uint32_t>{});
    case ScalarType::U64: return f(std::type_identity<std::uint64_t>{});
    case ScalarType::F32: return f(std::type_identity<float>{});
    case ScalarType::F64: break;
  }
  return f(std::type_identity<double>{});
}

/// Throws ReductionError unless `op` applies to `t`.
inline void check_supported(ScalarType t, ReductionOp op) {
  if (!supports(t, op))
    throw ReductionError(std::string("reduction '") + to_string(op) + "' is not defined for " + to_string(t) +
                         " (bitwise operators need an integer type)");
}

namespace detail {
/// Calls f(integral_constant<Op>) for the run-time op on T; throws ReductionError when it does not apply.
template <ReductionScalar T, class F>
void dispatch_or_throw(ReductionOp op, F&& f) {
  if (!dispatch<T>(op, std::forward<F>(f))) check_supported(scalar_type_of<T>, op);
}
}  // namespace detail

/// inout[i] = inout[i] ⊕ in[i] for i < count (the accumulator on the left). Throws ReductionError for an
/// operator that does not apply to `type`. `in` and `inout` may be the same array.
inline void reduce_arrays(ScalarType type, ReductionOp op, const void* in, void* inout, std::size_t count) {
  visit_scalar_type(type, [&]<class T>(std::type_identity<T>) {
    detail::dispatch_or_throw<T>(op, [&](auto o) {
      const T* a = static_cast<const T*>(in);
      T* acc = static_cast<T*>(inout);
      for (std::size_t i = 0; i < count; ++i) acc[i] = Reducer<decltype(o)::value, T>::apply(acc[i], a[i]);
    });
  });
}

/// out[i] = identity ⊕ inputs[0][i] ⊕ inputs[1][i] ⊕ … ⊕ inputs[n-1][i] for i < count: the rank-order
/// combination every collective uses, cache-blocked (each block is accumulated in a local buffer). `out` may
/// be any one of the inputs (in place) but must not partially overlap one. With n == 0, out is filled with
/// the identity.
inline void fold_arrays(ScalarType type, ReductionOp op, const void* const* inputs, std::size_t n, void* out,
                        std::size_t count) {
  visit_scalar_type(type, [&]<class T>(std::type_identity<T>) {
    detail::dispatch_or_throw<T>(op, [&](auto o) {
      using R = Reducer<decltype(o)::value, T>;
      T* dst = static_cast<T*>(out);
      constexpr std::size_t kBlock = 1024;  // 4–8 KiB accumulator: stays in L1 while the inputs stream by
      T acc[kBlock];
      for (std::size_t b = 0; b < count; b += kBlock) {
        const std::size_t len = count - b < kBlock ? count - b : kBlock;
        for (std::size_t i = 0; i < len; ++i) acc[i] = R::identity();
        for (std::size_t r = 0; r < n; ++r) {
          const T* src = static_cast<const T*>(inputs[r]) + b;
          for (std::size_t i = 0; i < len; ++i) acc[i] = R::apply(acc[i], src[i]);
        }
        for (std::size_t i = 0; i < len; ++i) dst[b + i] = acc[i];
      }
    });
  });
}

/// identity ⊕ x[0] ⊕ … ⊕ x[n-1], left to right: the local step of the determinism rule.
template <ReductionScalar T>
T fold(std::span<const T> input, ReductionOp op) {
  T acc{};
  detail::dispatch_or_throw<T>(op, [&](auto o) {
    using R = Reducer<decltype(o)::value, T>;
    acc = R::identity();
    for (const T x : input) acc = R::apply(acc, x);
  });
  return acc;
}

/// One participant's handle on a global reduction among `participants()` participants (simulated devices,
/// GPUs, processes). Every operation is collective: all participants call it, in the same sequence, with
/// the same count, type and operator; each call blocks until the participant holds the result. A handle
/// is used by one thread at a time; different participants' handles are used concurrently.
/// Results follow the determinism rule at the top of this file.
class GlobalReduction {
 public:
  virtual ~GlobalReduction() = default;

  /// Number of participants taking part in every call.
  virtual std::uint32_t participants() const = 0;
  /// This participant's position in the combination order, 0..participants()-1.
  virtual std::uint32_t rank() const = 0;

  /// Element-wise all-reduce: out[i] = identity ⊕ in_0[i] ⊕ … ⊕ in_{N-1}[i] (in the implementation's
  /// documented order) on every participant. `in` and `out` hold `count` elements of `type`; they may be
  /// the same array (in place) but must not otherwise overlap. Throws ReductionError when `op` does not
  /// apply to `type` (every participant throws, none blocks).
  virtual void all_reduce_bytes(const void* in, void* out, std::size_t count, ScalarType type,
                                ReductionOp op) = 0;

  /// Typed element-wise all-reduce; `in` and `out` must have the same size.
  template <ReductionScalar T>
  void all_reduce(std::span<const T> in, std::span<T> out, ReductionOp op) {
    if (in.size() != out.size())
      throw ReductionError("all_reduce: input has " + std::to_string(in.size()) + " elements, output " +
                           std::to_string(out.size()));
    check_supported(scalar_type_of<T>, op);
    all_reduce_bytes(in.data(), out.data(), in.size(), scalar_type_of<T>, op);
  }

  /// Reduces every participant's `input` to one value: folds the local slice left to right from the
  /// identity, then combines the participants' partials in rank order. Returns the exact global result on
  /// EVERY participant (not only rank 0): the host collectives are all-reduces, and a uniform contract
  /// avoids rank-dependent code. Slices may differ in length between participants (also empty).
  template <ReductionScalar T>
  T reduce(std::span<const T> input, ReductionOp op) {
    const T local = fold(input, op);
    T global{};
    all_reduce_bytes(&local, &global, 1, scalar_type_of<T>, op);
    return global;
  }

  /// Same result as reduce(), guaranteed identical on every participant (the seed's "reduce and
  /// broadcast"). Kept as its own name so code ported from the seed reads the same.
  template <ReductionScalar T>
  T reduce_and_broadcast(std::span<const T> input, ReductionOp op) {
    return reduce(input, op);
  }

  /// Convenience: all-reduce of one value per participant.
  template <ReductionScalar T>
  T all_reduce_value(T local, ReductionOp op) {
    T global{};
    check_supported(scalar_type_of<T>, op);
    all_reduce_bytes(&local, &global, 1, scalar_type_of<T>, op);
    return global;
  }
};

}  // namespace rk
