// The synthetic workloads: ping_pong, pipeline, fan_out, all_to_all.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "rk/workloads/workload.hpp"

namespace rk::workloads::synthetic {

/// Every synthetic workload with its factory.
std::vector<WorkloadInfo> workloads();

/// Atomics for the bounce baseline, each alone in its cache line, one per 4 KiB page and at a different
/// line within its page, so that together they spread over the last-level cache's slices.
class BounceLines {
 public:
  explicit BounceLines(std::uint32_t count);
  std::uint32_t count() const { return count_; }
  std::atomic<std::uint64_t>& line(std::uint32_t i) const;

 private:
  struct PageDeleter { void operator()(std::byte* p) const; };
  std::unique_ptr<std::byte, PageDeleter> pages_;
  std::uint32_t count_;
};

/// Two threads bouncing one atomic: the physical floor of a cross-core round trip on this machine.
/// On a CPU whose last-level cache is sliced (a mesh or ring of cores), that floor depends on which
/// slice the line maps to: on the 2-core development VM the p50 of one line ranges from 216 to 451 ns
/// over 64 lines, the same for a given line every time. So the samples are shared evenly among the
/// lines of `lines`, one atomic at a time (a few unrecorded bounces after each switch), like the slots
/// of a ring (ping_pong compares its round trip with the mean of the lines' p50s). Returns up to
/// `samples` round-trip times in ns (fewer when `stop()` becomes true);
/// `per_line` (when given, `lines.count()` long) receives each line's samples too.
std::vector<std::uint64_t> atomic_bounce_round_trips(std::uint64_t samples, const std::function<bool()>& stop,
                                                     const BounceLines& lines,
                                                     std::vector<std::vector<std::uint64_t>>* per_line = nullptr);

}  // namespace rk::workloads::synthetic
