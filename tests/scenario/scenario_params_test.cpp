// Parameter values and their typed getters: types, ranges, required keys, expect_only, and
// did-you-mean helpers. Getter errors point at the value in the file.
#include "test_helpers.hpp"

namespace rk::scenario::testing {
namespace {

using namespace std::chrono_literals;

const WorkloadSpec& workload_of(const Scenario& s) { return s.workload; }

Scenario with_params() {
  return parse(
      "name: p\nworkload:\n  name: ping_pong\n  count: 12\n  ratio: 0.5\n  flag: true\n"
      "  label: hello\n  period: 250us\n  sizes: [1, 2.5, x, [true]]\n  nothing:\n");
}

template <class F>
ScenarioError getter_error(F&& f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ScenarioError";
  return ScenarioError({"none", 0, 0}, "no error");
}

TEST(ScenarioParams, ValueTypes) {
  const Scenario s = with_params();
  const ParamMap& p = workload_of(s).params;
  EXPECT_EQ(p.size(), 7u);
  EXPECT_TRUE(p.find("count")->is_int());
  EXPECT_TRUE(p.find("ratio")->is_double());
  EXPECT_TRUE(p.find("flag")->is_bool());
  EXPECT_TRUE(p.find("label")->is_string());
  EXPECT_TRUE(p.find("nothing")->is_null());
  const Value& sizes = *p.find("sizes");
  ASSERT_TRUE(sizes.is_list());
  const auto& list = std::get<Value::List>(sizes.data);
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].type_name(), "integer");
  EXPECT_EQ(list[1].type_name(), "number");
  EXPECT_EQ(list[2].type_name(), "string");
  EXPECT_EQ(list[3].type_name(), "list");
  EXPECT_EQ(list[2].where.line, 9);
  EXPECT_EQ(list[2].where.column, 19);
  EXPECT_EQ(p.entries()[0].first, "count") << "file order is kept";
}

TEST(ScenarioParams, Getters) {
  const Scenario s = with_params();
  const ParamMap& p = s.workload.params;
  EXPECT_EQ(p.get_int("count"), 12);
  EXPECT_EQ(p.get_int("missing", 3), 3);
  EXPECT_DOUBLE_EQ(p.get_double("ratio"), 0.5);
  EXPECT_DOUBLE_EQ(p.get_double("count"), 12.0);
  EXPECT_TRUE(p.get_bool("flag"));
  EXPECT_EQ(p.get_string("label"), "hello");
  EXPECT_EQ(p.get_choice("label", "x", {"hello", "bye"}), "hello");
  EXPECT_EQ(p.get_duration("period"), 250us);
  EXPECT_EQ(p.get_duration("missing", 1s), 1s);
}

TEST(ScenarioParams, GetterErrorsAreLocated) {
  const Scenario s = with_params();
  const ParamMap& p = s.workload.params;
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_int("ratio"); }), "test.yaml", 5, 10,
                     "parameter 'workload.ratio' must be an integer (got '0.5')");
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_int("count", 0, {.min = 1, .max = 10}); }), "test.yaml",
                     4, 10, "parameter 'workload.count' must be between 1 and 10 (got 12)");
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_double("ratio", 0.0, {.min = 0.75}); }), "test.yaml",
                     5, 10, "parameter 'workload.ratio' must be between 0.75 and inf (got 0.5)");
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_bool("label"); }), "test.yaml", 7, 10,
                     "parameter 'workload.label' must be true or false (got 'hello')");
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_string("count"); }), "test.yaml", 4, 10,
                     "parameter 'workload.count' must be a string (got '12')");
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_duration("count"); }), "test.yaml", 4, 10,
                     "parameter 'workload.count' must be a duration such as 10s, 250ms, 20us or "
                     "100ns (got '12')");
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_duration("period", {.max = 100us}); }), "test.yaml", 8,
                     11, "parameter 'workload.period' must be between 0s and 100us (got 250us)");
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_choice("label", "x", {"hi", "bye"}); }), "test.yaml", 7,
                     10, "parameter 'workload.label' must be one of 'hi', 'bye' (got 'hello')");
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_int("absent"); }), "test.yaml", 3, 3,
                     "missing required parameter 'workload.absent'");
}

TEST(ScenarioParams, ExpectOnly) {
  const Scenario s = parse("name: p\nworkload:\n  name: pagerank\n  dampign: 0.9\n");
  s.workload.params.expect_only({"damping", "dampign"});
  RK_EXPECT_ERROR_AT(getter_error([&] { s.workload.params.expect_only({"damping", "tolerance"}); }),
                     "test.yaml", 4, 12,
                     "unknown parameter 'dampign' in workload (did you mean 'damping'?); known: "
                     "'damping', 'tolerance'");
}

TEST(ScenarioParams, KernelParamsPath) {
  const Scenario s = parse("name: p\nkernels:\n  - id: a\n    type: echo\n    params: {depth: -1}\n");
  RK_EXPECT_ERROR_AT(getter_error([&] { s.kernels[0].params.get_int("depth", 1, {.min = 0}); }),
                     "test.yaml", 5, 21,
                     "parameter 'kernels[0].params.depth' must be between 0 and "
                     "9223372036854775807 (got -1)");
}

TEST(ScenarioParams, MissingRequiredKernelParamPointsAtTheKernel) {
  const Scenario s = parse("name: p\nkernels:\n  - id: a\n    type: echo\n");
  RK_EXPECT_ERROR_AT(getter_error([&] { s.kernels[0].params.get_int("depth"); }), "test.yaml", 3, 5,
                     "missing required parameter 'kernels[0].params.depth'");
}

TEST(ScenarioParams, NestedMappingRejected) {
  RK_EXPECT_ERROR_AT(parse_error("name: p\nworkload:\n  name: pagerank\n  opts: {a: 1}\n"), "test.yaml",
                     4, 9, "parameter 'workload.opts' must be a scalar or a list, not a mapping");
  RK_EXPECT_ERROR_AT(parse_error("name: p\nworkload:\n  name: pagerank\n  big: 99999999999999999999\n"),
                     "test.yaml", 4, 8, "parameter 'workload.big': integer 99999999999999999999 does not fit in 64 bits");
  RK_EXPECT_ERROR_AT(parse_error("name: p\nworkload:\n  rate: 5\n"), "test.yaml", 3, 3,
                     "'workload' has parameters but no 'name'");
}

}  // namespace
}  // namespace rk::scenario::testing
