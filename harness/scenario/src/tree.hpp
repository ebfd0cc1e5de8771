// Internal: the located YAML tree the validator works on. yaml-cpp's parser events are turned into
// this tree (with file:line:col on every node), --set overrides are applied to it, and it is
// emitted back as the scenario's source_text. Its depth and size are bounded, so code that
// recurses over it cannot overflow the stack.
#pragma once

#include "rk/scenario/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rk::scenario::detail {

struct Entry;

struct Node {
  enum class Kind { null, scalar, sequence, mapping };

  Kind kind = Kind::null;
  /// Scalar text (empty otherwise).
  std::string text;
  /// False for quoted and block scalars, which are always strings.
  bool plain = true;
  /// Written in flow style (`[a, b]`, `{a: 1}`).
  bool flow = false;
  SourceLocation where;
  std::vector<Node> items;
  std::vector<Entry> entries;

  bool is_null() const { return kind == Kind::null; }
  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_sequence() const { return kind == Kind::sequence; }
  bool is_mapping() const { return kind == Kind::mapping; }

  /// The value under `key` in a mapping, or nullptr.
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  const Entry* find_entry(std::string_view key) const;
  bool erase(std::string_view key);
};

struct Entry {
  std::string key;
  SourceLocation key_where;
  Node value;
  /// Set or replaced by a --set override.
  bool overridden = false;
};

/// Where a piece of text came from: the name errors use and the offsets of its first byte.
struct TextOrigin {
  std::string file;
  int first_line = 1;
  int first_column = 1;

  SourceLocation at(int line0, int column0) const;
};

/// Parses one YAML document into a tree. Rejects invalid UTF-8, syntax errors, several documents, non-string
/// mapping keys, duplicate keys, nesting deeper than max_nesting_depth and alias expansion beyond
/// fixed node and byte budgets. An empty document gives a null node.
Node build_tree(std::string_view text, const TextOrigin& origin);

/// Emits the tree as block-style YAML (flow collections stay flow).
std::string emit_tree(const Node& root);

/// Rejects text that is not valid UTF-8 or holds a control character YAML does not allow (any
/// C0 control but tab, LF and CR; DEL; a CR not followed by LF), at the first bad byte.
void check_text(std::string_view text, const TextOrigin& origin);

/// Rejects text nested deeper than `limit` before yaml-cpp sees it (yaml-cpp recurses per level).
/// Conservative: counts open `[`/`{` outside quotes and comments plus block indentation levels.
void check_nesting(std::string_view text, const TextOrigin& origin, int limit);

}  // namespace rk::scenario::detail
