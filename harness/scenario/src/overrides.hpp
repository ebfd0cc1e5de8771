// Internal: --set KEY=VALUE overrides applied to the located tree before validation, and the
// rules for keys that exclude each other (an override wins over the file).
#pragma once

#include "tree.hpp"

#include <string>
#include <string_view>

namespace rk::scenario::detail {

/// Applies one `KEY=VALUE` override. KEY is a dotted path through mappings (sequence items by
/// index); VALUE is parsed as YAML. Every node it creates is located at `--set KEY=VALUE`.
void apply_override(Node& root, const std::string& override_text);

/// When both `a` and `b` are in `map`: if exactly one of them came from an override, the other is
/// removed; otherwise it is an error at the later one. `context` is the map's path for messages.
void resolve_exclusive(Node& map, std::string_view a, std::string_view b, std::string_view context);

}  // namespace rk::scenario::detail
