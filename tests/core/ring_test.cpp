// Rings, single-threaded: FIFO order, exact capacity, statuses, many laps of wrap-around (also across the
// 32-bit sequence word), statistics, latency sampling, close(), blocking waits, create()/attach()
// validation, MessageSlot copies and batches. Every test runs on both SpscRing and MpscRing.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "rk/core/ring.hpp"

namespace {

struct Item {
  std::uint64_t seq;
  std::uint32_t tag;
  std::uint32_t check;
};
Item make_item(std::uint64_t seq) {
  return {seq, static_cast<std::uint32_t>(seq * 7 + 1), static_cast<std::uint32_t>(seq ^ 0xA5A5A5A5u)};
}
void expect_item(const Item& it, std::uint64_t seq) {
  EXPECT_EQ(it.seq, seq);
  EXPECT_EQ(it.tag, static_cast<std::uint32_t>(seq * 7 + 1));
  EXPECT_EQ(it.check, static_cast<std::uint32_t>(seq ^ 0xA5A5A5A5u));
}

/// 64-byte aligned memory owned by a test.
struct AlignedBuffer {
  explicit AlignedBuffer(std::size_t n) : bytes(n), p(static_cast<std::byte*>(::operator new(n + 64, std::align_val_t{64}))) {
    std::memset(p, 0xCD, n + 64);
  }
  ~AlignedBuffer() { ::operator delete(p, std::align_val_t{64}); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  std::size_t bytes;
  std::byte* p;
};

template <class R>
class RingTest : public ::testing::Test {};
using RingTypes = ::testing::Types<rk::SpscRing<Item>, rk::MpscRing<Item>>;
TYPED_TEST_SUITE(RingTest, RingTypes);

template <class R>
class SlotRingTest : public ::testing::Test {};
using SlotRingTypes = ::testing::Types<rk::SpscRing<rk::Slot>, rk::MpscRing<rk::Slot>, rk::MpscRing<rk::MessageSlot<128>>>;
TYPED_TEST_SUITE(SlotRingTest, SlotRingTypes);

TEST(QueueStatus, Strings) {
  EXPECT_STREQ(rk::to_string(rk::QueueStatus::Ok), "ok");
  EXPECT_STREQ(rk::to_string(rk::QueueStatus::Full), "queue is full");
  EXPECT_STREQ(rk::to_string(rk::QueueStatus::Empty), "queue is empty");
  EXPECT_STREQ(rk::to_string(rk::QueueStatus::Timeout), "operation timed out");
  EXPECT_STREQ(rk::to_string(rk::QueueStatus::Closed), "queue has been closed");
}

TYPED_TEST(RingTest, FifoOrder) {
  rk::OwnedRing<TypeParam> ring(16);
  ASSERT_TRUE(ring->valid());
  EXPECT_EQ(ring->capacity(), 16u);
  for (std::uint64_t i = 0; i < 10; ++i) ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok);
  EXPECT_EQ(ring->size(), 10u);
  for (std::uint64_t i = 0; i < 10; ++i) {
    Item out{};
    ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
    expect_item(out, i);
  }
  EXPECT_TRUE(ring->empty());
}

TYPED_TEST(RingTest, CapacityIsExactlyUsable) {
  for (const std::uint32_t cap : {2u, 4u, 64u, 1024u}) {
    rk::OwnedRing<TypeParam> ring(cap);
    for (std::uint32_t i = 0; i < cap; ++i) ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok) << i;
    EXPECT_TRUE(ring->full());
    EXPECT_EQ(ring->size(), cap);
    EXPECT_EQ(ring->free_slots(), 0u);
    EXPECT_EQ(ring->try_enqueue(make_item(cap)), rk::QueueStatus::Full);
    Item out{};
    ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
    expect_item(out, 0);
    EXPECT_EQ(ring->free_slots(), 1u);
    EXPECT_EQ(ring->try_enqueue(make_item(cap)), rk::QueueStatus::Ok);
    EXPECT_EQ(ring->try_enqueue(make_item(cap + 1)), rk::QueueStatus::Full);
    for (std::uint32_t i = 1; i <= cap; ++i) {
      ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
      expect_item(out, i);
    }
    EXPECT_EQ(ring->try_dequeue(out), rk::QueueStatus::Empty);
  }
}

