// Test oracle for global reductions, shared by tests/collective and tests/mpi (no gtest dependency):
// deterministic inputs, sequential references written with plain operators (independent of
// rk::Reducer) in the documented order, bit comparison, and the float tolerance against long double.
//
// Tolerances (floats; integers are always compared exactly):
//   Sum:      |r − S| ≤ n · ε · Σ|x_i|   S the long double sum, n the number of addends, ε machine epsilon of T
//   Product:  |r − P| ≤ n · ε · |P|      factors in [0.99, 1.01], so no overflow or underflow
//   Min, Max: r == the exact extreme (comparison is exact in any order)
// These are the classic recursive-summation/product error bounds (γ_{n-1} with u = ε/2) with margin.
#pragma once

#include <bit>
#include <cmath>
#include <exception>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <thread>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "rk/core/global_reduction.hpp"

namespace rk::test {

using ScalarTypes6 = std::tuple<std::int32_t, std::int64_t, std::uint32_t, std::uint64_t, float, double>;

template <class T>
bool same_bits(T a, T b) {
  if constexpr (std::is_same_v<T, float>) return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
  else if constexpr (std::is_same_v<T, double>) return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
  else return a == b;
}

template <class T>
bool same_bits(std::span<const T> a, std::span<const T> b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_bits(a[i], b[i])) return false;
  return true;
}

/// The identity, from numeric_limits rather than rk::Reducer.
template <class T>
T ref_identity(ReductionOp op) {
  switch (op) {
    case ReductionOp::Sum: return T(0);
    case ReductionOp::Product: return T(1);
    case ReductionOp::Min:
      return std::is_floating_point_v<T> ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
    case ReductionOp::Max:
      return std::is_floating_point_v<T> ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    case ReductionOp::Or:
    case ReductionOp::Xor: return T(0);
    case ReductionOp::And:
      if constexpr (std::is_integral_v<T>) return static_cast<T>(~std::make_unsigned_t<T>(0));
      else return T(0);
  }
  return T(0);
}

/// a ⊕ b with plain operators; integer Sum/Product wrap (computed unsigned); Min/Max keep `a` on ties.
template <class T>
T ref_apply(ReductionOp op, T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    switch (op) {
      case ReductionOp::Sum: return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
      case ReductionOp::Product: return static_cast<T>(static_cast<U>(static_cast<U>(a) * static_cast<U>(b)));
      case ReductionOp::And: return static_cast<T>(a & b);
      case ReductionOp::Or: return static_cast<T>(a | b);
      case ReductionOp::Xor: return static_cast<T>(a ^ b);
      default: break;
    }
  } else {
    switch (op) {
      case ReductionOp::Sum: return a + b;
      case ReductionOp::Product: return a * b;
      default: break;
    }
  }
  if (op == ReductionOp::Min) return b < a ? b : a;
  return a < b ? b : a;  // Max
}

/// identity ⊕ x[0] ⊕ … ⊕ x[n-1].
template <class T>
T ref_fold(ReductionOp op, std::span<const T> x) {
  T acc = ref_identity<T>(op);
  for (const T v : x) acc = ref_apply(op, acc, v);
  return acc;
}

/// Flat element-wise reference: out[i] = identity ⊕ in[0][i] ⊕ … ⊕ in[N-1][i].
template <class T>
std::vector<T> ref_elementwise(ReductionOp op, const std::vector<std::vector<T>>& in) {
  std::vector<T> out(in.empty() ? 0 : in[0].size(), ref_identity<T>(op));
  for (const auto& row : in)
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = ref_apply(op, out[i], row[i]);
  return out;
}

/// Two-level reference (HierarchicalReduction's order): in[process][device] arrays; devices folded within a
/// process, then processes in rank order.
template <class T>
std::vector<T> ref_hierarchical(ReductionOp op, const std::vector<std::vector<std::vector<T>>>& in) {
  std::vector<std::vector<T>> partials;
  for (const auto& process : in) partials.push_back(ref_elementwise(op, process));
  return ref_elementwise(op, partials);
}

/// Deterministic input for (seed, op): full-range integers (sums and products wrap; And/Or biased so
/// the result is not trivially 0 or ~0); floats of mixed magnitude and sign so the order shows in the
/// last bits, factors near 1 for Product, and signed zeros for Min/Max ties.
template <class T>
std::vector<T> make_input(std::uint64_t seed, std::size_t n, ReductionOp op) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(op) + 1);
  std::vector<T> v(n);
  for (auto& x : v) {
    if constexpr (std::is_integral_v<T>) {
      std::uint64_t r = rng();
      if (op == ReductionOp::And) r |= rng() | rng();
      if (op == ReductionOp::Or) r &= rng() & rng();
      x = static_cast<T>(r);
    } else if (op == ReductionOp::Product) {
      x = static_cast<T>(std::uniform_real_distribution<double>(0.99, 1.01)(rng));
    } else if ((op == ReductionOp::Min || op == ReductionOp::Max) && rng() % 8 == 0) {
      x = rng() % 2 ? T(0.0) : T(-0.0);
    } else {
      const double m = std::uniform_real_distribution<double>(-1.0, 1.0)(rng);
      const int e = static_cast<int>(rng() % 10) - 3;
      x = static_cast<T>(std::ldexp(m, 3 * e));
    }
  }
  return v;
}

/// The float tolerance check (header comment) of `result` against the exact reduction of `values`;
/// returns an empty string when within tolerance, else a description.
template <class T>
std::string check_tolerance(ReductionOp op, T result, std::span<const T> values) {
  if constexpr (std::is_integral_v<T>) {
    return {};
  } else {
    const long double eps = std::numeric_limits<T>::epsilon();
    const auto n = static_cast<long double>(values.size());
    long double exact = 0;
    long double bound = 0;
    switch (op) {
      case ReductionOp::Sum: {
        long double abs_sum = 0;
        for (const T v : values) {
          exact += v;
          abs_sum += std::fabs(static_cast<long double>(v));
        }
        bound = n * eps * abs_sum;
        break;
      }
      case ReductionOp::Product: {
        exact = 1;
        for (const T v : values) exact *= v;
        bound = n * eps * std::fabs(exact);
        break;
      }
      case ReductionOp::Min:
      case ReductionOp::Max: {
        exact = op == ReductionOp::Min ? std::numeric_limits<long double>::infinity()
                                       : -std::numeric_limits<long double>::infinity();
        for (const T v : values) exact = op == ReductionOp::Min ? std::fmin(exact, v) : std::fmax(exact, v);
        bound = 0;
        break;
      }
      default: return "bitwise operator on a float";
    }
    const long double err = std::fabs(static_cast<long double>(result) - exact);
    if (err <= bound) return {};
    return std::string(to_string(op)) + ": |" + std::to_string(static_cast<double>(result)) + " - " +
           std::to_string(static_cast<double>(exact)) + "| = " + std::to_string(static_cast<double>(err)) +
           " > " + std::to_string(static_cast<double>(bound));
  }
}

/// Runs fn(rank) on n threads (one per simulated device) and joins them; rethrows the lowest rank's exception.
template <class F>
void run_team(std::uint32_t n, F&& fn) {
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::thread> team;
  team.reserve(n);
  for (std::uint32_t r = 0; r < n; ++r)
    team.emplace_back([&, r] {
      try {
        fn(r);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (auto& t : team) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace rk::test
