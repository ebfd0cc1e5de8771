// Durations are bounded by max_duration (365 days) everywhere a scenario gives one: in the file, through
// --set, and in parameters read with ParamMap::get_duration. Values near 2^63 ns used to pass and then
// overflow std::chrono arithmetic in the driver (duration) or be skipped silently (warmup).
#include "test_helpers.hpp"

#include "rk/scenario/duration.hpp"

namespace rk::scenario::testing {
namespace {

using namespace std::chrono_literals;

TEST(ScenarioLimits, MaxDurationIs365Days) {
  EXPECT_EQ(max_duration, std::chrono::hours(24 * 365));
  EXPECT_EQ(format_duration(max_duration), "8760h");
  EXPECT_FALSE(exceeds_max_duration("8760h"));
  EXPECT_FALSE(exceeds_max_duration("525600m"));
  EXPECT_TRUE(exceeds_max_duration("8761h"));
  EXPECT_TRUE(exceeds_max_duration("8760.000000001h"));
  EXPECT_TRUE(exceeds_max_duration("2562047h"));
  EXPECT_TRUE(exceeds_max_duration("9223372036854775807ns"));
  EXPECT_TRUE(exceeds_max_duration("99999999999999999999999999999999999999999h"));  // beyond int64
  EXPECT_FALSE(exceeds_max_duration("1x"));          // malformed: not "too long"
  EXPECT_FALSE(exceeds_max_duration("99999999999999999999999x"));
  EXPECT_FALSE(exceeds_max_duration("0"));
}

TEST(ScenarioLimits, TopLevelDurationsBeyondTheMaximumAreLocatedErrors) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nduration: 2562047h\n"), "test.yaml", 2, 11,
                     "'duration' must be at most 8760h (365 days; got 2562047h)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nwarmup: 2562047h\n"), "test.yaml", 2, 9,
                     "'warmup' must be at most 8760h (365 days; got 2562047h)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndrain_timeout: 366d\n"), "test.yaml", 2, 16,
                     "'drain_timeout' must be a duration such as 10s, 250ms, 20us or 100ns (got '366d')");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ndrain_timeout: 8761h\n"), "test.yaml", 2, 16,
                     "'drain_timeout' must be at most 8760h (365 days; got 8761h)");
  // Beyond int64 nanoseconds: also named as too long, not as malformed.
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nduration: 99999999999999999999h\n"), "test.yaml", 2, 11,
                     "'duration' must be at most 8760h (365 days; got 99999999999999999999h)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\nprobes: {telemetry_interval: 9000h}\n"), "test.yaml", 2, 30,
                     "'probes.telemetry_interval' must be at most 8760h (365 days; got 9000h)");
  RK_EXPECT_ERROR_AT(
      parse_error("name: demo\ndevices: 2\nkernels:\n  - {id: a, type: echo}\n"
                  "coordinator:\n  migrations:\n    - {kernel: a, to: 1, at: 9000h}\n"
                  "  rebalance: {threshold: 2, interval: 9000h}\n"),
      "test.yaml", 7, 30, "'coordinator.migrations[0].at' must be at most 8760h (365 days; got 9000h)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\ncoordinator:\n  rebalance: {threshold: 2, interval: 9000h}\n"),
                     "test.yaml", 3, 39,
                     "'coordinator.rebalance.interval' must be at most 8760h (365 days; got 9000h)");
}

TEST(ScenarioLimits, TheMaximumItselfIsAccepted) {
  const Scenario s = parse("name: demo\nduration: 8760h\nwarmup: 8760h\ndrain_timeout: 8760h\n");
  EXPECT_EQ(s.duration, max_duration);
  EXPECT_EQ(s.warmup, max_duration);
  EXPECT_EQ(s.drain_timeout, max_duration);
}

TEST(ScenarioLimits, OverridesBeyondTheMaximumPointAtTheSet) {
  RK_EXPECT_ERROR_AT(parse_error("name: demo\n", {"duration=2562047h"}), "--set duration=2562047h", 1, 10,
                     "'duration' must be at most 8760h (365 days; got 2562047h)");
  RK_EXPECT_ERROR_AT(parse_error("name: demo\n", {"warmup=2562047h"}), "--set warmup=2562047h", 1, 8,
                     "'warmup' must be at most 8760h (365 days; got 2562047h)");
}

/// The ParamMap error a getter throws.
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

TEST(ScenarioLimits, ParameterDurationsAreBoundedWhateverTheRange) {
  const Scenario s = parse("name: demo\nworkload:\n  name: ping_pong\n  long: 2562047h\n  year: 8760h\n"
                           "  short: 2h\n");
  const ParamMap& p = s.workload.params;
  // The default range (no max) and an explicit max above the limit both stop at 365 days.
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_duration("long"); }), "test.yaml", 4, 9,
                     "parameter 'workload.long' must be at most 8760h (365 days) (got 2562047h)");
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_duration("long", {.max = std::chrono::nanoseconds::max()}); }),
                     "test.yaml", 4, 9, "parameter 'workload.long' must be at most 8760h (365 days) (got 2562047h)");
  EXPECT_EQ(p.get_duration("year"), max_duration);
  // A tighter range keeps its own message.
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_duration("short", {.max = 1h}); }), "test.yaml", 6, 10,
                     "parameter 'workload.short' must be between 0s and 1h (got 2h)");
  RK_EXPECT_ERROR_AT(getter_error([&] { p.get_duration("long", {.max = 1h}); }), "test.yaml", 4, 9,
                     "parameter 'workload.long' must be at most 1h (got 2562047h)");
}

}  // namespace
}  // namespace rk::scenario::testing
