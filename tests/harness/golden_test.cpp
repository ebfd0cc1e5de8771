// Golden end-to-end tests: every shipped scenario run through the real `ringkernel` executable with small
// iteration counts, its results file read back with rk::record::ResultsReader and checked against
// results/SCHEMA.md. Also: --set overrides change the run, a bad --set is invalid input (exit 2).
#include <algorithm>
#include <numeric>
#include <regex>

#include "cli_test_util.hpp"
#include "rk/record/reader.hpp"

namespace rk::harness_test {
namespace {

using record::ResultsReader;
using record::Table;

/// Runs a shipped scenario to completion and checks what every results file must hold.
struct GoldenRun {
  TempDir dir;
  fs::path output;
  std::vector<std::string> args;
  ProcResult result;

  GoldenRun(const std::string& scenario, std::vector<std::string> sets, bool quiet = true) {
    output = dir / "out" / (scenario + ".h5");  // the writer creates parent folders
    args = {"run", shipped(scenario), "--backend", "cpu"};
    // A generous drain timeout: on an oversubscribed 2-core machine a spinning ping_pong round trip
    // can stall for seconds; this keeps such stalls from failing the golden checks.
    sets.insert(sets.begin(), "drain_timeout=30s");
    for (const auto& s : sets) {
      args.push_back("--set");
      args.push_back(s);
    }
    args.push_back("--output");
    args.push_back(output.string());
    if (quiet) args.push_back("--quiet");
    result = run_cli(args, dir.path());
  }
};

void check_common(const GoldenRun& run, const std::string& scenario_name, const std::string& override_text) {
  ASSERT_EQ(run.result.exit_code, 0) << describe(run.result);
  ASSERT_TRUE(fs::is_regular_file(run.output)) << run.output;
  EXPECT_FALSE(fs::exists(tmp_of(run.output)));

  ResultsReader r(run.output);
  EXPECT_EQ(r.string_attr("/", "format"), "ringkernel-results");
  EXPECT_EQ(r.string_attr("/", "format_version"), "1.4");
  EXPECT_EQ(r.string_attr("/", "status"), "complete");
  EXPECT_FALSE(r.has_attr("/", "error")) << r.string_attr("/", "error");
  const std::string yaml = r.string_attr("/", "scenario");
  EXPECT_NE(yaml.find("name: " + scenario_name), std::string::npos) << yaml;
  EXPECT_NE(yaml.find(override_text), std::string::npos) << "scenario attribute lacks '" << override_text << "':\n" << yaml;

  std::vector<std::string> expected_argv{kExe};
  expected_argv.insert(expected_argv.end(), run.args.begin(), run.args.end());
  EXPECT_EQ(r.string_array_attr("/", "argv"), expected_argv);
  EXPECT_EQ(r.string_attr("/", "backend"), "cpu");
  EXPECT_EQ(r.u64_attr("/", "device_count"), 1u);

  const std::regex utc(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  const std::string started = r.string_attr("/", "started_utc"), finished = r.string_attr("/", "finished_utc");
  EXPECT_TRUE(std::regex_match(started, utc)) << started;
  EXPECT_TRUE(std::regex_match(finished, utc)) << finished;
  EXPECT_LE(started, finished);
  EXPECT_TRUE(r.has_attr("/", "git_revision"));
  (void)r.string_attr("/", "git_revision");  // may be empty, must be a string
  EXPECT_FALSE(r.string_attr("/", "hostname").empty());
  EXPECT_TRUE(std::regex_match(r.string_attr("/", "version_hdf5"), std::regex(R"(\d+\.\d+\.\d+)")))
      << r.string_attr("/", "version_hdf5");

  const auto devices = r.read_devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].index, 0u);
  EXPECT_EQ(devices[0].kind, "cpu-simulated");
  EXPECT_FALSE(devices[0].name.empty());

  const auto events = r.read_events();
  EXPECT_FALSE(events.empty());
  for (const auto& e : events) EXPECT_NE(e.severity, record::Severity::error) << e.kernel << ": " << e.message;
}

/// Checks a latency dataset's summary attributes against its samples; returns the sample count.
std::uint64_t check_latency(const ResultsReader& r, const std::string& probe) {
  const std::string ds = "/latency/" + probe + "/samples_ns";
  EXPECT_TRUE(r.has(ds)) << ds;
  if (!r.has(ds)) return 0;
  const std::uint64_t count = r.u64_attr(ds, "count");
  EXPECT_EQ(count, r.length(ds)) << ds;
  if (count == 0) return 0;
  const auto p50 = r.u64_attr(ds, "p50_ns"), p99 = r.u64_attr(ds, "p99_ns"), max = r.u64_attr(ds, "max_ns");
  const auto min = r.u64_attr(ds, "min_ns");
  EXPECT_LE(min, p50) << ds;
  EXPECT_LE(p50, p99) << ds;
  EXPECT_LE(p99, max) << ds;
  auto samples = r.read_array<std::uint64_t>(ds);
  std::sort(samples.begin(), samples.end());
  EXPECT_EQ(samples.front(), min) << ds;
  EXPECT_EQ(samples.back(), max) << ds;
  EXPECT_EQ(samples[(samples.size() + 1) / 2 - 1], p50) << ds;  // nearest rank: x[ceil(n/2)]
  return count;
}

void check_telemetry(const ResultsReader& r, const std::string& kernel) {
  const auto rows = r.read_telemetry(kernel);
  EXPECT_FALSE(rows.empty()) << "telemetry of " << kernel;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_LE(rows[i - 1].t_ns, rows[i].t_ns);
    EXPECT_LE(rows[i - 1].messages_processed, rows[i].messages_processed);
  }
}

