// libFuzzer target for the scenario parser. Input: scenario text, optionally followed by a NUL
// byte and newline-separated --set overrides. The only exception allowed to escape parsing is
// ScenarioError; anything else (another exception, a crash, a hang, a sanitizer report) is a bug.
// A scenario that parses must parse again from its own source_text.
#include "rk/scenario/scenario.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sc = rk::scenario;

std::filesystem::path base_dir;

const sc::ValidationContext& context() {
  static const sc::ValidationContext ctx{{"echo", "relay", "order_book", "order_router"},
                                         {"pagerank", "ping_pong", "order_matching"}};
  return ctx;
}

void exercise_getters(const sc::ParamMap& params) {
  for (const auto& [key, value] : params.entries()) {
    try { params.get_int(key, 0, {.min = -5, .max = 1000}); } catch (const sc::ScenarioError&) {}
    try { params.get_double(key, 0.0, {.min = 0, .max = 1}); } catch (const sc::ScenarioError&) {}
    try { params.get_bool(key, false); } catch (const sc::ScenarioError&) {}
    try { params.get_string(key, ""); } catch (const sc::ScenarioError&) {}
    try { params.get_duration(key, std::chrono::nanoseconds(1), {.max = std::chrono::hours(1)}); } catch (const sc::ScenarioError&) {}
    try { params.get_choice(key, "a", {"a", "b"}); } catch (const sc::ScenarioError&) {}
  }
  try { params.expect_only({"damping", "rate"}); } catch (const sc::ScenarioError&) {}
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  base_dir = std::filesystem::temp_directory_path() / "rk_fuzz_scenario";
  std::filesystem::create_directories(base_dir);
  std::ofstream(base_dir / "g.txt") << "0 1\n";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  const std::string_view text = input.substr(0, split);
  std::vector<std::string> overrides;
  if (split != std::string_view::npos) {
    std::string_view rest = input.substr(split + 1);
    while (!rest.empty() && overrides.size() < 8) {
      const std::size_t nl = rest.find('\n');
      overrides.emplace_back(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
  }

  sc::Scenario scenario;
  try {
    scenario = sc::parse_scenario(text, "fuzz.yaml", base_dir, overrides, context());
  } catch (const sc::ScenarioError& e) {
    if (e.line() < 1 || e.column() < 1 || e.message().empty()) {
      std::fprintf(stderr, "bad location or empty message: %s\n", e.what());
      std::abort();
    }
    return 0;
  }
  exercise_getters(scenario.workload.params);
  if (scenario.workload.generator) exercise_getters(*scenario.workload.generator);
  for (const auto& kernel : scenario.kernels) exercise_getters(kernel.params);

  // source_text is what the results file records; it has to stand on its own.
  if (scenario.source_text.find("\n# --set ") == std::string::npos) {
    try {
      sc::parse_scenario(scenario.source_text, "again.yaml", base_dir, {}, context());
    } catch (const sc::ScenarioError& e) {
      std::fprintf(stderr, "source_text does not parse again: %s\n---\n%s---\n", e.what(),
                   scenario.source_text.c_str());
      std::abort();
    }
  }
  return 0;
}
