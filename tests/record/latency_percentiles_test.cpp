// The exact nearest-rank percentiles the writer computes when a file is finished, where a wanted rank's
// histogram bucket is wide (large values) or holds most of the samples: the finished dataset is re-read,
// counting in ever narrower parts of the bucket instead of keeping the bucket's samples, so finishing
// needs no memory proportional to the samples. Checked against a sort of the same samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "record_test_util.hpp"
#include "rk/record/record.hpp"

namespace rk::record {
namespace {

using test::TempDir;

std::uint64_t nearest_rank(std::vector<std::uint64_t> v, std::uint64_t num, std::uint64_t den) {
  std::sort(v.begin(), v.end());
  const std::uint64_t rank = std::clamp<std::uint64_t>((v.size() * num + den - 1) / den, 1, v.size());
  return v[rank - 1];
}

void expect_exact(const ResultsReader& r, const std::string& probe, const std::vector<std::uint64_t>& v) {
  const std::string ds = "/latency/" + probe + "/samples_ns";
  EXPECT_EQ(r.u64_attr(ds, "count"), v.size()) << probe;
  EXPECT_EQ(r.u64_attr(ds, "p50_ns"), nearest_rank(v, 50, 100)) << probe;
  EXPECT_EQ(r.u64_attr(ds, "p90_ns"), nearest_rank(v, 90, 100)) << probe;
  EXPECT_EQ(r.u64_attr(ds, "p99_ns"), nearest_rank(v, 99, 100)) << probe;
  EXPECT_EQ(r.u64_attr(ds, "p999_ns"), nearest_rank(v, 999, 1000)) << probe;
}

TEST(RecordLatencyPercentiles, ExactInWideAndCrowdedBuckets) {
  TempDir dir;
  std::mt19937_64 rng(11);
  std::map<std::string, std::vector<std::uint64_t>> cases;
  // Values near 2^40: buckets 2^33 wide, narrowed in two passes.
  for (int i = 0; i < 100'000; ++i) cases["wide"].push_back((std::uint64_t{1} << 40) + rng() % (std::uint64_t{1} << 34));
  // Every magnitude from 1 to 2^62 (log-uniform), with ties.
  for (int i = 0; i < 100'000; ++i) {
    const std::uint64_t v = std::uint64_t{1} << (rng() % 62);
    cases["log_uniform"].push_back(i % 5 == 0 ? v : v + rng() % v);
  }
  // A crowded bucket: most samples within one bucket 4096 wide (values near 10^6), many chunks of them.
  for (int i = 0; i < 1'000'000; ++i) cases["crowded"].push_back(i % 100 == 0 ? rng() % 100'000'000 : 1'000'000 + rng() % 4096);
  // The edges of the widest buckets, where a part boundary could be missed.
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t lo = std::uint64_t{1} << (50 + i % 13);
    cases["edges"].push_back(i % 2 ? lo : lo + (lo >> 7) - 1);
  }
  cases["max"] = {UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 2, 0};

  WriterOptions options;
  options.latency_chunk_samples = 4096;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info(), options);
  for (const auto& [probe, v] : cases) file.latency(probe).append(v);
  file.finish(Status::complete);

  ResultsReader r(dir / "run.h5");
  for (const auto& [probe, v] : cases) expect_exact(r, probe, v);
}

}  // namespace
}  // namespace rk::record
