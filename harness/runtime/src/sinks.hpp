// Internal: where a workload's results go on rank 0: the HDF5 results file (the other ranks of an MPI run
// write to workloads::NullSink: what they know reaches rank 0 through the cluster link).
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "rk/record/record.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::harness {

/// The workload's results into the results file: probes at the top level, the rest under
/// /workloads/<workload>/.
class FileSink final : public workloads::ResultSink {
 public:
  FileSink(record::ResultsFile& file, std::string workload) : file_(file), workload_(std::move(workload)) {}
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
  std::mutex mu_;
  std::map<std::string, record::LatencySeries> lat_;
  std::map<std::string, record::ThroughputSeries> tp_;
};

}  // namespace rk::harness
