// Internal: the scenario's timed migrations and load-triggered rebalancing, performed on a thread of
// their own while the workload runs; each is recorded as an event.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "progress.hpp"
#include "rk/harness/coordinator.hpp"
#include "rk/scenario/scenario.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::harness {

class MigrationDriver {
 public:
  MigrationDriver(MultiGpuCoordinator& coord, const scenario::CoordinatorSpec& spec, workloads::ResultSink& sink,
                  const Control& ctl);
  ~MigrationDriver() { stop(); }
  void stop();

 private:
  void loop();
  void record(const MigrationReport& r, const char* why);

  MultiGpuCoordinator& coord_;
  const scenario::CoordinatorSpec& spec_;
  workloads::ResultSink& sink_;
  const Control& ctl_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace rk::harness
