// Internal: turns the located tree (overrides applied) into a validated Scenario.
#pragma once

#include "rk/scenario/scenario.hpp"
#include "tree.hpp"

#include <filesystem>

namespace rk::scenario::detail {

/// Checks every key, type, range and cross-reference of the tree and fills `out` (all fields but
/// source_text, source_path and overrides). Throws ScenarioError at the first problem.
void validate(const Node& root, const std::filesystem::path& base_dir, const ValidationContext& ctx,
              Scenario& out);

}  // namespace rk::scenario::detail
