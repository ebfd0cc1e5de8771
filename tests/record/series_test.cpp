// Golden tests of the appendable series: latency samples and percentiles, throughput rates, telemetry
// rows, the event log, kernel-id escaping, periodic flushing and concurrent appends.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <thread>

#include "record_test_util.hpp"
#include "rk/record/record.hpp"

namespace rk::record {
namespace {

using test::RawFile;
using test::TempDir;

// The schema's definition: x[ceil(n * num / den)] in integer arithmetic, rank clamped to 1..n.
std::uint64_t nearest_rank(std::vector<std::uint64_t> sorted, std::uint64_t num, std::uint64_t den) {
  std::sort(sorted.begin(), sorted.end());
  const std::uint64_t rank = std::clamp<std::uint64_t>((sorted.size() * num + den - 1) / den, 1, sorted.size());
  return sorted[rank - 1];
}

void expect_percentiles(const ResultsReader& reader, const std::string& dataset,
                        const std::vector<std::uint64_t>& samples) {
  EXPECT_EQ(reader.u64_attr(dataset, "count"), samples.size());
  EXPECT_EQ(reader.u64_attr(dataset, "p50_ns"), nearest_rank(samples, 50, 100));
  EXPECT_EQ(reader.u64_attr(dataset, "p90_ns"), nearest_rank(samples, 90, 100));
  EXPECT_EQ(reader.u64_attr(dataset, "p99_ns"), nearest_rank(samples, 99, 100));
  EXPECT_EQ(reader.u64_attr(dataset, "p999_ns"), nearest_rank(samples, 999, 1000));
  EXPECT_EQ(reader.u64_attr(dataset, "min_ns"), *std::min_element(samples.begin(), samples.end()));
  EXPECT_EQ(reader.u64_attr(dataset, "max_ns"), *std::max_element(samples.begin(), samples.end()));
  long double sum = 0;
  for (auto v : samples) sum += v;
  EXPECT_NEAR(reader.f64_attr(dataset, "mean_ns"), static_cast<double>(sum / samples.size()),
              1e-9 * static_cast<double>(sum / samples.size()));
}

TEST(RecordLatency, PercentilesOfOneToThousand) {
  TempDir dir;
  std::vector<std::uint64_t> samples(1000);
  std::iota(samples.begin(), samples.end(), 1);
  std::shuffle(samples.begin(), samples.end(), std::mt19937_64(1));
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  file.latency("rtt").append(samples);
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  const std::string ds = "/latency/rtt/samples_ns";
  EXPECT_EQ(reader.u64_attr(ds, "count"), 1000u);
  EXPECT_EQ(reader.u64_attr(ds, "p50_ns"), 500u);
  EXPECT_EQ(reader.u64_attr(ds, "p90_ns"), 900u);
  EXPECT_EQ(reader.u64_attr(ds, "p99_ns"), 990u);
  EXPECT_EQ(reader.u64_attr(ds, "p999_ns"), 999u);
  EXPECT_EQ(reader.u64_attr(ds, "max_ns"), 1000u);
  EXPECT_EQ(reader.u64_attr(ds, "min_ns"), 1u);
  EXPECT_DOUBLE_EQ(reader.f64_attr(ds, "mean_ns"), 500.5);
  EXPECT_EQ(reader.string_attr(ds, "percentile_method"), "nearest-rank");
  EXPECT_EQ(reader.string_attr("/latency/rtt", "probe"), "rtt");
  EXPECT_EQ(reader.read_array<std::uint64_t>(ds), samples);

  RawFile raw(dir / "run.h5");
  for (const char* attr : {"count", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "min_ns"}) {
    const auto t = test::attr_type(raw.id(), ds, attr);
    EXPECT_EQ(t.type_class, H5T_INTEGER) << attr;
    EXPECT_EQ(t.size, 8u) << attr;
    EXPECT_FALSE(t.is_signed) << attr;
  }
  EXPECT_EQ(test::attr_type(raw.id(), ds, "mean_ns").type_class, H5T_FLOAT);
}

TEST(RecordLatency, RawSamplesRoundTripAcrossChunks) {
  TempDir dir;
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> latency(8.0, 1.5);  // ~3 µs median, heavy tail
  std::vector<std::uint64_t> samples(200'000);
  for (auto& s : samples) s = static_cast<std::uint64_t>(latency(rng));
  samples[12345] = std::uint64_t{1} << 50;  // a huge outlier lands in a sparse bucket

  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  auto rtt = file.latency("round trip");
  std::size_t offset = 0;
  for (std::size_t piece : {1u, 999u, 65'536u, 70'000u, 3u}) {
    rtt.append(std::span<const std::uint64_t>(samples).subspan(offset, piece));
    offset += piece;
  }
  rtt.append(std::span<const std::uint64_t>(samples).subspan(offset));
  EXPECT_EQ(rtt.count(), samples.size());
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  const std::string ds = "/latency/round trip/samples_ns";
  EXPECT_EQ(reader.read_array<std::uint64_t>(ds), samples);
  expect_percentiles(reader, ds, samples);

  RawFile raw(dir / "run.h5");
  const auto layout = test::dataset_layout(raw.id(), ds);
  EXPECT_EQ(layout.chunk, 64u * 1024u);
  EXPECT_NE(std::find(layout.filters.begin(), layout.filters.end(), H5Z_FILTER_DEFLATE), layout.filters.end());
  EXPECT_NE(std::find(layout.filters.begin(), layout.filters.end(), H5Z_FILTER_SHUFFLE), layout.filters.end());
  const auto type = test::dataset_type(raw.id(), ds);
  EXPECT_EQ(type.type_class, H5T_INTEGER);
  EXPECT_EQ(type.size, 8u);
  EXPECT_FALSE(type.is_signed);
}

TEST(RecordLatency, ExactPercentilesForTightAndSkewedData) {
  TempDir dir;
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> tight(50'000);
  for (auto& s : tight) s = 1'000'000 + rng() % 50;  // all within a few histogram buckets
  std::vector<std::uint64_t> constant(777, 123'456'789);
  std::vector<std::uint64_t> tiny{5, 3, 9};
  std::vector<std::uint64_t> extremes{0, UINT64_MAX, 1, UINT64_MAX - 1};

  WriterOptions options;
  options.latency_chunk_samples = 1000;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info(), options);
  file.latency("tight").append(tight);
  file.latency("constant").append(constant);
  file.latency("tiny").append(tiny);
  file.latency("extremes").append(extremes);
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  expect_percentiles(reader, "/latency/tight/samples_ns", tight);
  expect_percentiles(reader, "/latency/constant/samples_ns", constant);
  expect_percentiles(reader, "/latency/tiny/samples_ns", tiny);
  EXPECT_EQ(reader.u64_attr("/latency/extremes/samples_ns", "p50_ns"), 1u);
  EXPECT_EQ(reader.u64_attr("/latency/extremes/samples_ns", "p90_ns"), UINT64_MAX);
  EXPECT_EQ(reader.u64_attr("/latency/extremes/samples_ns", "max_ns"), UINT64_MAX);
  EXPECT_EQ(reader.u64_attr("/latency/tiny/samples_ns", "p50_ns"), 5u);
}

TEST(RecordLatency, ZeroSamplesHaveCountOnly) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  (void)file.latency("idle");
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  const std::string ds = "/latency/idle/samples_ns";
  EXPECT_EQ(reader.length(ds), 0u);
  EXPECT_EQ(reader.u64_attr(ds, "count"), 0u);
  for (const char* attr : {"p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "min_ns", "mean_ns"}) {
    EXPECT_FALSE(reader.has_attr(ds, attr)) << attr;
  }
}

TEST(RecordLatency, SameProbeIsTheSameSeries) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  file.latency("rtt").append(1);
  file.latency("rtt").append(2);
  EXPECT_EQ(file.latency("rtt").count(), 2u);
  file.finish(Status::complete);
  EXPECT_EQ(ResultsReader(dir / "run.h5").read_array<std::uint64_t>("/latency/rtt/samples_ns"),
            (std::vector<std::uint64_t>{1, 2}));
}

TEST(RecordThroughput, PerIntervalCountsAndRate) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  auto tp = file.throughput("ping");
  tp.append(0, 0, 0);
  tp.append(1'000'000'000, 100, 6'400);
  tp.append(2'000'000'000, 300, 19'200);
  EXPECT_EQ(tp.count(), 3u);
  auto single = file.throughput("single");
  single.append(5, 10, 20);
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.read_array<std::uint64_t>("/throughput/ping/t_ns"),
            (std::vector<std::uint64_t>{0, 1'000'000'000, 2'000'000'000}));
  EXPECT_EQ(reader.read_array<std::uint64_t>("/throughput/ping/messages"), (std::vector<std::uint64_t>{0, 100, 300}));
  EXPECT_EQ(reader.read_array<std::uint64_t>("/throughput/ping/bytes"), (std::vector<std::uint64_t>{0, 6'400, 19'200}));
  EXPECT_DOUBLE_EQ(reader.f64_attr("/throughput/ping", "messages_per_second"), 200.0);
  EXPECT_DOUBLE_EQ(reader.f64_attr("/throughput/ping", "bytes_per_second"), 12'800.0);
  EXPECT_EQ(reader.u64_attr("/throughput/ping", "messages_total"), 400u);
  EXPECT_EQ(reader.u64_attr("/throughput/ping", "bytes_total"), 25'600u);
  EXPECT_EQ(reader.u64_attr("/throughput/ping", "duration_ns"), 2'000'000'000u);
  EXPECT_EQ(reader.u64_attr("/throughput/ping", "count"), 3u);
  EXPECT_EQ(reader.string_attr("/throughput/ping", "probe"), "ping");

  EXPECT_EQ(reader.u64_attr("/throughput/single", "messages_total"), 10u);
  EXPECT_FALSE(reader.has_attr("/throughput/single", "messages_per_second"));
}

TEST(RecordThroughput, ManyRowsSpanSeveralChunks) {
  TempDir dir;
  WriterOptions options;
  options.row_chunk = 100;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info(), options);
  auto tp = file.throughput("bulk");
  for (std::uint64_t i = 0; i <= 1000; ++i) tp.append(i * 1'000'000, i == 0 ? 0 : 50, i == 0 ? 0 : 500);
  file.finish(Status::complete);
  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.length("/throughput/bulk/t_ns"), 1001u);
  EXPECT_DOUBLE_EQ(reader.f64_attr("/throughput/bulk", "messages_per_second"), 50'000.0);
}

TelemetryRow telemetry_row(std::uint64_t i) {
  TelemetryRow row;
  row.t_ns = 1000 * i;
  row.messages_processed = 10 * i;
  row.messages_dropped = i;
  row.total_latency_ns = 5000 * i;
  row.min_latency_ns = 40 + i;
  row.max_latency_ns = 900 + i;
  row.input_queue_depth = 3 * i;
  row.output_queue_depth = 2 * i;
  row.last_error = static_cast<std::uint32_t>(i % 2);
  row.error_count = i / 2;
  row.in_flight = 7 + i;
  row.is_active = i % 2 == 0;
  row.has_terminated = i == 2;
  return row;
}

TEST(RecordTelemetry, RowsRoundTripWithTheirFields) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  auto book = file.telemetry("book[3]");
  std::vector<TelemetryRow> rows{telemetry_row(0), telemetry_row(1), telemetry_row(2)};
  book.append(rows[0]);
  book.append(std::span<const TelemetryRow>(rows).subspan(1));
  EXPECT_EQ(book.count(), 3u);
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  ASSERT_TRUE(reader.has("/telemetry/book[3]/samples"));
  EXPECT_EQ(reader.string_attr("/telemetry/book[3]", "kernel_id"), "book[3]");
  const auto back = reader.read_telemetry("book[3]");
  ASSERT_EQ(back.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].t_ns, rows[i].t_ns);
    EXPECT_EQ(back[i].messages_processed, rows[i].messages_processed);
    EXPECT_EQ(back[i].messages_dropped, rows[i].messages_dropped);
    EXPECT_EQ(back[i].total_latency_ns, rows[i].total_latency_ns);
    EXPECT_EQ(back[i].min_latency_ns, rows[i].min_latency_ns);
    EXPECT_EQ(back[i].max_latency_ns, rows[i].max_latency_ns);
    EXPECT_EQ(back[i].input_queue_depth, rows[i].input_queue_depth);
    EXPECT_EQ(back[i].output_queue_depth, rows[i].output_queue_depth);
    EXPECT_EQ(back[i].last_error, rows[i].last_error);
    EXPECT_EQ(back[i].error_count, rows[i].error_count);
    EXPECT_EQ(back[i].in_flight, rows[i].in_flight);
    EXPECT_EQ(back[i].is_active, rows[i].is_active);
    EXPECT_EQ(back[i].has_terminated, rows[i].has_terminated);
  }

  RawFile raw(dir / "run.h5");
  EXPECT_EQ(test::compound_fields(raw.id(), "/telemetry/book[3]/samples"),
            (std::vector<std::string>{"t_ns", "messages_processed", "messages_dropped", "total_latency_ns",
                                      "min_latency_ns", "max_latency_ns", "input_queue_depth", "output_queue_depth",
                                      "last_error", "error_count", "in_flight", "is_active", "has_terminated"}));
  EXPECT_EQ(test::member_type(raw.id(), "/telemetry/book[3]/samples", "t_ns").size, 8u);
  EXPECT_EQ(test::member_type(raw.id(), "/telemetry/book[3]/samples", "last_error").size, 4u);
  EXPECT_EQ(test::member_type(raw.id(), "/telemetry/book[3]/samples", "is_active").type_class, H5T_ENUM);
  EXPECT_EQ(test::dataset_type(raw.id(), "/telemetry/book[3]/samples").size, 8u * 10 + 4 + 2);  // packed
}

