// Valid scenarios: defaults, a full file with replicas, routes and probes, durations, aliases and
// the re-emitted source text.
#include "test_helpers.hpp"

#include "rk/scenario/duration.hpp"

namespace rk::scenario::testing {
namespace {

using namespace std::chrono_literals;

TEST(ScenarioParse, Defaults) {
  const Scenario s = parse("name: minimal\n");
  EXPECT_EQ(s.name, "minimal");
  EXPECT_EQ(s.description, "");
  EXPECT_EQ(s.backend, Backend::automatic);
  EXPECT_EQ(s.devices, 1);
  EXPECT_FALSE(s.allow_simulated_devices);
  EXPECT_EQ(s.seed, 1u);
  ASSERT_TRUE(s.duration.has_value());
  EXPECT_EQ(*s.duration, 1s);
  EXPECT_FALSE(s.iterations.has_value());
  EXPECT_EQ(s.warmup, 0ns);
  EXPECT_EQ(s.drain_timeout, 5s);
  EXPECT_TRUE(s.kernels.empty());
  EXPECT_TRUE(s.routes.empty());
  EXPECT_TRUE(s.probes.latency.empty());
  EXPECT_TRUE(s.probes.throughput.empty());
  EXPECT_EQ(s.probes.telemetry_interval, 10ms);
  EXPECT_EQ(s.workload.name, "");
  EXPECT_TRUE(s.workload.params.empty());
  EXPECT_FALSE(s.workload.generator.has_value());
  EXPECT_EQ(s.source_path, "test.yaml");
}

TEST(ScenarioParse, KernelDefaults) {
  const Scenario s = parse("name: k\nkernels:\n  - {id: a, type: echo}\n");
  ASSERT_EQ(s.kernels.size(), 1u);
  const KernelSpec& k = s.kernels[0];
  EXPECT_EQ(k.id, "a");
  EXPECT_EQ(k.group, "");
  EXPECT_EQ(k.replica, -1);
  EXPECT_EQ(k.device, -1);
  EXPECT_EQ(k.grid, (Dim3{1, 1, 1}));
  EXPECT_EQ(k.block, (Dim3{1, 1, 1}));
  EXPECT_EQ(k.queue_capacity, 1024u);
  EXPECT_EQ(k.idle, IdlePolicy::adaptive);
  EXPECT_TRUE(k.params.empty());
  EXPECT_EQ(k.where.line, 3);
  EXPECT_EQ(k.where.column, 5);
}

TEST(ScenarioParse, FullFileWithReplicas) {
  const Scenario s = load_scenario(data_dir / "order_book.yaml", {}, context());
  EXPECT_EQ(s.name, "order_book_demo");
  EXPECT_EQ(s.description, "Eight order books fed by one router");
  EXPECT_EQ(s.backend, Backend::cpu);
  EXPECT_EQ(s.devices, 2);
  EXPECT_TRUE(s.allow_simulated_devices);
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(*s.duration, 2s);
  EXPECT_EQ(s.warmup, 250ms);
  EXPECT_EQ(s.drain_timeout, 3s);

  ASSERT_EQ(s.kernels.size(), 9u);
  EXPECT_EQ(s.kernels[0].id, "router");
  EXPECT_EQ(s.kernels[0].device, 0);
  EXPECT_EQ(s.kernels[0].queue_capacity, 4096u);
  EXPECT_EQ(s.kernels[0].idle, IdlePolicy::spin);
  for (int r = 0; r < 8; ++r) {
    const KernelSpec& k = s.kernels[static_cast<std::size_t>(r) + 1];
    EXPECT_EQ(k.id, "book[" + std::to_string(r) + "]");
    EXPECT_EQ(k.group, "book");
    EXPECT_EQ(k.replica, r);
    EXPECT_EQ(k.type, "order_book");
    EXPECT_EQ(k.device, r % 2);
    EXPECT_EQ(k.grid, (Dim3{4, 1, 1}));
    EXPECT_EQ(k.block, (Dim3{128, 2, 1}));
    EXPECT_EQ(k.queue_capacity, 4096u);
    EXPECT_EQ(k.params.get_int("max_levels", 0), 256);
    EXPECT_DOUBLE_EQ(k.params.get_double("tick", 0.0), 0.01);
    EXPECT_EQ(k.params.get_string("snapshot_file"), (data_dir / "inputs/orders.csv").string());
    EXPECT_EQ(k.where.file, (data_dir / "order_book.yaml").string());
    EXPECT_EQ(k.where.line, 18);
  }
  EXPECT_NE(s.find_kernel("book[7]"), nullptr);
  EXPECT_EQ(s.find_kernel("book[8]"), nullptr);

  ASSERT_EQ(s.routes.size(), 3u);
  EXPECT_TRUE(s.routes[0].from.is_host());
  EXPECT_EQ(s.routes[0].to.kernel_ids, std::vector<std::string>{"router"});
  EXPECT_EQ(s.routes[0].rule, RouteRule::direct);
  EXPECT_EQ(s.routes[1].rule, RouteRule::hash);
  EXPECT_TRUE(s.routes[1].to.is_group());
  ASSERT_EQ(s.routes[1].to.kernel_ids.size(), 8u);
  EXPECT_EQ(s.routes[1].to.kernel_ids[3], "book[3]");
  EXPECT_TRUE(s.routes[2].to.is_host());

  ASSERT_EQ(s.probes.latency.size(), 1u);
  EXPECT_EQ(s.probes.latency[0].name, "order_to_fill");
  EXPECT_TRUE(s.probes.latency[0].from.is_host());
  ASSERT_EQ(s.probes.throughput.size(), 1u);
  EXPECT_EQ(s.probes.throughput[0].at.kernel_ids.size(), 8u);
  EXPECT_EQ(s.probes.telemetry_interval, 5ms);

  EXPECT_EQ(s.workload.name, "order_matching");
  EXPECT_EQ(s.workload.get_int("symbols", 1), 8);
  EXPECT_DOUBLE_EQ(s.workload.get_double("cancel_ratio", 0.0, {.min = 0, .max = 1}), 0.25);
  ASSERT_TRUE(s.workload.generator.has_value());
  EXPECT_EQ(s.workload.generator->get_string("kind"), "poisson");
  EXPECT_EQ(s.workload.generator->get_int("rate"), 1000000);
  EXPECT_FALSE(s.workload.params.contains("name"));
  EXPECT_FALSE(s.workload.params.contains("generator"));
}

TEST(ScenarioParse, ReplicaGroupsSpanEntries) {
  const Scenario s = parse(
      "name: r\ndevices: 3\nkernels:\n  - {id: \"w[4..5]\", type: echo, device: round_robin}\n"
      "  - {id: \"w[0..3]\", type: echo}\n  - {id: sink, type: relay}\n"
      "routes:\n  - {from: \"w[*]\", to: sink}\n  - {from: \"w[2]\", to: sink, rule: broadcast}\n");
  ASSERT_EQ(s.kernels.size(), 7u);
  EXPECT_EQ(s.kernels[0].id, "w[4]");
  EXPECT_EQ(s.kernels[0].device, 1);
  EXPECT_EQ(s.kernels[1].device, 2);
  EXPECT_EQ(s.kernels[2].device, -1);
  // A group endpoint lists replicas in index order, whatever the file order.
  EXPECT_EQ(s.routes[0].from.kernel_ids,
            (std::vector<std::string>{"w[0]", "w[1]", "w[2]", "w[3]", "w[4]", "w[5]"}));
  EXPECT_FALSE(s.routes[1].from.is_group());
  EXPECT_EQ(s.routes[1].from.kernel_ids, std::vector<std::string>{"w[2]"});
}

TEST(ScenarioParse, DirectRouteBetweenEqualGroups) {
  const Scenario s = parse(
      "name: r\nkernels:\n  - {id: \"a[0..3]\", type: echo}\n  - {id: \"b[0..3]\", type: relay}\n"
      "routes:\n  - {from: \"a[*]\", to: \"b[*]\"}\n");
  ASSERT_EQ(s.routes.size(), 1u);
  EXPECT_EQ(s.routes[0].from.kernel_ids.size(), 4u);
  EXPECT_EQ(s.routes[0].to.kernel_ids.size(), 4u);
}

TEST(ScenarioParse, GridAndBlockForms) {
  const Scenario s = parse(
      "name: g\nkernels:\n  - {id: a, type: echo, grid: [2, 3, 4], block: {x: 32, z: 2}}\n"
      "  - {id: b, type: echo, grid: 7, block: [256]}\n");
  EXPECT_EQ(s.kernels[0].grid, (Dim3{2, 3, 4}));
  EXPECT_EQ(s.kernels[0].block, (Dim3{32, 1, 2}));
  EXPECT_EQ(s.kernels[1].grid, (Dim3{7, 1, 1}));
  EXPECT_EQ(s.kernels[1].block, (Dim3{256, 1, 1}));
}

TEST(ScenarioParse, QueueTiers) {
  const Scenario s = parse(
      "name: q\nkernels:\n  - {id: a, type: echo, queue_tier: small}\n"
      "  - {id: b, type: echo, queue_tier: extra_large}\n  - {id: c, type: echo, queue_capacity: 2}\n");
  EXPECT_EQ(s.kernels[0].queue_capacity, 256u);
  EXPECT_EQ(s.kernels[1].queue_capacity, 16384u);
  EXPECT_EQ(s.kernels[2].queue_capacity, 2u);
}

TEST(ScenarioParse, Iterations) {
  const Scenario s = parse("name: it\niterations: 0x10\nseed: 18446744073709551615\n");
  EXPECT_FALSE(s.duration.has_value());
  EXPECT_EQ(s.iterations, 16u);
  EXPECT_EQ(s.seed, 18446744073709551615u);
}

TEST(ScenarioParse, WorkloadShorthand) {
  const Scenario s = parse("name: w\nworkload: ping_pong\n");
  EXPECT_EQ(s.workload.name, "ping_pong");
  EXPECT_TRUE(s.workload.params.empty());
}

TEST(ScenarioParse, DataFilesResolveAgainstScenarioDirectory) {
  const Scenario s = parse("name: d\nworkload:\n  name: pagerank\n  graph: inputs/tiny_graph.txt\n");
  EXPECT_EQ(s.workload.get_string("graph", ""), (data_dir / "inputs/tiny_graph.txt").string());
  EXPECT_EQ(s.workload.params.find("graph")->text, "inputs/tiny_graph.txt");
}

TEST(ScenarioParse, AliasesExpand) {
  const Scenario s = parse(
      "name: a\nkernels:\n  - {id: x, type: echo, params: &p {depth: 3}}\n"
      "  - {id: y, type: echo, params: *p}\n");
  EXPECT_EQ(s.kernels[1].params.get_int("depth"), 3);
}

TEST(ScenarioParse, Durations) {
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("20us"), 20us);
  EXPECT_EQ(parse_duration("20\xC2\xB5s"), 20us);
  EXPECT_EQ(parse_duration("100ns"), 100ns);
  EXPECT_EQ(parse_duration("2m"), 2min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration(".5ms"), 500us);
  EXPECT_EQ(parse_duration("0"), 0ns);
  EXPECT_EQ(parse_duration("0.000000001s"), 1ns);
  EXPECT_EQ(parse_duration("9223372036854775807ns"), std::chrono::nanoseconds::max());
  for (const char* bad : {"10", "-1s", "+1s", "1.5ns", "s", "1 s", "1sec", "", "1e3s", "1..5s",
                          "9223372036854775808ns", "2562048h", "0.0000000001s"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(2min), "2m");
  EXPECT_EQ(format_duration(0ns), "0s");
  EXPECT_EQ(format_duration(7ns), "7ns");
  const Scenario s = parse("name: d\nduration: 1.5s\nwarmup: 0\ndrain_timeout: 2m\n"
                           "probes: {telemetry_interval: 0s}\n");
  EXPECT_EQ(*s.duration, 1500ms);
  EXPECT_EQ(s.warmup, 0ns);
  EXPECT_EQ(s.drain_timeout, 120s);
  EXPECT_EQ(s.probes.telemetry_interval, 0ns);
}

TEST(ScenarioParse, SourceTextRoundTrips) {
  const Scenario s = load_scenario(data_dir / "order_book.yaml", {}, context());
  EXPECT_EQ(s.source_text.find('#'), std::string::npos) << "comments are not kept";
  const Scenario again = parse_scenario(s.source_text, "again.yaml", data_dir, {}, context());
  EXPECT_EQ(again.name, s.name);
  EXPECT_EQ(again.kernels.size(), s.kernels.size());
  EXPECT_EQ(again.routes.size(), s.routes.size());
  EXPECT_EQ(again.workload.generator->get_int("rate"), 1000000);
  EXPECT_EQ(again.source_text, s.source_text);
}

TEST(ScenarioParse, SourceTextRoundTripsOddKeys) {
  // Found by the fuzzer: keys over 1024 characters need the explicit "? key" form, and brackets
  // inside a plain key are not nesting.
  const std::string long_key(1500, 'k');
  const std::string bracket_key = "r" + std::string(70, '[') + "x";
  const Scenario s = parse("name: o\nworkload: ping_pong\n",
                           {"workload." + long_key + "=1", "workload." + bracket_key + "=2"});
  const Scenario again = parse_scenario(s.source_text, "again.yaml", data_dir, {}, context());
  EXPECT_EQ(again.workload.get_int(long_key, 0), 1);
  EXPECT_EQ(again.workload.get_int(bracket_key, 0), 2);
}

TEST(ScenarioParse, QuotedScalarsStayStrings) {
  const Scenario s = parse("name: q\nworkload:\n  name: ping_pong\n  label: \"10\"\n  count: 10\n");
  EXPECT_EQ(s.workload.get_string("label", ""), "10");
  EXPECT_EQ(s.workload.get_int("count", 0), 10);
  EXPECT_NE(s.source_text.find("label: \"10\""), std::string::npos) << s.source_text;
}

}  // namespace
}  // namespace rk::scenario::testing
