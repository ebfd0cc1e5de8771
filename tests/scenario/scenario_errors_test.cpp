// One test per class of invalid input: each checks the exact message, line and column.
#include "test_helpers.hpp"

#include <fstream>

namespace rk::scenario::testing {
namespace {

TEST(ScenarioErrors, WhatFormatsFileLineColumn) {
  const ScenarioError e = parse_error("name: demo\ndevcies: 4\n");
  EXPECT_STREQ(e.what(),
               "test.yaml:2:1: error: unknown key 'devcies' in scenario (did you mean 'devices'?)");
  EXPECT_EQ(ScenarioError::exit_code, 2);
}

TEST(ScenarioErrors, YamlSyntaxError) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndevices: [1, 2\nseed: 3\n"), "test.yaml", 3, 5,
                     "YAML syntax error: end of sequence flow not found");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\n  devices: 2\n"), "test.yaml", 2, 10,
                     "YAML syntax error: illegal map value");
}

TEST(ScenarioErrors, UnknownKeyWithDidYouMean) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndevcies: 4\n"), "test.yaml", 2, 1,
                     "unknown key 'devcies' in scenario (did you mean 'devices'?)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nkernels:\n  - id: a\n    type: echo\n"
                                 "    queue_capacty: 64\n"),
                     "test.yaml", 5, 5,
                     "unknown key 'queue_capacty' in kernel kernels[0] (did you mean "
                     "'queue_capacity'?)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nprobes: {telemetry: 1ms}\n"), "test.yaml", 2, 10,
                     "unknown key 'telemetry' in probes; expected one of 'latency', 'throughput', "
                     "'telemetry_interval'");
}

TEST(ScenarioErrors, WrongType) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndevices: 2.5\n"), "test.yaml", 2, 10,
                     "'devices' must be an integer (got '2.5')");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndevices: \"four\"\n"), "test.yaml", 2, 10,
                     "'devices' must be an integer (got 'four')");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndevices: \"4\"\n"), "test.yaml", 2, 10,
                     "'devices' must be an integer (got the string \"4\")");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nallow_simulated_devices: yes\n"), "test.yaml", 2, 26,
                     "'allow_simulated_devices' must be true or false (got 'yes')");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nduration: 10\n"), "test.yaml", 2, 11,
                     "'duration' must be a duration such as 10s, 250ms, 20us or 100ns (got '10'); "
                     "add a unit");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nkernels: {id: a}\n"), "test.yaml", 2, 10,
                     "'kernels' must be a list (got a mapping)");
}

TEST(ScenarioErrors, OutOfRange) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndevices: 0\n"), "test.yaml", 2, 10,
                     "'devices' must be between 1 and 1024 (got 0)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndevices: 2000\n"), "test.yaml", 2, 10,
                     "'devices' must be between 1 and 1024 (got 2000)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nwarmup: -5ms\n"), "test.yaml", 2, 9,
                     "'warmup' must be a duration such as 10s, 250ms, 20us or 100ns (got '-5ms')");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndevices: 2\nkernels:\n  - {id: a, type: echo, device: 2}\n"),
                     "test.yaml", 4, 33, "'kernels[0].device' must be between -1 and 1 (got 2)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nkernels:\n  - {id: a, type: echo, block: [64, 32]}\n"),
                     "test.yaml", 3, 32, "'kernels[0].block' has 2048 threads; a block holds at most 1024");
}

TEST(ScenarioErrors, CapacityNotPowerOfTwo) {
  RK_EXPECT_ERROR_AT(
      parse_error("name: demo\nkernels:\n  - id: a\n    type: echo\n    queue_capacity: 1000\n"),
      "test.yaml", 5, 21,
      "'kernels[0].queue_capacity' must be a power of two (got 1000; nearest: 512 or 1024)");
  RK_EXPECT_ERROR_AT(
      parse_error("name: demo\nkernels:\n  - {id: a, type: echo, queue_capacity: 1}\n"), "test.yaml",
      3, 41, "'kernels[0].queue_capacity' must be between 2 and 16777216 (got 1)");
  RK_EXPECT_ERROR_AT(
      parse_error("name: demo\nkernels:\n  - {id: a, type: echo, queue_capacity: 64, "
                  "queue_tier: small}\n"),
      "test.yaml", 3, 45,
      "'queue_tier' and 'queue_capacity' in kernels[0] exclude each other (the other is at "
      "test.yaml:3:25)");
}