TEST(RecordTelemetry, KernelIdsWithSlashesAndDotsAreEscaped) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  file.telemetry("gpu0/router").append(telemetry_row(1));
  file.telemetry("..").append(telemetry_row(2));
  file.telemetry("100%").append(telemetry_row(3));
  EXPECT_THROW((void)file.telemetry(""), RecordError);
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  EXPECT_TRUE(reader.has("/telemetry/gpu0%2Frouter/samples"));
  EXPECT_EQ(reader.string_attr("/telemetry/gpu0%2Frouter", "kernel_id"), "gpu0/router");
  EXPECT_TRUE(reader.has("/telemetry/%2E%2E/samples"));
  EXPECT_TRUE(reader.has("/telemetry/100%25/samples"));
  EXPECT_EQ(reader.read_telemetry("gpu0/router").at(0).t_ns, 1000u);
  EXPECT_EQ(reader.read_telemetry("..").at(0).t_ns, 2000u);
}

TEST(RecordNames, EscapeRoundTrips) {
  for (const std::string name : {"book[3]", "a/b/c", "50%/x", ".", "..", "...", "ünïcode", "%2F"}) {
    EXPECT_EQ(unescape_name(escape_name(name)), name) << name;
    EXPECT_EQ(escape_name(name).find('/'), std::string::npos) << name;
  }
  EXPECT_EQ(escape_name("book[3]"), "book[3]");
  EXPECT_EQ(unescape_name("bad%zz%2"), "bad%zz%2");
}

