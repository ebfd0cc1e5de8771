// The rows of the fixed-layout time series: one TelemetryRow per telemetry snapshot of a kernel and one
// Event per lifecycle transition, warning or error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rk::record {

/// One snapshot of a kernel's TelemetryBuffer and ControlBlock counters, taken by the host at `t_ns`.
/// Stored field by field (same names) in /telemetry/<kernel_id>/samples.
struct TelemetryRow {
  std::uint64_t t_ns = 0;               ///< Run clock (ns since the run's origin) when the snapshot was taken.
  std::uint64_t messages_processed = 0;
  std::uint64_t messages_dropped = 0;
  std::uint64_t total_latency_ns = 0;   ///< Sum of per-message processing latency.
  std::uint64_t min_latency_ns = 0;
  std::uint64_t max_latency_ns = 0;
  std::uint64_t input_queue_depth = 0;
  std::uint64_t output_queue_depth = 0;
  std::uint32_t last_error = 0;         ///< Last error code reported by the kernel (0: none).
  std::uint64_t error_count = 0;
  std::uint64_t in_flight = 0;          ///< Messages accepted but not yet completed.
  bool is_active = false;
  bool has_terminated = false;
};

/// Severity of an Event; stored as the string "info", "warning" or "error".
enum class Severity : std::uint8_t { info, warning, error };

/// "info", "warning" or "error".
[[nodiscard]] std::string_view to_string(Severity severity);

/// A hybrid logical clock timestamp.
struct Hlc {
  std::uint64_t physical = 0;
  std::uint32_t logical = 0;
  std::uint32_t node = 0;
};

/// One row of /events.
struct Event {
  std::uint64_t wall_ns = 0;            ///< Unix time in ns; 0 means "now" (filled in by the writer).
  Hlc hlc;
  Severity severity = Severity::info;
  std::string kind;                     ///< "lifecycle", "error", "warning", "migration", ...
  std::string kernel;                   ///< Kernel id the event is about; empty for run-level events.
  std::string message;
};

}  // namespace rk::record
