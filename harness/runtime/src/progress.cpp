// Control and ProgressLine. See progress.hpp.
#include "progress.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "rk/harness/driver.hpp"

namespace rk::harness {

bool Control::stop_requested() const { return stop_flag().load(std::memory_order_relaxed); }

std::string human_rate(double per_s) {
  char buf[32];
  if (per_s >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM/s", per_s / 1e6);
  else if (per_s >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk/s", per_s / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f/s", per_s);
  return buf;
}

ProgressLine::ProgressLine(const Control& ctl, std::optional<std::chrono::nanoseconds> planned_time)
    : ctl_(ctl), planned_time_(planned_time) {
  thread_ = std::thread([this] {
    std::unique_lock lk(mu_);
    while (!cv_.wait_for(lk, std::chrono::milliseconds(200), [this] { return stopped_; })) draw();
  });
}

void ProgressLine::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::fputs("\r\033[K", stderr);
}

void ProgressLine::draw() const {
  const double elapsed = static_cast<double>(ctl_.now_ns()) * 1e-9;
  const std::uint64_t done = ctl_.done(), planned = ctl_.planned();
  std::ostringstream line;
  line << "\r\033[K" << std::fixed << std::setprecision(1) << elapsed << "s  " << done << " messages  "
       << human_rate(elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0);
  double eta = -1;
  if (planned > 0 && done > 0)
    eta = elapsed * static_cast<double>(planned - std::min(done, planned)) / static_cast<double>(done);
  else if (planned_time_)
    eta = std::max(0.0, std::chrono::duration<double>(*planned_time_).count() - elapsed);
  if (eta >= 0) line << "  ETA " << std::setprecision(1) << eta << "s";
  std::fputs(line.str().c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace rk::harness
