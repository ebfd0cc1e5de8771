// MultiGpuCoordinator: placement, load tracking, migration.
#include "rk/harness/coordinator.hpp"

#include <algorithm>

namespace rk::harness {

std::optional<LoadBalancing> parse_load_balancing(const std::string& s) {
  if (s == "first_available") return LoadBalancing::FirstAvailable;
  if (s == "round_robin") return LoadBalancing::RoundRobin;
  if (s == "least_loaded") return LoadBalancing::LeastLoaded;
  if (s == "memory_based") return LoadBalancing::MemoryBased;
  if (s == "pinned") return LoadBalancing::Pinned;
  return std::nullopt;
}

const char* to_string(LoadBalancing p) {
  switch (p) {
    case LoadBalancing::FirstAvailable: return "first_available";
    case LoadBalancing::RoundRobin: return "round_robin";
    case LoadBalancing::LeastLoaded: return "least_loaded";
    case LoadBalancing::MemoryBased: return "memory_based";
    case LoadBalancing::Pinned: return "pinned";
  }
  return "?";
}

MultiGpuCoordinator::MultiGpuCoordinator(RingKernelRuntime& rt, LoadBalancing policy)
    : rt_(rt), policy_(policy), devices_(static_cast<std::uint32_t>(rt.devices().size())), placed_(devices_, 0) {
  if (devices_ == 0) throw RuntimeError("the runtime reports no devices");
}

std::uint32_t MultiGpuCoordinator::place(const std::string& kernel, int pinned, std::uint64_t memory_hint) {
  std::lock_guard lk(mu_);
  std::uint32_t d = 0;
  if (pinned >= 0) {
    if (static_cast<std::uint32_t>(pinned) >= devices_)
      throw RuntimeError("kernel '" + kernel + "': device " + std::to_string(pinned) + " does not exist");
    d = static_cast<std::uint32_t>(pinned);
  } else {
    const auto devs = rt_.devices();
    switch (policy_) {
      case LoadBalancing::Pinned:
        throw RuntimeError("kernel '" + kernel + "': placement 'pinned' needs a device for every kernel");
      case LoadBalancing::FirstAvailable:
        // The first device whose memory fits the kernel (memory is the only hard limit a device has).
        for (d = 0; d < devices_ && devs[d].memory_bytes < memory_hint; ++d) {
        }
        if (d == devices_) throw RuntimeError("kernel '" + kernel + "': no device has " + std::to_string(memory_hint) + " bytes");
        break;
      case LoadBalancing::RoundRobin:
        d = next_rr_++ % devices_;
        break;
      case LoadBalancing::MemoryBased: {
        std::uint64_t best = 0;
        for (std::uint32_t i = 0; i < devices_; ++i) {
          const std::uint64_t left = devs[i].memory_bytes > placed_[i] * memory_hint ? devs[i].memory_bytes - placed_[i] * memory_hint : 0;
          if (left > best) {
            best = left;
            d = i;
          }
        }
        break;
      }
      case LoadBalancing::LeastLoaded: {
        // Fewest kernels, ties broken by the lower observed message rate, then the lower index.
        std::vector<double> rate(devices_, 0.0);
        for (const auto& [name, s] : samples_) {
          try {
            rate[static_cast<std::uint32_t>(rt_.status(name).device)] += s.rate;
          } catch (const RuntimeError&) {
            // terminated since the last observation
          }
        }
        for (std::uint32_t i = 1; i < devices_; ++i)
          if (placed_[i] < placed_[d] || (placed_[i] == placed_[d] && rate[i] < rate[d])) d = i;
        break;
      }
    }
  }
  ++placed_[d];
  return d;
}

void MultiGpuCoordinator::observe() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lk(mu_);
  for (const auto& name : rt_.list_kernels()) {
    const std::uint64_t processed = rt_.status(name).messages_processed;
    Sample& s = samples_[name];
    if (s.t != std::chrono::steady_clock::time_point{}) {
      const double dt = std::chrono::duration<double>(now - s.t).count();
      if (dt > 0) s.rate = static_cast<double>(processed - std::min(processed, s.processed)) / dt;
    }
    s.processed = processed;
    s.t = now;
  }
}

std::vector<DeviceLoad> MultiGpuCoordinator::loads() const {
  std::lock_guard lk(mu_);
  std::vector<DeviceLoad> out(devices_);
  const auto devs = rt_.devices();
  for (std::uint32_t i = 0; i < devices_; ++i) {
    out[i].device = i;
    out[i].memory_available = devs[i].memory_bytes;
  }
  for (const auto& name : rt_.list_kernels()) {
    const auto d = static_cast<std::uint32_t>(rt_.status(name).device);
    if (d >= devices_) continue;
    ++out[d].kernels;
    const auto it = samples_.find(name);
    if (it != samples_.end()) out[d].messages_per_second += it->second.rate;
  }
  return out;
}

MigrationReport MultiGpuCoordinator::migrate(const std::string& kernel, std::uint32_t device) {
  const MigrationReport r = rt_.migrate(kernel, device);
  std::lock_guard lk(mu_);
  if (r.from_device != r.to_device) {
    if (placed_[r.from_device]) --placed_[r.from_device];
    ++placed_[r.to_device];
    history_.push_back(r);
  }
  return r;
}

std::optional<MigrationReport> MultiGpuCoordinator::rebalance(double threshold) {
  const auto l = loads();
  if (l.size() < 2) return std::nullopt;
  const auto busiest = std::max_element(l.begin(), l.end(), [](auto& a, auto& b) { return a.messages_per_second < b.messages_per_second; });
  const auto idlest = std::min_element(l.begin(), l.end(), [](auto& a, auto& b) { return a.messages_per_second < b.messages_per_second; });
  if (busiest->kernels < 2 || busiest->device == idlest->device) return std::nullopt;
  if (busiest->messages_per_second <= threshold * std::max(idlest->messages_per_second, 1.0)) return std::nullopt;
  std::string pick;
  double best = -1;
  {
    std::lock_guard lk(mu_);
    for (const auto& [name, s] : samples_) {
      try {
        if (static_cast<std::uint32_t>(rt_.status(name).device) == busiest->device && s.rate > best) {
          best = s.rate;
          pick = name;
        }
      } catch (const RuntimeError&) {
      }
    }
  }
  if (pick.empty()) return std::nullopt;
  return migrate(pick, idlest->device);
}

}  // namespace rk::harness
