// Entry points: read the file, build the located tree, apply --set overrides, validate, and keep
// the overridden YAML as source_text.
#include "rk/scenario/scenario.hpp"

#include "overrides.hpp"
#include "tree.hpp"
#include "validate.hpp"

#include <cstring>
#include <fstream>
#include <system_error>

namespace rk::scenario {

namespace {

std::string size_error(std::size_t bytes) {
  return "scenario is " + std::to_string(bytes) + " bytes; the limit is " +
         std::to_string(max_file_bytes) + " bytes (16 MiB)";
}

/// `workload: pagerank` is shorthand for `workload: {name: pagerank}`; expanding it first lets
/// --set workload.damping=0.9 apply to either form.
void normalize_workload(detail::Node& root) {
  if (!root.is_mapping()) return;
  detail::Node* workload = root.find("workload");
  if (workload == nullptr || !workload->is_scalar()) return;
  detail::Node name = std::move(*workload);
  *workload = detail::Node{};
  workload->kind = detail::Node::Kind::mapping;
  workload->where = name.where;
  const SourceLocation where = name.where;
  workload->entries.push_back(detail::Entry{"name", where, std::move(name), false});
}

void resolve_overridden_exclusions(detail::Node& root) {
  if (!root.is_mapping()) return;
  detail::resolve_exclusive(root, "duration", "iterations", "");
  if (detail::Node* kernels = root.find("kernels"); kernels && kernels->is_sequence()) {
    for (std::size_t i = 0; i < kernels->items.size(); ++i) {
      detail::resolve_exclusive(kernels->items[i], "queue_capacity", "queue_tier",
                                "kernels[" + std::to_string(i) + "]");
    }
  }
  if (detail::Node* workload = root.find("workload"); workload && workload->is_mapping()) {
    detail::resolve_exclusive(*workload, "graph", "generator", "workload");
    detail::resolve_exclusive(*workload, "orders", "generator", "workload");
  }
}

}  // namespace

std::string_view to_string(Backend backend) {
  switch (backend) {
    case Backend::automatic: return "auto";
    case Backend::cpu: return "cpu";
    case Backend::cuda: return "cuda";
  }
  return "?";
}

std::string_view to_string(IdlePolicy idle) {
  switch (idle) {
    case IdlePolicy::spin: return "spin";
    case IdlePolicy::yield: return "yield";
    case IdlePolicy::park: return "park";
    case IdlePolicy::adaptive: return "adaptive";
  }
  return "?";
}

std::string_view to_string(RouteRule rule) {
  switch (rule) {
    case RouteRule::direct: return "direct";
    case RouteRule::round_robin: return "round_robin";
    case RouteRule::hash: return "hash";
    case RouteRule::broadcast: return "broadcast";
  }
  return "?";
}

const KernelSpec* Scenario::find_kernel(std::string_view id) const {
  for (const KernelSpec& kernel : kernels) {
    if (kernel.id == id) return &kernel;
  }
  return nullptr;
}

Scenario parse_scenario(std::string_view text, const std::string& display_name,
                        const std::filesystem::path& base_dir,
                        const std::vector<std::string>& overrides, const ValidationContext& ctx) {
  if (text.size() > max_file_bytes) {
    throw ScenarioError(SourceLocation{display_name, 1, 1}, size_error(text.size()));
  }
  detail::Node root = detail::build_tree(text, detail::TextOrigin{display_name, 1, 1});
  normalize_workload(root);
  for (const std::string& override_text : overrides) {
    detail::apply_override(root, override_text);
  }
  normalize_workload(root);
  resolve_overridden_exclusions(root);

  Scenario scenario;
  detail::validate(root, base_dir, ctx, scenario);
  scenario.source_text = detail::emit_tree(root);
  if (!overrides.empty() && !scenario.source_text.empty()) {
    // What the results file records must read back as the same scenario: a guard behind the checks in
    // apply_override (nesting), so no --set can produce a recorded scenario that fails to parse.
    try {
      (void)detail::build_tree(scenario.source_text, detail::TextOrigin{display_name + " (recorded)", 1, 1});
    } catch (const ScenarioError& e) {
      throw ScenarioError(SourceLocation{"--set " + overrides.back(), 1, 1},
                          "with the --set overrides applied the scenario would not read back: " + std::string(e.what()));
    }
  }
  if (scenario.source_text.empty()) {
    // The emitter refuses some strings (e.g. invalid UTF-8); keep the input and say what changed.
    scenario.source_text = std::string(text);
    for (const std::string& override_text : overrides) {
      scenario.source_text += "\n# --set " + override_text;
    }
  }
  scenario.source_path = display_name;
  scenario.overrides = overrides;
  return scenario;
}

Scenario load_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                       const ValidationContext& ctx) {
  const std::string display_name = path.string();
  const SourceLocation top{display_name, 1, 1};
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ScenarioError(top, "cannot read scenario: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ScenarioError(top, std::string("cannot open scenario: ") + std::strerror(errno));
  }
  // Read in chunks up to one byte past the limit: the size the file system reports may lie
  // (pipes, /proc), so it only serves the message.
  std::string text;
  std::vector<char> chunk(std::size_t{1} << 16);
  while (text.size() <= max_file_bytes) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    text.append(chunk.data(), got);
  }
  if (text.size() > max_file_bytes) {
    const auto size = std::filesystem::file_size(path, ec);
    throw ScenarioError(top, size_error(ec ? text.size() : static_cast<std::size_t>(size)));
  }
  if (in.bad()) throw ScenarioError(top, "cannot read scenario: I/O error");
  std::filesystem::path base_dir = path.parent_path();
  if (base_dir.empty()) base_dir = ".";
  return parse_scenario(text, display_name, base_dir, overrides, ctx);
}

}  // namespace rk::scenario
