// --set overrides: dotted paths into the tree, values parsed as YAML with their own locations.
#include "overrides.hpp"

#include "rk/scenario/scenario.hpp"

#include "text.hpp"

#include <algorithm>
#include <vector>

namespace rk::scenario::detail {

namespace {

struct Component {
  std::string name;
  int column;  // 1-based, within the override text
};

/// Collections nested in `node`, itself included (a scalar: 0).
int collection_depth(const Node& node) {
  int deepest = 0;
  for (const Entry& e : node.entries) deepest = std::max(deepest, collection_depth(e.value));
  for (const Node& item : node.items) deepest = std::max(deepest, collection_depth(item));
  return node.is_mapping() || node.is_sequence() ? deepest + 1 : 0;
}

bool parse_index(std::string_view text, std::size_t& index) {
  if (text.empty() || text.size() > 9) return false;
  index = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return true;
}

std::string shown(const std::string& walked) {
  return walked.empty() ? std::string("the scenario") : "'" + walked + "'";
}

}  // namespace

void apply_override(Node& root, const std::string& override_text) {
  const TextOrigin origin{"--set " + override_text, 1, 1};
  check_text(override_text, origin);
  const std::size_t eq = override_text.find('=');
  if (eq == std::string::npos) {
    throw ScenarioError(origin.at(0, 0), "malformed override '" + override_text +
                                             "': expected KEY=VALUE, e.g. --set devices=4");
  }
  const std::string_view key = std::string_view(override_text).substr(0, eq);
  if (key.empty()) {
    throw ScenarioError(origin.at(0, 0), "malformed override '" + override_text + "': empty key");
  }
  std::vector<Component> path;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    const std::size_t end = dot == std::string_view::npos ? key.size() : dot;
    if (end == start) {
      throw ScenarioError(origin.at(0, static_cast<int>(start)),
                          "malformed override key '" + std::string(key) + "': empty path component");
    }
    path.push_back({std::string(key.substr(start, end - start)), static_cast<int>(start) + 1});
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }

  Node value = build_tree(std::string_view(override_text).substr(eq + 1),
                          TextOrigin{origin.file, 1, static_cast<int>(eq) + 2});
  // The value sits inside one collection per path component (the document's mapping and the ones the
  // path walks through): with its own nesting it must stay within the limit, or the recorded scenario
  // (the tree emitted back as text) could not be read again.
  if (static_cast<int>(path.size()) + collection_depth(value) > max_nesting_depth) {
    throw ScenarioError(value.where, "the value of '" + std::string(key) + "' nests " +
                                         std::to_string(collection_depth(value)) + " levels below a key at depth " +
                                         std::to_string(path.size()) + ": more than " +
                                         std::to_string(max_nesting_depth) + " levels in all");
  }

  Node* current = &root;
  std::string walked;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const Component& component = path[i];
    const bool last = i + 1 == path.size();
    const SourceLocation where = origin.at(0, component.column - 1);
    if (current->is_null()) {
      current->kind = Node::Kind::mapping;
      current->flow = false;
    }
    if (current->is_mapping()) {
      auto it = std::find_if(current->entries.begin(), current->entries.end(),
                             [&](const Entry& e) { return e.key == component.name; });
      if (it == current->entries.end()) {
        Node fresh;
        fresh.where = where;
        if (!last) fresh.kind = Node::Kind::mapping;
        current->entries.push_back(Entry{component.name, where, std::move(fresh), true});
        it = std::prev(current->entries.end());
      }
      if (last) {
        it->value = std::move(value);
        it->overridden = true;
        return;
      }
      current = &it->value;
    } else if (current->is_sequence()) {
      std::size_t index = 0;
      if (!parse_index(component.name, index) || index >= current->items.size()) {
        const std::size_t n = current->items.size();
        throw ScenarioError(where, "cannot set '" + std::string(key) + "': " + shown(walked) +
                                       " is a list of " + std::to_string(n) + " items" +
                                       (n == 0 ? std::string()
                                               : "; expected an index from 0 to " +
                                                     std::to_string(n - 1)));
      }
      if (last) {
        current->items[index] = std::move(value);
        return;
      }
      current = &current->items[index];
    } else {
      throw ScenarioError(where, "cannot set '" + std::string(key) + "': " + shown(walked) +
                                     " is a scalar, not a mapping");
    }
    if (!walked.empty()) walked += '.';
    walked += component.name;
  }
}

void resolve_exclusive(Node& map, std::string_view a, std::string_view b, std::string_view context) {
  if (!map.is_mapping()) return;
  auto ia = std::find_if(map.entries.begin(), map.entries.end(),
                         [&](const Entry& e) { return e.key == a; });
  auto ib = std::find_if(map.entries.begin(), map.entries.end(),
                         [&](const Entry& e) { return e.key == b; });
  if (ia == map.entries.end() || ib == map.entries.end()) return;
  if (ia->overridden != ib->overridden) {
    map.entries.erase(ia->overridden ? ib : ia);
    return;
  }
  const Entry& later = ia < ib ? *ib : *ia;
  const Entry& earlier = ia < ib ? *ia : *ib;
  std::string where_text = context.empty() ? std::string() : " in " + std::string(context);
  throw ScenarioError(later.key_where, "'" + later.key + "' and '" + earlier.key + "'" + where_text +
                                           " exclude each other (the other is at " +
                                           to_string(earlier.key_where) + ")");
}

}  // namespace rk::scenario::detail