TYPED_TEST(RingTest, EmptyRing) {
  rk::OwnedRing<TypeParam> ring(8);
  Item out{};
  EXPECT_TRUE(ring->empty());
  EXPECT_FALSE(ring->full());
  EXPECT_EQ(ring->free_slots(), 8u);
  EXPECT_FALSE(ring->has_message());
  EXPECT_FALSE(ring->peek(out));
  EXPECT_EQ(ring->try_dequeue(out), rk::QueueStatus::Empty);
  EXPECT_EQ(ring->try_dequeue(out), rk::QueueStatus::Empty);
}

TYPED_TEST(RingTest, PeekDoesNotConsume) {
  rk::OwnedRing<TypeParam> ring(4);
  ASSERT_EQ(ring->try_enqueue(make_item(5)), rk::QueueStatus::Ok);
  Item out{};
  EXPECT_TRUE(ring->has_message());
  ASSERT_TRUE(ring->peek(out));
  expect_item(out, 5);
  ASSERT_TRUE(ring->peek(out));
  ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
  expect_item(out, 5);
  EXPECT_FALSE(ring->has_message());
}

TYPED_TEST(RingTest, WrapAroundManyLaps) {
  rk::OwnedRing<TypeParam> ring(4);
  const std::uint64_t total = (1ull << 16) * 3 + 7;
  std::uint64_t sent = 0, received = 0, step = 0;
  while (received < total) {
    const std::uint64_t burst = 1 + (step++ % 4);  // 1..4 messages: every fill level and offset
    for (std::uint64_t k = 0; k < burst && sent < total; ++k)
      ASSERT_EQ(ring->try_enqueue(make_item(sent++)), rk::QueueStatus::Ok);
    Item out{};
    while (ring->try_dequeue(out) == rk::QueueStatus::Ok) {
      ASSERT_EQ(out.seq, received);
      ASSERT_EQ(out.check, static_cast<std::uint32_t>(received ^ 0xA5A5A5A5u));
      ++received;
    }
  }
  const rk::QueueStatistics s = ring->statistics();
  EXPECT_EQ(s.total_enqueued, total);
  EXPECT_EQ(s.total_dequeued, total);
  EXPECT_EQ(s.total_dropped, 0u);
}

// White box: move a fresh ring's positions to just below 2^32 so the 32-bit sequence words wrap while the
// 64-bit positions do not, then run several laps across the boundary.
TYPED_TEST(RingTest, SequenceWordWrapsPast32Bits) {
  constexpr std::uint32_t cap = 4;
  rk::OwnedRing<TypeParam> ring(cap);
  using Ops = typename TypeParam::Ops;
  using Cell = typename TypeParam::Cell;
  auto* st = static_cast<rk::RingState*>(ring->memory());
  auto* cells = reinterpret_cast<Cell*>(static_cast<std::byte*>(ring->memory()) + st->cells_offset);
  const std::uint64_t start = (1ull << 32) - 6;
  st->head = st->tail = start;
  for (std::uint64_t p = start; p < start + cap; ++p) Ops::seq(cells[p & (cap - 1)]) = static_cast<std::uint32_t>(p);
  for (std::uint64_t i = 0; i < 40; ++i) {
    ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok);
    ASSERT_EQ(ring->try_enqueue(make_item(i + 1000)), rk::QueueStatus::Ok);
    Item out{};
    ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
    expect_item(out, i);
    ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
    expect_item(out, i + 1000);
    ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Empty);
  }
  for (std::uint32_t i = 0; i < cap; ++i) ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok);
  EXPECT_EQ(ring->try_enqueue(make_item(99)), rk::QueueStatus::Full);
  EXPECT_EQ(ring->size(), cap);
}