TEST(ScenarioErrors, UnknownKernelType) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nkernels:\n  - id: a\n    type: order_bok\n"),
                     "test.yaml", 4, 11,
                     "unknown kernel type 'order_bok' (did you mean 'order_book'?); known types: "
                     "'echo', 'order_book', 'order_router', 'pagerank_partition', 'relay'");
}

TEST(ScenarioErrors, UnknownWorkload) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nworkload:\n  name: pagernak\n"), "test.yaml", 3, 9,
                     "unknown workload 'pagernak' (did you mean 'pagerank'?); known workloads: "
                     "'order_matching', 'pagerank', 'ping_pong'");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nworkload: ping_png\n"), "test.yaml", 2, 11,
                     "unknown workload 'ping_png' (did you mean 'ping_pong'?); known workloads: "
                     "'order_matching', 'pagerank', 'ping_pong'");
}

TEST(ScenarioErrors, RouteToMissingKernel) {
  const std::string kernels = "name: demo\nkernels:\n  - {id: src, type: echo}\n"
                              "  - {id: \"sink[0..3]\", type: relay}\n";
  RK_EXPECT_ERROR_AT(parse_error(kernels + "routes:\n  - {from: src, to: snk}\n"), "test.yaml", 6,
                     21,
                     "'routes[0].to' names no kernel: 'snk' is not a kernel id, a replica group "
                     "'name[*]' or 'host' (did you mean 'src'?)");
  RK_EXPECT_ERROR_AT(parse_error(kernels + "routes:\n  - {from: src, to: \"sink[4]\"}\n"),
                     "test.yaml", 6, 21,
                     "'routes[0].to' names no kernel: 'sink[4]' is not a kernel id, a replica group "
                     "'name[*]' or 'host' (did you mean 'sink[*]'?)");
  RK_EXPECT_ERROR_AT(parse_error(kernels + "routes:\n  - {from: src, to: sink}\n"), "test.yaml", 6,
                     21,
                     "'routes[0].to' names replica group 'sink'; use 'sink[*]' for every replica or "
                     "'sink[0]' for one");
  RK_EXPECT_ERROR_AT(parse_error(kernels + "probes:\n  throughput:\n    - {name: t, at: srcc}\n"),
                     "test.yaml", 7, 21,
                     "'probes.throughput[0].at' names no kernel: 'srcc' is not a kernel id, a replica "
                     "group 'name[*]' or 'host' (did you mean 'src'?)");
}

TEST(ScenarioErrors, DirectRouteShapes) {
  const std::string kernels = "name: demo\nkernels:\n  - {id: src, type: echo}\n"
                              "  - {id: \"a[0..3]\", type: relay}\n  - {id: \"b[0..1]\", type: relay}\n";
  RK_EXPECT_ERROR_AT(parse_error(kernels + "routes:\n  - {from: src, to: \"a[*]\"}\n"), "test.yaml",
                     7, 21,
                     "route routes[0]: rule 'direct' from one sender to group 'a[*]' is ambiguous; "
                     "use round_robin, hash or broadcast");
  RK_EXPECT_ERROR_AT(parse_error(kernels + "routes:\n  - {from: \"a[*]\", to: \"b[*]\"}\n"),
                     "test.yaml", 7, 24,
                     "route routes[0]: rule 'direct' pairs replicas one to one, but 'a[*]' has 4 "
                     "and 'b[*]' has 2");
}

TEST(ScenarioErrors, DuplicateId) {
  RK_EXPECT_ERROR_AT(
      parse_error("name: demo\nkernels:\n  - {id: a, type: echo}\n  - {id: a, type: relay}\n"),
      "test.yaml", 4, 10, "duplicate kernel id 'a' (first defined at test.yaml:3:10)");
}

