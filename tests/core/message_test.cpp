// Messages: typed encode/decode through a slot, by-reference payloads through an arena, the
// RingMessage/DomainMessage concepts, priorities and slot sizes.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "rk/core/message.hpp"

namespace {

struct Ping {
  static constexpr std::uint32_t kTypeId = 7;
  std::uint64_t seq;
  double value;
};
struct Pong {
  static constexpr std::uint32_t kTypeId = 8;
  std::uint64_t seq;
  double value;
};
struct PingAlias {  // same type id as Ping, another size: decoding must reject it on size
  static constexpr std::uint32_t kTypeId = 7;
  std::uint32_t seq;
};
struct Big {  // does not fit the 192-byte inline payload of rk::Slot: goes by reference
  static constexpr std::uint32_t kTypeId = 9;
  std::array<std::uint64_t, 64> words;
};
struct Exact64 {  // exactly fills the inline payload of a 128-byte slot
  static constexpr std::uint32_t kTypeId = 77;
  std::array<std::byte, 64> bytes;
};
struct Trade {
  static constexpr rk::Domain kDomain = rk::Domain::OrderMatching;
  static constexpr std::uint32_t kTypeId = 501;
  std::uint64_t qty;
};

// Concept checks, positive and negative.
struct NoTypeId {
  std::uint64_t x;
};
struct NotTrivial {
  static constexpr std::uint32_t kTypeId = 3;
  std::vector<int> v;
};
struct NotStandardLayout {
  static constexpr std::uint32_t kTypeId = 4;
  int a;