TYPED_TEST(RingTest, Statistics) {
  rk::OwnedRing<TypeParam> ring(128);
  Item out{};
  for (std::uint64_t i = 0; i < 100; ++i) ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok);
  rk::QueueStatistics s = ring->statistics();
  EXPECT_EQ(s.total_enqueued, 100u);
  EXPECT_EQ(s.total_dequeued, 0u);
  EXPECT_EQ(s.total_dropped, 0u);
  EXPECT_EQ(s.peak_depth, 100u) << "the current depth counts when statistics are read";
  for (int i = 0; i < 40; ++i) ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
  for (std::uint64_t i = 100; i < 168; ++i) ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok);
  EXPECT_EQ(ring->try_enqueue(make_item(0)), rk::QueueStatus::Full);
  EXPECT_EQ(ring->try_enqueue(make_item(0)), rk::QueueStatus::Full);
  ring->close();
  EXPECT_EQ(ring->try_enqueue(make_item(0)), rk::QueueStatus::Closed);
  while (ring->try_dequeue(out) == rk::QueueStatus::Ok) {
  }
  s = ring->statistics();
  EXPECT_EQ(s.total_enqueued, 168u);
  EXPECT_EQ(s.total_dequeued, 168u);
  EXPECT_EQ(s.total_dropped, 3u) << "two Full and one Closed refusal";
  // Sampled at enqueue positions 0, 64 and 128: depths 1, 65 and 128 - 40 + 1 = 89; the true peak is 128.
  EXPECT_GE(s.peak_depth, 89u);
  EXPECT_LE(s.peak_depth, 128u);
  EXPECT_EQ(s.latency_samples, 0u) << "latency is tracked only when asked for";
  EXPECT_EQ(s.average_latency_ns, 0u);
}

// Regression: statistics() used to fold the current depth into the reported peak without keeping it,
// so the peak could go down between reads.
TYPED_TEST(RingTest, PeakDepthNeverDecreasesBetweenReads) {
  rk::OwnedRing<TypeParam> ring(128);
  for (std::uint64_t i = 0; i < 100; ++i) ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok);
  const std::uint64_t first = ring->statistics().peak_depth;
  EXPECT_EQ(first, 100u);
  Item out{};
  while (ring->try_dequeue(out) == rk::QueueStatus::Ok) {
  }
  EXPECT_GE(ring->statistics().peak_depth, first);
}

// Regression (see also RingStress.PeakDepthNeverExceedsCapacity): the consumer used to free a slot before
// advancing head, so a producer sampling in between recorded capacity + 1. Slots are now handed back by
// advancing head itself; a full ring, one dequeue, one enqueue at a sampled position stays within bounds.
TYPED_TEST(RingTest, SampledPeakNeverExceedsCapacity) {
  rk::OwnedRing<TypeParam> ring(64);
  for (std::uint64_t i = 0; i < 64; ++i) ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok);
  Item out{};
  ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
  ASSERT_EQ(ring->try_enqueue(make_item(64)), rk::QueueStatus::Ok);  // position 64: sampled
  EXPECT_EQ(ring->statistics().peak_depth, 64u);
}

TYPED_TEST(RingTest, TrackLatencyGivesSamples) {
  rk::OwnedRing<TypeParam> ring(256, rk::RingOptions{true});
  EXPECT_GT(ring.bytes(), TypeParam::bytes_required(256));
  EXPECT_EQ(ring.bytes(), TypeParam::bytes_required(256, rk::RingOptions{true}));
  Item out{};
  for (std::uint64_t i = 0; i < 64 * 10; ++i) {
    ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok);
    ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
    expect_item(out, i);
  }
  const rk::QueueStatistics s = ring->statistics();
  EXPECT_EQ(s.latency_samples, 10u) << "one message in 64 is sampled";
  EXPECT_LT(s.average_latency_ns, 1'000'000'000u);
}

TYPED_TEST(RingTest, TrackLatencySmallRing) {
  rk::OwnedRing<TypeParam> ring(4, rk::RingOptions{true});
  Item out{};
  for (std::uint64_t i = 0; i < 64 * 5; ++i) {
    ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok);
    ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
  }
  EXPECT_EQ(ring->statistics().latency_samples, 5u);
}

