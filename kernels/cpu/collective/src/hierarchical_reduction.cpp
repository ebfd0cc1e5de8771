// HierarchicalReduction: local fold, cross-process fold at local rank 0, then a local broadcast done as a
// bitwise-Or all-reduce of the raw words (non-roots contribute zeros), which moves the bits exactly —
// a Sum with zeros would turn -0.0 into +0.0 — and carries a status word so a failure reaches everyone.
#include "rk/cpu/collective/hierarchical_reduction.hpp"

#include <cstring>
#include <exception>

namespace rk::cpu {

void HierarchicalReduction::all_reduce_bytes(const void* in, void* out, std::size_t count, ScalarType type,
                                             ReductionOp op) {
  check_supported(type, op);
  local_.all_reduce_bytes(in, out, count, type, op);
  if (cross_ == nullptr || cross_->participants() == 1) return;

  const std::size_t bytes = count * size_of(type);  // element sizes are 4 or 8: a whole number of words
  const std::size_t words = bytes / sizeof(std::uint32_t);
  words_.assign(words + 1, 0);
  std::exception_ptr error;
  if (local_.rank() == 0) {
    try {
      cross_->all_reduce_bytes(out, out, count, type, op);
      if (bytes != 0) std::memcpy(words_.data(), out, bytes);
    } catch (...) {
      error = std::current_exception();
      words_.assign(words + 1, 0);
      words_[words] = 1;
    }
  }
  local_.all_reduce_bytes(words_.data(), words_.data(), words + 1, ScalarType::U32, ReductionOp::Or);
  if (words_[words] != 0) {
    if (error) std::rethrow_exception(error);
    throw ReductionError("hierarchical reduction: the cross-process step failed on local rank 0");
  }
  if (local_.rank() != 0 && bytes != 0) std::memcpy(out, words_.data(), bytes);
}

}  // namespace rk::cpu
