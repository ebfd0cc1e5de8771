// Golden tests of the results file as a whole: root attributes and their types, status transitions,
// the .tmp → final rename, the destructor's "failed" fallback, /devices and error reporting.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>

#include "record_test_util.hpp"
#include "rk/record/record.hpp"

namespace rk::record {
namespace {

using test::RawFile;
using test::TempDir;

TEST(RecordFile, WritesUnderTmpNameAndRenamesOnFinish) {
  TempDir dir;
  const auto final_path = dir / "nested/deeper/run.h5";
  auto file = ResultsFile::create(final_path, test::sample_run_info());
  EXPECT_TRUE(file.is_open());
  EXPECT_EQ(file.path(), final_path);
  // A private temporary: "<final>.<pid>.<8 hex>.tmp" in the same directory.
  const std::regex temp_name("run\\.h5\\." + std::to_string(getpid()) + "\\.[0-9a-f]{8}\\.tmp");
  EXPECT_EQ(file.temp_path().parent_path(), dir / "nested/deeper");
  EXPECT_TRUE(std::regex_match(file.temp_path().filename().string(), temp_name)) << file.temp_path();
  EXPECT_TRUE(std::filesystem::exists(file.temp_path()));
  EXPECT_FALSE(std::filesystem::exists(final_path));
  EXPECT_FALSE(file.replaces_existing());

  const auto temp = file.temp_path();
  file.finish(Status::complete);
  EXPECT_FALSE(file.is_open());
  EXPECT_FALSE(std::filesystem::exists(temp));
  ASSERT_TRUE(std::filesystem::exists(final_path));
  ResultsReader reader(final_path);
  EXPECT_EQ(reader.string_attr("/", "status"), "complete");
  EXPECT_FALSE(reader.has_attr("/", "error"));
}

TEST(RecordFile, StatusIsRunningWhileOpen) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  file.flush();
  {
    ResultsReader reader(file.temp_path());
    EXPECT_EQ(reader.string_attr("/", "status"), "running");
    EXPECT_FALSE(reader.has_attr("/", "finished_utc"));
  }
  file.finish(Status::complete);
}

TEST(RecordFile, RootAttributesHaveValuesAndTypes) {
  TempDir dir;
  const auto info = test::sample_run_info();
  auto file = ResultsFile::create(dir / "run.h5", info);
  file.set_attr("exit_code", 0);
  file.set_attr("note", "extra root attribute");
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.string_attr("/", "format"), "ringkernel-results");
  EXPECT_EQ(reader.string_attr("/", "format_version"), "1.4");
  EXPECT_EQ(reader.string_attr("/", "scenario"), info.scenario_yaml);
  EXPECT_EQ(reader.string_array_attr("/", "argv"), info.argv);
  EXPECT_EQ(reader.string_attr("/", "command_line"),
            "ringkernel run 'scenarios/ping pong.yaml' --set devices=2");
  EXPECT_EQ(reader.string_attr("/", "backend"), "cpu");
  EXPECT_EQ(reader.u64_attr("/", "device_count"), 2u);
  EXPECT_EQ(reader.string_attr("/", "started_utc"), info.started_utc);
  EXPECT_EQ(reader.string_attr("/", "git_revision"), info.git_revision);
  EXPECT_TRUE(reader.bool_attr("/", "git_dirty"));
  EXPECT_EQ(reader.string_attr("/", "hostname"), "test-host");
  EXPECT_EQ(reader.i64_attr("/", "writer_pid"), getpid());
  char writer_host[256] = {};
  gethostname(writer_host, sizeof writer_host - 1);
  EXPECT_EQ(reader.string_attr("/", "writer_host"), writer_host);  // always the writer's, unlike hostname
  EXPECT_EQ(reader.string_attr("/", "build_type"), "RelWithDebInfo");
  EXPECT_EQ(reader.string_attr("/", "version_ringkernel"), "0.1.0");
  EXPECT_EQ(reader.string_attr("/", "version_cuda"), "none");
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  EXPECT_EQ(reader.string_attr("/", "version_hdf5"),
            std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release));
  EXPECT_EQ(reader.i64_attr("/", "exit_code"), 0);
  EXPECT_EQ(reader.string_attr("/", "note"), "extra root attribute");
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(reader.string_attr("/", "finished_utc"), iso));

  RawFile raw(dir / "run.h5");
  for (const char* name : {"format", "format_version", "status", "scenario", "command_line", "backend", "started_utc",
                           "finished_utc", "git_revision", "hostname", "build_type", "version_hdf5", "writer_host"}) {
    const auto t = test::attr_type(raw.id(), "/", name);
    EXPECT_EQ(t.type_class, H5T_STRING) << name;
    EXPECT_TRUE(t.variable_string) << name;
    EXPECT_TRUE(t.utf8) << name;
  }
  const auto argv = test::attr_type(raw.id(), "/", "argv");
  EXPECT_EQ(argv.type_class, H5T_STRING);
  EXPECT_TRUE(argv.variable_string);
  const auto count = test::attr_type(raw.id(), "/", "device_count");
  EXPECT_EQ(count.type_class, H5T_INTEGER);
  EXPECT_EQ(count.size, 8u);
  EXPECT_FALSE(count.is_signed);
  const auto dirty = test::attr_type(raw.id(), "/", "git_dirty");
  EXPECT_EQ(dirty.type_class, H5T_ENUM);  // h5py's bool
  EXPECT_EQ(dirty.size, 1u);
  EXPECT_EQ(dirty.members, 2);
  const auto writer_pid = test::attr_type(raw.id(), "/", "writer_pid");
  EXPECT_EQ(writer_pid.type_class, H5T_INTEGER);
  EXPECT_EQ(writer_pid.size, 8u);
  EXPECT_TRUE(writer_pid.is_signed);
  const auto exit_code = test::attr_type(raw.id(), "/", "exit_code");
  EXPECT_EQ(exit_code.type_class, H5T_INTEGER);
  EXPECT_TRUE(exit_code.is_signed);
}

