// Invalid input through the command line: every malformed-scenario class exits 2 with FILE:LINE:COL on
// stderr and leaves no results file; unavailable backends/device counts exit 2; `validate`, `list`,
// `devices`, `--version`; a run that fails exits 1 with a `failed` results file.
#include <regex>

#include "cli_test_util.hpp"
#include "rk/record/reader.hpp"

namespace rk::harness_test {
namespace {

// A valid, tiny ping_pong scenario. Cases below replace one line (1-based) of it.
const std::vector<std::string> kBase = {
    "name: tiny",                          // 1
    "backend: cpu",                        // 2
    "iterations: 100",                     // 3
    "kernels:",                            // 4
    "  - id: echo",                        // 5
    "    type: echo",                      // 6
    "    queue_capacity: 64",              // 7
    "routes:",                             // 8
    "  - {from: host, to: echo}",          // 9
    "  - {from: echo, to: host}",          // 10
    "workload:",                           // 11
    "  name: ping_pong",                   // 12
    "  baseline: false",                   // 13
};

std::string with_line(int line, const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < kBase.size(); ++i) out += (static_cast<int>(i) + 1 == line ? text : kBase[i]) + "\n";
  return out;
}

struct Malformed {
  const char* name;
  std::string yaml;
  int line;                 ///< expected line of the error (0: any line)
  const char* message_part; ///< expected in the message ("" for none)
  bool workload_level = false;  ///< found by the workload's configure(), not by the scenario parser
};

std::vector<Malformed> malformed_cases() {
  return {
      {"yaml_syntax", with_line(9, "  - {from: host, to: echo"), 0, ""},
      {"yaml_bad_indent", with_line(6, "   type: echo\n  bad"), 0, ""},
      {"unknown_top_level_key", with_line(3, "iteratons: 100"), 3, "iteratons"},
      {"unknown_kernel_key", with_line(7, "    queue_capacty: 64"), 7, "queue_capacty"},
      {"wrong_type", with_line(3, "iterations: many"), 3, ""},
      {"wrong_type_quoted_int", with_line(3, "iterations: \"100\""), 3, ""},
      {"out_of_range", with_line(2, "backend: cpu\ndevices: 5000"), 3, ""},
      {"negative_duration", with_line(3, "duration: -1s"), 3, ""},
      {"non_power_of_two_capacity", with_line(7, "    queue_capacity: 1000"), 7, "power of two"},
      {"unknown_kernel_type", with_line(6, "    type: ecko"), 6, "ecko"},
      {"route_to_missing_kernel", with_line(9, "  - {from: host, to: echoo}"), 9, "echoo"},
      {"duplicate_id", with_line(7, "    queue_capacity: 64\n  - id: echo\n    type: echo"), 8, "echo"},
      {"missing_data_file", with_line(13, "  baseline: false\n  samples_file: no/such/file.csv"), 14, "file.csv"},
      {"unknown_workload", with_line(12, "  name: ping_ping"), 12, "ping_ping"},
      {"workload_param_out_of_range", with_line(13, "  payload_bytes: 100000"), 13, "payload_bytes", true},
      {"workload_param_wrong_type", with_line(13, "  baseline: maybe"), 13, "baseline", true},
      {"workload_topology", with_line(6, "    type: forward"), 12, "echo", true},
      {"missing_name", with_line(1, "description: no name"), 0, "name"},
  };
}

void PrintTo(const Malformed& c, std::ostream* os) { *os << c.name; }

class MalformedScenario : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedScenario, RunExits2WithLocationAndNoResults) {
  const Malformed& c = GetParam();
  TempDir dir;
  const std::string file_name = std::string("bad_") + c.name + ".yaml";
  write_text(dir / file_name, c.yaml);
  const fs::path out = dir / "results" / "out.h5";
  const auto r = run_cli({"run", (dir / file_name).string(), "--output", out.string(), "--quiet"}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << c.yaml << describe(r);
  EXPECT_NE(r.err.find(file_name + ":"), std::string::npos) << describe(r);
  if (c.line > 0) {
    EXPECT_NE(r.err.find(file_name + ":" + std::to_string(c.line) + ":"), std::string::npos)
        << "expected line " << c.line << "\n" << c.yaml << describe(r);
  } else {
    EXPECT_TRUE(std::regex_search(r.err, std::regex(std::regex_replace(file_name, std::regex(R"([.])"), R"(\.)") +
                                                    R"(:\d+:\d+: error: )")))
        << describe(r);
  }
  EXPECT_NE(r.err.find(c.message_part), std::string::npos) << describe(r);
  EXPECT_TRUE(r.out.empty()) << describe(r);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(tmp_of(out)));

