// FileSink: a workload's results into the HDF5 file. See sinks.hpp.
#include "sinks.hpp"

#include "rk/core/hlc.hpp"

namespace rk::harness {

record::Hlc to_record(const HlcTimestamp& t) { return record::Hlc{t.physical, t.logical, t.node_id}; }

record::Hlc event_hlc(RingKernelRuntime* rt, const std::string& kernel) {
  if (rt == nullptr) {
    HlcClock fresh(kHostKernel);
    return to_record(fresh.now());
  }
  HlcClock& host = rt->host_clock();
  if (!kernel.empty()) {
    try {
      const TelemetrySnapshot t = rt->telemetry(kernel);
      if (t.clock.physical != 0) return to_record(host.update(t.clock));
    } catch (const std::exception&) {
      // Not a kernel of this runtime (another rank's, or gone): the host's clock alone.
    }
  }
  return to_record(host.now());
}

void FileSink::latency(const std::string& probe, std::span<const std::uint64_t> s) {
  if (!s.empty()) series_for(probe).append(s);
  else (void)series_for(probe);
}

void FileSink::throughput(const std::string& probe, std::uint64_t t, std::uint64_t m, std::uint64_t b) {
  std::lock_guard lk(mu_);
  auto it = tp_.find(probe);
  if (it == tp_.end()) it = tp_.emplace(probe, file_.throughput(probe)).first;
  it->second.append(t, m, b);
}

void FileSink::event(const std::string& severity, const std::string& kind, const std::string& kernel,
                     const std::string& message) {
  record::Event e;
  e.severity = severity == "error" ? record::Severity::error : severity == "warning" ? record::Severity::warning
                                                                                    : record::Severity::info;
  e.kind = kind;
  e.kernel = kernel;
  e.message = message;
  // Stamped and appended under one lock: rows are in HLC order.
  std::lock_guard lk(events_mu_);
  e.hlc = event_hlc(rt_, kernel);
  file_.events().append(e);
}

void FileSink::write_table(const std::string& n, const std::vector<Column>& cols, std::size_t row_size,
                           const void* rows, std::size_t count) {
  std::vector<record::Column> out;
  for (const auto& c : cols) {
    record::Column rc;
    rc.name = c.name;
    rc.offset = c.offset;
    switch (c.type) {
      case ColumnType::U32: rc.type = record::ScalarType::u32; rc.size = 4; break;
      case ColumnType::U64: rc.type = record::ScalarType::u64; rc.size = 8; break;
      case ColumnType::I32: rc.type = record::ScalarType::i32; rc.size = 4; break;
      case ColumnType::I64: rc.type = record::ScalarType::i64; rc.size = 8; break;
      case ColumnType::F64: rc.type = record::ScalarType::f64; rc.size = 8; break;
    }
    out.push_back(rc);
  }
  group().write_table_raw(n, out, row_size, rows, count);
}

record::LatencySeries& FileSink::series_for(const std::string& probe) {
  std::lock_guard lk(mu_);
  auto it = lat_.find(probe);
  if (it == lat_.end()) it = lat_.emplace(probe, file_.latency(probe)).first;
  return it->second;
}

}  // namespace rk::harness