TEST(ScenarioErrors, DuplicateIdFromReplicaExpansion) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nkernels:\n  - {id: \"b[0..7]\", type: echo}\n"
                                 "  - {id: \"b[6..9]\", type: echo}\n"),
                     "test.yaml", 4, 10, "duplicate kernel id 'b[6]' (first defined at test.yaml:3:10)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nkernels:\n  - {id: \"b[0..1]\", type: echo}\n"
                                 "  - {id: b, type: echo}\n"),
                     "test.yaml", 4, 10,
                     "kernel id 'b' is also the name of a replica group (first at test.yaml:3:10)");
}

TEST(ScenarioErrors, DuplicateMappingKey) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndevices: 1\ndevices: 2\n"), "test.yaml", 3, 1,
                     "duplicate key 'devices' (first given at test.yaml:2:1)");
}

TEST(ScenarioErrors, MissingDataFile) {
  const std::string expected_path = (data_dir / "inputs/missing.txt").string();
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nworkload:\n  name: pagerank\n"
                                 "  graph: inputs/missing.txt\n"),
                     "test.yaml", 4, 10,
                     "data file 'inputs/missing.txt' for 'workload.graph' not found (looked for " +
                         expected_path + ")");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nkernels:\n  - id: a\n    type: echo\n    params:\n"
                                 "      seed_file: inputs\n"),
                     "test.yaml", 6, 18,
                     "data file 'inputs' for 'kernels[0].params.seed_file' is not a regular file");
}

TEST(ScenarioErrors, TooDeepFlowNesting) {
  const std::string text = "name: demo\nworkload:\n  name: pagerank\n  deep: " + std::string(70, '[') +
                           std::string(70, ']') + "\n";
  // Block depth 2 (root, workload) plus 63 brackets reaches 65 at the 63rd '['.
  RK_EXPECT_ERROR_AT(parse_error(text), "test.yaml", 4, 9 + 62, "nesting deeper than 64 levels");
}

TEST(ScenarioErrors, TooDeepFlowNestingAfterAnchor) {
  const std::string text = "name: demo\nx: &a !t " + std::string(70, '[') + "\n";
  // Block depth 1 plus 64 brackets reaches 65 at the 64th '['.
  RK_EXPECT_ERROR_AT(parse_error(text), "test.yaml", 2, 10 + 63, "nesting deeper than 64 levels");
}

TEST(ScenarioErrors, BracketsInPlainTextAreNotNesting) {
  const Scenario s = parse("name: demo\ndescription: see a" + std::string(70, '[') + " and [1] " +
                           std::string(70, '{') + "\n");
  EXPECT_EQ(s.description, "see a" + std::string(70, '[') + " and [1] " + std::string(70, '{'));
}

TEST(ScenarioErrors, DashInsidePlainTextDoesNotOpenANode) {
  // Found by the fuzzer: "4   -   [" is one plain scalar, so its bracket opens nothing, and the
  // brackets in the next line's plain key are text too.
  const std::string key = "k" + std::string(70, '[');
  const Scenario s = parse("name: demo\ndescription: 4   -   [\nworkload:\n  name: ping_pong\n  " + key +
                           ": 1\n");
  EXPECT_EQ(s.description, "4   -   [");
  // Dashes that are indicators still count: block depth 4 (root, x, two sequences) + 61 brackets.
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nx:\n  - - " + std::string(70, '[') + "\n"), "test.yaml",
                     3, 7 + 60, "nesting deeper than 64 levels");
}

TEST(ScenarioErrors, TooDeepBlockNesting) {
  std::string text = "name: demo\n";
  for (int i = 0; i < 70; ++i) text += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  RK_EXPECT_ERROR_AT(parse_error(text), "test.yaml", 66, 129, "nesting deeper than 64 levels");
}

TEST(ScenarioErrors, DeepAliasExpansion) {
  // Each level is shallow in the text, but aliases stack them beyond the limit.
  std::string text = "a0: &a0 [x]\n";
  for (int i = 1; i < 70; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + "]\n";
  }
  const ScenarioError e = parse_error(text);
  EXPECT_EQ(e.line(), 64) << e.what();
  EXPECT_EQ(e.message(), "alias expands to nesting deeper than 64 levels");
}

TEST(ScenarioErrors, AliasBomb) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 12; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  const ScenarioError e = parse_error(text);
  EXPECT_NE(e.message().find("document too large"), std::string::npos) << e.what();
}