 private:
  int b = 0;
};
struct WrongDomainRange {  // 1001 belongs to FraudDetection, not OrderMatching
  static constexpr rk::Domain kDomain = rk::Domain::OrderMatching;
  static constexpr std::uint32_t kTypeId = 1001;
  int x;
};
struct CustomMsg {
  static constexpr rk::Domain kDomain = rk::Domain::Custom;
  static constexpr std::uint32_t kTypeId = 10000;
  int x;
};
struct CustomTooLow {
  static constexpr rk::Domain kDomain = rk::Domain::Custom;
  static constexpr std::uint32_t kTypeId = 9999;
  int x;
};
struct DomainBoundaryFirst {
  static constexpr rk::Domain kDomain = rk::Domain::FinancialAudit;
  static constexpr std::uint32_t kTypeId = 1900;
  int x;
};
struct DomainBoundaryLast {
  static constexpr rk::Domain kDomain = rk::Domain::FinancialAudit;
  static constexpr std::uint32_t kTypeId = 1999;
  int x;
};
struct DomainBoundaryPast {
  static constexpr rk::Domain kDomain = rk::Domain::FinancialAudit;
  static constexpr std::uint32_t kTypeId = 2000;
  int x;
};

static_assert(rk::RingMessage<Ping>);
static_assert(rk::RingMessage<Big>);
static_assert(rk::RingMessage<Trade>);
static_assert(!rk::RingMessage<NoTypeId>);
static_assert(!rk::RingMessage<NotTrivial>);
static_assert(!rk::RingMessage<NotStandardLayout>);
static_assert(!rk::RingMessage<int>);

static_assert(rk::DomainMessage<Trade>);
static_assert(rk::DomainMessage<CustomMsg>);
static_assert(rk::DomainMessage<DomainBoundaryFirst>);
static_assert(rk::DomainMessage<DomainBoundaryLast>);
static_assert(!rk::DomainMessage<DomainBoundaryPast>);
static_assert(!rk::DomainMessage<CustomTooLow>);
static_assert(!rk::DomainMessage<WrongDomainRange>);
static_assert(!rk::DomainMessage<Ping>);  // a RingMessage without kDomain
static_assert(!rk::DomainMessage<NotTrivial>);

static_assert(rk::Slot::kPayloadCapacity == 192);
static_assert(rk::MessageSlot<128>::kPayloadCapacity == 64);
static_assert(sizeof(rk::MessageSlot<1024>) == 1024);
static_assert(alignof(rk::Slot) == rk::kCacheLine);

TEST(MessageId, NilAndEquality) {
  rk::MessageId a;
  EXPECT_TRUE(a.is_nil());
  rk::MessageId b{1, 0};
  EXPECT_FALSE(b.is_nil());
  EXPECT_FALSE((rk::MessageId{0, 1}.is_nil()));
  EXPECT_EQ(b, (rk::MessageId{1, 0}));
  EXPECT_NE(a, b);
  EXPECT_NE((rk::MessageId{1, 2}), (rk::MessageId{2, 1}));
}

TEST(Priority, Classes) {
  using rk::PriorityClass;
  EXPECT_EQ(rk::priority_class(0), PriorityClass::Low);
  EXPECT_EQ(rk::priority_class(63), PriorityClass::Low);
  EXPECT_EQ(rk::priority_class(64), PriorityClass::Normal);
  EXPECT_EQ(rk::priority_class(128), PriorityClass::Normal);
  EXPECT_EQ(rk::priority_class(159), PriorityClass::Normal);
  EXPECT_EQ(rk::priority_class(160), PriorityClass::High);
  EXPECT_EQ(rk::priority_class(191), PriorityClass::High);
  EXPECT_EQ(rk::priority_class(192), PriorityClass::Critical);
  EXPECT_EQ(rk::priority_class(255), PriorityClass::Critical);
}

// Regression: priority_class(kNormal) used to be High (the seed's ranges put 128 in 128–191).
TEST(Priority, NamedLevelsFallInTheirOwnClass) {
  using rk::PriorityClass;
  EXPECT_EQ(rk::priority_class(rk::priority::kLow), PriorityClass::Low);
  EXPECT_EQ(rk::priority_class(rk::priority::kNormal), PriorityClass::Normal);
  EXPECT_EQ(rk::priority_class(rk::priority::kHigh), PriorityClass::High);
  EXPECT_EQ(rk::priority_class(rk::priority::kCritical), PriorityClass::Critical);
}

TEST(MessageSlot, UsedBytes) {
  rk::Slot s{};
  EXPECT_EQ(s.used_bytes(), 64u);
  s.header.payload_size = 10;
  EXPECT_EQ(s.used_bytes(), 74u);
  s.header.payload_size = 192;
  EXPECT_EQ(s.used_bytes(), 256u);
  s.header.payload_size = 60000;  // clamped to the slot
  EXPECT_EQ(s.used_bytes(), 256u);
}

TEST(Codec, RoundTrip) {
  rk::Slot s{};
  s.header.flags = rk::message_flags::kReply | rk::message_flags::kPayloadByRef;
  const Ping in{42, 3.5};
  rk::encode(s, in);
  EXPECT_EQ(s.header.type_id, Ping::kTypeId);
  EXPECT_EQ(s.header.payload_size, sizeof(Ping));
  EXPECT_EQ(s.header.flags, rk::message_flags::kReply) << "encode clears only the by-ref flag";
  Ping out{};
  ASSERT_EQ(rk::decode(s, out), rk::DecodeStatus::Ok);
  EXPECT_EQ(out.seq, 42u);
  EXPECT_EQ(out.value, 3.5);
}

TEST(Codec, RoundTripSmallestSlot) {
  rk::MessageSlot<128> s{};
  Exact64 in{}, out{};
  for (std::size_t i = 0; i < in.bytes.size(); ++i) in.bytes[i] = static_cast<std::byte>(i * 3 + 1);
  rk::encode(s, in);
  ASSERT_EQ(rk::decode(s, out), rk::DecodeStatus::Ok);
  EXPECT_EQ(in.bytes, out.bytes);
}

TEST(Codec, WrongType) {
  rk::Slot s{};
  rk::encode(s, Ping{1, 2.0});
  Pong out{};
  EXPECT_EQ(rk::decode(s, out), rk::DecodeStatus::WrongType);
}

TEST(Codec, WrongSize) {
  rk::Slot s{};
  rk::encode(s, Ping{1, 2.0});
  PingAlias out{};
  EXPECT_EQ(rk::decode(s, out), rk::DecodeStatus::WrongSize);
  s.header.payload_size = 0;
  Ping p{};
  EXPECT_EQ(rk::decode(s, p), rk::DecodeStatus::WrongSize);
}

class ArenaFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    memory_.resize(4096);
    arena_ = rk::ArenaView{memory_.data(), memory_.size(), 5};
    for (std::size_t i = 0; i < big_.words.size(); ++i) big_.words[i] = i * 0x9E3779B97F4A7C15ull;
    std::memcpy(memory_.data() + kOffset, &big_, sizeof(Big));
  }
  static constexpr std::uint64_t kOffset = 1024;
  std::vector<std::byte> memory_;
  rk::ArenaView arena_;
  Big big_{};
};

TEST_F(ArenaFixture, ByReferenceRoundTrip) {
  rk::Slot s{};
  rk::encode_by_ref(s, Big::kTypeId, rk::PayloadRef{kOffset, sizeof(Big), 5, Big::kTypeId});
  EXPECT_TRUE(s.header.flags & rk::message_flags::kPayloadByRef);
  EXPECT_EQ(s.header.payload_size, sizeof(rk::PayloadRef));
  Big out{};
  ASSERT_EQ(rk::decode(s, out, &arena_), rk::DecodeStatus::Ok);
  EXPECT_EQ(out.words, big_.words);
}

