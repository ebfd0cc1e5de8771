// LatencyHistogram (rk/workloads/histogram.hpp): the percentiles the workloads report themselves, checked
// against exact nearest-rank percentiles of the same samples on known data (within half a bucket: exact
// below 256, at most 1/256 of the value above), its memory bounded whatever the number of samples; and
// LatencyStream (rk/workloads/latency_stream.hpp): samples reach the sink in chunks of at most `chunk`,
// all of them, in order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "rk/workloads/histogram.hpp"
#include "rk/workloads/latency_stream.hpp"

namespace rk::workloads {
namespace {

/// Nearest rank, as harness/record computes it: x[ceil(n·num/den)] of the sorted samples.
std::uint64_t exact(std::vector<std::uint64_t> v, std::uint64_t num, std::uint64_t den) {
  const std::uint64_t n = v.size();
  const std::uint64_t rank = std::clamp<std::uint64_t>((n * num + den - 1) / den, 1, n);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
  return v[rank - 1];
}

struct Fraction {
  std::uint64_t num, den;
};
constexpr Fraction kPercentiles[] = {{1, 1000}, {1, 100}, {10, 100}, {50, 100}, {90, 100},
                                     {99, 100}, {999, 1000}, {9999, 10000}, {1, 1}};

void expect_within_precision(const std::vector<std::uint64_t>& values, const char* what) {
  LatencyHistogram h;
  h.record(values);
  ASSERT_EQ(h.count(), values.size()) << what;
  EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end())) << what;
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end())) << what;
  for (const Fraction p : kPercentiles) {
    const std::uint64_t want = exact(values, p.num, p.den), got = h.percentile(p.num, p.den);
    const std::uint64_t diff = got > want ? got - want : want - got;
    EXPECT_LE(diff, LatencyHistogram::error_bound(want)) << what << " p" << p.num << "/" << p.den << ": " << got
                                                         << " vs exact " << want;
    EXPECT_LE(static_cast<double>(diff), static_cast<double>(want) / 256.0) << what << " p" << p.num << "/" << p.den;
    if (want < 256) {
      EXPECT_EQ(got, want) << what << " p" << p.num << "/" << p.den;
    }
  }
}

TEST(LatencyHistogram, ExactBelow256) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 0; i < 256; ++i)
    for (std::uint64_t k = 0; k <= i % 7; ++k) v.push_back(i);
  std::shuffle(v.begin(), v.end(), std::mt19937_64(1));
  LatencyHistogram h;
  h.record(v);
  for (std::uint64_t rank = 1; rank <= v.size(); ++rank) {
    std::vector<std::uint64_t> s = v;
    std::sort(s.begin(), s.end());
    ASSERT_EQ(h.value_at_rank(rank), s[rank - 1]) << rank;
  }
  for (std::uint64_t i = 0; i < 256; ++i) EXPECT_EQ(LatencyHistogram::error_bound(i), 0u);
}

TEST(LatencyHistogram, ErrorBoundIsHalfABucketAtMostAFraction256th) {
  EXPECT_EQ(LatencyHistogram::error_bound(256), 1u);   // [256, 512): buckets of 2
  EXPECT_EQ(LatencyHistogram::error_bound(511), 1u);
  EXPECT_EQ(LatencyHistogram::error_bound(512), 2u);   // [512, 1024): buckets of 4
  EXPECT_EQ(LatencyHistogram::error_bound(1'000'000), std::uint64_t{1} << 11);  // 2^19 ≤ v < 2^20: width 2^12
  for (std::uint64_t v = 256; v < (std::uint64_t{1} << 62); v = v * 3 + 7)
    EXPECT_LE(LatencyHistogram::error_bound(v) * 256, v) << v;
  EXPECT_LE(LatencyHistogram::error_bound(std::numeric_limits<std::uint64_t>::max()),
            std::numeric_limits<std::uint64_t>::max() / 256);
}

