// Internal: scalar resolution (YAML 1.2 core schema subset), edit distance for did-you-mean
// suggestions, and the conversion of tree nodes into parameter values.
#pragma once

#include "rk/scenario/value.hpp"
#include "tree.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rk::scenario::detail {

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// " (did you mean 'x'?)" for the nearest candidate within distance 2, or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

/// "'a', 'b', 'c'" (at most `limit` names, then ", ...").
std::string quoted_list(const std::vector<std::string_view>& names, std::size_t limit = 12);

/// Plain-scalar classification: `true`/`false` (any case style of the core schema), decimal or
/// 0x-hex integers, decimal floating point. Anything else is a string.
std::optional<bool> parse_bool(std::string_view text);
bool looks_like_int(std::string_view text);
bool looks_like_double(std::string_view text);
/// Integer text that looks_like_int; nullopt when it does not fit.
std::optional<std::int64_t> parse_int64(std::string_view text);
std::optional<std::uint64_t> parse_uint64(std::string_view text);
/// Finite floating-point text that looks_like_double; nullopt when it overflows.
std::optional<double> parse_double(std::string_view text);

/// Whether a plain scalar with this text would be a bool, number or null rather than a string.
bool resolves_to_non_string(std::string_view text);

/// "'text'", or "the string \"text\"" when quoting is what made it a string (e.g. "10").
std::string describe_string(std::string_view text);

/// Converts a node into a parameter value; `path` names it in errors. Mappings are rejected.
Value to_value(const Node& node, const std::string& path);

/// "integer 10", "string \"ten\"", "mapping", ... for type-error messages.
std::string describe(const Node& node);

}  // namespace rk::scenario::detail