void check_throughput(const ResultsReader& r, const std::string& probe) {
  const std::string g = "/throughput/" + probe;
  ASSERT_TRUE(r.has(g)) << g;
  for (const char* ds : {"t_ns", "messages", "bytes"}) EXPECT_TRUE(r.has(g + "/" + ds)) << g << "/" << ds;
  EXPECT_GE(r.length(g + "/t_ns"), 2u);
  ASSERT_TRUE(r.has_attr(g, "messages_per_second")) << g;
  EXPECT_GT(r.f64_attr(g, "messages_per_second"), 0.0) << g;
}

struct BounceLineRow {
  std::uint32_t line = 0;
  std::uint64_t p50_ns = 0;
  std::uint64_t samples = 0;
};

std::vector<BounceLineRow> read_bounce_lines(const ResultsReader& r) {
  return r.read_table("/workloads/ping_pong/bounce_lines", Table<BounceLineRow>{}
                                                               .add("line", &BounceLineRow::line)
                                                               .add("p50_ns", &BounceLineRow::p50_ns)
                                                               .add("samples", &BounceLineRow::samples));
}

TEST(Golden, PingPong) {
  GoldenRun run("ping_pong", {"iterations=500", "warmup=0s"}, /*quiet=*/false);
  ASSERT_NO_FATAL_FAILURE(check_common(run, "ping_pong", "iterations: 500"));
  EXPECT_NE(run.result.out.find("verification"), std::string::npos) << run.result.out;
  EXPECT_NE(run.result.out.find("passed"), std::string::npos) << run.result.out;

  ResultsReader r(run.output);
  EXPECT_EQ(check_latency(r, "round_trip"), 500u);
  EXPECT_TRUE(r.has("/latency/atomic_bounce/samples_ns"));
  EXPECT_GT(check_latency(r, "atomic_bounce"), 0u);
  check_telemetry(r, "echo");
  check_throughput(r, "echo_processed");
  ASSERT_TRUE(r.has("/workloads/ping_pong"));
  EXPECT_EQ(r.i64_attr("/workloads/ping_pong", "round_trips"), 500);
  EXPECT_EQ(r.i64_attr("/workloads/ping_pong", "payload_bytes"), 8);
  EXPECT_EQ(r.string_attr("/workloads/ping_pong", "probe"), "round_trip");
  // The workload's own whole-run p50s come from a histogram (format 1.3): within 1/256 of the exact ones.
  const auto within_histogram_precision = [](std::uint64_t got, std::uint64_t exact) {
    return (got > exact ? got - exact : exact - got) * 256 <= exact;
  };
  EXPECT_PRED2(within_histogram_precision, r.u64_attr("/workloads/ping_pong", "p50_ns"),
               r.u64_attr("/latency/round_trip/samples_ns", "p50_ns"));
  EXPECT_TRUE(r.has_attr("/workloads/ping_pong", "baseline_p50_ns"));
  EXPECT_PRED2(within_histogram_precision, r.u64_attr("/workloads/ping_pong", "baseline_p50_ns"),
               r.u64_attr("/latency/atomic_bounce/samples_ns", "p50_ns"));
  // The summary's baseline: the mean of the per-line p50s in the table.
  double mean = 0;
  const auto rows = read_bounce_lines(r);
  for (const BounceLineRow& row : rows) mean += static_cast<double>(row.p50_ns) / static_cast<double>(rows.size());
  EXPECT_NEAR(static_cast<double>(r.u64_attr("/workloads/ping_pong", "baseline_line_mean_p50_ns")), mean, 0.51);
  EXPECT_NEAR(r.f64_attr("/workloads/ping_pong", "p50_ratio_to_line_mean"),
              static_cast<double>(r.u64_attr("/workloads/ping_pong", "p50_ns")) /
                  static_cast<double>(r.u64_attr("/workloads/ping_pong", "baseline_line_mean_p50_ns")),
              1e-9);
  EXPECT_EQ(r.i64_attr("/workloads/ping_pong", "baseline_blocks"), 1);  // shorter than a block: after it
  EXPECT_EQ(r.length("/workloads/ping_pong/blocks"), 1u);
  // The baseline's 1,000 bounces (at least that many after a short run) shared among 64 lines.
  EXPECT_EQ(r.i64_attr("/workloads/ping_pong", "baseline_lines"), 64);
  EXPECT_EQ(r.length("/workloads/ping_pong/bounce_lines"), 64u);
  std::uint64_t total = 0;
  for (const BounceLineRow& row : read_bounce_lines(r)) total += row.samples;
  EXPECT_EQ(total, r.u64_attr("/latency/atomic_bounce/samples_ns", "count"));
}

