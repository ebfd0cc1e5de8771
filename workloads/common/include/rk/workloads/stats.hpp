// Summary statistics the workload drivers report over their samples.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rk::workloads {

/// Nearest-rank percentile of unsorted samples (taken by value): the ceil(q·n)-th smallest, at least the
/// smallest; T{} when there are none. Integer samples (ns) here, per-repetition figures in rk::compare;
/// T defaults to uint64 for a braced list (`percentile({7}, 0.99)`).
template <class T = std::uint64_t>
inline T percentile(std::vector<T> v, double q) {
  if (v.empty()) return T{};
  const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q * static_cast<double>(v.size()))));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
  return v[rank - 1];
}

}  // namespace rk::workloads
