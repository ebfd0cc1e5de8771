// Queue capacity tiers, a factory that builds rings by tier, and a monitor that grades queue pressure.
#pragma once

#include "rk/core/ring.hpp"

#if !RK_DEVICE_CODE
#include <chrono>
#include <memory>
#endif

namespace rk {

enum class QueueTier : std::uint8_t {
  Small,      ///<   256 messages: low traffic
  Medium,     ///<  1024 messages: moderate traffic (default)
  Large,      ///<  4096 messages: high traffic
  ExtraLarge  ///< 16384 messages: very high traffic
};

RK_HOST_DEVICE constexpr std::uint32_t capacity(QueueTier t) {
  switch (t) {
    case QueueTier::Small: return 256;
    case QueueTier::Medium: return 1024;
    case QueueTier::Large: return 4096;
    case QueueTier::ExtraLarge: return 16384;
  }
  return 1024;
}

RK_HOST_DEVICE constexpr QueueTier upgrade(QueueTier t) {
  return t == QueueTier::ExtraLarge ? t : static_cast<QueueTier>(static_cast<std::uint8_t>(t) + 1);
}
RK_HOST_DEVICE constexpr QueueTier downgrade(QueueTier t) {
  return t == QueueTier::Small ? t : static_cast<QueueTier>(static_cast<std::uint8_t>(t) - 1);
}

/// The smallest tier that buffers `target_headroom_ms` of traffic at `messages_per_second`
/// (ExtraLarge when none does).
RK_HOST_DEVICE constexpr QueueTier for_throughput(std::uint64_t messages_per_second,
                                                  std::uint64_t target_headroom_ms) {
  // messages_per_second × target_headroom_ms / 1000, rounded up, without overflowing.
  const std::uint64_t whole = (messages_per_second / 1000) * target_headroom_ms;
  if (target_headroom_ms != 0 && whole / target_headroom_ms != messages_per_second / 1000) return QueueTier::ExtraLarge;
  const std::uint64_t rest = ((messages_per_second % 1000) * target_headroom_ms + 999) / 1000;
  if (whole > ~std::uint64_t{0} - rest) return QueueTier::ExtraLarge;
  const std::uint64_t needed = whole + rest;
  for (QueueTier t : {QueueTier::Small, QueueTier::Medium, QueueTier::Large}) {
    if (needed <= capacity(t)) return t;
  }
  return QueueTier::ExtraLarge;
}

RK_HOST_DEVICE constexpr const char* to_string(QueueTier t) {
  switch (t) {
    case QueueTier::Small: return "small";
    case QueueTier::Medium: return "medium";
    case QueueTier::Large: return "large";
    case QueueTier::ExtraLarge: return "extra_large";
  }
  return "?";
}

#if !RK_DEVICE_CODE
/// Builds host-memory rings sized by tier.
struct QueueFactory {
  template <class T>
  static OwnedRing<SpscRing<T>> create_spsc(QueueTier tier, RingOptions opts = {}) {
    return OwnedRing<SpscRing<T>>(capacity(tier), opts);
  }
  template <class T>
  static OwnedRing<MpscRing<T>> create_mpsc(QueueTier tier, RingOptions opts = {}) {
    return OwnedRing<MpscRing<T>>(capacity(tier), opts);
  }
};

enum class PressureLevel : std::uint8_t { Normal, Warning, Critical };

inline const char* to_string(PressureLevel p) {
  return p == PressureLevel::Normal ? "normal" : p == PressureLevel::Warning ? "warning" : "critical";
}

struct QueueMonitorConfig {
  double warning_threshold = 0.75;   ///< fraction of capacity
  double critical_threshold = 0.90;  ///< fraction of capacity
  std::chrono::milliseconds sample_interval{100};
};

struct QueueHealth {
  std::uint64_t current_depth = 0;
  std::uint64_t capacity = 0;
  double utilization = 0.0;
  PressureLevel pressure_level = PressureLevel::Normal;
  bool is_healthy = true;  ///< below the critical threshold
};

/// Grades a ring's fill level against thresholds and keeps its statistics at hand. It only reads the
/// ring, so it may run on any thread.
template <class Ring>
class QueueMonitor {
 public:
  QueueMonitor(Ring ring, QueueMonitorConfig cfg = {}) : ring_(ring), cfg_(cfg) {}

  QueueHealth check_health() const {
    QueueHealth h;
    h.current_depth = ring_.size();
    h.capacity = ring_.capacity();
    h.utilization = h.capacity ? static_cast<double>(h.current_depth) / static_cast<double>(h.capacity) : 0.0;
    h.pressure_level = h.utilization >= cfg_.critical_threshold  ? PressureLevel::Critical
                       : h.utilization >= cfg_.warning_threshold ? PressureLevel::Warning
                                                                 : PressureLevel::Normal;
    h.is_healthy = h.pressure_level != PressureLevel::Critical;
    return h;
  }
  QueueStatistics metrics() const { return ring_.statistics(); }
  /// The tier a ring under this pressure should move to (up when critical, down when nearly idle).
  QueueTier suggest_tier(QueueTier current) const {
    const QueueHealth h = check_health();
    if (h.pressure_level == PressureLevel::Critical) return upgrade(current);
    if (h.utilization < 0.10 && metrics().peak_depth < capacity(downgrade(current)) / 2) return downgrade(current);
    return current;
  }
  const QueueMonitorConfig& config() const { return cfg_; }

 private:
  Ring ring_;
  QueueMonitorConfig cfg_;
};
#endif

}  // namespace rk