TEST(RecordFile, FillsStartTimeAndHostnameWhenEmpty) {
  TempDir dir;
  RunInfo info;
  info.backend = "cpu";
  auto file = ResultsFile::create(dir / "run.h5", info);
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(reader.string_attr("/", "started_utc"), iso));
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  EXPECT_EQ(reader.string_attr("/", "hostname"), host);
  EXPECT_FALSE(reader.bool_attr("/", "git_dirty"));
  EXPECT_TRUE(reader.string_array_attr("/", "argv").empty());
}

TEST(RecordFile, EmptyRunHasAllTopLevelObjects) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  file.finish(Status::complete);
  ResultsReader reader(dir / "run.h5");
  for (const char* group : {"/latency", "/throughput", "/telemetry", "/workloads", "/devices", "/events"}) {
    EXPECT_TRUE(reader.has(group)) << group;
  }
  EXPECT_EQ(reader.length("/devices"), 0u);
  EXPECT_EQ(reader.length("/events"), 0u);
}

TEST(RecordFile, InterruptedKeepsMeasurements) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  auto rtt = file.latency("rtt");
  for (std::uint64_t i = 1; i <= 10; ++i) rtt.append(i * 100);
  file.finish(Status::interrupted, "SIGINT received");

  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.string_attr("/", "status"), "interrupted");
  EXPECT_EQ(reader.string_attr("/", "error"), "SIGINT received");
  EXPECT_EQ(reader.read_array<std::uint64_t>("/latency/rtt/samples_ns").size(), 10u);
  EXPECT_EQ(reader.u64_attr("/latency/rtt/samples_ns", "p50_ns"), 500u);
}

TEST(RecordFile, FailedKeepsTheError) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  file.finish(Status::failed, "kernel book[3] reported error 7");
  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.string_attr("/", "status"), "failed");
  EXPECT_EQ(reader.string_attr("/", "error"), "kernel book[3] reported error 7");
}

TEST(RecordFile, FailedWithoutMessageGetsOne) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  file.finish(Status::failed);
  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.string_attr("/", "status"), "failed");
  EXPECT_EQ(reader.string_attr("/", "error"), "unspecified failure");
}

TEST(RecordFile, DestructorWithoutFinishMarksFailedAndRenames) {
  TempDir dir;
  std::filesystem::path temp;
  {
    auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
    temp = file.temp_path();
    file.latency("rtt").append(42);
    file.events().append(Event{0, {}, Severity::info, "lifecycle", "k0", "launched"});
  }
  EXPECT_FALSE(std::filesystem::exists(temp));
  ASSERT_TRUE(std::filesystem::exists(dir / "run.h5"));
  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.string_attr("/", "status"), "failed");
  EXPECT_NE(reader.string_attr("/", "error").find("not finished"), std::string::npos);
  EXPECT_EQ(reader.u64_attr("/latency/rtt/samples_ns", "count"), 1u);
  EXPECT_EQ(reader.u64_attr("/latency/rtt/samples_ns", "max_ns"), 42u);
  EXPECT_EQ(reader.read_events().size(), 1u);
}

