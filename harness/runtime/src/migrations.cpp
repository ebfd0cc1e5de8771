// MigrationDriver. See migrations.hpp.
#include "migrations.hpp"

#include <algorithm>
#include <vector>

namespace rk::harness {

MigrationDriver::MigrationDriver(MultiGpuCoordinator& coord, const scenario::CoordinatorSpec& spec,
                                 workloads::ResultSink& sink, const Control& ctl)
    : coord_(coord), spec_(spec), sink_(sink), ctl_(ctl) {
  if (!spec_.migrations.empty() || spec_.rebalance_threshold > 0) thread_ = std::thread([this] { loop(); });
}

void MigrationDriver::stop() {
  {
    std::lock_guard lk(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MigrationDriver::loop() {
  std::vector<scenario::MigrationSpec> pending = spec_.migrations;
  std::sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  std::size_t next = 0;
  auto next_rebalance = std::chrono::nanoseconds(spec_.rebalance_interval);
  std::unique_lock lk(mu_);
  while (!stopped_) {
    const auto now = std::chrono::nanoseconds(ctl_.now_ns());
    std::chrono::nanoseconds wake = std::chrono::milliseconds(50);
    if (next < pending.size()) wake = std::min(wake, pending[next].at - std::min(pending[next].at, now));
    if (spec_.rebalance_threshold > 0) wake = std::min(wake, next_rebalance - std::min(next_rebalance, now));
    if (wake.count() > 0) {
      cv_.wait_for(lk, wake);
      continue;
    }
    lk.unlock();
    try {
      if (next < pending.size() && pending[next].at <= now) {
        const auto& m = pending[next++];
        record(coord_.migrate(m.kernel, static_cast<std::uint32_t>(m.to)), "scheduled");
      } else if (spec_.rebalance_threshold > 0) {
        coord_.observe();
        if (auto r = coord_.rebalance(spec_.rebalance_threshold)) record(*r, "load threshold");
        next_rebalance = now + spec_.rebalance_interval;
      }
    } catch (const std::exception& e) {
      sink_.event("error", "migration", "", e.what());
    }
    lk.lock();
  }
}

void MigrationDriver::record(const MigrationReport& r, const char* why) {
  sink_.event("info", "migration", r.kernel,
              std::string(why) + ": device " + std::to_string(r.from_device) + " -> " + std::to_string(r.to_device) +
                  ", " + std::to_string(r.state_bytes) + " state bytes, " + std::to_string(r.queued_messages) +
                  " queued messages, " + std::to_string(r.duration.count()) + " ns");
}

}  // namespace rk::harness