TEST(ScenarioErrors, RecursiveAlias) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nx: &a [1, *a]\n"), "test.yaml", 2, 11,
                     "alias refers to an anchor that encloses it (recursive alias)");
}

TEST(ScenarioErrors, HugeText) {
  const std::string text = "name: demo\n#" + std::string(max_file_bytes, 'x') + "\n";
  RK_EXPECT_ERROR_AT(parse_error(text), "test.yaml", 1, 1,
                     "scenario is 16777229 bytes; the limit is 16777216 bytes (16 MiB)");
}

TEST(ScenarioErrors, HugeFile) {
  const auto path = std::filesystem::temp_directory_path() / "rk_scenario_huge_test.yaml";
  {
    std::ofstream out(path, std::ios::binary);
    out << "name: demo\n#" << std::string(max_file_bytes, 'x') << "\n";
  }
  try {
    load_scenario(path, {}, context());
    ADD_FAILURE() << "expected a ScenarioError";
  } catch (const ScenarioError& e) {
    RK_EXPECT_ERROR_AT(e, path.string(), 1, 1,
                       "scenario is 16777229 bytes; the limit is 16777216 bytes (16 MiB)");
  }
  std::filesystem::remove(path);
}

TEST(ScenarioErrors, MissingScenarioFile) {
  try {
    load_scenario(data_dir / "no_such.yaml", {}, context());
    ADD_FAILURE() << "expected a ScenarioError";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.line(), 1);
    EXPECT_EQ(e.message(), "cannot open scenario: No such file or directory");
  }
}

TEST(ScenarioErrors, InvalidUtf8) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndescription: caf\xC3\xA9 \xFF\n"), "test.yaml", 2, 20,
                     "invalid UTF-8 (scenario input must be UTF-8 text)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\n", {"description=\xC0\xAF"}), "--set description=\xC0\xAF",
                     1, 13, "invalid UTF-8 (scenario input must be UTF-8 text)");
}

TEST(ScenarioErrors, ControlCharacters) {
  RK_EXPECT_ERROR_AT(parse_error(std::string("name: demo\nseed: 1\0\n", 20)), "test.yaml", 2, 8,
                     "control character U+0000 is not allowed in YAML text; write it as an escape in "
                     "a double-quoted string");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\rdevices: 2\r\n"), "test.yaml", 1, 11,
                     "carriage return without line feed; use LF or CRLF line endings");
  EXPECT_EQ(parse("name: demo\r\ndevices: 2\r\n").devices, 2);
  const Scenario s = parse("name: demo\ndescription: \"tab\\there\\x01\"\n");
  EXPECT_EQ(s.description, "tab\there\x01");
}

TEST(ScenarioErrors, StructuralProblems) {
  RK_EXPECT_ERROR_AT(parse_error(""), "test.yaml", 1, 1,
                     "the scenario is empty; it needs at least a 'name'");
  RK_EXPECT_ERROR_AT(parse_error("- a\n- b\n"), "test.yaml", 1, 1,
                     "a scenario must be a mapping of keys such as 'name' and 'kernels' (got a list)");
  RK_EXPECT_ERROR_AT(parse_error("devices: 2\n"), "test.yaml", 1, 1,
                     "missing required key 'name' in scenario");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\n---\nname: other\n"), "test.yaml", 2, 1,
                     "a scenario is a single YAML document; found a second one");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nduration: 1s\niterations: 5\n"), "test.yaml", 3, 1,
                     "'iterations' and 'duration' exclude each other (the other is at test.yaml:2:1)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nkernels:\n  - {id: \"a[3..1]\", type: echo}\n"),
                     "test.yaml", 3, 10, "replica range in kernel id 'a[3..1]' is empty (3 > 1)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nkernels:\n  - {id: \"a[0..99999]\", type: echo}\n"),
                     "test.yaml", 3, 10,
                     "replica range in kernel id 'a[0..99999]' has 100000 kernels; at most 65536 are "
                     "allowed");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nkernels:\n  - {id: host, type: echo}\n"), "test.yaml",
                     3, 10, "'host' is reserved for the host end of routes and probes");
}

}  // namespace
}  // namespace rk::scenario::testing
