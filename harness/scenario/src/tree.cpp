// Builds the located tree from yaml-cpp parser events (not from YAML::Node, so every node keeps its
// mark and quoting, and aliases are expanded under a budget), emits it back, and pre-scans text
// for nesting depth before yaml-cpp recurses over it.
#include "tree.hpp"

#include "rk/scenario/scenario.hpp"

#include <yaml-cpp/emitter.h>
#include <yaml-cpp/emittermanip.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <sstream>
#include <unordered_map>

namespace rk::scenario::detail {

namespace {

// Alias expansion copies subtrees; these budgets bound the expanded tree whatever the input.
constexpr std::size_t max_tree_nodes = std::size_t{1} << 20;
constexpr std::size_t max_tree_bytes = std::size_t{64} << 20;

struct Subtree {
  Node node;
  int height = 0;
  std::size_t nodes = 0;
  std::size_t bytes = 0;
};

class TreeBuilder final : public YAML::EventHandler {
 public:
  explicit TreeBuilder(const TextOrigin& origin) : origin_(origin) {}

  std::optional<Node> take_root() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      throw ScenarioError(loc(mark), "a scenario is a single YAML document; found a second one");
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node node;
    node.where = loc(mark);
    complete(Subtree{std::move(node), 0, 1, 0}, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      throw ScenarioError(loc(mark), "alias refers to an anchor that encloses it (recursive alias)");
    }
    const Subtree& target = it->second;
    if (static_cast<int>(stack_.size()) + target.height > max_nesting_depth) {
      throw ScenarioError(loc(mark), "alias expands to nesting deeper than " +
                                         std::to_string(max_nesting_depth) + " levels");
    }
    Subtree copy{target.node, target.height, target.nodes, target.bytes};
    copy.node.where = loc(mark);
    complete(std::move(copy), YAML::NullAnchor);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node node;
    node.kind = Node::Kind::scalar;
    node.text = value;
    // yaml-cpp tags untagged plain scalars "?" and quoted or block scalars "!".
    node.plain = tag == "?";
    node.where = loc(mark);
    const std::size_t bytes = value.size();
    complete(Subtree{std::move(node), 0, 1, bytes}, anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open(Node::Kind::sequence, mark, anchor, style);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open(Node::Kind::mapping, mark, anchor, style);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    Node node;
    YAML::anchor_t anchor = YAML::NullAnchor;
    int height = 1;
    std::size_t nodes = 1;
    std::size_t bytes = 0;
    bool have_key = false;
    std::string key;
    SourceLocation key_where;
    std::unordered_map<std::string, SourceLocation> seen_keys;
  };

  SourceLocation loc(const YAML::Mark& mark) const {
    if (mark.is_null()) return origin_.at(0, 0);
    return origin_.at(mark.line, mark.column);
  }

  void open(Node::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor,
            YAML::EmitterStyle::value style) {
    if (static_cast<int>(stack_.size()) >= max_nesting_depth) {
      throw ScenarioError(loc(mark),
                          "nesting deeper than " + std::to_string(max_nesting_depth) + " levels");
    }
    charge(1, 0, loc(mark));
    Frame frame;
    frame.node.kind = kind;
    frame.node.flow = style == YAML::EmitterStyle::Flow;
    frame.node.where = loc(mark);
    frame.anchor = anchor;
    stack_.push_back(std::move(frame));
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (frame.have_key) {
      // A key without a value cannot come out of yaml-cpp; guard anyway.
      throw ScenarioError(frame.key_where, "mapping key '" + frame.key + "' has no value");
    }
    // The container itself was charged in open(); its children were charged as they completed.
    Subtree done{std::move(frame.node), frame.height, frame.nodes, frame.bytes};
    attach(std::move(done), frame.anchor);
  }

  void charge(std::size_t nodes, std::size_t bytes, const SourceLocation& where) {
    total_nodes_ += nodes;
    total_bytes_ += bytes;
    if (total_nodes_ > max_tree_nodes || total_bytes_ > max_tree_bytes) {
      throw ScenarioError(where, "document too large: more than " +
                                     std::to_string(max_tree_nodes) + " nodes or " +
                                     std::to_string(max_tree_bytes >> 20) +
                                     " MiB of text, counting expanded aliases");
    }
  }

  void complete(Subtree done, YAML::anchor_t anchor) {
    charge(done.nodes, done.bytes, done.node.where);
    attach(std::move(done), anchor);
  }

