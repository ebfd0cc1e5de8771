// Shared helpers for the scenario tests: a fixed validation context and located-error checks.
#pragma once

#include "rk/scenario/scenario.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace rk::scenario::testing {

inline const std::filesystem::path data_dir{RK_SCENARIO_TEST_DATA};

inline ValidationContext context() {
  return ValidationContext{
      {"order_router", "order_book", "pagerank_partition", "echo", "relay"},
      {"order_matching", "pagerank", "ping_pong"}};
}

inline Scenario parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parse_scenario(text, "test.yaml", data_dir, overrides, context());
}

/// The error parse() throws; fails the test when it throws nothing.
inline ScenarioError parse_error(const std::string& text,
                                 const std::vector<std::string>& overrides = {}) {
  try {
    parse(text, overrides);
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ScenarioError for:\n" << text;
  return ScenarioError({"none", 0, 0}, "no error");
}

#define RK_EXPECT_ERROR_AT(error, file_, line_, column_, message_)                \
  do {                                                                            \
    const ::rk::scenario::ScenarioError& rk_e = (error);                          \
    EXPECT_EQ(rk_e.file(), file_) << rk_e.what();                                 \
    EXPECT_EQ(rk_e.line(), line_) << rk_e.what();                                 \
    EXPECT_EQ(rk_e.column(), column_) << rk_e.what();                             \
    EXPECT_EQ(rk_e.message(), message_) << rk_e.what();                           \
  } while (0)

}  // namespace rk::scenario::testing
