// `ringkernel compare` end to end: exit 0 / 1 / 2 on results files written by `ringkernel run` (ping_pong,
// 2000 iterations) and by the writer itself (rk::record::ResultsFile, for a known 25% slowdown), and the
// JSON and Markdown reports.
#include <sstream>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "cli_test_util.hpp"
#include "rk/record/results_file.hpp"

namespace rk::harness_test {
namespace {

/// A ping_pong-shaped results file from the writer: round_trip samples all equal to `p50`, and the
/// workload's in-run normalised figure `ratio`.
void write_synthetic(const fs::path& path, double ratio, std::uint64_t p50,
                     rk::record::Status status = rk::record::Status::complete, const std::string& scenario = "ping_pong",
                     const std::string& format_version = "") {
  rk::record::RunInfo info;
  info.scenario_yaml = "name: " + scenario + "\n";
  info.argv = {"cli_compare_test"};
  info.backend = "cpu";
  info.device_count = 1;
  auto file = rk::record::ResultsFile::create(path, info);
  file.set_attr("scenario_name", scenario);
  file.set_attr("workload", std::string("ping_pong"));
  if (!format_version.empty()) file.set_attr("format_version", format_version);
  const std::vector<std::uint64_t> samples(1000, p50);
  file.latency("round_trip").append(samples);
  auto workload = file.workload("ping_pong");
  workload.set_attr("probe", std::string("round_trip"));
  workload.set_attr("p50_ratio_to_line_mean", ratio);
  file.finish(status);
}

class CompareCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    for (int i = 1; i <= 3; ++i) {
      const auto r = run_cli({"run", shipped("ping_pong"), "--backend", "cpu", "--set", "iterations=2000", "--set",
                              "warmup=0s", "--output", pp(i), "--quiet"},
                             dir_->path());
      ASSERT_EQ(r.exit_code, 0) << describe(r);
    }
    for (int i = 1; i <= 4; ++i) {
      write_synthetic(path("base" + std::to_string(i) + ".h5"), 1.90 + 0.01 * i, 500);
      write_synthetic(path("slow" + std::to_string(i) + ".h5"), 2.40 + 0.01 * i, 500);
    }
    write_synthetic(path("interrupted.h5"), 1.9, 500, rk::record::Status::interrupted);
    write_synthetic(path("other.h5"), 1.9, 500, rk::record::Status::complete, "pipeline_like");
    write_synthetic(path("v2.h5"), 1.9, 500, rk::record::Status::complete, "ping_pong", "2.0");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string path(const std::string& name) { return (dir_->path() / name).string(); }
  static std::string pp(int i) { return path("pp" + std::to_string(i) + ".h5"); }
  static ProcResult compare(std::vector<std::string> args) {
    args.insert(args.begin(), "compare");
    return run_cli(args, dir_->path());
  }

