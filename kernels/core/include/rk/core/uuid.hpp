// Host-side message ids: random version-4 UUIDs from a per-thread generator (no locks, no syscalls
// after the first call on a thread).
#pragma once

#include <random>
#include <string>

#include "rk/core/message.hpp"

namespace rk {

/// A random RFC 4122 version-4 UUID.
inline MessageId new_message_id() {
  struct Gen {
    std::uint64_t s[4];
    Gen() {
      std::random_device rd;
      for (auto& w : s) w = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    }
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t next() {  // xoshiro256**
      const std::uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
      s[2] ^= s[0];
      s[3] ^= s[1];
      s[1] ^= s[2];
      s[0] ^= s[3];
      s[2] ^= t;
      s[3] = rotl(s[3], 45);
      return r;
    }
  };
  thread_local Gen gen;
  MessageId id{gen.next(), gen.next()};
  id.hi = (id.hi & ~0xF000ull) | 0x4000ull;                      // version 4
  id.lo = (id.lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant
  return id;
}

/// Canonical 8-4-4-4-12 text form.
inline std::string to_string(const MessageId& id) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 32; ++i) {
    const std::uint64_t w = i < 16 ? id.hi : id.lo;
    const int shift = 60 - 4 * (i % 16);
    s.push_back(hex[(w >> shift) & 0xF]);
    if (i == 7 || i == 11 || i == 15 || i == 19) s.push_back('-');
  }
  return s;
}

}  // namespace rk
