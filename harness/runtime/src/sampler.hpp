// Internal: samples every kernel's telemetry and the scenario's kernel throughput probes at the
// scenario's interval into the results file, on a thread of its own, and once more at the end.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "progress.hpp"
#include "rk/core/runtime.hpp"
#include "rk/record/record.hpp"
#include "rk/scenario/scenario.hpp"

namespace rk::harness {

class Sampler {
 public:
  Sampler(RingKernelRuntime& rt, record::ResultsFile& file, const scenario::Scenario& sc, const Control& ctl);
  ~Sampler();
  /// Stops sampling and takes the last sample; throws when recording failed on the sampling thread.
  void stop();

 private:
  struct Tp {
    std::string name;
    std::vector<std::string> kernels;
    record::ThroughputSeries series;
    std::uint64_t last;
  };
  void loop();
  void sample_all();

  RingKernelRuntime& rt_;
  const scenario::Scenario& sc_;
  const Control& ctl_;
  std::vector<std::pair<std::string, record::TelemetrySeries>> telemetry_;
  std::vector<Tp> throughput_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::string error_;
  std::thread thread_;
};

}  // namespace rk::harness
