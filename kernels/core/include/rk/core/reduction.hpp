// Reduction operators and the scalar types they apply to. An operator known at compile time is
// checked at compile time (a bitwise reduction of a float does not compile); an operator chosen at
// run time (from a scenario) goes through the checked `reduce(op, …)` form, which refuses invalid pairs.
#pragma once

#include "rk/core/config.hpp"

namespace rk {

enum class ReductionOp : std::uint8_t { Sum, Min, Max, And, Or, Xor, Product };

inline constexpr std::uint32_t kReductionOpCount = 7;
/// Every operator, for host-side loops (device code iterates 0..kReductionOpCount-1 instead).
inline constexpr ReductionOp kAllReductionOps[] = {ReductionOp::Sum, ReductionOp::Min, ReductionOp::Max,
                                                   ReductionOp::And, ReductionOp::Or,  ReductionOp::Xor,
                                                   ReductionOp::Product};

RK_HOST_DEVICE constexpr bool is_bitwise(ReductionOp op) {
  return op == ReductionOp::And || op == ReductionOp::Or || op == ReductionOp::Xor;
}

RK_HOST_DEVICE constexpr const char* to_string(ReductionOp op) {
  switch (op) {
    case ReductionOp::Sum: return "sum";
    case ReductionOp::Min: return "min";
    case ReductionOp::Max: return "max";
    case ReductionOp::And: return "and";
    case ReductionOp::Or: return "or";
    case ReductionOp::Xor: return "xor";
    case ReductionOp::Product: return "product";
  }
  return "?";
}

/// The six scalar types reductions support.
template <class T>
concept ReductionScalar = std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> ||
                          std::is_same_v<T, std::uint32_t> || std::is_same_v<T, std::uint64_t> ||
                          std::is_same_v<T, float> || std::is_same_v<T, double>;

/// Whether `op` applies to T (bitwise operators need integers).
template <ReductionScalar T>
RK_HOST_DEVICE constexpr bool supports(ReductionOp op) {
  return std::is_integral_v<T> || !is_bitwise(op);
}

namespace detail {
template <class T>
RK_HOST_DEVICE constexpr T max_value() {
  if constexpr (std::is_same_v<T, float>) return __builtin_huge_valf();
  else if constexpr (std::is_same_v<T, double>) return __builtin_huge_val();
  else if constexpr (std::is_signed_v<T>) return static_cast<T>(~std::make_unsigned_t<T>{0} >> 1);
  else return static_cast<T>(~T{0});
}
template <class T>
RK_HOST_DEVICE constexpr T lowest_value() {
  if constexpr (std::is_floating_point_v<T>) return -max_value<T>();
  else if constexpr (std::is_signed_v<T>) return static_cast<T>(-max_value<T>() - 1);
  else return T{0};
}
}  // namespace detail

/// Operator `Op` on T, resolved at compile time.
template <ReductionOp Op, ReductionScalar T>
struct Reducer {
  static_assert(!is_bitwise(Op) || std::is_integral_v<T>,
                "bitwise reductions (And, Or, Xor) are only defined for integer types");

  /// The identity element: reduce(identity(), x) == x.
  RK_HOST_DEVICE static constexpr T identity() {
    if constexpr (Op == ReductionOp::Sum || Op == ReductionOp::Or || Op == ReductionOp::Xor) return T{0};
    else if constexpr (Op == ReductionOp::Product) return T{1};
    else if constexpr (Op == ReductionOp::Min) return detail::max_value<T>();
    else if constexpr (Op == ReductionOp::Max) return detail::lowest_value<T>();
    else return static_cast<T>(~T{0});  // And
  }
  /// Unsigned wrap-around for integer Sum/Product, as on the GPU. Min/Max of floats follow fmin/fmax
  /// ordering for non-NaN inputs.
  RK_HOST_DEVICE static constexpr T apply(T a, T b) {
    if constexpr (Op == ReductionOp::Sum) {
      if constexpr (std::is_integral_v<T>)
        return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) + static_cast<std::make_unsigned_t<T>>(b));
      else return a + b;
    } else if constexpr (Op == ReductionOp::Product) {
      if constexpr (std::is_integral_v<T>)
        return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) * static_cast<std::make_unsigned_t<T>>(b));
      else return a * b;
    } else if constexpr (Op == ReductionOp::Min) {
      return b < a ? b : a;
    } else if constexpr (Op == ReductionOp::Max) {
      return a < b ? b : a;
    } else if constexpr (Op == ReductionOp::And) {
      return a & b;
    } else if constexpr (Op == ReductionOp::Or) {
      return a | b;
    } else {
      return a ^ b;
    }
  }
};

template <ReductionOp Op, ReductionScalar T>
RK_HOST_DEVICE constexpr T identity() {
  return Reducer<Op, T>::identity();
}
template <ReductionOp Op, ReductionScalar T>
RK_HOST_DEVICE constexpr T reduce(T a, T b) {
  return Reducer<Op, T>::apply(a, b);
}

/// Calls `f(std::integral_constant<ReductionOp, Op>{})` for the run-time `op`; returns false (and does
/// not call f) when op does not apply to T.
template <ReductionScalar T, class F>
RK_HOST_DEVICE constexpr bool dispatch(ReductionOp op, F&& f) {
  switch (op) {
    case ReductionOp::Sum: f(std::integral_constant<ReductionOp, ReductionOp::Sum>{}); return true;
    case ReductionOp::Min: f(std::integral_constant<ReductionOp, ReductionOp::Min>{}); return true;
    case ReductionOp::Max: f(std::integral_constant<ReductionOp, ReductionOp::Max>{}); return true;
    case ReductionOp::Product: f(std::integral_constant<ReductionOp, ReductionOp::Product>{}); return true;
    default: break;
  }
  if constexpr (std::is_integral_v<T>) {
    switch (op) {
      case ReductionOp::And: f(std::integral_constant<ReductionOp, ReductionOp::And>{}); return true;
      case ReductionOp::Or: f(std::integral_constant<ReductionOp, ReductionOp::Or>{}); return true;
      case ReductionOp::Xor: f(std::integral_constant<ReductionOp, ReductionOp::Xor>{}); return true;
      default: break;
    }
  }
  return false;
}

/// Run-time identity; false when op does not apply to T.
template <ReductionScalar T>
RK_HOST_DEVICE constexpr bool identity(ReductionOp op, T& out) {
  return dispatch<T>(op, [&](auto o) { out = Reducer<decltype(o)::value, T>::identity(); });
}
/// Run-time reduce; false when op does not apply to T.
template <ReductionScalar T>
RK_HOST_DEVICE constexpr bool reduce(ReductionOp op, T a, T b, T& out) {
  return dispatch<T>(op, [&](auto o) { out = Reducer<decltype(o)::value, T>::apply(a, b); });
}

}  // namespace rk