TYPED_TEST(RingTest, CloseDrainsThenReportsClosed) {
  rk::OwnedRing<TypeParam> ring(8);
  for (std::uint64_t i = 0; i < 3; ++i) ASSERT_EQ(ring->try_enqueue(make_item(i)), rk::QueueStatus::Ok);
  EXPECT_FALSE(ring->is_closed());
  ring->close();
  EXPECT_TRUE(ring->is_closed());
  EXPECT_EQ(ring->try_enqueue(make_item(9)), rk::QueueStatus::Closed);
  EXPECT_EQ(ring->enqueue(make_item(9), std::chrono::milliseconds(50)), rk::QueueStatus::Closed);
  Item out{};
  for (std::uint64_t i = 0; i < 3; ++i) {
    ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
    expect_item(out, i);
  }
  EXPECT_EQ(ring->try_dequeue(out), rk::QueueStatus::Closed);
  EXPECT_EQ(ring->try_dequeue(out), rk::QueueStatus::Closed);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ring->dequeue(out, std::chrono::seconds(30)), rk::QueueStatus::Closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20)) << "Closed is returned without waiting";
  ring->close();  // idempotent
  EXPECT_TRUE(ring->is_closed());
}

TYPED_TEST(RingTest, CloseOnEmptyRing) {
  rk::OwnedRing<TypeParam> ring(2);
  ring->close();
  Item out{};
  EXPECT_EQ(ring->try_dequeue(out), rk::QueueStatus::Closed);
  EXPECT_EQ(ring->try_enqueue(make_item(0)), rk::QueueStatus::Closed);
}

TYPED_TEST(RingTest, BlockingDequeueTimesOut) {
  rk::OwnedRing<TypeParam> ring(4);
  Item out{};
  const auto timeout = std::chrono::milliseconds(30);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ring->dequeue(out, timeout), rk::QueueStatus::Timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, timeout);
  EXPECT_EQ(ring->dequeue(out, std::chrono::nanoseconds(0)), rk::QueueStatus::Timeout);
}

TYPED_TEST(RingTest, BlockingEnqueueTimesOutWhenFull) {
  rk::OwnedRing<TypeParam> ring(2);
  ASSERT_EQ(ring->enqueue(make_item(0), std::chrono::milliseconds(10)), rk::QueueStatus::Ok);
  ASSERT_EQ(ring->enqueue(make_item(1), std::chrono::milliseconds(10)), rk::QueueStatus::Ok);
  const auto timeout = std::chrono::milliseconds(30);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ring->enqueue(make_item(2), timeout), rk::QueueStatus::Timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, timeout);
  Item out{};
  ASSERT_EQ(ring->dequeue(out, std::chrono::milliseconds(10)), rk::QueueStatus::Ok);
  expect_item(out, 0);
  EXPECT_EQ(ring->size(), 1u);
}

TYPED_TEST(RingTest, Batches) {
  rk::OwnedRing<TypeParam> ring(8);
  std::vector<Item> in;
  for (std::uint64_t i = 0; i < 10; ++i) in.push_back(make_item(i));
  EXPECT_EQ(ring->try_enqueue_batch(in.data(), 0), 0u);
  EXPECT_EQ(ring->try_enqueue_batch(in.data(), 10), 8u) << "stops at the first refusal";
  std::vector<Item> out(10);
  EXPECT_EQ(ring->try_dequeue_batch(out.data(), 5), 5u);
  for (std::uint64_t i = 0; i < 5; ++i) expect_item(out[i], i);
  EXPECT_EQ(ring->try_enqueue_batch(in.data() + 8, 2), 2u);
  EXPECT_EQ(ring->try_dequeue_batch(out.data(), 10), 5u);
  for (std::uint64_t i = 0; i < 5; ++i) expect_item(out[i], i + 5);
  EXPECT_EQ(ring->try_dequeue_batch(out.data(), 10), 0u);
  ring->close();
  EXPECT_EQ(ring->try_enqueue_batch(in.data(), 3), 0u);
}