  // `validate` agrees (workload-level errors: see DISABLED_ValidateFindsWorkloadErrors below).
  if (c.workload_level) return;
  const auto v = run_cli({"validate", (dir / file_name).string()}, dir.path());
  EXPECT_EQ(v.exit_code, 2) << describe(v);
  EXPECT_NE(v.err.find(file_name + ":"), std::string::npos) << describe(v);
}

INSTANTIATE_TEST_SUITE_P(Cli, MalformedScenario, ::testing::ValuesIn(malformed_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

// Regression: `validate` used to parse the scenario only, so workload-level errors (parameters,
// topology) passed `validate` but failed `run` with exit 2.
TEST(CliValidate, ValidateFindsWorkloadErrors) {
  for (const auto& c : malformed_cases()) {
    if (!c.workload_level) continue;
    TempDir dir;
    const std::string file_name = std::string("bad_") + c.name + ".yaml";
    write_text(dir / file_name, c.yaml);
    const auto v = run_cli({"validate", (dir / file_name).string()}, dir.path());
    EXPECT_EQ(v.exit_code, 2) << c.name << "\n" << describe(v);
    EXPECT_NE(v.err.find(file_name + ":"), std::string::npos) << c.name << "\n" << describe(v);
  }
}

TEST(CliInput, BaseScenarioIsValid) {
  TempDir dir;
  write_text(dir / "tiny.yaml", with_line(0, ""));
  const fs::path out = dir / "tiny.h5";
  const auto r = run_cli(
      {"run", (dir / "tiny.yaml").string(), "--set", "drain_timeout=30s", "--output", out.string(), "--quiet"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(fs::exists(out));
}

/// Runs `ringkernel ARGS... --output OUT` and expects exit 2 and no file at OUT.
void expect_invalid(std::vector<std::string> args, const std::string& err_part) {
  TempDir dir;
  const fs::path out = dir / "out.h5";
  args.push_back("--output");
  args.push_back(out.string());
  const auto r = run_cli(args, dir.path());
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_NE(r.err.find(err_part), std::string::npos) << "expected '" << err_part << "'\n" << describe(r);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(tmp_of(out)));
  EXPECT_FALSE(fs::exists(dir / "results"));
}

TEST(CliInput, NonexistentScenario) {
  expect_invalid({"run", "/nonexistent/dir/scenario.yaml"}, "scenario.yaml");
}

TEST(CliInput, ScenarioIsADirectory) { expect_invalid({"run", kSourceDir.string()}, "error"); }

// Regression: an --output naming a directory used to run the whole scenario and then fail the rename,
// leaving a stray .tmp; it is now refused up front as invalid input.
TEST(CliInput, OutputIsADirectory) {
  TempDir dir;
  fs::create_directory(dir / "out.h5");
  const auto r = run_cli({"run", shipped("ping_pong"), "--set", "iterations=10", "--set", "warmup=0s", "--set",
                          "workload.baseline=false", "--output", (dir / "out.h5").string(), "--quiet"},
                         dir.path());
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_FALSE(fs::exists(dir / "out.h5.tmp"));
}

TEST(CliInput, BackendCudaRefused) {
  expect_invalid({"run", shipped("ping_pong"), "--backend", "cuda", "--set", "iterations=10"}, "cuda");
}

TEST(CliInput, BackendCudaInScenarioRefused) {
  expect_invalid({"run", shipped("ping_pong"), "--set", "backend=cuda", "--set", "iterations=10"}, "cuda");
}

TEST(CliInput, UnknownBackendOption) {
  expect_invalid({"run", shipped("ping_pong"), "--backend", "opencl"}, "backend");
}

TEST(CliInput, KernelOnMissingDeviceRefused) {
  TempDir dir;
  write_text(dir / "two.yaml", with_line(2, "backend: cpu\ndevices: 2"));
  expect_invalid({"run", (dir / "two.yaml").string(), "--set", "kernels.0.device=2"}, "device");
}

TEST(CliInput, UnknownOptionAndSubcommand) {
  expect_invalid({"run", shipped("ping_pong"), "--frobnicate"}, "frobnicate");
  expect_invalid({"run", shipped("ping_pong"), "--log-level", "loud"}, "log-level");
  TempDir dir;
  const auto r = run_cli({"explode"}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  const auto none = run_cli({}, dir.path());
  EXPECT_EQ(none.exit_code, 2) << describe(none);
}

TEST(CliValidate, ShippedScenariosAreValid) {
  TempDir dir;
  std::vector<std::string> args{"validate"};
  for (const char* s : {"ping_pong", "pipeline", "fan_out", "all_to_all"}) args.push_back(shipped(s));
  const auto r = run_cli(args, dir.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const char* s : {"ping_pong", "pipeline", "fan_out", "all_to_all"})
    EXPECT_NE(r.out.find(shipped(s) + ": ok"), std::string::npos) << s << "\n" << describe(r);
  EXPECT_TRUE(fs::is_empty(dir.path()) || !fs::exists(dir / "results"));
}

TEST(CliValidate, BadFileAmongGoodOnes) {
  TempDir dir;
  write_text(dir / "bad.yaml", with_line(6, "    type: ecko"));
  const auto r = run_cli({"validate", shipped("ping_pong"), (dir / "bad.yaml").string(), shipped("pipeline")}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_NE(r.err.find("bad.yaml:6:"), std::string::npos) << describe(r);
  EXPECT_NE(r.out.find(shipped("ping_pong") + ": ok"), std::string::npos) << describe(r);
  EXPECT_NE(r.out.find(shipped("pipeline") + ": ok"), std::string::npos) << describe(r);
}

TEST(CliValidate, SetOverridesAreChecked) {
  TempDir dir;
  const auto ok = run_cli({"validate", shipped("ping_pong"), "--set", "iterations=5"}, dir.path());
  EXPECT_EQ(ok.exit_code, 0) << describe(ok);
  const auto bad = run_cli({"validate", shipped("ping_pong"), "--set", "iterations=five"}, dir.path());
  EXPECT_EQ(bad.exit_code, 2) << describe(bad);
  EXPECT_NE(bad.err.find("--set"), std::string::npos) << describe(bad);
}

TEST(CliList, WorkloadsKernelTypesScenarios) {
  TempDir dir;
  const auto r = run_cli({"list"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* w : {"ping_pong", "pipeline", "fan_out", "all_to_all"})
    EXPECT_TRUE(std::regex_search(r.out, std::regex(std::string("\n  ") + w + "  "))) << w << "\n" << r.out;
  for (const char* k : {"echo", "forward", "producer", "consumer", "peer"})
    EXPECT_TRUE(std::regex_search(r.out, std::regex(std::string("\n  ") + k + "\n"))) << k << "\n" << r.out;
  for (const char* s : {"ping_pong", "pipeline", "fan_out", "all_to_all"})
    EXPECT_NE(r.out.find(std::string(s) + ".yaml"), std::string::npos) << s << "\n" << r.out;
}

TEST(CliDevices, ShowsCpuBackend) {
  TempDir dir;
  const auto r = run_cli({"devices"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("cpu"), std::string::npos) << r.out;
}

TEST(CliVersion, PrintsVersion) {
  TempDir dir;
  const auto r = run_cli({"--version"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(ringkernel \d+\.\d+\.\d+)"))) << describe(r);
  const auto h = run_cli({"--help"}, dir.path());
  EXPECT_EQ(h.exit_code, 0) << describe(h);
  EXPECT_NE(h.out.find("run"), std::string::npos);
}

// A run that fails after the file was created: exit 1, final file with status "failed" and an error.
// A 1 ns drain timeout makes the producer's end-of-run query time out deterministically.
TEST(CliRunFailure, FailedRunKeepsFailedFile) {
  TempDir dir;
  const fs::path out = dir / "failed.h5";
  const auto r = run_cli({"run", shipped("fan_out"), "--set", "iterations=512", "--set", "drain_timeout=1ns", "--output",
                          out.string(), "--quiet"},
                         dir.path());
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("run failed"), std::string::npos) << describe(r);
  ASSERT_TRUE(fs::exists(out)) << describe(r);
  EXPECT_FALSE(fs::exists(tmp_of(out)));
  record::ResultsReader f(out);
  EXPECT_EQ(f.string_attr("/", "status"), "failed");
  ASSERT_TRUE(f.has_attr("/", "error"));
  EXPECT_FALSE(f.string_attr("/", "error").empty());
  EXPECT_TRUE(f.has_attr("/", "finished_utc"));
  bool error_event = false;
  for (const auto& e : f.read_events()) error_event = error_event || e.severity == record::Severity::error;
  EXPECT_TRUE(error_event);
}

// --log-level reaches the driver's logger: debug shows every phase on stderr, the default (warn) none,
// and stdout keeps only the summary.
TEST(CliLogLevel, DebugLogsThePhasesOnStderr) {
  TempDir dir;
  const std::vector<std::string> run = {"run", shipped("fan_out"), "--set", "iterations=1000", "--output",
                                        (dir.path() / "out.h5").string()};
  auto with_debug = run;
  with_debug.insert(with_debug.end(), {"--log-level", "debug"});
  const auto r = run_cli(with_debug, dir.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const char* phase : {"prepare", "open results", "start backend", "launch", "run", "settle", "finish"})
    EXPECT_NE(r.err.find(std::string("phase ") + phase + ": done"), std::string::npos) << phase << "\n" << r.err;
  EXPECT_EQ(r.out.find("phase "), std::string::npos) << r.out;
  const auto quiet = run_cli(run, dir.path());
  EXPECT_EQ(quiet.exit_code, 0) << describe(quiet);
  EXPECT_EQ(quiet.err.find("phase "), std::string::npos) << quiet.err;
}

// A CUDA run on an executable without the CUDA backend runs simulated when the scenario allows it,
// and says so (stderr and an event in the results file).
TEST(CliBackend, AllowSimulatedDevicesRunsACudaScenarioOnTheCpuBackend) {
  TempDir dir;
  const auto r = run_cli({"run", shipped("fan_out"), "--set", "backend=cuda", "--set", "allow_simulated_devices=true",
                          "--set", "iterations=1000", "--output", (dir.path() / "out.h5").string()},
                         dir.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("simulated on the cpu backend"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("backend"), std::string::npos);
}


// Every workload, generator and kernel parameter is declared: a typo is exit 2 naming the line, with a
// did-you-mean; a value outside the declared range too; `validate` says the same.
TEST(CliParams, MisspelledWorkloadParameterIsRejected) {
  expect_invalid({"run", shipped("ping_pong"), "--set", "workload.payload_byte=0"}, "did you mean 'payload_bytes'");
  // In the file: the error names its line.
  TempDir dir;
  std::string text = read_text(shipped("ping_pong"));
  const auto at = text.find("  payload_bytes: 8");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 17, "  payload_byte: 8");
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
  write_text(dir / "typo.yaml", text);
  const auto v = run_cli({"validate", (dir / "typo.yaml").string()}, dir.path());
  EXPECT_EQ(v.exit_code, 2) << describe(v);
  EXPECT_NE(v.err.find("typo.yaml:" + std::to_string(line) + ":"), std::string::npos) << describe(v);
  EXPECT_NE(v.err.find("did you mean 'payload_bytes'"), std::string::npos) << describe(v);
}

TEST(CliParams, MisspelledGeneratorAndKernelParametersAreRejected) {
  expect_invalid({"run", shipped("pagerank"), "--set", "workload.generator.edgefactor=4"}, "did you mean 'edge_factor'");
  expect_invalid({"run", shipped("migration_cost"), "--set", "kernels.0.params.state_byte=64"},
                 "did you mean 'state_bytes'");
  expect_invalid({"run", shipped("migration_cost"), "--set", "kernels.0.params.state_bytes=-1"}, "state_bytes");
  expect_invalid({"run", shipped("pagerank"), "--set", "workload.generator.kind=erdos"}, "rmat");
}

TEST(CliParams, ParametersOfAWorkloadWithoutAGeneratorAreRejected) {
  expect_invalid({"run", shipped("pipeline"), "--set", "workload.generator.orders=5"}, "has no generator");
}

// Top-level run limits a workload does not honour are refused, not silently ignored.
TEST(CliLimits, LimitsTheWorkloadDoesNotHonourAreRejected) {
  expect_invalid({"run", shipped("pipeline"), "--set", "warmup=100ms"}, "does not honour 'warmup'");
  expect_invalid({"run", shipped("pagerank"), "--set", "iterations=5"}, "does not honour 'iterations'");
  expect_invalid({"run", shipped("allreduce"), "--set", "duration=5s"}, "does not honour 'duration'");
  expect_invalid({"run", shipped("order_matching"), "--set", "duration=5s"}, "does not honour 'duration'");
}

TEST(CliList, ShowsDeclaredParameters) {
  TempDir dir;
  const auto r = run_cli({"list"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const char* want : {"payload_bytes", "int 0..", "edge_factor", "state_bytes", "rmat|kronecker|uniform"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
}

}  // namespace
}  // namespace rk::harness_test
