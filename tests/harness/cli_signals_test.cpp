// Long runs through the real executable: SIGINT/SIGTERM drain (exit 130, file kept as "interrupted") and
// the temporary name (`X.<pid>.<hex>.tmp` while running, `X` after).
#include "cli_test_util.hpp"
#include "rk/record/reader.hpp"

namespace rk::harness_test {
namespace {

struct InterruptCase {
  const char* scenario;
  int sig;
  const char* latency_probe;
};

void PrintTo(const InterruptCase& c, std::ostream* os) { *os << c.scenario << (c.sig == SIGINT ? " SIGINT" : " SIGTERM"); }

class Interrupt : public ::testing::TestWithParam<InterruptCase> {};

TEST_P(Interrupt, DrainsAndKeepsResults) {
  const auto& c = GetParam();
  TempDir dir;
  const fs::path out = dir / "long.h5";
  Child child({"run", shipped(c.scenario), "--set", "iterations=100000000", "--output", out.string(), "--quiet"},
              dir.path());
  ASSERT_TRUE(child.wait_until([&] { return fs::exists(tmp_of(out)); }, 20s))
      << "no " << tmp_of(out) << " appeared\n" << describe(child.wait(1s));
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(child.running()) << "finished before the signal\n" << describe(child.wait(1s));
  EXPECT_TRUE(fs::exists(tmp_of(out)));
  EXPECT_FALSE(fs::exists(out));

  const auto t0 = std::chrono::steady_clock::now();
  child.send(c.sig);
  const auto r = child.wait(10s);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(r.timed_out) << "no exit within 10 s of the signal\n" << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_LT(secs, 10.0);
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << describe(r);

  ASSERT_TRUE(fs::exists(out)) << describe(r);
  EXPECT_FALSE(fs::exists(tmp_of(out)));
  record::ResultsReader f(out);
  EXPECT_EQ(f.string_attr("/", "status"), "interrupted");
  EXPECT_EQ(f.string_attr("/", "format"), "ringkernel-results");
  EXPECT_TRUE(f.has_attr("/", "finished_utc"));
  const std::string ds = std::string("/latency/") + c.latency_probe + "/samples_ns";
  ASSERT_TRUE(f.has(ds)) << ds;
  const auto count = f.u64_attr(ds, "count");
  EXPECT_GT(count, 0u);
  EXPECT_EQ(f.length(ds), count);
  EXPECT_LE(f.u64_attr(ds, "p50_ns"), f.u64_attr(ds, "max_ns"));
  EXPECT_FALSE(f.read_events().empty());
}

INSTANTIATE_TEST_SUITE_P(Cli, Interrupt,
                         ::testing::Values(InterruptCase{"ping_pong", SIGINT, "round_trip"},
                                           InterruptCase{"pipeline", SIGTERM, "end_to_end"}),
                         [](const auto& info) {
                           return std::string(info.param.scenario) + (info.param.sig == SIGINT ? "_SIGINT" : "_SIGTERM");
                         });

// While a run is in progress only its temporary exists; once it finished only X.
TEST(TemporaryName, TmpWhileRunningFinalAfter) {
  TempDir dir;
  const fs::path out = dir / "timed.h5";
  Child child({"run", shipped("ping_pong"), "--set", "duration=2s", "--set", "warmup=0s", "--set",
               "workload.baseline=false", "--output", out.string(), "--quiet"},
              dir.path());
  ASSERT_TRUE(child.wait_until([&] { return fs::exists(tmp_of(out)); }, 20s)) << describe(child.wait(1s));
  int observations = 0;
  while (child.running() && child.elapsed_s() < 1.5) {
    const bool tmp = fs::exists(tmp_of(out)), fin = fs::exists(out);
    if (!child.running()) break;  // it may have renamed between the two checks
    EXPECT_TRUE(tmp);
    EXPECT_FALSE(fin);
    ++observations;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GT(observations, 0);
  const auto r = child.wait(30s);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(tmp_of(out)));
  record::ResultsReader f(out);
  EXPECT_EQ(f.string_attr("/", "status"), "complete");
}

// A leftover temporary from a crashed run is left alone (the run mentions it), and an existing final
// file is replaced.
TEST(TemporaryName, LeftoverTmpKeptAndExistingFileReplaced) {
  TempDir dir;
  const fs::path out = dir / "again.h5";
  const fs::path leftover = out.string() + ".tmp";
  write_text(leftover, "garbage from a crashed run");
  write_text(out, "an old file");
  const auto r = run_cli({"run", shipped("ping_pong"), "--set", "iterations=100", "--set", "warmup=0s", "--set",
                          "workload.baseline=false", "--set", "drain_timeout=30s", "--output", out.string(), "--quiet"},
                         dir.path());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(tmp_of(out), leftover);  // no temporary of this run left
  EXPECT_EQ(read_text(leftover), "garbage from a crashed run");
  EXPECT_NE(r.err.find(leftover.string()), std::string::npos) << describe(r);
  record::ResultsReader f(out);
  EXPECT_EQ(f.string_attr("/", "status"), "complete");
}

// SIGINT while the input is still being built (a large generated graph, made when the run starts): the
// run stops there, exit 130, and the results file says `interrupted`, never `complete`.
std::vector<std::string> slow_prepare(const fs::path& out) {
  return {"run", shipped("pagerank"), "--set", "workload.generator.scale=20", "--set", "workload.baseline=false",
          "--set", "workload.max_iterations=1", "--output", out.string(), "--quiet"};
}

/// Starts the slow-to-prepare run and sends the first SIGINT while its input is still being built.
void interrupt_while_preparing(Child& child) {
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(child.running()) << describe(child.wait(1s));
  child.send(SIGINT);
}

TEST(InterruptWhileTheInputIsBuilt, EndsInterruptedNotComplete) {
  TempDir dir;
  const fs::path out = dir / "results" / "big.h5";
  Child child(slow_prepare(out), dir.path());
  ASSERT_NO_FATAL_FAILURE(interrupt_while_preparing(child));
  const auto r = child.wait(120s);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << describe(r);
  if (fs::exists(out)) {
    record::ResultsReader f(out);
    EXPECT_EQ(f.string_attr("/", "status"), "interrupted");
  }
}

// A second SIGINT ends the process at once, whatever it is doing; nothing claims to be complete.
TEST(InterruptTwice, ExitsAtOnce) {
  TempDir dir;
  const fs::path out = dir / "results" / "big.h5";
  Child child(slow_prepare(out), dir.path());
  ASSERT_NO_FATAL_FAILURE(interrupt_while_preparing(child));
  std::this_thread::sleep_for(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  child.send(SIGINT);
  const auto r = child.wait(30s);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);  // liveness bound
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_NE(r.err.find("second interrupt"), std::string::npos) << describe(r);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace rk::harness_test
