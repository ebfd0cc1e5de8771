// Internal: where a workload's results go on rank 0: the HDF5 results file (the other ranks of an MPI run
// write to workloads::NullSink: what they know reaches rank 0 through the cluster link).
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "rk/record/record.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::harness {

/// An HLC timestamp as /events stores it.
record::Hlc to_record(const HlcTimestamp& t);
/// The HLC of an event this host records now: `rt`'s host clock (HlcClock of node kHostKernel). For an
/// event about `kernel` when `rt` runs it, the host clock first merges the kernel's own clock (from its
/// telemetry), so the event orders after everything the kernel stamped. Without a runtime (before the
/// backend started), a fresh clock of the host node: the wall clock, logical 0.
record::Hlc event_hlc(RingKernelRuntime* rt, const std::string& kernel = {});

/// The workload's results into the results file: probes at the top level, the rest under
/// /workloads/<workload>/.
class FileSink final : public workloads::ResultSink {
 public:
  /// Events are stamped with `rt`'s HLC (event_hlc), in the order they are appended.
  FileSink(record::ResultsFile& file, std::string workload, RingKernelRuntime* rt)
      : file_(file), workload_(std::move(workload)), rt_(rt) {}
  void latency(const std::string& probe, std::span<const std::uint64_t> samples) override;
  void throughput(const std::string& probe, std::uint64_t t, std::uint64_t messages, std::uint64_t bytes) override;
  void event(const std::string& severity, const std::string& kind, const std::string& kernel,
             const std::string& message) override;
  void write_f64(const std::string& n, std::span<const double> v) override { group().write_f64(n, v); }
  void write_u64(const std::string& n, std::span<const std::uint64_t> v) override { group().write_u64(n, v); }
  void write_i64(const std::string& n, std::span<const std::int64_t> v) override { group().write_i64(n, v); }
  void write_strings(const std::string& n, const std::vector<std::string>& v) override { group().write_strings(n, v); }
  void write_table(const std::string& n, const std::vector<Column>& cols, std::size_t row_size, const void* rows,
                   std::size_t count) override;
  void attr(const std::string& n, double v) override { group().set_attr(n, v); }
  void attr(const std::string& n, std::int64_t v) override { group().set_attr(n, v); }
  void attr(const std::string& n, const std::string& v) override { group().set_attr(n, v); }

 private:
  record::LatencySeries& series_for(const std::string& probe);
  record::WorkloadGroup group() { return file_.workload(workload_); }

  record::ResultsFile& file_;
  std::string workload_;
  RingKernelRuntime* rt_;
  std::mutex mu_, events_mu_;
  std::map<std::string, record::LatencySeries> lat_;
  std::map<std::string, record::ThroughputSeries> tp_;
};

}  // namespace rk::harness