TYPED_TEST(RingTest, CreateRejectsBadArguments) {
  const std::size_t need = TypeParam::bytes_required(64);
  AlignedBuffer buf(need + 64);
  for (const std::uint32_t cap : {0u, 1u, 3u, 6u, 100u, 1000u, (1u << 24) + 1, 1u << 25, 0x80000000u}) {
    EXPECT_FALSE(TypeParam::create(buf.p, buf.bytes + 64, cap).valid()) << "capacity " << cap;
  }
  EXPECT_FALSE(TypeParam::create(nullptr, need, 64).valid());
  EXPECT_FALSE(TypeParam::create(buf.p, need - 1, 64).valid()) << "short buffer";
  EXPECT_FALSE(TypeParam::create(buf.p, need, 64, rk::RingOptions{true}).valid()) << "no room for timestamps";
  for (const std::size_t misalign : {1u, 8u, 16u, 32u}) {
    EXPECT_FALSE(TypeParam::create(buf.p + misalign, need, 64).valid()) << "misaligned by " << misalign;
  }
  EXPECT_FALSE(TypeParam{}.valid());
  const TypeParam ok = TypeParam::create(buf.p, need, 64);
  ASSERT_TRUE(ok.valid());
  EXPECT_EQ(ok.capacity(), 64u);
  EXPECT_EQ(ok.memory(), buf.p);
  EXPECT_TRUE(TypeParam::create(buf.p, TypeParam::bytes_required(2), 2).valid()) << "smallest ring";
  EXPECT_THROW(rk::OwnedRing<TypeParam>(3), std::invalid_argument);
  EXPECT_THROW(rk::OwnedRing<TypeParam>(1), std::invalid_argument);
  EXPECT_THROW(rk::OwnedRing<TypeParam>(1u << 25), std::invalid_argument);
}

TYPED_TEST(RingTest, AttachSeesTheSameRing) {
  const std::size_t need = TypeParam::bytes_required(16);
  AlignedBuffer buf(need);
  TypeParam producer = TypeParam::create(buf.p, need, 16);
  ASSERT_TRUE(producer.valid());
  for (std::uint64_t i = 0; i < 5; ++i) ASSERT_EQ(producer.try_enqueue(make_item(i)), rk::QueueStatus::Ok);
  TypeParam consumer = TypeParam::attach(buf.p);
  ASSERT_TRUE(consumer.valid());
  EXPECT_EQ(consumer.capacity(), 16u);
  EXPECT_EQ(consumer.size(), 5u);
  Item out{};
  for (std::uint64_t i = 0; i < 5; ++i) {
    ASSERT_EQ(consumer.try_dequeue(out), rk::QueueStatus::Ok);
    expect_item(out, i);
  }
  EXPECT_TRUE(producer.empty());
  consumer.close();
  EXPECT_TRUE(producer.is_closed());
}

TYPED_TEST(RingTest, AttachRejectsForeignMemory) {
  AlignedBuffer buf(4096);
  std::memset(buf.p, 0, buf.bytes);
  EXPECT_FALSE(TypeParam::attach(buf.p).valid()) << "no magic";
  EXPECT_FALSE(TypeParam::attach(nullptr).valid());
  // A ring of another element size in the same memory.
  struct Wide {
    std::uint64_t w[9];
  };
  ASSERT_TRUE(rk::SpscRing<Wide>::create(buf.p, buf.bytes, 4).valid());
  EXPECT_FALSE(TypeParam::attach(buf.p).valid()) << "cell size mismatch";
}

