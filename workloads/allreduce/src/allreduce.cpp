// allreduce: float32 Sum all-reduce across the run's devices through the runtime's device reduction
// (RingKernelRuntime::make_device_reduction: the CPU backend's SharedMemoryCollective, the device-level
// step of every global reduction there), one thread per device — device 0's is the host thread, which
// times each call. Sizes double from `min_bytes` to `max_bytes`; up to `latency_max_bytes` every call is a latency sample
// (/latency/allreduce_<bytes>B), beyond that a size is a bandwidth measurement (time per call over
// `bandwidth_iterations`). Every size is checked against the sequential rank-ordered reference on every
// device. Reported as nccl-tests does: algbw = bytes / time per call, busbw = algbw · 2(n−1)/n.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "rk/core/global_reduction.hpp"
#include "rk/workloads/allreduce/workloads.hpp"

namespace rk::workloads::allreduce {

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t mem_available() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key, unit;
  std::uint64_t kib = 0;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return 0;
}

/// Input of device r at element i: small integers, so every partial sum is exact in float.
float input(std::uint32_t r, std::size_t i) { return static_cast<float>((r + 1) * ((i % 7) + 1)); }

struct Row {  // one row of /workloads/allreduce/results
  std::uint64_t bytes;
  std::uint32_t devices;
  std::uint32_t latency_probe;  // 1: every call is a sample under /latency
  std::uint64_t calls;
  double time_us;     // per call: p50 for latency sizes, mean for bandwidth sizes
  double algbw_gbs;
  double busbw_gbs;
};

class AllReduce final : public Workload {
 public:
  std::string name() const override { return "allreduce"; }
  // The collective is shared memory between the devices of one process.
  bool spans_processes() const override { return false; }

  void configure(const Params& params, const Topology&, const RunLimits&) override {
    min_bytes_ = static_cast<std::uint64_t>(params.get_int("min_bytes"));
    max_bytes_ = static_cast<std::uint64_t>(params.get_int("max_bytes"));
    latency_max_ = static_cast<std::uint64_t>(params.get_int("latency_max_bytes"));
    latency_calls_ = static_cast<std::uint64_t>(params.get_int("latency_iterations"));
    bandwidth_calls_ = static_cast<std::uint64_t>(params.get_int("bandwidth_iterations"));
    if (min_bytes_ % 4 != 0 || max_bytes_ % 4 != 0) params.fail("min_bytes", "sizes must be whole float32 elements (multiples of 4)");
    if (max_bytes_ < min_bytes_) params.fail("max_bytes", "max_bytes is below min_bytes");
  }

  void run(RingKernelRuntime& rt, RunControl& ctl, ResultSink& sink) override {
    devices_ = static_cast<std::uint32_t>(rt.devices().size());
    const std::uint32_t n = devices_;
    const std::unique_ptr<DeviceReduction> collective = rt.make_device_reduction();  // the backend's
    const std::uint64_t avail = mem_available();
    for (std::uint64_t bytes = min_bytes_; bytes <= max_bytes_ && !ctl.stop_requested(); bytes *= 2) {
      // Inputs and outputs of every device: at most half of the memory available.
      if (avail != 0 && 2 * n * bytes > avail / 2) {
        sink.event("warning", "workload", "", "allreduce: " + std::to_string(bytes) + " B skipped: " +
                                                  std::to_string(2 * n * bytes) + " B of buffers exceed half the available memory");
        break;
      }
      const bool latency = bytes <= latency_max_;
      const std::uint64_t calls = latency ? latency_calls_ : bandwidth_calls_;
      const std::size_t count = bytes / sizeof(float);
      std::atomic<std::uint64_t> wrong{0};
      std::latch ready(n);
      auto check = [&](const std::vector<float>& out) {
        std::uint64_t bad = 0;
        for (std::size_t i = 0; i < count; ++i) {
          float ref = 0.0f;
          for (std::uint32_t r = 0; r < n; ++r) ref += input(r, i);  // rank order, as the collective folds
          bad += out[i] != ref;
        }
        wrong += bad;
      };
      std::vector<std::thread> helpers;
      for (std::uint32_t r = 1; r < n; ++r)
        helpers.emplace_back([&, r] {
          std::vector<float> in(count), out(count, 0.0f);
          for (std::size_t i = 0; i < count; ++i) in[i] = input(r, i);
          GlobalReduction& g = collective->participant(r);
          ready.arrive_and_wait();
          for (std::uint64_t k = 0; k < calls; ++k)
            g.all_reduce_bytes(in.data(), out.data(), count, ScalarType::F32, ReductionOp::Sum);
          check(out);
        });
      std::vector<float> in(count), out(count, 0.0f);
      for (std::size_t i = 0; i < count; ++i) in[i] = input(0, i);
      GlobalReduction& g = collective->participant(0);
      std::vector<std::uint64_t> samples;
      samples.reserve(latency ? calls : 0);
      ready.arrive_and_wait();
      const auto start = Clock::now();
      for (std::uint64_t k = 0; k < calls; ++k) {
        const auto t0 = Clock::now();
        g.all_reduce_bytes(in.data(), out.data(), count, ScalarType::F32, ReductionOp::Sum);
        if (latency) samples.push_back(static_cast<std::uint64_t>((Clock::now() - t0).count()));
      }
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      for (auto& t : helpers) t.join();
      check(out);
      wrong_ += wrong.load();
      checked_ += 1;
      Row row{bytes, n, latency ? 1u : 0u, calls, 0.0, 0.0, 0.0};
      if (latency) {
        sink.latency("allreduce_" + std::to_string(bytes) + "B", samples);
        std::sort(samples.begin(), samples.end());
        row.time_us = static_cast<double>(samples[(samples.size() - 1) / 2]) / 1e3;
      } else {
        row.time_us = seconds / static_cast<double>(calls) * 1e6;
      }
      row.algbw_gbs = static_cast<double>(bytes) / (row.time_us * 1e-6) / 1e9;
      row.busbw_gbs = row.algbw_gbs * 2.0 * (n - 1) / n;
      rows_.push_back(row);
      ctl.progress(rows_.size(), 0);
    }
  }

