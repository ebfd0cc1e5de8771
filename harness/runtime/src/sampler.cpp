// Sampler. See sampler.hpp.
#include "sampler.hpp"

#include <algorithm>
#include <stdexcept>

namespace rk::harness {

Sampler::Sampler(RingKernelRuntime& rt, record::ResultsFile& file, const scenario::Scenario& sc, const Control& ctl)
    : rt_(rt), sc_(sc), ctl_(ctl) {
  for (const auto& k : sc.kernels) telemetry_.emplace_back(k.id, file.telemetry(k.id));
  for (const auto& p : sc.probes.throughput) {
    if (p.at.is_host()) continue;  // host-side throughput is recorded by the workload itself
    throughput_.push_back({p.name, p.at.kernel_ids, file.throughput(p.name), 0});
  }
  for (auto& t : throughput_) t.series.append(ctl_.now_ns(), 0, 0);
  thread_ = std::thread([this] { loop(); });
}

Sampler::~Sampler() {
  try {
    stop();
  } catch (const std::exception&) {
    // Already reported by the explicit stop() on the normal path.
  }
}

void Sampler::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (!error_.empty()) throw std::runtime_error("telemetry sampling failed: " + error_);
  sample_all();  // a last sample at the end of the run
}

void Sampler::loop() {
  const auto interval = sc_.probes.telemetry_interval.count() > 0
                            ? sc_.probes.telemetry_interval
                            : std::chrono::nanoseconds(std::chrono::milliseconds(100));
  std::unique_lock lk(mu_);
  while (!stopped_) {
    cv_.wait_for(lk, std::min<std::chrono::nanoseconds>(interval, std::chrono::milliseconds(200)));
    if (stopped_) break;
    lk.unlock();
    try {
      sample_all();
    } catch (const std::exception& e) {
      // Recording must not take the run down from a side thread: keep the first error for the report.
      std::lock_guard g(mu_);
      if (error_.empty()) error_ = e.what();
    }
    lk.lock();
  }
}

void Sampler::sample_all() {
  const std::uint64_t t = ctl_.now_ns();
  if (sc_.probes.telemetry_interval.count() > 0) {
    for (auto& [name, series] : telemetry_) {
      const TelemetrySnapshot s = rt_.telemetry(name);
      record::TelemetryRow row;
      row.t_ns = t;
      row.messages_processed = s.telemetry.messages_processed;
      row.messages_dropped = s.telemetry.messages_dropped;
      row.total_latency_ns = s.telemetry.total_latency_ns;
      row.min_latency_ns = s.telemetry.messages_processed ? s.telemetry.min_latency_ns : 0;
      row.max_latency_ns = s.telemetry.max_latency_ns;
      row.input_queue_depth = s.telemetry.input_queue_depth;
      row.output_queue_depth = s.telemetry.output_queue_depth;
      row.last_error = s.telemetry.last_error;
      row.error_count = s.telemetry.error_count;
      row.in_flight = s.messages_in_flight;
      row.is_active = s.is_active != 0;
      row.has_terminated = s.has_terminated != 0;
      series.append(row);
    }
  }
  for (auto& tp : throughput_) {
    std::uint64_t total = 0;
    for (const auto& k : tp.kernels) total += rt_.status(k).messages_processed;
    tp.series.append(t, total - tp.last, (total - tp.last) * sizeof(Slot));
    tp.last = total;
  }
}

}  // namespace rk::harness