  void attach(Subtree done, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) {
      // The stored copy counts against the budget like any other expansion.
      charge(done.nodes, done.bytes, done.node.where);
      anchors_[anchor] = done;
    }
    if (stack_.empty()) {
      root_ = std::move(done.node);
      return;
    }
    Frame& parent = stack_.back();
    parent.height = std::max(parent.height, done.height + 1);
    parent.nodes += done.nodes;
    parent.bytes += done.bytes;
    if (parent.node.is_sequence()) {
      parent.node.items.push_back(std::move(done.node));
      return;
    }
    if (!parent.have_key) {
      if (!done.node.is_scalar()) {
        throw ScenarioError(done.node.where, "mapping keys must be strings");
      }
      parent.key = std::move(done.node.text);
      parent.key_where = done.node.where;
      parent.have_key = true;
      return;
    }
    parent.have_key = false;
    auto [it, inserted] = parent.seen_keys.emplace(parent.key, parent.key_where);
    if (!inserted) {
      throw ScenarioError(parent.key_where, "duplicate key '" + parent.key +
                                                "' (first given at " + to_string(it->second) + ")");
    }
    parent.node.entries.push_back(
        Entry{std::move(parent.key), std::move(parent.key_where), std::move(done.node)});
  }

  const TextOrigin& origin_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Subtree> anchors_;
  std::optional<Node> root_;
  int documents_ = 0;
  std::size_t total_nodes_ = 0;
  std::size_t total_bytes_ = 0;
};

void emit_node(YAML::Emitter& out, const Node& node) {
  switch (node.kind) {
    case Node::Kind::null:
      out << YAML::Null;
      return;
    case Node::Kind::scalar:
      if (node.plain) {
        out << node.text;
      } else {
        out << YAML::DoubleQuoted << node.text;
      }
      return;
    case Node::Kind::sequence:
      out << (node.flow ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
      for (const Node& item : node.items) emit_node(out, item);
      out << YAML::EndSeq;
      return;
    case Node::Kind::mapping:
      out << (node.flow ? YAML::Flow : YAML::Block) << YAML::BeginMap;
      for (const Entry& entry : node.entries) {
        // YAML caps implicit keys at 1024 characters, and escaping can grow a key fourfold, so
        // long keys are written in the explicit "? key" form.
        if (entry.key.size() > 200) out << YAML::LongKey;
        out << YAML::Key << entry.key << YAML::Value;
        emit_node(out, entry.value);
      }
      out << YAML::EndMap;
      return;
  }
}

}  // namespace

const Node* Node::find(std::string_view key) const {
  const Entry* entry = find_entry(key);
  return entry ? &entry->value : nullptr;
}

Node* Node::find(std::string_view key) {
  for (Entry& entry : entries) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

const Entry* Node::find_entry(std::string_view key) const {
  for (const Entry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

bool Node::erase(std::string_view key) {
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const Entry& entry) { return entry.key == key; });
  if (it == entries.end()) return false;
  entries.erase(it);
  return true;
}

SourceLocation TextOrigin::at(int line0, int column0) const {
  SourceLocation where{file, first_line + line0, column0 + 1};
  if (line0 == 0) where.column = first_column + column0;
  return where;
}

void check_text(std::string_view text, const TextOrigin& origin) {
  int line0 = 0;
  std::size_t line_start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t min = 0;
    if (c < 0x80) {
      if (c == '\n') {
        ++line0;
        line_start = i + 1;
      } else if (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) {
        // yaml-cpp reads a lone CR as text, YAML as a line break; accept only LF and CRLF.
        throw ScenarioError(origin.at(line0, static_cast<int>(i - line_start)),
                            "carriage return without line feed; use LF or CRLF line endings");
      } else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F) {
        // YAML allows no other control characters; NUL bytes would also make yaml-cpp guess
        // UTF-16 or UTF-32 and read different text than the one checked here.
        char code[8];
        std::snprintf(code, sizeof code, "U+%04X", c);
        throw ScenarioError(origin.at(line0, static_cast<int>(i - line_start)),
                            std::string("control character ") + code +
                                " is not allowed in YAML text; write it as an escape in a "
                                "double-quoted string");
      }
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      min = 0x10000;
    }
    std::uint32_t code = length == 0 ? 0 : c & (0x7Fu >> length);
    bool ok = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      ok = (next & 0xC0) == 0x80;
      code = (code << 6) | (next & 0x3Fu);
    }
    ok = ok && code >= min && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF) &&
         code != 0xFFFE && code != 0xFFFF;
    if (!ok) {
      throw ScenarioError(origin.at(line0, static_cast<int>(i - line_start)),
                          "invalid UTF-8 (scenario input must be UTF-8 text)");
    }
    i += length;
  }
}

Node build_tree(std::string_view text, const TextOrigin& origin) {
  check_text(text, origin);
  check_nesting(text, origin, max_nesting_depth);
  std::istringstream in{std::string(text)};
  TreeBuilder builder(origin);
  try {
    YAML::Parser parser(in);
    if (parser.HandleNextDocument(builder)) {
      // A second document is rejected by OnDocumentStart.
      parser.HandleNextDocument(builder);
    }
  } catch (const YAML::Exception& e) {
    SourceLocation where = e.mark.is_null() ? origin.at(0, 0) : origin.at(e.mark.line, e.mark.column);
    throw ScenarioError(std::move(where), "YAML syntax error: " + e.msg);
  }
  std::optional<Node> root = builder.take_root();
  if (!root) {
    Node empty;
    empty.where = origin.at(0, 0);
    return empty;
  }
  return std::move(*root);
}