TEST_F(ArenaFixture, ByReferenceAtEndOfArena) {
  const std::uint64_t off = memory_.size() - sizeof(Big);
  std::memcpy(memory_.data() + off, &big_, sizeof(Big));
  rk::Slot s{};
  rk::encode_by_ref(s, Big::kTypeId, rk::PayloadRef{off, sizeof(Big), 5, Big::kTypeId});
  Big out{};
  ASSERT_EQ(rk::decode(s, out, &arena_), rk::DecodeStatus::Ok);
  EXPECT_EQ(out.words, big_.words);
}

TEST_F(ArenaFixture, OutOfBoundsReferenceIsBadReference) {
  Big out{};
  for (const std::uint64_t off : {memory_.size() - sizeof(Big) + 1, std::uint64_t{memory_.size()},
                                  std::uint64_t{memory_.size()} + 1, ~std::uint64_t{0},
                                  ~std::uint64_t{0} - sizeof(Big) + 2}) {
    rk::Slot s{};
    rk::encode_by_ref(s, Big::kTypeId, rk::PayloadRef{off, sizeof(Big), 5, Big::kTypeId});
    EXPECT_EQ(rk::decode(s, out, &arena_), rk::DecodeStatus::BadReference) << "offset " << off;
  }
}

TEST_F(ArenaFixture, WrongArenaOrNoArenaIsBadReference) {
  rk::Slot s{};
  rk::encode_by_ref(s, Big::kTypeId, rk::PayloadRef{kOffset, sizeof(Big), 6, Big::kTypeId});
  Big out{};
  EXPECT_EQ(rk::decode(s, out, &arena_), rk::DecodeStatus::BadReference);
  rk::encode_by_ref(s, Big::kTypeId, rk::PayloadRef{kOffset, sizeof(Big), 5, Big::kTypeId});
  EXPECT_EQ(rk::decode(s, out), rk::DecodeStatus::BadReference);
}

TEST_F(ArenaFixture, ReferenceWithWrongSizeOrTypeIsWrongSize) {
  Big out{};
  rk::Slot s{};
  rk::encode_by_ref(s, Big::kTypeId, rk::PayloadRef{kOffset, sizeof(Big) - 8, 5, Big::kTypeId});
  EXPECT_EQ(rk::decode(s, out, &arena_), rk::DecodeStatus::WrongSize);
  rk::encode_by_ref(s, Big::kTypeId, rk::PayloadRef{kOffset, sizeof(Big), 5, Ping::kTypeId});
  EXPECT_EQ(rk::decode(s, out, &arena_), rk::DecodeStatus::WrongSize);
  rk::encode_by_ref(s, Big::kTypeId, rk::PayloadRef{kOffset, sizeof(Big), 5, Big::kTypeId});
  s.header.payload_size = 16;
  EXPECT_EQ(rk::decode(s, out, &arena_), rk::DecodeStatus::WrongSize);
  Ping p{};
  EXPECT_EQ(rk::decode(s, p, &arena_), rk::DecodeStatus::WrongType);
}

TEST_F(ArenaFixture, ResolveBounds) {
  EXPECT_EQ(arena_.resolve({0, 4096, 5, 0}), memory_.data());
  EXPECT_EQ(arena_.resolve({4096, 0, 5, 0}), memory_.data() + 4096);  // empty reference at the end
  EXPECT_EQ(arena_.resolve({0, 4097, 5, 0}), nullptr);
  EXPECT_EQ(arena_.resolve({4097, 0, 5, 0}), nullptr);
  EXPECT_EQ(arena_.resolve({1, ~std::uint64_t{0}, 5, 0}), nullptr);  // offset + size would wrap
  EXPECT_EQ(arena_.resolve({0, 1, 4, 0}), nullptr);
}

TEST(Codec, EncodeAfterByRefClearsFlag) {
  rk::Slot s{};
  rk::encode_by_ref(s, 1, rk::PayloadRef{0, 8, 0, 1});
  rk::encode(s, Ping{9, 1.0});
  EXPECT_FALSE(s.header.flags & rk::message_flags::kPayloadByRef);
  Ping out{};
  EXPECT_EQ(rk::decode(s, out), rk::DecodeStatus::Ok);
  EXPECT_EQ(out.seq, 9u);
}

}  // namespace
