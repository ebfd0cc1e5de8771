// A bounded latency histogram for the percentiles a workload reports itself (its summary figures and
// /workloads attributes), so that a run of any length needs no per-message memory. HDR-style log-linear
// buckets: every value below 256 has a bucket of its own; above, each power of two [2^k, 2^(k+1)) is split
// into 128 buckets of equal width 2^(k-7). A percentile is the nearest-rank sample's bucket, reported as
// the bucket's midpoint (clamped to the smallest and largest value counted), so it differs from the exact
// nearest-rank percentile of the same samples by at most half a bucket: 0 below 256, and at most 1/256 of
// the value above (`error_bound`). The exact percentiles are the results file's (/latency/<probe>
// attributes, computed by harness/record from every sample on disk).
//
// Memory: counters in 57 ranges (values below 256: 2 KiB; each further power of two: 1 KiB), a range
// allocated when a value first falls in it, so a histogram of latencies spanning 100 ns to 10 ms holds
// 18 KiB, whatever the number of samples.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <utility>

namespace rk::workloads {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;  // 128 per range
  /// Range 0 holds the values 0..255 (width 1); range r ≥ 1 the values [2^(r+7), 2^(r+8)) in buckets of width 2^r.
  static constexpr std::size_t kRanges = 64 - kSubBucketBits;  // range 0 (256 buckets) + 56 ranges of 128
  static constexpr std::size_t kRange0 = 2 * kSubBuckets;

  LatencyHistogram() = default;
  LatencyHistogram(LatencyHistogram&&) noexcept = default;
  LatencyHistogram& operator=(LatencyHistogram&&) noexcept = default;
  LatencyHistogram(const LatencyHistogram& o) { *this = o; }
  LatencyHistogram& operator=(const LatencyHistogram& o) {
    if (this == &o) return *this;
    reset();
    merge(o);
    return *this;
  }

  void record(std::uint64_t v) {
    const auto [range, index] = locate(v);
    std::uint64_t* counts = ranges_[range].get();
    if (counts == nullptr) {
      ranges_[range] = std::make_unique<std::uint64_t[]>(range_size(range));  // zeroed
      counts = ranges_[range].get();
    }
    ++counts[index];
    ++count_;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  void record(std::span<const std::uint64_t> values) {
    for (const std::uint64_t v : values) record(v);
  }

  /// Adds every count of `o` (the result is the histogram of both sets of samples).
  void merge(const LatencyHistogram& o) {
    for (std::size_t r = 0; r < ranges_.size(); ++r) {
      if (!o.ranges_[r]) continue;
      if (!ranges_[r]) ranges_[r] = std::make_unique<std::uint64_t[]>(range_size(r));
      for (std::size_t i = 0; i < range_size(r); ++i) ranges_[r][i] += o.ranges_[r][i];
    }
    count_ += o.count_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }

  void reset() {
    for (auto& r : ranges_) r.reset();
    count_ = 0;
    min_ = std::numeric_limits<std::uint64_t>::max();
    max_ = 0;
  }

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] bool empty() const { return count_ == 0; }
  /// Smallest and largest value counted (exact); 0 when empty.
  [[nodiscard]] std::uint64_t min() const { return count_ ? min_ : 0; }
  [[nodiscard]] std::uint64_t max() const { return max_; }

  /// The nearest-rank percentile numerator/denominator (50/100: p50, 999/1000: p99.9), rank
  /// ceil(n·num/den) clamped to 1..n in integer arithmetic as harness/record does; within `error_bound`
  /// of the exact one. 0 when empty.
  [[nodiscard]] std::uint64_t percentile(std::uint64_t numerator, std::uint64_t denominator) const {
    if (count_ == 0) return 0;
    const auto wide = (static_cast<unsigned __int128>(count_) * numerator + denominator - 1) / denominator;
    return value_at_rank(std::clamp<std::uint64_t>(static_cast<std::uint64_t>(wide), 1, count_));
  }
  [[nodiscard]] std::uint64_t p50() const { return percentile(50, 100); }
  [[nodiscard]] std::uint64_t p99() const { return percentile(99, 100); }

  /// The rank-th smallest value counted (1-based, 1..count()) to within `error_bound`.
  [[nodiscard]] std::uint64_t value_at_rank(std::uint64_t rank) const {
    std::uint64_t below = 0;
    for (std::size_t r = 0; r < ranges_.size(); ++r) {
      const std::uint64_t* counts = ranges_[r].get();
      if (counts == nullptr) continue;
      for (std::size_t i = 0; i < range_size(r); ++i) {
        below += counts[i];
        if (below >= rank) {
          const auto [lowest, width] = bucket(r, i);
          return std::clamp(lowest + width / 2, min_, max_);
        }
      }
    }
    return max_;
  }

  /// The most a reported percentile whose exact value is `v` can differ from it: half its bucket's width
  /// (0 below 256, at most v/256 above).
  [[nodiscard]] static std::uint64_t error_bound(std::uint64_t v) {
    const auto [range, index] = locate(v);
    return bucket(range, index).second / 2;
  }

  /// Bytes of counters held (grows with the ranges the values span, never with their number).
  [[nodiscard]] std::size_t bytes() const {
    std::size_t b = 0;
    for (std::size_t r = 0; r < ranges_.size(); ++r)
      if (ranges_[r]) b += range_size(r) * sizeof(std::uint64_t);
    return b;
  }

 private:
  static constexpr std::size_t range_size(std::size_t r) { return r == 0 ? kRange0 : kSubBuckets; }

  /// (range, index in the range) of value v.
  static std::pair<std::size_t, std::size_t> locate(std::uint64_t v) {
    if (v < kRange0) return {0, static_cast<std::size_t>(v)};
    const unsigned shift = static_cast<unsigned>(std::bit_width(v)) - 1 - kSubBucketBits;  // ≥ 1
    return {shift, static_cast<std::size_t>((v >> shift) - kSubBuckets)};
  }

  /// Lowest value of a bucket and its width.
  static std::pair<std::uint64_t, std::uint64_t> bucket(std::size_t r, std::size_t i) {
    if (r == 0) return {i, 1};
    return {(kSubBuckets + i) << r, std::uint64_t{1} << r};
  }

  std::array<std::unique_ptr<std::uint64_t[]>, kRanges> ranges_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace rk::workloads