  Verification verify() override {
    Verification v;
    v.check(!rows_.empty(), "no size was measured");
    v.check(wrong_ == 0, std::to_string(wrong_) + " elements differ from the sequential reference");
    v.figures.emplace_back("devices", std::to_string(devices_));
    for (const Row& r : rows_) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "%.2f us  algbw %.2f GB/s  busbw %.2f GB/s", r.time_us, r.algbw_gbs, r.busbw_gbs);
      v.figures.emplace_back(std::to_string(r.bytes) + " B", buf);
    }
    return v;
  }

  void write_results(ResultSink& sink) override {
    using C = ResultSink::ColumnType;
    sink.write_table("results",
                     {{"bytes", offsetof(Row, bytes), C::U64},
                      {"devices", offsetof(Row, devices), C::U32},
                      {"latency_probe", offsetof(Row, latency_probe), C::U32},
                      {"calls", offsetof(Row, calls), C::U64},
                      {"time_us", offsetof(Row, time_us), C::F64},
                      {"algbw_gbs", offsetof(Row, algbw_gbs), C::F64},
                      {"busbw_gbs", offsetof(Row, busbw_gbs), C::F64}},
                     sizeof(Row), rows_.data(), rows_.size());
    sink.attr("devices", static_cast<std::int64_t>(devices_));
    sink.attr("type", std::string("float32"));
    sink.attr("op", std::string("sum"));
    sink.attr("busbw_factor", devices_ ? 2.0 * (devices_ - 1) / devices_ : 0.0);
  }

 private:
  std::uint64_t min_bytes_ = 8, max_bytes_ = 64 << 20, latency_max_ = 64 << 10;
  std::uint64_t latency_calls_ = 2000, bandwidth_calls_ = 5;
  std::uint32_t devices_ = 0;
  std::vector<Row> rows_;
  std::uint64_t wrong_ = 0, checked_ = 0;
};

}  // namespace

std::vector<WorkloadInfo> workloads() {
  using P = ParamSpec;
  constexpr std::int64_t k4G = std::int64_t{1} << 32;
  return {{"allreduce",
           "float32 sum all-reduce across the devices: latency, algbw, busbw per size",
           [] { return std::make_unique<AllReduce>(); },
           {P::integer("min_bytes", 8, 4, k4G, "first message size (a multiple of 4); sizes double up to max_bytes"),
            P::integer("max_bytes", std::int64_t{64} << 20, 4, k4G, "last message size"),
            P::integer("latency_max_bytes", 64 << 10, 4, k4G, "sizes up to this are latency probes (every call a sample)"),
            P::integer("latency_iterations", 2000, 1, 100'000'000, "calls per latency size"),
            P::integer("bandwidth_iterations", 5, 1, 1'000'000, "calls per bandwidth size")},
           {},
           {}}};
}

}  // namespace rk::workloads::allreduce
