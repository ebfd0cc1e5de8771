// The messages of the runtime suites' handlers: the backend-agnostic suite (suite_handlers.hpp) and the
// CUDA backend's (tests/cuda/device_handlers.hpp).
#pragma once

#include <cstdint>

namespace rk_test {

struct Ping {
  static constexpr std::uint32_t kTypeId = 1;
  std::uint64_t seq;
};
struct Count {
  static constexpr std::uint32_t kTypeId = 2;
  std::uint64_t value;
};
/// K2K payload: (source index, sequence).
struct Token {
  static constexpr std::uint32_t kTypeId = 3;
  std::uint32_t source;
  std::uint64_t seq;
};

}  // namespace rk_test