// A run of several blocks: bounces are taken in blocks of baseline_block between blocks of as many
// round trips, until baseline_samples are taken (here 500 after the 500th round trip and 500 after
// the 1,000th); the round trips keep their count.
TEST(Golden, PingPongInterleavedBaseline) {
  GoldenRun run("ping_pong", {"iterations=1100", "warmup=0s", "workload.baseline_samples=1000",
                              "workload.baseline_block=500", "workload.baseline_lines=4"});
  ASSERT_NO_FATAL_FAILURE(check_common(run, "ping_pong", "iterations: 1100"));
  ResultsReader r(run.output);
  EXPECT_EQ(check_latency(r, "round_trip"), 1100u);
  EXPECT_EQ(check_latency(r, "atomic_bounce"), 1000u);
  EXPECT_EQ(r.i64_attr("/workloads/ping_pong", "baseline_blocks"), 2);
  EXPECT_EQ(r.i64_attr("/workloads/ping_pong", "round_trips"), 1100);
  EXPECT_EQ(r.length("/workloads/ping_pong/blocks"), 2u);  // one row per block pair
  // Each block's 500 bounces are shared evenly among the 4 lines: 250 each over the run.
  EXPECT_EQ(r.i64_attr("/workloads/ping_pong", "baseline_lines"), 4);
  const auto lines = read_bounce_lines(r);
  ASSERT_EQ(lines.size(), 4u);
  for (std::uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(lines[i].line, i);
    EXPECT_EQ(lines[i].samples, 250u);
    EXPECT_GT(lines[i].p50_ns, 0u);
  }
}

TEST(Golden, Pipeline) {
  GoldenRun run("pipeline", {"iterations=2000"});
  ASSERT_NO_FATAL_FAILURE(check_common(run, "pipeline", "iterations: 2000"));
  ResultsReader r(run.output);
  EXPECT_EQ(check_latency(r, "end_to_end"), 2000u);
  for (int h = 0; h < 3; ++h) {
    const std::string probe = "hop_stage[" + std::to_string(h) + "]_stage[" + std::to_string(h + 1) + "]";
    EXPECT_EQ(check_latency(r, probe), 2000u) << probe;
  }
  for (int s = 0; s < 4; ++s) check_telemetry(r, "stage[" + std::to_string(s) + "]");
  check_throughput(r, "last_stage");
  EXPECT_EQ(r.i64_attr("/workloads/pipeline", "stages"), 4);
  EXPECT_EQ(r.i64_attr("/workloads/pipeline", "messages_sent"), 2000);
  EXPECT_EQ(r.i64_attr("/workloads/pipeline", "messages_received"), 2000);
  EXPECT_EQ(r.read_strings("/workloads/pipeline/stages"),
            (std::vector<std::string>{"stage[0]", "stage[1]", "stage[2]", "stage[3]"}));
}

TEST(Golden, FanOut) {
  GoldenRun run("fan_out", {"iterations=20000"});
  ASSERT_NO_FATAL_FAILURE(check_common(run, "fan_out", "iterations: 20000"));
  ResultsReader r(run.output);
  const auto per = r.read_array<std::uint64_t>("/workloads/fan_out/received_per_consumer");
  ASSERT_EQ(per.size(), 8u);
  EXPECT_EQ(std::accumulate(per.begin(), per.end(), std::uint64_t{0}), 20000u);
  EXPECT_EQ(r.i64_attr("/workloads/fan_out", "tokens_received"), 20000);
  EXPECT_EQ(r.read_strings("/workloads/fan_out/consumers").size(), 8u);
  check_telemetry(r, "producer");
  check_telemetry(r, "consumer[7]");
  check_throughput(r, "consumed");
}