// Destroyed by a propagating exception, the file waits for its reason from whoever catches the exception.
TEST(RecordFile, DestructorDuringExceptionTakesTheReasonFromTheCatcher) {
  TempDir dir;
  try {
    auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
    file.latency("rtt").append(7);
    throw std::runtime_error("backend failed to start: no device 3");
  } catch (const std::runtime_error& e) {
    EXPECT_FALSE(std::filesystem::exists(dir / "run.h5"));  // not finished yet: its reason is unknown
    EXPECT_TRUE(finish_unwound_files(e.what()).empty());
  }
  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.string_attr("/", "status"), "failed");
  EXPECT_EQ(reader.string_attr("/", "error"), "backend failed to start: no device 3");
  EXPECT_EQ(reader.u64_attr("/latency/rtt/samples_ns", "count"), 1u);
  EXPECT_TRUE(finish_unwound_files("again").empty());  // nothing left to finish
}

// Nobody gave the reason: the next create() finishes it with one that says so.
TEST(RecordFile, DestructorDuringExceptionUnclaimedIsFinishedByNextCreate) {
  TempDir dir;
  try {
    auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  auto next = ResultsFile::create(dir / "next.h5", test::sample_run_info());
  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.string_attr("/", "status"), "failed");
  EXPECT_NE(reader.string_attr("/", "error").find("exception was propagating"), std::string::npos);
  next.finish(Status::complete);
}

// Destroyed inside a handler, the file records the exception being handled.
TEST(RecordFile, DestructorInsideAHandlerRecordsTheHandledException) {
  TempDir dir;
  std::optional<ResultsFile> file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  try {
    throw std::runtime_error("kernel book[3] did not start");
  } catch (const std::runtime_error&) {
    file.reset();
  }
  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.string_attr("/", "status"), "failed");
  EXPECT_EQ(reader.string_attr("/", "error"), "kernel book[3] did not start");
}

TEST(RecordFile, SetFailureReasonIsWhatTheDestructorRecords) {
  TempDir dir;
  {
    auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
    file.set_failure_reason("start backend: cannot reserve 268435456 bytes for device 10");
  }
  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.string_attr("/", "status"), "failed");
  EXPECT_EQ(reader.string_attr("/", "error"), "start backend: cannot reserve 268435456 bytes for device 10");
}

TEST(RecordFile, MoveTransfersOwnership) {
  TempDir dir;
  auto first = ResultsFile::create(dir / "a.h5", test::sample_run_info());
  ResultsFile second = std::move(first);
  EXPECT_TRUE(second.is_open());
  EXPECT_FALSE(first.is_open());  // NOLINT(bugprone-use-after-move): documented moved-from state
  second.finish(Status::complete);
  first = ResultsFile::create(dir / "b.h5", test::sample_run_info());
  first = ResultsFile::create(dir / "c.h5", test::sample_run_info());  // b.h5 is finished as failed
  first.finish(Status::complete);
  EXPECT_EQ(ResultsReader(dir / "a.h5").string_attr("/", "status"), "complete");
  EXPECT_EQ(ResultsReader(dir / "b.h5").string_attr("/", "status"), "failed");
  EXPECT_EQ(ResultsReader(dir / "c.h5").string_attr("/", "status"), "complete");
}

TEST(RecordFile, UseAfterFinishThrows) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  auto rtt = file.latency("rtt");
  auto events = file.events();
  file.finish(Status::complete);
  EXPECT_THROW(file.finish(Status::complete), RecordError);
  EXPECT_THROW(rtt.append(1), RecordError);
  EXPECT_THROW(events.append(Event{}), RecordError);
  EXPECT_THROW((void)file.latency("other"), RecordError);
  EXPECT_THROW(file.flush(), RecordError);
  EXPECT_EQ(rtt.count(), 0u);
  LatencySeries empty;
  EXPECT_THROW(empty.append(1), RecordError);
}

// An existing final file is replaced (the run was asked to write there); temporaries of other runs,
// finished or not, are never touched.
TEST(RecordFile, ReplacesExistingFinalFileLeavesOtherTemporaries) {
  TempDir dir;
  std::ofstream(dir / "run.h5") << "old results";
  std::ofstream(dir / "run.h5.tmp") << "crashed run";
  std::ofstream(dir / "run.h5.999999.0123abcd.tmp") << "another run";
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  EXPECT_TRUE(file.replaces_existing());
  file.finish(Status::complete);
  EXPECT_EQ(ResultsReader(dir / "run.h5").string_attr("/", "status"), "complete");
  std::ifstream leftover(dir / "run.h5.tmp");
  std::string text;
  std::getline(leftover, text);
  EXPECT_EQ(text, "crashed run");
  EXPECT_TRUE(std::filesystem::exists(dir / "run.h5.999999.0123abcd.tmp"));
}