std::string emit_tree(const Node& root) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit_node(out, root);
  if (!out.good()) return {};
  std::string text = out.c_str();
  text += '\n';
  return text;
}

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Whether a node may start at `pos` of a line in block context: at the start of the content, or
// after "key: ", or after "- ", "? ", "--- ", an anchor or a tag that itself stands at a node start.
bool at_block_node_start(std::string_view line, std::size_t pos, std::size_t content_start) {
  while (true) {
    std::size_t q = pos;
    while (q > content_start && is_blank(line[q - 1])) --q;
    if (q == content_start) return true;
    if (q == pos) return false;
    const char c = line[q - 1];
    if (c == ':') return true;
    std::size_t t = q;
    while (t > content_start && !is_blank(line[t - 1])) --t;
    const std::string_view token = line.substr(t, q - t);
    // An indicator opens a node only where it stands at a node start itself: in `a: 4 - [` the
    // dash is plain text of the scalar "4 - [", while in `- - [` both dashes are indicators.
    if (token != "-" && token != "?" && token != "---" && token[0] != '&' && token[0] != '!') {
      return false;
    }
    pos = t;
  }
}

// In flow context: after `[`, `{`, `,`, `:` or `?` (blanks between allowed), or at line start.
bool at_flow_node_start(std::string_view line, std::size_t pos, std::size_t content_start) {
  std::size_t q = pos;
  while (q > content_start && is_blank(line[q - 1])) --q;
  if (q == content_start) return true;
  const char c = line[q - 1];
  return c == '[' || c == '{' || c == ',' || c == ':' || c == '?';
}

}  // namespace

void check_nesting(std::string_view text, const TextOrigin& origin, int limit) {
  enum class Quote { none, single, double_ };
  Quote quote = Quote::none;
  int flow = 0;
  int block_depth = 0;
  std::vector<std::size_t> indents;
  bool in_block_scalar = false;
  std::size_t block_scalar_parent = 0;

  std::size_t pos = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  int line0 = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const int this_line = line0++;

    std::size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    const bool blank = line.find_first_not_of(" \t\r") == std::string_view::npos;

    if (in_block_scalar) {
      if (blank || indent > block_scalar_parent) continue;
      in_block_scalar = false;
    }

    std::size_t col = 0;
    if (quote == Quote::none) {
      if (blank || line[indent] == '#') continue;
      col = indent;
      if (flow == 0) {
        while (!indents.empty() && indents.back() > indent) indents.pop_back();
        if (indents.empty() || indents.back() < indent) indents.push_back(indent);
        int compact = 0;
        // "- - x" and "? x" open a nested node on the same line.
        while (col < line.size() && (line[col] == '-' || line[col] == '?') &&
               (col + 1 == line.size() || line[col + 1] == ' ' || line[col + 1] == '\r')) {
          ++compact;
          ++col;
          while (col < line.size() && line[col] == ' ') ++col;
        }
        block_depth = static_cast<int>(indents.size()) + compact;
        if (block_depth > limit) {
          throw ScenarioError(origin.at(this_line, static_cast<int>(col)),
                              "nesting deeper than " + std::to_string(limit) + " levels");
        }
      }
    }

    for (; col < line.size(); ++col) {
      const char c = line[col];
      if (quote == Quote::double_) {
        if (c == '\\') {
          ++col;
        } else if (c == '"') {
          quote = Quote::none;
        }
        continue;
      }
      if (quote == Quote::single) {
        if (c == '\'') {
          if (col + 1 < line.size() && line[col + 1] == '\'') {
            ++col;
          } else {
            quote = Quote::none;
          }
        }
        continue;
      }
      if (c == '#' && (col == 0 || line[col - 1] == ' ' || line[col - 1] == '\t')) break;
      // Inside a flow collection every bracket counts (over-counting is safe); in block context
      // only where a node can start, so that `a[0..7]` or `see [1]` in plain text do not.
      const bool node_start =
          flow > 0 ? at_flow_node_start(line, col, indent) : at_block_node_start(line, col, indent);
      if ((c == '"' || c == '\'') && node_start) {
        quote = c == '"' ? Quote::double_ : Quote::single;
      } else if ((c == '[' || c == '{') && (flow > 0 || node_start)) {
        ++flow;
        if (block_depth + flow > limit) {
          throw ScenarioError(origin.at(this_line, static_cast<int>(col)),
                              "nesting deeper than " + std::to_string(limit) + " levels");
        }
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      } else if ((c == '|' || c == '>') && flow == 0 && node_start) {
        std::size_t rest = col + 1;
        while (rest < line.size() &&
               (line[rest] == '+' || line[rest] == '-' || (line[rest] >= '0' && line[rest] <= '9'))) {
          ++rest;
        }
        while (rest < line.size() && (line[rest] == ' ' || line[rest] == '\t' || line[rest] == '\r')) {
          ++rest;
        }
        if (rest == line.size() || line[rest] == '#') {
          in_block_scalar = true;
          block_scalar_parent = indent;
          break;
        }
      }
    }
  }
}

}  // namespace rk::scenario::detail