TEST(Golden, AllToAll) {
  GoldenRun run("all_to_all", {"iterations=200"});
  ASSERT_NO_FATAL_FAILURE(check_common(run, "all_to_all", "iterations: 200"));
  ResultsReader r(run.output);
  const auto per = r.read_array<std::uint64_t>("/workloads/all_to_all/received_per_peer");
  ASSERT_EQ(per.size(), 8u);
  for (auto v : per) EXPECT_EQ(v, per.front());
  EXPECT_EQ(per.front(), 200u * 7u);
  const auto causality = r.read_array<std::uint64_t>("/workloads/all_to_all/causality_violations_per_peer");
  for (auto v : causality) EXPECT_EQ(v, 0u);
  EXPECT_EQ(r.i64_attr("/workloads/all_to_all", "rounds"), 200);
  check_telemetry(r, "peer[0]");
  check_throughput(r, "received");
}

// --set changes what runs: iteration count and a workload parameter, visible in the file.
TEST(Overrides, ChangeTheRun) {
  GoldenRun run("ping_pong", {"iterations=321", "warmup=0s", "workload.payload_bytes=16",
                              "workload.baseline=false"});
  ASSERT_NO_FATAL_FAILURE(check_common(run, "ping_pong", "iterations: 321"));
  ResultsReader r(run.output);
  EXPECT_EQ(r.u64_attr("/latency/round_trip/samples_ns", "count"), 321u);
  EXPECT_EQ(r.i64_attr("/workloads/ping_pong", "payload_bytes"), 16);
  EXPECT_FALSE(r.has("/latency/atomic_bounce/samples_ns") &&
               r.u64_attr("/latency/atomic_bounce/samples_ns", "count") > 0);
  const std::string yaml = r.string_attr("/", "scenario");
  EXPECT_NE(yaml.find("payload_bytes: 16"), std::string::npos) << yaml;
}

// payload_bytes 0: a header-only round trip, verified through the correlation id the echo keeps.
TEST(Overrides, HeaderOnlyPingPong) {
  GoldenRun run("ping_pong", {"iterations=300", "warmup=0s", "workload.payload_bytes=0", "workload.baseline=false"});
  ASSERT_NO_FATAL_FAILURE(check_common(run, "ping_pong", "iterations: 300"));
  ResultsReader r(run.output);
  EXPECT_EQ(r.i64_attr("/workloads/ping_pong", "payload_bytes"), 0);
  EXPECT_EQ(r.i64_attr("/workloads/ping_pong", "round_trips"), 300);
}

// duration given by --set replaces the file's iterations.
TEST(Overrides, DurationReplacesIterations) {
  GoldenRun run("ping_pong", {"duration=200ms", "warmup=0s", "workload.baseline=false"});
  ASSERT_NO_FATAL_FAILURE(check_common(run, "ping_pong", "duration: 200ms"));
  ResultsReader r(run.output);
  EXPECT_EQ(r.string_attr("/", "scenario").find("iterations:"), std::string::npos);
  EXPECT_GT(r.u64_attr("/latency/round_trip/samples_ns", "count"), 0u);
}

// Without --output the file goes to results/<scenario>-<UTC>.h5 under the working directory.
TEST(Output, DefaultPathUnderResults) {
  TempDir dir;
  const auto r = run_cli({"run", shipped("ping_pong"), "--set", "iterations=100", "--set", "warmup=0s", "--set",
                          "workload.baseline=false", "--set", "drain_timeout=30s", "--quiet"},
                         dir.path());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "results")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  const std::string name = files[0].filename().string();
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(ping_pong-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.h5)"))) << name;
  ResultsReader f(files[0]);
  EXPECT_EQ(f.string_attr("/", "status"), "complete");
}

struct BadSet {
  const char* set;
  const char* why;
};

void PrintTo(const BadSet& c, std::ostream* os) { *os << "--set " << c.set; }

class BadOverride : public ::testing::TestWithParam<BadSet> {};

TEST_P(BadOverride, IsInvalidInput) {
  TempDir dir;
  const fs::path out = dir / "out.h5";
  const auto r = run_cli({"run", shipped("ping_pong"), "--set", GetParam().set, "--output", out.string(), "--quiet"},
                         dir.path());
  EXPECT_EQ(r.exit_code, 2) << GetParam().why << "\n" << describe(r);
  EXPECT_NE(r.err.find("--set"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("error"), std::string::npos) << describe(r);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(tmp_of(out)));
}

INSTANTIATE_TEST_SUITE_P(Cli, BadOverride,
                         ::testing::Values(BadSet{"iterations=many", "wrong type"},
                                           BadSet{"iterations=2.5", "double for an integer"},
                                           BadSet{"iterations=0", "out of range"},
                                           BadSet{"iteratons=10", "unknown key"},
                                           BadSet{"workload.payload_bytes=100000", "workload parameter out of range"},
                                           BadSet{"kernels.0.queue_capacity=1000", "not a power of two"},
                                           BadSet{"iterations", "no '='"}),
                         [](const auto& info) {
                           std::string n = info.param.why;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace rk::harness_test
