// Handles to the appendable datasets of a results file: latency samples, throughput intervals,
// telemetry snapshots and the event log. Appends are buffered and written chunk by chunk while the run
// goes on; summaries (percentiles, rates) are written when the file is finished.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "rk/record/rows.hpp"

namespace rk::record {

class ResultsFile;

namespace detail {
struct FileState;
class LatencyState;
class ThroughputState;
class RowSeriesState;
class EventState;
}  // namespace detail

/// Raw latency samples of one probe: /latency/<probe>/samples_ns. Obtained from ResultsFile::latency().
/// Copies share the same series. All operations throw RecordError once the file is finished.
class LatencySeries {
 public:
  LatencySeries() = default;  ///< An empty handle; every operation throws.

  /// Appends samples in ns (kept in order, written in chunk-sized blocks).
  void append(std::span<const std::uint64_t> samples_ns);
  void append(std::uint64_t sample_ns) { append(std::span<const std::uint64_t>(&sample_ns, 1)); }

  /// Samples appended so far.
  [[nodiscard]] std::uint64_t count() const;

 private:
  friend class ResultsFile;
  LatencySeries(std::shared_ptr<detail::FileState> file, std::shared_ptr<detail::LatencyState> state);
  std::shared_ptr<detail::FileState> file_;
  std::shared_ptr<detail::LatencyState> state_;
};

/// Per-interval message and byte counts of one probe: /throughput/<probe>/{t_ns,messages,bytes}.
/// Row i holds what was delivered in the interval (t_ns[i-1], t_ns[i]]; append a row (t_start, 0, 0)
/// first to mark where the measurement starts. Obtained from ResultsFile::throughput().
class ThroughputSeries {
 public:
  ThroughputSeries() = default;

  /// Records `messages` and `bytes` delivered in the interval ending at `t_ns` (run clock, ns).
  void append(std::uint64_t t_ns, std::uint64_t messages, std::uint64_t bytes);

  /// Rows appended so far.
  [[nodiscard]] std::uint64_t count() const;

 private:
  friend class ResultsFile;
  ThroughputSeries(std::shared_ptr<detail::FileState> file, std::shared_ptr<detail::ThroughputState> state);
  std::shared_ptr<detail::FileState> file_;
  std::shared_ptr<detail::ThroughputState> state_;
};

/// Telemetry snapshots of one kernel: /telemetry/<kernel_id>/samples. Obtained from ResultsFile::telemetry().
class TelemetrySeries {
 public:
  TelemetrySeries() = default;

  void append(const TelemetryRow& row) { append(std::span<const TelemetryRow>(&row, 1)); }
  void append(std::span<const TelemetryRow> rows);

  /// Rows appended so far.
  [[nodiscard]] std::uint64_t count() const;

 private:
  friend class ResultsFile;
  TelemetrySeries(std::shared_ptr<detail::FileState> file, std::shared_ptr<detail::RowSeriesState> state);
  std::shared_ptr<detail::FileState> file_;
  std::shared_ptr<detail::RowSeriesState> state_;
};

/// The run's event log: /events. Obtained from ResultsFile::events().
class EventLog {
 public:
  EventLog() = default;

  /// Appends one event; `wall_ns == 0` is replaced by the current Unix time.
  void append(const Event& event);

  /// Events appended so far.
  [[nodiscard]] std::uint64_t count() const;

 private:
  friend class ResultsFile;
  EventLog(std::shared_ptr<detail::FileState> file, std::shared_ptr<detail::EventState> state);
  std::shared_ptr<detail::FileState> file_;
  std::shared_ptr<detail::EventState> state_;
};

}  // namespace rk::record
