// The control block and telemetry buffer the host shares with a kernel: reset, record_processed,
// record_error and snapshot.
#include <gtest/gtest.h>

#include <limits>
#include <algorithm>
#include <random>

#include "rk/core/control_block.hpp"

namespace {

constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

TEST(ControlBlock, ResetZeroesAndSetsKernelId) {
  rk::ControlBlock cb;
  std::memset(static_cast<void*>(&cb), 0xAB, sizeof(cb));
  rk::reset(cb, 17);
  EXPECT_EQ(cb.kernel_id, 17u);
  EXPECT_EQ(cb.is_active, 0u);
  EXPECT_EQ(cb.should_terminate, 0u);
  EXPECT_EQ(cb.has_terminated, 0u);
  EXPECT_EQ(cb.last_error, static_cast<std::uint32_t>(rk::KernelError::None));
  EXPECT_EQ(cb.messages_processed, 0u);
  EXPECT_EQ(cb.messages_in_flight, 0u);
  EXPECT_EQ(cb.input_head, 0u);
  EXPECT_EQ(cb.output_tail, 0u);
  EXPECT_EQ(cb.input_capacity, 0u);
  EXPECT_EQ(cb.hlc_physical, 0u);
  EXPECT_EQ(cb.hlc_logical, 0u);
  EXPECT_EQ(cb.error_count, 0u);
  EXPECT_EQ(cb.generation, 0u);
  for (const std::uint64_t r : cb.reserved) EXPECT_EQ(r, 0u);
}

TEST(ControlBlock, Layout) {
  EXPECT_EQ(sizeof(rk::ControlBlock), 128u);
  EXPECT_EQ(alignof(rk::ControlBlock), 128u);
  EXPECT_EQ(offsetof(rk::ControlBlock, kernel_id), 88u);
  EXPECT_EQ(offsetof(rk::ControlBlock, generation), 92u);
  EXPECT_EQ(offsetof(rk::ControlBlock, command), 96u);
  EXPECT_EQ(offsetof(rk::ControlBlock, heartbeat), 100u);
  EXPECT_EQ(offsetof(rk::ControlBlock, reserved), 104u);
  EXPECT_EQ(sizeof(rk::TelemetryBuffer), 64u);
  EXPECT_EQ(alignof(rk::TelemetryBuffer), 64u);
  EXPECT_EQ(offsetof(rk::TelemetryBuffer, min_latency_ns), 24u);
  EXPECT_EQ(offsetof(rk::TelemetryBuffer, max_latency_ns), 32u);
}

TEST(TelemetryBuffer, Reset) {
  rk::TelemetryBuffer t;
  std::memset(static_cast<void*>(&t), 0x5A, sizeof(t));
  rk::reset(t);
  EXPECT_EQ(t.messages_processed, 0u);
  EXPECT_EQ(t.messages_dropped, 0u);
  EXPECT_EQ(t.total_latency_ns, 0u);
  EXPECT_EQ(t.min_latency_ns, kU64Max) << "UINT64_MAX until the first message";
  EXPECT_EQ(t.max_latency_ns, 0u);
  EXPECT_EQ(t.input_queue_depth, 0u);
  EXPECT_EQ(t.output_queue_depth, 0u);
  EXPECT_EQ(t.last_error, 0u);
  EXPECT_EQ(t.error_count, 0u);
  EXPECT_EQ(t.latency_samples, 0u);
}

TEST(TelemetryBuffer, RecordProcessedMinMaxSum) {
  rk::TelemetryBuffer t;
  rk::reset(t);
  rk::record_processed(t, 500);
  EXPECT_EQ(t.messages_processed, 1u);
  EXPECT_EQ(t.min_latency_ns, 500u);
  EXPECT_EQ(t.max_latency_ns, 500u);
  EXPECT_EQ(t.total_latency_ns, 500u);
  EXPECT_EQ(t.latency_samples, 1u);

  std::mt19937_64 rng(99);
  std::uint64_t sum = 500, lo = 500, hi = 500;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t l = rng() % 1'000'000;
    rk::record_processed(t, l);
    sum += l;
    lo = std::min(lo, l);
    hi = std::max(hi, l);
  }
  EXPECT_EQ(t.messages_processed, 1001u);
  EXPECT_EQ(t.latency_samples, 1001u);
  EXPECT_EQ(t.total_latency_ns, sum);
  EXPECT_EQ(t.min_latency_ns, lo);
  EXPECT_EQ(t.max_latency_ns, hi);

  rk::record_processed(t, 0);
  EXPECT_EQ(t.min_latency_ns, 0u);
  EXPECT_EQ(t.max_latency_ns, hi);
}

TEST(TelemetryBuffer, RecordError) {
  rk::ControlBlock cb;
  rk::TelemetryBuffer t;
  rk::reset(cb, 1);
  rk::reset(t);
  rk::record_error(cb, t, rk::KernelError::DecodeFailed);
  EXPECT_EQ(cb.error_count, 1u);
  EXPECT_EQ(t.error_count, 1u);
  EXPECT_EQ(cb.last_error, static_cast<std::uint32_t>(rk::KernelError::DecodeFailed));
  EXPECT_EQ(t.last_error, static_cast<std::uint32_t>(rk::KernelError::DecodeFailed));
  rk::record_error(cb, t, rk::KernelError::OutputFull);
  rk::record_error(cb, t, rk::KernelError::HandlerError);
  EXPECT_EQ(cb.error_count, 3u);
  EXPECT_EQ(t.error_count, 3u);
  EXPECT_EQ(cb.last_error, 1u);
  EXPECT_EQ(t.last_error, 1u);
  EXPECT_EQ(t.messages_processed, 0u) << "errors do not count as processed";
}

TEST(TelemetryBuffer, SnapshotCopiesEveryField) {
  rk::TelemetryBuffer t;
  rk::reset(t);
  t.messages_processed = 1;
  t.messages_dropped = 2;
  t.total_latency_ns = 3;
  t.min_latency_ns = 4;
  t.max_latency_ns = 5;
  t.input_queue_depth = 6;
  t.output_queue_depth = 7;
  t.last_error = 8;
  t.error_count = 9;
  t.latency_samples = 10;
  const rk::TelemetryBuffer s = rk::snapshot(t);
  EXPECT_EQ(std::memcmp(&s, &t, sizeof(t)), 0);
}

}  // namespace
