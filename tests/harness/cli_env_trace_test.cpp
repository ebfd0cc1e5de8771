// `ringkernel run --format json|csv`, the /environment group with its oversubscription rule, HLC stamps in
// /events and `ringkernel trace` (issue 14, items 3 and 5), end to end on the CPU backend.
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <tuple>

#include "cli_test_util.hpp"
#include "json_test_util.hpp"
#include "rk/record/reader.hpp"

namespace rk::harness_test {
namespace {

using record::ResultsReader;

/// A short ping_pong (or another shipped scenario) into dir/<name>.h5, with extra arguments.
ProcResult short_run(const TempDir& dir, const std::string& scenario, const std::string& name,
                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"run", shipped(scenario), "--backend", "cpu", "--set", "iterations=300",
                                   "--set", "warmup=0s", "--set", "drain_timeout=30s", "--output",
                                   (dir / (name + ".h5")).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args, dir.path());
}

TEST(CliFormat, JsonSummaryIsOneObjectWithNumericFigures) {
  TempDir dir;
  const auto r = short_run(dir, "ping_pong", "pp", {"--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  Json j;
  ASSERT_NO_THROW(j = parse_json(r.out)) << r.out;
  EXPECT_EQ(j["scenario"].str, "ping_pong");
  EXPECT_EQ(j["backend"].str, "cpu");
  EXPECT_EQ(j["status"].str, "complete");
  EXPECT_EQ(j["devices"].num, 1);
  EXPECT_TRUE(j["verification"]["passed"].b);
  EXPECT_EQ(j["duration_s"].type, Json::Type::number);
  EXPECT_EQ(j["oversubscribed"].type, Json::Type::boolean);
  bool p50 = false, trips = false;
  for (const Json& f : j["figures"].arr) {
    if (f["name"].str == "round_trip p50") {
      p50 = true;
      EXPECT_EQ(f["value"].type, Json::Type::number);
      EXPECT_GT(f["value"].num, 0);
      EXPECT_EQ(f["unit"].str, "ns");
    }
    if (f["name"].str == "round trips") {
      trips = true;
      EXPECT_EQ(f["value"].num, 300);
      EXPECT_EQ(f["unit"].str, "");
    }
  }
  EXPECT_TRUE(p50 && trips) << r.out;
}

TEST(CliFormat, CsvSummaryHasHeaderAndNumericRows) {
  TempDir dir;
  const auto r = short_run(dir, "ping_pong", "pp", {"--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::istringstream in(r.out);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "name,value,unit");
  bool p50 = false;
  int rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    ASSERT_EQ(std::count(line.begin(), line.end(), ','), 2) << line;
    const std::string value = line.substr(line.find(',') + 1, line.rfind(',') - line.find(',') - 1);
    char* end = nullptr;
    std::strtod(value.c_str(), &end);
    EXPECT_TRUE(!value.empty() && *end == '\0') << line;
    p50 |= line.rfind("round_trip p50,", 0) == 0 && line.ends_with(",ns");
  }
  EXPECT_TRUE(p50) << r.out;
  EXPECT_GE(rows, 6);
}

TEST(CliFormat, UnknownFormatIsInvalidInput) {
  TempDir dir;
  const auto r = short_run(dir, "ping_pong", "pp", {"--format", "xml"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
}

TEST(Environment, AttributesHoldPlausibleValues) {
  TempDir dir;
  ::setenv("OMP_NUM_THREADS", "3", 1);  // the child inherits it
  const auto r = short_run(dir, "ping_pong", "pp", {"--quiet"});
  ::unsetenv("OMP_NUM_THREADS");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ResultsReader f(dir / "pp.h5");
  const std::string e = "/environment";
  ASSERT_TRUE(f.has(e));
  EXPECT_FALSE(f.string_attr(e, "cpu_model").empty());
  const auto online = f.u64_attr(e, "cpus_online"), allowed = f.u64_attr(e, "cpus_allowed");
  EXPECT_GE(online, 1u);
  EXPECT_GE(allowed, 1u);
  EXPECT_LE(allowed, online);
  for (const char* a : {"load_1m_start", "load_5m_start", "load_15m_start", "load_1m_end", "load_5m_end", "load_15m_end"}) {
    EXPECT_GE(f.f64_attr(e, a), 0.0) << a;
    EXPECT_LT(f.f64_attr(e, a), 100000.0) << a;
  }
  EXPECT_FALSE(f.string_attr(e, "kernel_release").empty());
  EXPECT_FALSE(f.string_attr(e, "machine").empty());
  const std::string compiler = f.string_attr(e, "compiler");
  EXPECT_TRUE(compiler == "gcc" || compiler == "clang") << compiler;
  EXPECT_FALSE(f.string_attr(e, "compiler_version").empty());
  EXPECT_EQ(f.string_attr(e, "build_type"), f.string_attr("/", "build_type"));
  EXPECT_GE(f.u64_attr(e, "busy_threads"), 2u);  // the echo kernel's worker and the host loop
  EXPECT_TRUE(f.has_attr(e, "oversubscribed"));
  EXPECT_EQ(f.has_attr(e, "oversubscription"), f.bool_attr(e, "oversubscribed"));
  EXPECT_FALSE(f.has(e + "/gpu_names"));  // the CPU backend
  const auto names = f.read_strings(e + "/variable_names");
  const auto values = f.read_strings(e + "/variable_values");
  ASSERT_EQ(names.size(), values.size());
  const auto it = std::find(names.begin(), names.end(), "OMP_NUM_THREADS");
  ASSERT_NE(it, names.end());
  EXPECT_EQ(values[static_cast<std::size_t>(it - names.begin())], "3");
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::find(names.begin(), names.end(), "PATH"), names.end());
}

/// Pinned to one CPU (the child inherits this thread's affinity), a run's worker and host loop are two
/// busy threads on one CPU: oversubscribed, whatever the load.
TEST(Environment, OversubscribedWhenThreadsExceedCpus) {
  cpu_set_t before;
  ASSERT_EQ(::sched_getaffinity(0, sizeof before, &before), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &before)) {
      CPU_SET(c, &one);
      break;
    }
  TempDir dir;
  ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
  // Few round trips and no baseline: two spinning threads on one CPU take a time slice per round trip.
  const auto r = short_run(dir, "ping_pong", "pp", {"--format", "json", "--set", "iterations=20", "--set", "workload.baseline=false"});
  ::sched_setaffinity(0, sizeof before, &before);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ResultsReader f(dir / "pp.h5");
  EXPECT_EQ(f.u64_attr("/environment", "cpus_allowed"), 1u);
  EXPECT_TRUE(f.bool_attr("/environment", "oversubscribed"));
  EXPECT_NE(f.string_attr("/environment", "oversubscription").find("busy threads"), std::string::npos);
  EXPECT_NE(r.err.find("oversubscribed"), std::string::npos) << r.err;
  EXPECT_TRUE(parse_json(r.out)["oversubscribed"].b);
}

TEST(Events, CarryNonZeroIncreasingHlc) {
  TempDir dir;
  const auto r = short_run(dir, "pipeline", "pl", {"--quiet"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const auto events = ResultsReader(dir / "pl.h5").read_events();
  ASSERT_GE(events.size(), 5u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_NE(events[i].hlc.physical, 0u) << i << " " << events[i].message;
    if (i == 0) continue;
    const auto& a = events[i - 1].hlc;
    const auto& b = events[i].hlc;
    EXPECT_LT(std::tie(a.physical, a.logical), std::tie(b.physical, b.logical)) << i << " " << events[i].message;
  }
}

TEST(Trace, ChromeTraceJsonIsValidAndOrderedByHlc) {
  TempDir dir;
  const auto r = short_run(dir, "pipeline", "pl", {"--quiet"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const auto events = ResultsReader(dir / "pl.h5").read_events();
  const auto t = run_cli({"trace", (dir / "pl.h5").string(), "-o", (dir / "trace.json").string()}, dir.path());
  ASSERT_EQ(t.exit_code, 0) << describe(t);
  Json j;
  ASSERT_NO_THROW(j = parse_json(read_text(dir / "trace.json")));
  EXPECT_EQ(j["otherData"]["clock"].str, "hlc");
  const auto& te = j["traceEvents"].arr;
  std::size_t instants = 0, spans = 0;
  double last_ts = -1;
  std::tuple<unsigned long long, double> last_hlc{0, -1};
  for (const Json& e : te) {
    const std::string ph = e["ph"].str;
    if (ph == "M") continue;
    ASSERT_TRUE(ph == "i" || ph == "X") << ph;
    EXPECT_GE(e["ts"].num, last_ts);
    last_ts = e["ts"].num;
    if (ph == "X") {
      ++spans;
      EXPECT_GT(e["dur"].num, 0);
      continue;
    }
    ++instants;
    const std::tuple<unsigned long long, double> hlc{std::stoull(e["args"]["hlc_physical"].str), e["args"]["hlc_logical"].num};
    EXPECT_LT(last_hlc, hlc);
    last_hlc = hlc;
  }
  EXPECT_EQ(instants, events.size());
  EXPECT_EQ(spans, 4u);  // the pipeline's four stages, launched -> terminated
  // To stdout without -o; a missing file is invalid input.
  EXPECT_EQ(parse_json(run_cli({"trace", (dir / "pl.h5").string()}, dir.path()).out)["traceEvents"].arr.size(), te.size());
  EXPECT_EQ(run_cli({"trace", (dir / "missing.h5").string()}, dir.path()).exit_code, 2);
  write_text(dir / "not.h5", "not hdf5");
  EXPECT_EQ(run_cli({"trace", (dir / "not.h5").string()}, dir.path()).exit_code, 2);
}

}  // namespace
}  // namespace rk::harness_test
