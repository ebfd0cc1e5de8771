// Internal: the run's clock and stop flag as the workload sees them (Control), and the progress line
// drawn on a terminal while the workload runs (ProgressLine).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "rk/workloads/workload.hpp"

namespace rk::harness {

using Clock = std::chrono::steady_clock;

/// Stop flag, progress and the run clock for the workload.
class Control final : public workloads::RunControl {
 public:
  explicit Control(Clock::time_point origin) : origin_(origin) {}
  bool stop_requested() const override;
  void progress(std::uint64_t done, std::uint64_t planned) override {
    done_.store(done, std::memory_order_relaxed);
    planned_.store(planned, std::memory_order_relaxed);
  }
  std::uint64_t now_ns() const override {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - origin_).count());
  }
  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  std::uint64_t planned() const { return planned_.load(std::memory_order_relaxed); }
  Clock::time_point origin() const { return origin_; }

 private:
  Clock::time_point origin_;
  std::atomic<std::uint64_t> done_{0}, planned_{0};
};

/// Redraws "12.3s  1200 messages  97.5k/s  ETA 4.1s" on stderr every 200 ms until stopped, then clears it.
class ProgressLine {
 public:
  /// `planned_time`: the scenario's warmup + duration, for an ETA when the workload plans no count.
  ProgressLine(const Control& ctl, std::optional<std::chrono::nanoseconds> planned_time);
  ~ProgressLine() { stop(); }
  void stop();

 private:
  void draw() const;

  const Control& ctl_;
  std::optional<std::chrono::nanoseconds> planned_time_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
};

/// "1.23M/s", "45.6k/s", "789/s".
std::string human_rate(double per_s);

}  // namespace rk::harness
