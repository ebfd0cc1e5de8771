// SharedMemoryCollective: staged single-barrier all-reduce for small calls, reduce-scatter + all-gather
// over the participants' own buffers for large ones. See the header for the protocol.
#include "rk/cpu/collective/shared_memory_collective.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace rk::cpu {

class SharedMemoryCollective::Participant final : public GlobalReduction {
 public:
  Participant(SharedMemoryCollective& parent, std::uint32_t rank)
      : parent_(parent), rank_(rank), inputs_(parent.participants_) {}

  std::uint32_t participants() const override { return parent_.participants_; }
  std::uint32_t rank() const override { return rank_; }

  void all_reduce_bytes(const void* in, void* out, std::size_t count, ScalarType type, ReductionOp op) override {
    check_supported(type, op);
    const std::uint32_t n = parent_.participants_;
    if (n == 1) {
      fold_arrays(type, op, &in, 1, out, count);
      return;
    }
    const std::uint32_t parity = static_cast<std::uint32_t>(calls_++ & 1);
    const std::size_t es = size_of(type);
    const std::size_t bytes = count * es;
    parent_.call(parity, rank_) = Call{in, out, count, type, op};

    if (bytes <= parent_.options_.small_max_bytes) {
      if (bytes != 0) std::memcpy(parent_.staging(parity, rank_), in, bytes);
      parent_.barrier_.arrive_and_wait();
      parent_.check_same_call(parity);
      for (std::uint32_t r = 0; r < n; ++r) inputs_[r] = parent_.staging(parity, r);
      fold_arrays(type, op, inputs_.data(), n, out, count);
      return;
    }

    // Reduce-scatter: this participant owns elements [begin, end), a whole number of cache lines.
    parent_.barrier_.arrive_and_wait();
    parent_.check_same_call(parity);
    const std::size_t per_line = kCacheLine / es;
    const std::size_t chunk = ((count + n - 1) / n + per_line - 1) / per_line * per_line;
    auto range_begin = [&](std::uint32_t r) { return std::min(count, static_cast<std::size_t>(r) * chunk); };
    auto range_end = [&](std::uint32_t r) { return std::min(count, range_begin(r) + chunk); };
    const std::size_t begin = range_begin(rank_);
    const std::size_t end = range_end(rank_);
    if (end > begin) {
      for (std::uint32_t r = 0; r < n; ++r)
        inputs_[r] = static_cast<const std::byte*>(parent_.call(parity, r).in) + begin * es;
      fold_arrays(type, op, inputs_.data(), n, static_cast<std::byte*>(out) + begin * es, end - begin);
    }
    parent_.barrier_.arrive_and_wait();
    // All-gather: copy every other owner's range out of its output.
    for (std::uint32_t step = 1; step < n; ++step) {
      const std::uint32_t r = (rank_ + step) % n;  // staggered so owners are not all read at once
      const std::size_t b = range_begin(r);
      const std::size_t e = range_end(r);
      if (e > b)
        std::memcpy(static_cast<std::byte*>(out) + b * es,
                    static_cast<const std::byte*>(parent_.call(parity, r).out) + b * es, (e - b) * es);
    }
    parent_.barrier_.arrive_and_wait();
  }

 private:
  SharedMemoryCollective& parent_;
  std::uint32_t rank_;
  std::uint64_t calls_ = 0;
  std::vector<const void*> inputs_;
};

SharedMemoryCollective::SharedMemoryCollective(std::uint32_t participants, Options options)
    : participants_(participants),
      options_(options),
      staging_stride_((options.small_max_bytes + kCacheLine - 1) / kCacheLine * kCacheLine),
      barrier_(participants, options.spin_iterations) {
  if (participants == 0) throw ReductionError("SharedMemoryCollective needs at least one participant");
  calls_.resize(2 * static_cast<std::size_t>(participants));
  if (participants > 1) staging_.resize(2 * static_cast<std::size_t>(participants) * staging_stride_ / kCacheLine);
  handles_.reserve(participants);
  for (std::uint32_t i = 0; i < participants; ++i) handles_.push_back(std::make_unique<Participant>(*this, i));
}

SharedMemoryCollective::~SharedMemoryCollective() = default;

GlobalReduction& SharedMemoryCollective::participant(std::uint32_t i) {
  if (i >= participants_)
    throw ReductionError("participant " + std::to_string(i) + " of a collective of " + std::to_string(participants_));
  return *handles_[i];
}

void SharedMemoryCollective::check_same_call(std::uint32_t parity) {
  const Call& first = call(parity, 0);
  for (std::uint32_t r = 1; r < participants_; ++r) {
    const Call& c = call(parity, r);
    if (c.count != first.count || c.type != first.type || c.op != first.op)
      throw ReductionError("all_reduce arguments differ between participants: rank 0 passed " +
                           std::to_string(first.count) + " × " + to_string(first.type) + " " + to_string(first.op) +
                           ", rank " + std::to_string(r) + " passed " + std::to_string(c.count) + " × " +
                           to_string(c.type) + " " + to_string(c.op));
  }
}

}  // namespace rk::cpu
