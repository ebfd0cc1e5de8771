// Devices as the runtime sees them: properties of a GPU or of a simulated device on the CPU backend,
// and the memory arena each device owns (payloads too large for a slot live there, passed by
// reference). Host-only.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "rk/core/message.hpp"

namespace rk {

struct DeviceProperties {
  std::uint32_t index = 0;
  std::string name;              ///< "cpu-sim-0", "NVIDIA H100 80GB HBM3", …
  std::string kind;              ///< "cpu-simulated" or "cuda"
  std::uint64_t memory_bytes = 0;
  std::uint32_t compute_units = 0;  ///< SMs, or worker threads of a simulated device
  std::uint32_t clock_khz = 0;
  std::string compute_capability;   ///< "9.0"; empty for CPU devices
  int rank = 0;                     ///< MPI rank that owns the device
  std::string host;
  bool simulated = true;
  std::string driver_version;       ///< GPU driver / runtime API versions ("12.4"); empty for CPU devices
  std::string runtime_version;
};

/// First-fit allocator over one contiguous block of device memory (the block itself belongs to the
/// backend: host memory on the CPU backend, cudaMalloc'd memory on a GPU). Offsets, not pointers, are
/// handed out, so references stay valid on either side. Thread-safe.
class MemoryArena {
 public:
  MemoryArena(std::byte* base, std::uint64_t capacity, std::uint32_t arena_id)
      : base_(base), capacity_(capacity), id_(arena_id) {
    if (capacity_) free_[0] = capacity_;
  }
  MemoryArena(const MemoryArena&) = delete;
  MemoryArena& operator=(const MemoryArena&) = delete;

  /// Offset of `bytes` of memory aligned to `align` (a power of two ≤ 4096), or nullopt when full.
  std::optional<std::uint64_t> allocate(std::uint64_t bytes, std::uint64_t align = 64) {
    if (bytes == 0 || align == 0 || (align & (align - 1)) != 0) return std::nullopt;
    std::lock_guard lk(mu_);
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      const std::uint64_t start = it->first, len = it->second;
      const std::uint64_t aligned = (start + align - 1) & ~(align - 1);
      if (aligned + bytes > start + len) continue;
      free_.erase(it);
      if (aligned > start) free_[start] = aligned - start;
      if (aligned + bytes < start + len) free_[aligned + bytes] = start + len - aligned - bytes;
      used_[aligned] = bytes;
      in_use_ += bytes;
      return aligned;
    }
    return std::nullopt;
  }
  /// Return an allocation; false when `offset` was not allocated (nothing changes then).
  bool free(std::uint64_t offset) {
    std::lock_guard lk(mu_);
    const auto u = used_.find(offset);
    if (u == used_.end()) return false;
    std::uint64_t start = offset, len = u->second;
    in_use_ -= len;
    used_.erase(u);
    auto next = free_.lower_bound(start);
    if (next != free_.end() && next->first == start + len) {  // merge with the following hole
      len += next->second;
      next = free_.erase(next);
    }
    if (next != free_.begin()) {  // and with the preceding one
      auto prev = std::prev(next);
      if (prev->first + prev->second == start) {
        start = prev->first;
        len += prev->second;
        free_.erase(prev);
      }
    }
    free_[start] = len;
    return true;
  }
  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t used() const {
    std::lock_guard lk(mu_);
    return in_use_;
  }
  std::uint64_t available() const { return capacity_ - used(); }
  ArenaView view() const { return ArenaView{base_, capacity_, id_}; }
  std::byte* data(std::uint64_t offset) const { return base_ + offset; }
  std::uint32_t id() const { return id_; }

 private:
  std::byte* base_;
  std::uint64_t capacity_;
  std::uint32_t id_;
  mutable std::mutex mu_;
  std::map<std::uint64_t, std::uint64_t> free_;  // offset → length
  std::map<std::uint64_t, std::uint64_t> used_;  // offset → length
  std::uint64_t in_use_ = 0;
};

}  // namespace rk