TEST(RecordFile, UncreatableDirectoryIsAClearError) {
  TempDir dir;
  std::ofstream(dir / "not_a_dir") << "a file";
  const auto path = dir / "not_a_dir/sub/run.h5";
  try {
    (void)ResultsFile::create(path, test::sample_run_info());
    FAIL() << "expected RecordError";
  } catch (const RecordError& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "not_a_dir/sub").string()), std::string::npos) << e.what();
  }
}

TEST(RecordFile, UnwritableDirectoryIsAClearError) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  TempDir dir;
  std::filesystem::create_directory(dir / "ro");
  std::filesystem::permissions(dir / "ro", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  try {
    (void)ResultsFile::create(dir / "ro/run.h5", test::sample_run_info());
    FAIL() << "expected RecordError";
  } catch (const RecordError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((dir / "ro/run.h5").string()), std::string::npos) << what;
    EXPECT_NE(what.find("ermission"), std::string::npos) << what;  // errno's text
  }
}

TEST(RecordFile, RejectsPathWithoutFileName) {
  TempDir dir;
  EXPECT_THROW((void)ResultsFile::create(dir.path() / "", test::sample_run_info()), RecordError);
}

TEST(RecordFile, DevicesAreOneCompoundRowEach) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  file.add_device(DeviceInfo{0, "cpu-sim-0", "cpu-simulated", 8ull << 30, 3'000'000, 0, 2, "", "AMD EPYC 7B13", 0,
                             "test-host"});
  file.add_device(DeviceInfo{1, "NVIDIA H100 80GB HBM3", "cuda", 80ull << 30, 1'980'000, 2'619'000, 132, "9.0",
                             "Intel Xeon", 1, "gpu-node-7"});
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  const auto devices = reader.read_devices();
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].name, "cpu-sim-0");
  EXPECT_EQ(devices[0].kind, "cpu-simulated");
  EXPECT_EQ(devices[0].memory_bytes, 8ull << 30);
  EXPECT_EQ(devices[0].cpu_model, "AMD EPYC 7B13");
  EXPECT_EQ(devices[1].index, 1u);
  EXPECT_EQ(devices[1].clock_khz, 1'980'000u);
  EXPECT_EQ(devices[1].memory_clock_khz, 2'619'000u);
  EXPECT_EQ(devices[1].multiprocessor_count, 132u);
  EXPECT_EQ(devices[1].compute_capability, "9.0");
  EXPECT_EQ(devices[1].rank, 1);
  EXPECT_EQ(devices[1].host, "gpu-node-7");

  RawFile raw(dir / "run.h5");
  EXPECT_EQ(test::compound_fields(raw.id(), "/devices"),
            (std::vector<std::string>{"index", "name", "kind", "memory_bytes", "clock_khz", "memory_clock_khz",
                                      "multiprocessor_count", "compute_capability", "cpu_model", "rank", "host"}));
  EXPECT_TRUE(test::member_type(raw.id(), "/devices", "name").variable_string);
  EXPECT_EQ(test::member_type(raw.id(), "/devices", "memory_bytes").size, 8u);
}

TEST(RecordFile, H5dumpReadsTheFile) {
#ifndef RK_H5DUMP
  GTEST_SKIP() << "h5dump not found at configure time";
#else
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  file.latency("rtt").append(std::vector<std::uint64_t>{1, 2, 3});
  file.telemetry("book[3]").append(TelemetryRow{});
  file.events().append(Event{0, {}, Severity::warning, "warning", "", "queue nearly full"});
  file.finish(Status::complete);
  const std::string command = std::string(RK_H5DUMP) + " -H '" + (dir / "run.h5").string() + "' > /dev/null";
  EXPECT_EQ(std::system(command.c_str()), 0);
#endif
}

// A numeric attribute holding several values is an error, not a stack overflow (found by the results
// fuzzer: the getters read the whole attribute into one value).
TEST(RecordReader, NumericAttributeWithSeveralValuesIsAnError) {
  TempDir dir;
  const auto path = dir / "arrays.h5";
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hsize_t n = 64;
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t a = H5Acreate2(f, "count", H5T_NATIVE_UINT64, space, H5P_DEFAULT, H5P_DEFAULT);
  const std::vector<std::uint64_t> values(n, 7);
  ASSERT_GE(H5Awrite(a, H5T_NATIVE_UINT64, values.data()), 0);
  H5Aclose(a);
  H5Sclose(space);
  H5Fclose(f);
  ResultsReader reader(path);
  EXPECT_THROW((void)reader.u64_attr("/", "count"), RecordError);
  EXPECT_THROW((void)reader.i64_attr("/", "count"), RecordError);
  EXPECT_THROW((void)reader.f64_attr("/", "count"), RecordError);
  EXPECT_THROW((void)reader.bool_attr("/", "count"), RecordError);
}

}  // namespace
}  // namespace rk::record