TEST(RecordEvents, EventsRoundTrip) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  auto log = file.events();
  log.append(Event{1'700'000'000'000'000'000, {1'700'000'000'000'000'001, 3, 1}, Severity::info, "lifecycle",
                   "book[3]", "Launched -> Active"});
  log.append(Event{0, {5, 0, 0}, Severity::warning, "warning", "", "queue 90% full"});
  log.append(Event{42, {6, 1, 2}, Severity::error, "error", "router", std::string(5000, 'x')});
  EXPECT_EQ(log.count(), 3u);
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  const auto events = reader.read_events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].wall_ns, 1'700'000'000'000'000'000u);
  EXPECT_EQ(events[0].hlc.physical, 1'700'000'000'000'000'001u);
  EXPECT_EQ(events[0].hlc.logical, 3u);
  EXPECT_EQ(events[0].hlc.node, 1u);
  EXPECT_EQ(events[0].severity, Severity::info);
  EXPECT_EQ(events[0].kind, "lifecycle");
  EXPECT_EQ(events[0].kernel, "book[3]");
  EXPECT_EQ(events[0].message, "Launched -> Active");
  EXPECT_GT(events[1].wall_ns, 1'600'000'000'000'000'000u);  // filled from the wall clock
  EXPECT_EQ(events[1].severity, Severity::warning);
  EXPECT_EQ(events[1].kernel, "");
  EXPECT_EQ(events[2].severity, Severity::error);
  EXPECT_EQ(events[2].message.size(), 5000u);

  RawFile raw(dir / "run.h5");
  EXPECT_EQ(test::compound_fields(raw.id(), "/events"),
            (std::vector<std::string>{"wall_ns", "hlc_physical", "hlc_logical", "hlc_node", "severity", "kind",
                                      "kernel", "message"}));
  const auto severity = test::member_type(raw.id(), "/events", "severity");
  EXPECT_TRUE(severity.variable_string);
  EXPECT_TRUE(severity.utf8);
}

