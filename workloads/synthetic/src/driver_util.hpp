// Host-side helpers shared by the synthetic drivers: control messages, report collection,
// latency bookkeeping (samples stream to the sink through rk/workloads/latency_stream.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "rk/core/runtime.hpp"
#include "rk/workloads/latency_stream.hpp"
#include "rk/workloads/stats.hpp"
#include "rk/workloads/synthetic/messages.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::workloads::synthetic::detail {

using Clock = std::chrono::steady_clock;

inline std::uint64_t ns_since(Clock::time_point t0) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

/// Send a control message, retrying while the kernel's input ring is full.
inline void send_control(RingKernelRuntime& rt, KernelId k, Control::Op op, std::uint64_t arg,
                         std::chrono::nanoseconds timeout = std::chrono::seconds(10)) {
  Slot s{};
  s.header.priority = priority::kHigh;
  encode(s, Control{op, 0, arg});
  const SendStatus st = rt.send(k, s, timeout);
  if (st != SendStatus::Ok)
    throw WorkloadError(std::string("cannot send a control message to kernel ") + std::to_string(k) + ": " + to_string(st));
}

/// Receive from `k` until a Report arrives; other messages go to `other`.
inline Report await_report(RingKernelRuntime& rt, KernelId k, const std::function<void(const Slot&)>& other,
                           std::chrono::nanoseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Slot s;
  for (;;) {
    const auto left = deadline - Clock::now();
    if (left <= std::chrono::nanoseconds(0) ||
        rt.receive(k, s, std::chrono::duration_cast<std::chrono::nanoseconds>(left)) != QueueStatus::Ok)
      throw WorkloadError("kernel " + std::to_string(k) + " did not answer a query in time");
    if (s.header.type_id == Report::kTypeId) {
      Report r{};
      decode(s, r);
      return r;
    }
    if (other) other(s);
  }
}

/// Query kernels until none has a backlog left (each query also flushes it); returns the reports.
inline std::vector<Report> settle(RingKernelRuntime& rt, const std::vector<KernelId>& kernels,
                                  const std::function<void(const Slot&)>& other, std::chrono::nanoseconds timeout,
                                  const std::function<bool(const std::vector<Report>&)>& done_extra = {}) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::vector<Report> reports;
    bool backlog = false;
    for (KernelId k : kernels) {
      send_control(rt, k, Control::Query, 0);
      reports.push_back(await_report(rt, k, other, timeout));
      backlog = backlog || reports.back().backlog > 0;
    }
    if ((!backlog && (!done_extra || done_extra(reports))) || Clock::now() > deadline) return reports;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

/// The latency probe the scenario names for `to` (or the first one, or `fallback`).
inline std::string probe_name(const RunLimits& limits, const std::string& to, const std::string& fallback) {
  for (const auto& p : limits.latency_probes)
    if (p.to == to) return p.name;
  return limits.latency_probes.empty() ? fallback : limits.latency_probes.front().name;
}

/// Whether the run has reached its planned end (iterations done or deadline passed).
struct Plan {
  std::uint64_t iterations = 0;  // 0: run by duration
  Clock::time_point deadline{};
  bool done(std::uint64_t completed) const {
    return iterations ? completed >= iterations : Clock::now() >= deadline;
  }
  static Plan from(const RunLimits& l, std::uint64_t default_iterations) {
    Plan p;
    if (l.iterations) p.iterations = *l.iterations;
    else if (l.duration) p.deadline = Clock::now() + *l.duration;
    else p.iterations = default_iterations;
    return p;
  }
};

inline std::string fmt_ns(std::uint64_t ns) { return std::to_string(ns) + " ns"; }

/// The summary row that says how exact the percentiles above it are (those of a LatencyHistogram).
inline std::pair<std::string, std::string> percentile_precision_figure() {
  return {"percentiles above", "whole-run ones from a histogram, within 0.4% (1/256); exact: the file's /latency attributes"};
}

}  // namespace rk::workloads::synthetic::detail
