// The samples of one latency probe on their way to the results file while a run goes on: each sample
// goes into a buffer of at most `chunk` samples, handed to the ResultSink (/latency/<probe>/samples_ns)
// whenever it is full, and is counted in a LatencyHistogram for the workload's own percentiles. Memory
// stays bounded (the buffer plus the histogram) however long the run; every sample reaches the file.
//
// Use from the workload's thread: attach(sink) in run(), add() per sample, finish() before run() returns
// (sends the rest, and creates the probe's dataset even when it got no sample). The sink serialises its
// own writers (the harness's FileSink takes a mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rk/workloads/histogram.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::workloads {

class LatencyStream {
 public:
  /// Samples per call to the sink: the file's chunk size (results/SCHEMA.md), 512 KiB of buffer.
  static constexpr std::size_t kDefaultChunk = std::size_t{1} << 16;

  LatencyStream() = default;
  explicit LatencyStream(std::string probe, std::size_t chunk = kDefaultChunk)
      : probe_(std::move(probe)), chunk_(chunk ? chunk : 1) {}

  /// Where full buffers go from now on (the sink must outlive the calls until finish()).
  void attach(ResultSink& sink) {
    sink_ = &sink;
    buffer_.reserve(chunk_);
  }

  void add(std::uint64_t ns) {
    histogram_.record(ns);
    buffer_.push_back(ns);
    if (buffer_.size() >= chunk_) flush();
  }
  void add(std::span<const std::uint64_t> samples) {
    for (const std::uint64_t ns : samples) add(ns);
  }

  /// Sends what is buffered (nothing when it is empty).
  void flush() {
    if (buffer_.empty()) return;
    if (sink_ == nullptr) throw WorkloadError("latency samples of probe '" + probe_ + "' with no sink to go to");
    sink_->latency(probe_, buffer_);
    buffer_.clear();
  }

  /// Sends the rest (always calls the sink once, so the probe exists in the file with no sample too)
  /// and detaches from the sink; the histogram stays for the workload's figures.
  void finish() {
    if (sink_ == nullptr) {
      if (!buffer_.empty()) throw WorkloadError("latency samples of probe '" + probe_ + "' with no sink to go to");
      return;
    }
    sink_->latency(probe_, buffer_);
    buffer_.clear();
    buffer_.shrink_to_fit();
    sink_ = nullptr;
  }

  [[nodiscard]] const std::string& probe() const { return probe_; }
  /// Samples added so far (sent or buffered).
  [[nodiscard]] std::uint64_t count() const { return histogram_.count(); }
  [[nodiscard]] const LatencyHistogram& histogram() const { return histogram_; }
  [[nodiscard]] std::size_t buffered() const { return buffer_.size(); }

 private:
  std::string probe_;
  std::size_t chunk_ = kDefaultChunk;
  ResultSink* sink_ = nullptr;
  std::vector<std::uint64_t> buffer_;
  LatencyHistogram histogram_;
};

}  // namespace rk::workloads