TEST(LatencyHistogram, PercentilesWithinPrecisionOnKnownData) {
  std::mt19937_64 rng(42);
  {
    std::vector<std::uint64_t> v(200'000);
    std::uniform_int_distribution<std::uint64_t> d(1, 2'000'000);
    for (auto& x : v) x = d(rng);
    expect_within_precision(v, "uniform 1..2e6");
  }
  {
    // Round-trip-like: a log-normal body around 500 ns with a tail to milliseconds.
    std::vector<std::uint64_t> v(300'000);
    std::lognormal_distribution<double> d(std::log(500.0), 0.6);
    for (auto& x : v) x = static_cast<std::uint64_t>(d(rng));
    for (std::size_t i = 0; i < v.size(); i += 997) v[i] = 1'000'000 + i;
    expect_within_precision(v, "log-normal with a tail");
  }
  {
    // Two groups, as the bounce lines fall into (about 210 and 360 ns), and a few huge values.
    std::vector<std::uint64_t> v;
    std::normal_distribution<double> a(210, 8), b(360, 12);
    for (int i = 0; i < 50'000; ++i) v.push_back(static_cast<std::uint64_t>(std::max(1.0, i % 3 ? a(rng) : b(rng))));
    v.push_back(std::uint64_t{1} << 40);
    v.push_back(std::numeric_limits<std::uint64_t>::max());
    expect_within_precision(v, "bimodal");
  }
  expect_within_precision(std::vector<std::uint64_t>(1000, 123'456'789), "constant");
  expect_within_precision({7}, "one sample");
  expect_within_precision({0, 0, 0, 1}, "zeros");
}

TEST(LatencyHistogram, MemoryDoesNotGrowWithSamples) {
  LatencyHistogram h;
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::uint64_t> d(100, 10'000'000);  // 100 ns to 10 ms
  std::uint64_t spread = 0;
  for (std::uint64_t v = 100; v < 10'000'000; v *= 2, ++spread) h.record(v);  // one value per range
  h.record(10'000'000);
  const std::size_t spanned = h.bytes();
  EXPECT_EQ(spanned, 18u * 1024u);  // values below 256: 2 KiB, then 16 powers of two of 1 KiB
  for (int i = 0; i < 2'000'000; ++i) h.record(d(rng));
  EXPECT_EQ(h.bytes(), spanned);
  EXPECT_EQ(h.count(), 2'000'001u + spread);
}

TEST(LatencyHistogram, MergeCopyReset) {
  std::vector<std::uint64_t> a, b;
  for (std::uint64_t i = 0; i < 5000; ++i) (i % 2 ? a : b).push_back(i * i % 100'003 + 1);
  LatencyHistogram ha, hb, all;
  ha.record(a);
  hb.record(b);
  all.record(a);
  all.record(b);
  LatencyHistogram merged = ha;  // a copy
  merged.merge(hb);
  EXPECT_EQ(ha.count(), a.size());  // the copy left the original alone
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  for (std::uint64_t r = 1; r <= all.count(); r += 37) EXPECT_EQ(merged.value_at_rank(r), all.value_at_rank(r)) << r;
  merged.reset();
  EXPECT_TRUE(merged.empty());
  EXPECT_EQ(merged.p50(), 0u);
  EXPECT_EQ(merged.bytes(), 0u);
}

/// A sink that keeps what a stream sends: the calls' sizes and the samples.
class RecordingSink final : public NullSink {
 public:
  std::map<std::string, std::vector<std::size_t>> calls;
  std::map<std::string, std::vector<std::uint64_t>> samples;
  void latency(const std::string& p, std::span<const std::uint64_t> s) override {
    calls[p].push_back(s.size());
    samples[p].insert(samples[p].end(), s.begin(), s.end());
  }
};

TEST(LatencyStream, SendsEverySampleInBoundedChunks) {
  RecordingSink sink;
  LatencyStream s("probe", 1000);
  s.attach(sink);
  std::vector<std::uint64_t> sent;
  for (std::uint64_t i = 0; i < 10'500; ++i) {
    s.add(i * 7 % 1009);
    sent.push_back(i * 7 % 1009);
    ASSERT_LT(s.buffered(), 1000u);
  }
  s.add(std::vector<std::uint64_t>(2500, 5));  // a span goes through the same buffer
  sent.insert(sent.end(), 2500, 5);
  EXPECT_EQ(sink.calls["probe"].size(), 13u);
  s.finish();
  const auto& calls = sink.calls["probe"];
  ASSERT_EQ(calls.size(), 14u);
  for (std::size_t i = 0; i + 1 < calls.size(); ++i) EXPECT_EQ(calls[i], 1000u);
  EXPECT_EQ(calls.back(), 0u);
  EXPECT_EQ(sink.samples["probe"], sent);  // all of them, in order
  EXPECT_EQ(s.count(), sent.size());
  EXPECT_EQ(s.histogram().max(), 1008u);
}

TEST(LatencyStream, FinishCreatesTheProbeWithoutSamples) {
  RecordingSink sink;
  LatencyStream s("empty");
  s.attach(sink);
  s.finish();
  ASSERT_EQ(sink.calls.count("empty"), 1u);
  EXPECT_EQ(sink.calls["empty"], std::vector<std::size_t>{0});
  s.finish();  // detached: nothing more
  EXPECT_EQ(sink.calls["empty"].size(), 1u);
}

TEST(LatencyStream, SamplesWithNoSinkAreAnError) {
  LatencyStream s("nowhere", 2);
  s.add(1);
  EXPECT_THROW(s.add(2), WorkloadError);
}

}  // namespace
}  // namespace rk::workloads
