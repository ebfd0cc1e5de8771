// --set overrides: dotted paths, type checks identical to the file, errors located in the
// override, generator replacement by data files, and source_text reflecting the result.
#include "test_helpers.hpp"

namespace rk::scenario::testing {
namespace {

using namespace std::chrono_literals;

Scenario load_pagerank(const std::vector<std::string>& overrides) {
  return load_scenario(data_dir / "pagerank.yaml", overrides, context());
}

ScenarioError load_error() {
  try {
    load_pagerank({"workload.graph=nope.txt"});
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ScenarioError";
  return ScenarioError({"none", 0, 0}, "no error");
}

TEST(ScenarioOverrides, TopLevelAndWorkloadParam) {
  const Scenario s = load_pagerank({"devices=4", "workload.damping=0.9", "seed=7"});
  EXPECT_EQ(s.devices, 4);
  EXPECT_EQ(s.seed, 7u);
  EXPECT_DOUBLE_EQ(s.workload.get_double("damping", 0.85), 0.9);
  EXPECT_EQ(s.overrides, (std::vector<std::string>{"devices=4", "workload.damping=0.9", "seed=7"}));
}

TEST(ScenarioOverrides, LaterOverrideWins) {
  const Scenario s = load_pagerank({"devices=4", "devices=2"});
  EXPECT_EQ(s.devices, 2);
}

TEST(ScenarioOverrides, AddsNewKeysAndNestedMappings) {
  const Scenario s = parse("name: o\n", {"workload.name=pagerank", "workload.damping=0.5",
                                         "probes.telemetry_interval=1ms", "kernels=[{id: a, type: echo}]"});
  EXPECT_EQ(s.workload.name, "pagerank");
  EXPECT_DOUBLE_EQ(s.workload.get_double("damping", 0.0), 0.5);
  EXPECT_EQ(s.probes.telemetry_interval, 1ms);
  ASSERT_EQ(s.kernels.size(), 1u);
}

TEST(ScenarioOverrides, SequenceIndex) {
  const Scenario s = load_pagerank({"kernels.0.block=64", "kernels.0.queue_capacity=512"});
  EXPECT_EQ(s.kernels[0].block, (Dim3{64, 1, 1}));
  EXPECT_EQ(s.kernels[0].queue_capacity, 512u);
}

TEST(ScenarioOverrides, ShorthandWorkloadAcceptsParams) {
  const Scenario s = parse("name: o\nworkload: ping_pong\n", {"workload.rounds=10"});
  EXPECT_EQ(s.workload.name, "ping_pong");
  EXPECT_EQ(s.workload.get_int("rounds", 0), 10);
}

TEST(ScenarioOverrides, TypeErrorIsLocatedInTheOverride) {
  RK_EXPECT_ERROR_AT(parse_error("name: o\n", {"devices=2.5"}), "--set devices=2.5", 1, 9,
                     "'devices' must be an integer (got '2.5')");
  RK_EXPECT_ERROR_AT(parse_error("name: o\n", {"devices=4", "duration=10"}), "--set duration=10", 1,
                     10,
                     "'duration' must be a duration such as 10s, 250ms, 20us or 100ns (got '10'); "
                     "add a unit");
  RK_EXPECT_ERROR_AT(parse_error("name: o\n", {"devices=[1, 2"}), "--set devices=[1, 2", 1, 9,
                     "YAML syntax error: end of sequence flow not found");
}

TEST(ScenarioOverrides, UnknownKeyWithDidYouMean) {
  RK_EXPECT_ERROR_AT(parse_error("name: o\n", {"devcies=4"}), "--set devcies=4", 1, 1,
                     "unknown key 'devcies' in scenario (did you mean 'devices'?)");
  RK_EXPECT_ERROR_AT(parse_error("name: o\nprobes: {}\n", {"probes.telemetry_intreval=1ms"}),
                     "--set probes.telemetry_intreval=1ms", 1, 8,
                     "unknown key 'telemetry_intreval' in probes (did you mean 'telemetry_interval'?)");
}

TEST(ScenarioOverrides, Malformed) {
  RK_EXPECT_ERROR_AT(parse_error("name: o\n", {"devices"}), "--set devices", 1, 1,
                     "malformed override 'devices': expected KEY=VALUE, e.g. --set devices=4");
  RK_EXPECT_ERROR_AT(parse_error("name: o\n", {"=4"}), "--set =4", 1, 1,
                     "malformed override '=4': empty key");
  RK_EXPECT_ERROR_AT(parse_error("name: o\n", {"workload..x=4"}), "--set workload..x=4", 1, 10,
                     "malformed override key 'workload..x': empty path component");
  RK_EXPECT_ERROR_AT(parse_error("name: o\n", {"name.x=4"}), "--set name.x=4", 1, 6,
                     "cannot set 'name.x': 'name' is a scalar, not a mapping");
  RK_EXPECT_ERROR_AT(parse_error("name: o\nkernels: [{id: a, type: echo}]\n", {"kernels.3.id=b"}),
                     "--set kernels.3.id=b", 1, 9,
                     "cannot set 'kernels.3.id': 'kernels' is a list of 1 items; expected an index "
                     "from 0 to 0");
}

TEST(ScenarioOverrides, WorkloadParamTypeErrorFromGetter) {
  const Scenario s = load_pagerank({"workload.damping=high"});
  try {
    s.workload.get_double("damping", 0.85, {.min = 0, .max = 1});
    ADD_FAILURE() << "expected a ScenarioError";
  } catch (const ScenarioError& e) {
    RK_EXPECT_ERROR_AT(e, "--set workload.damping=high", 1, 18,
                       "parameter 'workload.damping' must be a number (got 'high')");
  }
}

TEST(ScenarioOverrides, DataFileReplacesGenerator) {
  const Scenario s = load_pagerank({"workload.graph=inputs/tiny_graph.txt"});
  EXPECT_FALSE(s.workload.generator.has_value());
  EXPECT_EQ(s.workload.get_string("graph", ""), (data_dir / "inputs/tiny_graph.txt").string());
  EXPECT_EQ(s.source_text.find("generator"), std::string::npos) << s.source_text;
  EXPECT_NE(s.source_text.find("graph: inputs/tiny_graph.txt"), std::string::npos) << s.source_text;
}

TEST(ScenarioOverrides, MissingDataFileFromOverride) {
  RK_EXPECT_ERROR_AT(load_error(), "--set workload.graph=nope.txt", 1, 16,
                     "data file 'nope.txt' for 'workload.graph' not found (looked for " +
                         (data_dir / "nope.txt").string() + ")");
}

TEST(ScenarioOverrides, DataFileAndGeneratorInTheFileConflict) {
  RK_EXPECT_ERROR_AT(parse_error("name: o\nworkload:\n  name: pagerank\n  generator: {kind: rmat}\n"
                                 "  graph: inputs/tiny_graph.txt\n"),
                     "test.yaml", 5, 3,
                     "'graph' and 'generator' in workload exclude each other (the other is at "
                     "test.yaml:4:3)");
}

TEST(ScenarioOverrides, IterationsReplaceDuration) {
  const Scenario s = parse("name: o\nduration: 10s\n", {"iterations=100"});
  EXPECT_FALSE(s.duration.has_value());
  EXPECT_EQ(s.iterations, 100u);
  EXPECT_EQ(s.source_text.find("duration"), std::string::npos) << s.source_text;
}

TEST(ScenarioOverrides, SourceTextReflectsOverrides) {
  const Scenario s = load_pagerank({"devices=4", "workload.damping=0.9"});
  EXPECT_NE(s.source_text.find("devices: 4"), std::string::npos) << s.source_text;
  EXPECT_NE(s.source_text.find("damping: 0.9"), std::string::npos) << s.source_text;
  EXPECT_EQ(s.source_text.find("0.85"), std::string::npos) << s.source_text;
  const Scenario again = parse_scenario(s.source_text, "again.yaml", data_dir, {}, context());
  EXPECT_EQ(again.devices, 4);
  EXPECT_DOUBLE_EQ(again.workload.get_double("damping", 0.0), 0.9);
}

/// A flow list nested `n` deep around a scalar.
std::string nested_list(int n) { return std::string(static_cast<std::size_t>(n), '[') + "1" + std::string(static_cast<std::size_t>(n), ']'); }

// The recorded scenario (source_text) always reads back: a --set value nested as deep as the limit allows
// where it sits is accepted and re-parses; one level deeper is refused at the override, not accepted and
// then unreadable (the depth counts from where the value sits, not from the value alone).
TEST(ScenarioOverrides, RecordedScenarioAlwaysReadsBack) {
  const std::string base = "name: o\nkernels:\n  - id: a\n    type: echo\n";
  const std::string key = "kernels.0.params.q=";  // the value sits 4 collections deep
  const Scenario ok = parse(base, {key + nested_list(max_nesting_depth - 4)});
  EXPECT_NO_THROW(parse_scenario(ok.source_text, "recorded.yaml", data_dir, {}, context()));
  const ScenarioError e = parse_error(base, {key + nested_list(max_nesting_depth - 3)});
  EXPECT_NE(std::string(e.what()).find("levels in all"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace rk::scenario::testing