// MessageSlot rings copy the header and payload_size bytes, and never the user's ring_seq.
TYPED_TEST(SlotRingTest, CopiesHeaderAndPayloadNotRingSeq) {
  using S = typename TypeParam::value_type;
  rk::OwnedRing<TypeParam> ring(4);
  for (std::uint32_t i = 0; i < 50; ++i) {  // many laps of a 4-slot ring
    S in{};
    in.header.message_id = {0x1111 + i, 0x2222};
    in.header.correlation_id = {0x3333, 0x4444 + i};
    in.header.timestamp = {1'000'000 + i, i, 7};
    in.header.type_id = 100 + i;
    in.header.source_kernel = 3;
    in.header.dest_kernel = 4;
    in.header.payload_size = static_cast<std::uint16_t>(i % (S::kPayloadCapacity + 1));
    in.header.priority = 200;
    in.header.flags = rk::message_flags::kReply;
    in.header.ring_seq = 0xDEADBEEF;  // must not reach the ring's sequence word
    for (std::uint32_t k = 0; k < S::kPayloadCapacity; ++k) in.payload[k] = static_cast<std::byte>(k + i);
    ASSERT_EQ(ring->try_enqueue(in), rk::QueueStatus::Ok) << i;

    S out;
    std::memset(static_cast<void*>(&out), 0xEE, sizeof(out));
    out.header.ring_seq = 0x12345678;
    ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok) << i;
    EXPECT_EQ(std::memcmp(&out.header, &in.header, offsetof(rk::MessageHeader, ring_seq)), 0) << i;
    EXPECT_EQ(out.header.ring_seq, 0x12345678u) << "dequeue does not write the ring's sequence word out";
    const std::uint32_t n = in.header.payload_size;
    EXPECT_EQ(std::memcmp(out.payload, in.payload, n), 0) << i;
    // Payloads move in 16-byte words (one 128-bit access each on a GPU): past the last word, nothing.
    for (std::uint32_t k = (n + 15) / 16 * 16; k < S::kPayloadCapacity; ++k)
      ASSERT_EQ(out.payload[k], std::byte{0xEE}) << "bytes past payload_size's last 16-byte word are not copied (" << i << ")";
    ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Empty);
  }
}

TYPED_TEST(SlotRingTest, FullRingWithRingSeqSet) {
  using S = typename TypeParam::value_type;
  rk::OwnedRing<TypeParam> ring(8);
  for (std::uint32_t lap = 0; lap < 5; ++lap) {
    for (std::uint32_t i = 0; i < 8; ++i) {
      S in{};
      in.header.type_id = lap * 8 + i;
      in.header.ring_seq = i * 0x01010101u;  // junk in the user's copy
      ASSERT_EQ(ring->try_enqueue(in), rk::QueueStatus::Ok);
    }
    S extra{};
    EXPECT_EQ(ring->try_enqueue(extra), rk::QueueStatus::Full);
    for (std::uint32_t i = 0; i < 8; ++i) {
      S out{};
      ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
      EXPECT_EQ(out.header.type_id, lap * 8 + i);
    }
  }
}

TYPED_TEST(SlotRingTest, OversizedPayloadSizeIsClamped) {
  using S = typename TypeParam::value_type;
  rk::OwnedRing<TypeParam> ring(2);
  S in{};
  in.header.payload_size = 0xFFFF;
  for (std::uint32_t k = 0; k < S::kPayloadCapacity; ++k) in.payload[k] = static_cast<std::byte>(k * 5);
  ASSERT_EQ(ring->try_enqueue(in), rk::QueueStatus::Ok);
  S out{};
  ASSERT_EQ(ring->try_dequeue(out), rk::QueueStatus::Ok);
  EXPECT_EQ(out.header.payload_size, 0xFFFF);
  EXPECT_EQ(std::memcmp(out.payload, in.payload, S::kPayloadCapacity), 0);
}

TEST(SlotRing, SlotCellIsTheSlotItself) {
  // No wrapper: the sequence word is the header's ring_seq, so cells are exactly slot-sized.
  static_assert(sizeof(rk::SpscRing<rk::Slot>::Cell) == sizeof(rk::Slot));
  EXPECT_EQ(rk::SpscRing<rk::Slot>::bytes_required(16), sizeof(rk::RingState) + 16 * sizeof(rk::Slot));
}

}  // namespace