  static TempDir* dir_;
};
TempDir* CompareCli::dir_ = nullptr;

TEST_F(CompareCli, SameRunsOnBothSidesAreSameAndExitZero) {
  const auto r = compare({pp(1), pp(2), pp(3), "--vs", pp(1), pp(2), pp(3)});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // The in-run normalised figure replaces the round trip's absolute p50 and the bounce it is divided by.
  EXPECT_NE(r.out.find("workloads/ping_pong/p50_ratio_to_line_mean"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("latency/round_trip/p50_ns"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("latency/atomic_bounce/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("latency/round_trip/p99_ns"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 SLOWER, 0 FASTER"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("UNSURE  \n"), std::string::npos);
  const auto raw = compare({pp(1), pp(2), pp(3), "--vs", pp(1), pp(2), pp(3), "--raw"});
  ASSERT_EQ(raw.exit_code, 0) << describe(raw);
  EXPECT_NE(raw.out.find("latency/round_trip/p50_ns"), std::string::npos) << raw.out;
  EXPECT_NE(raw.out.find("latency/atomic_bounce/p50_ns"), std::string::npos) << raw.out;
  EXPECT_EQ(raw.out.find("p50_ratio_to_line_mean"), std::string::npos) << raw.out;
}

TEST_F(CompareCli, SlowerCandidateExitsOne) {
  const auto r = compare({path("base1.h5"), path("base2.h5"), path("base3.h5"), path("base4.h5"), "--vs",
                          path("slow1.h5"), path("slow2.h5"), path("slow3.h5"), path("slow4.h5")});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.out.find("SLOWER"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 SLOWER"), std::string::npos) << r.out;
  // Absolute figures (identical round trips) say nothing changed.
  const auto raw = compare({path("base1.h5"), path("base2.h5"), path("base3.h5"), path("base4.h5"), "--vs",
                            path("slow1.h5"), path("slow2.h5"), path("slow3.h5"), path("slow4.h5"), "--raw"});
  EXPECT_EQ(raw.exit_code, 0) << describe(raw);
  // A threshold above the change: not SLOWER.
  const auto lenient = compare({path("base1.h5"), path("base2.h5"), path("base3.h5"), path("base4.h5"), "--vs",
                                path("slow1.h5"), path("slow2.h5"), path("slow3.h5"), path("slow4.h5"), "--threshold",
                                "40%"});
  EXPECT_EQ(lenient.exit_code, 0) << describe(lenient);
  // Reversed, it is FASTER, and that is exit 0.
  const auto faster = compare({path("slow1.h5"), path("slow2.h5"), path("slow3.h5"), path("slow4.h5"), "--vs",
                               path("base1.h5"), path("base2.h5"), path("base3.h5"), path("base4.h5")});
  EXPECT_EQ(faster.exit_code, 0) << describe(faster);
  EXPECT_NE(faster.out.find("FASTER"), std::string::npos) << faster.out;
}

TEST_F(CompareCli, BadInputExitsTwoNamingTheFile) {
  const auto missing = compare({pp(1), "--vs", path("nope.h5")});
  EXPECT_EQ(missing.exit_code, 2) << describe(missing);
  EXPECT_NE(missing.err.find("nope.h5': no such file"), std::string::npos) << missing.err;

  const auto interrupted = compare({path("base1.h5"), "--vs", path("interrupted.h5")});
  EXPECT_EQ(interrupted.exit_code, 2) << describe(interrupted);
  EXPECT_NE(interrupted.err.find("interrupted.h5': status is 'interrupted', not complete"), std::string::npos)
      << interrupted.err;

  const auto scenario = compare({path("base1.h5"), "--vs", path("other.h5")});
  EXPECT_EQ(scenario.exit_code, 2) << describe(scenario);
  EXPECT_NE(scenario.err.find("other.h5': scenario 'pipeline_like' differs from 'ping_pong'"), std::string::npos)
      << scenario.err;

  const auto version = compare({path("base1.h5"), "--vs", path("v2.h5")});
  EXPECT_EQ(version.exit_code, 2) << describe(version);
  EXPECT_NE(version.err.find("v2.h5': format_version (MAJOR) '2.0'"), std::string::npos) << version.err;

  const fs::path text = dir_->path() / "not_hdf5.h5";
  write_text(text, "hello\n");
  const auto garbage = compare({pp(1), "--vs", text.string()});
  EXPECT_EQ(garbage.exit_code, 2) << describe(garbage);
  EXPECT_NE(garbage.err.find("not_hdf5.h5': not a readable results file"), std::string::npos) << garbage.err;

  EXPECT_EQ(compare({pp(1), pp(2)}).exit_code, 2);  // no --vs
  EXPECT_EQ(compare({pp(1), "--vs", pp(2), "--threshold", "lots"}).exit_code, 2);
  EXPECT_EQ(compare({pp(1), "--vs", pp(2), "--format", "yaml"}).exit_code, 2);
}

TEST_F(CompareCli, JsonParses) {
  const auto r = compare({pp(1), pp(2), "--vs", pp(2), pp(3), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  boost::property_tree::ptree tree;
  std::istringstream in(r.out);
  ASSERT_NO_THROW(boost::property_tree::read_json(in, tree)) << r.out;
  EXPECT_EQ(tree.get<std::string>("scenario"), "ping_pong");
  EXPECT_EQ(tree.get<int>("exit_code"), 0);
  EXPECT_EQ(tree.get<double>("rule.threshold"), 0.05);
  const auto& figures = tree.get_child("figures");
  ASSERT_FALSE(figures.empty());
  bool found = false;
  for (const auto& [key, figure] : figures) {
    EXPECT_EQ(figure.get_child("baseline.values").size(), 2u);
    EXPECT_FALSE(figure.get<std::string>("verdict").empty());
    found |= figure.get<std::string>("name") == "workloads/ping_pong/p50_ratio_to_line_mean";
  }
  EXPECT_TRUE(found) << r.out;
}

TEST_F(CompareCli, MarkdownHasTheTable) {
  const auto r = compare({path("base1.h5"), path("base2.h5"), path("base3.h5"), path("base4.h5"), "--vs",
                          path("slow1.h5"), path("slow2.h5"), path("slow3.h5"), path("slow4.h5"), "--format",
                          "markdown"});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.out.find("### ringkernel compare: 1 SLOWER"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| figure | better | baseline | candidate | ratio | change | 95% CI |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| --- | --- | ---: |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| `workloads/ping_pong/p50_ratio_to_line_mean` | lower | 1.925x | 2.425x | 1.260 | +26.0% |"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| **SLOWER** |"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace rk::harness_test