TEST(RecordFlush, ExplicitFlushMakesBufferedRowsVisible) {
  TempDir dir;
  WriterOptions options;
  options.flush_interval = std::chrono::milliseconds(0);
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info(), options);
  auto rtt = file.latency("rtt");
  rtt.append(std::vector<std::uint64_t>(10, 7));
  file.events().append(Event{0, {}, Severity::info, "lifecycle", "", "start"});
  EXPECT_EQ(ResultsReader(file.temp_path()).length("/latency/rtt/samples_ns"), 0u);
  file.flush();
  {
    ResultsReader reader(file.temp_path());
    EXPECT_EQ(reader.length("/latency/rtt/samples_ns"), 10u);
    EXPECT_EQ(reader.length("/events"), 1u);
  }
  file.finish(Status::complete);
}

TEST(RecordFlush, AppendsFlushPeriodically) {
  TempDir dir;
  WriterOptions options;
  options.flush_interval = std::chrono::milliseconds(20);
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info(), options);
  auto rtt = file.latency("rtt");
  auto tp = file.throughput("tp");
  rtt.append(1);
  tp.append(1, 1, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  rtt.append(2);
  {
    ResultsReader reader(file.temp_path());
    EXPECT_EQ(reader.length("/latency/rtt/samples_ns"), 2u);
    EXPECT_EQ(reader.length("/throughput/tp/t_ns"), 1u);
  }
  file.finish(Status::complete);
}

TEST(RecordConcurrency, AppendsFromSeveralThreads) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  constexpr int threads = 4;
  constexpr std::uint64_t per_thread = 20'000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&file, t] {
      auto rtt = file.latency("shared");
      auto own = file.throughput("t" + std::to_string(t));
      auto log = file.events();
      for (std::uint64_t i = 0; i < per_thread; ++i) {
        rtt.append(i);
        if (i % 1000 == 0) {
          own.append(i, 1, 1);
          log.append(Event{0, {}, Severity::info, "test", "t" + std::to_string(t), "tick"});
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  file.finish(Status::complete);
  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.u64_attr("/latency/shared/samples_ns", "count"), threads * per_thread);
  EXPECT_EQ(reader.length("/events"), threads * per_thread / 1000);
  EXPECT_EQ(reader.u64_attr("/latency/shared/samples_ns", "p50_ns"), per_thread / 2 - 1);
}

}  // namespace
}  // namespace rk::record
