// Validation of the scenario tree: keys (with did-you-mean), types, ranges, replica expansion,
// route and probe endpoints, data files. Each check throws at the exact node that is wrong.
#include "validate.hpp"

#include "rk/scenario/duration.hpp"
#include "text.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <system_error>
#include <unordered_map>

namespace rk::scenario::detail {

namespace {

using namespace std::chrono_literals;
using Names = std::vector<std::string_view>;

const Names top_keys{"name",          "description", "backend",    "devices",
                     "allow_simulated_devices",      "seed",       "duration",
                     "iterations",    "warmup",      "drain_timeout", "kernels",
                     "routes",        "probes",      "workload",   "coordinator"};
const Names coordinator_keys{"placement", "migrations", "rebalance"};
const Names migration_keys{"kernel", "to", "at"};
const Names rebalance_keys{"threshold", "interval"};
const Names placement_names{"first_available", "round_robin", "least_loaded", "memory_based", "pinned"};
const Names kernel_keys{"id",    "type",           "device",     "grid", "block",
                        "queue_capacity", "queue_tier", "idle", "params"};
const Names route_keys{"from", "to", "rule"};
const Names probe_keys{"latency", "throughput", "telemetry_interval"};
const Names latency_keys{"name", "from", "to"};
const Names throughput_keys{"name", "at"};

const Names backend_names{"auto", "cpu", "cuda"};
const Names idle_names{"spin", "yield", "park", "adaptive"};
const Names rule_names{"direct", "round_robin", "hash", "broadcast"};
const Names tier_names{"small", "medium", "large", "extra_large"};
constexpr std::uint32_t tier_capacities[] = {256, 1024, 4096, 16384};

constexpr std::uint32_t min_queue_capacity = 2;
constexpr std::uint32_t max_queue_capacity = 1u << 24;
constexpr std::size_t max_id_length = 64;
constexpr std::size_t max_name_length = 128;
constexpr std::size_t max_params = 4096;
// Replicas copy their parameters and group endpoints list every replica; this bounds the total.
constexpr std::size_t max_expanded_items = std::size_t{1} << 22;

[[noreturn]] void fail(const SourceLocation& where, std::string message) {
  throw ScenarioError(where, std::move(message));
}

std::string q(std::string_view path) { return "'" + std::string(path) + "'"; }

std::string join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

std::string indexed(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > max_id_length) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), is_id_char);
}

bool is_name(std::string_view s) {
  if (s.empty() || s.size() > max_name_length) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_id_char(c) || c == '.'; });
}

/// Rejects keys not in `allowed`, naming `context` and suggesting the nearest allowed key.
void check_keys(const Node& map, const Names& allowed, std::string_view context) {
  for (const Entry& entry : map.entries) {
    if (std::find(allowed.begin(), allowed.end(), entry.key) != allowed.end()) continue;
    std::string suggestion = did_you_mean(entry.key, allowed);
    if (suggestion.empty()) suggestion = "; expected one of " + quoted_list(allowed, 64);
    fail(entry.key_where, "unknown key '" + entry.key + "' in " + std::string(context) + suggestion);
  }
}

const Node& expect_mapping(const Node& node, std::string_view path) {
  if (!node.is_mapping()) fail(node.where, q(path) + " must be a mapping (got " + describe(node) + ")");
  return node;
}

std::string get_string(const Node& node, std::string_view path) {
  if (!node.is_scalar()) fail(node.where, q(path) + " must be a string (got " + describe(node) + ")");
  return node.text;
}

std::int64_t get_int(const Node& node, std::string_view path, std::int64_t min, std::int64_t max) {
  if (!node.is_scalar() || !node.plain || !looks_like_int(node.text)) {
    fail(node.where, q(path) + " must be an integer (got " + describe(node) + ")");
  }
  auto value = parse_int64(node.text);
  if (!value || *value < min || *value > max) {
    fail(node.where, q(path) + " must be between " + std::to_string(min) + " and " +
                         std::to_string(max) + " (got " + node.text + ")");
  }
  return *value;
}

std::uint64_t get_uint64(const Node& node, std::string_view path, std::uint64_t min) {
  if (!node.is_scalar() || !node.plain || !looks_like_int(node.text)) {
    fail(node.where, q(path) + " must be an integer (got " + describe(node) + ")");
  }
  auto value = parse_uint64(node.text);
  if (!value || *value < min) {
    fail(node.where, q(path) + " must be between " + std::to_string(min) + " and " +
                         std::to_string(UINT64_MAX) + " (got " + node.text + ")");
  }
  return *value;
}

bool get_bool(const Node& node, std::string_view path) {
  std::optional<bool> value;
  if (node.is_scalar() && node.plain) value = parse_bool(node.text);
  if (!value) fail(node.where, q(path) + " must be true or false (got " + describe(node) + ")");
  return *value;
}

std::chrono::nanoseconds get_duration(const Node& node, std::string_view path,
                                      std::chrono::nanoseconds min) {
  std::optional<std::chrono::nanoseconds> value;
  if (node.is_scalar()) value = parse_duration(node.text);
  if (node.is_scalar() && exceeds_max_duration(node.text)) {
    fail(node.where, q(path) + " must be at most " + format_duration(max_duration) + " (365 days; got " + node.text + ")");
  }
  if (!value) {
    std::string hint;
    if (node.is_scalar() && node.plain && looks_like_int(node.text)) hint = "; add a unit";
    fail(node.where, q(path) + " must be a duration such as 10s, 250ms, 20us or 100ns (got " +
                         describe(node) + ")" + hint);
  }
  if (*value < min) {
    fail(node.where, q(path) + " must be at least " + format_duration(min) + " (got " + node.text + ")");
  }
  return *value;
}

/// Index of the node's text in `choices`.
std::size_t get_choice(const Node& node, std::string_view path, const Names& choices) {
  const std::string text = get_string(node, path);
  auto it = std::find(choices.begin(), choices.end(), text);
  if (it == choices.end()) {
    fail(node.where, q(path) + " must be one of " + quoted_list(choices) + " (got '" + text + "')" +
                         did_you_mean(text, choices));
  }
  return static_cast<std::size_t>(it - choices.begin());
}

/// `id` or `id[first..last]`.
struct ParsedId {
  std::string base;
  bool replicated = false;
  std::uint32_t first = 0;
  std::uint32_t last = 0;
};

std::optional<std::uint32_t> parse_small_index(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value;
}

ParsedId parse_kernel_id(const Node& node, std::string_view path) {
  const std::string text = get_string(node, path);
  ParsedId id;
  const std::size_t bracket = text.find('[');
  id.base = text.substr(0, bracket);
  bool ok = is_identifier(id.base);
  if (ok && bracket != std::string::npos) {
    const std::string_view range = std::string_view(text).substr(bracket + 1);
    const std::size_t dots = range.find("..");
    ok = !range.empty() && range.back() == ']' && dots != std::string_view::npos;
    if (ok) {
      auto first = parse_small_index(range.substr(0, dots));
      auto last = parse_small_index(range.substr(dots + 2, range.size() - dots - 3));
      ok = first && last;
      if (ok) {
        if (*first > *last) {
          fail(node.where, "replica range in kernel id '" + text + "' is empty (" +
                               std::to_string(*first) + " > " + std::to_string(*last) + ")");
        }
        if (*last - *first >= max_kernels) {
          fail(node.where, "replica range in kernel id '" + text + "' has " +
                               std::to_string(std::uint64_t{*last} - *first + 1) +
                               " kernels; at most " + std::to_string(max_kernels) + " are allowed");
        }
        id.replicated = true;
        id.first = *first;
        id.last = *last;
      }
    }
  }
  if (!ok) {
    fail(node.where, "invalid kernel id '" + text +
                         "': use letters, digits, '_' and '-' (starting with a letter or '_', at most " +
                         std::to_string(max_id_length) +
                         " characters), optionally followed by a replica range such as [0..7]");
  }
  if (id.base == "host") fail(node.where, "'host' is reserved for the host end of routes and probes");
  return id;
}

Dim3 get_dim3(const Node& node, std::string_view path, bool is_block) {
  const std::uint32_t limits[3] = {is_block ? 1024u : 2147483647u, is_block ? 1024u : 65535u,
                                   is_block ? 64u : 65535u};
  std::uint32_t dims[3] = {1, 1, 1};
  const char* axis_names[3] = {"x", "y", "z"};
  if (node.is_scalar()) {
    dims[0] = static_cast<std::uint32_t>(get_int(node, path, 1, limits[0]));
  } else if (node.is_sequence()) {
    if (node.items.empty() || node.items.size() > 3) {
      fail(node.where, q(path) + " must have 1 to 3 dimensions (got " +
                           std::to_string(node.items.size()) + ")");
    }
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      dims[i] = static_cast<std::uint32_t>(get_int(node.items[i], indexed(path, i), 1, limits[i]));
    }
  } else if (node.is_mapping()) {
    check_keys(node, Names{"x", "y", "z"}, q(path));
    for (int i = 0; i < 3; ++i) {
      if (const Node* axis = node.find(axis_names[i])) {
        dims[i] = static_cast<std::uint32_t>(get_int(*axis, join(path, axis_names[i]), 1, limits[i]));
      }
    }
  } else {
    fail(node.where, q(path) + " must be an integer, a list [x, y, z] or a mapping {x, y, z} (got " +
                         describe(node) + ")");
  }
  Dim3 dim{dims[0], dims[1], dims[2]};
  if (is_block && dim.volume() > 1024) {
    fail(node.where, q(path) + " has " + std::to_string(dim.volume()) +
                         " threads; a block holds at most 1024");
  }
  return dim;
}

bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

bool is_data_file_key(std::string_view key, bool workload_level) {
  if (workload_level && (key == "graph" || key == "orders")) return true;
  return key.size() > 5 && key.ends_with("_file");
}

class Validator {
 public:
  Validator(const std::filesystem::path& base_dir, const ValidationContext& ctx, Scenario& out)
      : base_dir_(base_dir), ctx_(ctx), out_(out) {}

  void run(const Node& root) {
    if (root.is_null()) {
      fail(root.where, "the scenario is empty; it needs at least a 'name'");
    }
    if (!root.is_mapping()) {
      fail(root.where, "a scenario must be a mapping of keys such as 'name' and 'kernels' (got " +
                           describe(root) + ")");
    }
    check_keys(root, top_keys, "scenario");
    scalars(root);
    if (const Node* kernels = root.find("kernels")) this->kernels(*kernels);
    if (const Node* routes = root.find("routes")) this->routes(*routes);
    if (const Node* probes = root.find("probes")) this->probes(*probes);
    if (const Node* workload = root.find("workload")) this->workload(*workload);
    if (const Node* c = root.find("coordinator")) coordinator(*c);
  }

 private:
  void scalars(const Node& root) {
    const Node* name = root.find("name");
    if (name == nullptr) fail(root.where, "missing required key 'name' in scenario");
    out_.name = get_string(*name, "name");
    if (!is_name(out_.name)) {
      fail(name->where, "'name' must be 1 to " + std::to_string(max_name_length) +
                            " letters, digits, '_', '-' or '.' (got '" + out_.name + "')");
    }
    if (const Node* n = root.find("description")) out_.description = get_string(*n, "description");
    if (const Node* n = root.find("backend")) {
      out_.backend = static_cast<Backend>(get_choice(*n, "backend", backend_names));
    }
    if (const Node* n = root.find("devices")) {
      out_.devices = static_cast<int>(get_int(*n, "devices", 1, max_devices));
    }
    if (const Node* n = root.find("allow_simulated_devices")) {
      out_.allow_simulated_devices = get_bool(*n, "allow_simulated_devices");
    }
    if (const Node* n = root.find("seed")) out_.seed = get_uint64(*n, "seed", 0);
    const Node* duration = root.find("duration");
    const Node* iterations = root.find("iterations");
    if (duration && iterations) {
      // resolve_exclusive already handled this; keep the check local to the validator too.
      fail(root.find_entry("iterations")->key_where, "'duration' and 'iterations' exclude each other");
    }
    if (duration) out_.duration = get_duration(*duration, "duration", 1ns);
    if (iterations) out_.iterations = get_uint64(*iterations, "iterations", 1);
    if (!duration && !iterations) out_.duration = 1s;
    if (const Node* n = root.find("warmup")) out_.warmup = get_duration(*n, "warmup", 0ns);
    if (const Node* n = root.find("drain_timeout")) {
      out_.drain_timeout = get_duration(*n, "drain_timeout", 1ns);
    }
    // Where the run limits were written (the workload may not honour them: the harness refuses those).
    for (const char* key : {"duration", "iterations", "warmup"})
      if (const auto* e = root.find_entry(key)) out_.limits_given.push_back({key, e->key_where});
  }

  /// `owner` locates "missing required parameter" errors when there is no params mapping.
  ParamMap params(const Node* node, const std::string& path, bool workload_level,
                  const SourceLocation& owner) {
    ParamMap params(path, node && !node->is_null() ? node->where : owner);
    if (node == nullptr || node->is_null()) return params;
    expect_mapping(*node, path);
    if (node->entries.size() > max_params) {
      fail(node->where, q(path) + " has " + std::to_string(node->entries.size()) +
                            " parameters; at most " + std::to_string(max_params) + " are allowed");
    }
    for (const Entry& entry : node->entries) {
      const std::string key_path = join(path, entry.key);
      Value value = to_value(entry.value, key_path);
      if (is_data_file_key(entry.key, workload_level)) resolve_data_file(value, key_path);
      params.set(entry.key, std::move(value));
    }
    return params;
  }

  void resolve_data_file(Value& value, const std::string& path) {
    if (!value.is_string() || value.text.empty()) {
      fail(value.where, q(path) + " must be the path of a data file (got " +
                            (value.is_list() ? std::string("a list") : "'" + value.text + "'") + ")");
    }
    std::filesystem::path file(value.text);
    if (file.is_relative()) file = base_dir_ / file;
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::exists(status)) {
      fail(value.where, "data file '" + value.text + "' for " + q(path) + " not found (looked for " +
                            file.string() + ")");
    }
    if (!std::filesystem::is_regular_file(status)) {
      fail(value.where, "data file '" + value.text + "' for " + q(path) + " is not a regular file");
    }
    std::filesystem::path absolute = std::filesystem::absolute(file, ec);
    value.data = (ec ? file : absolute).lexically_normal().string();
  }

  void kernels(const Node& node) {
    if (node.is_null()) return;
    if (!node.is_sequence()) {
      fail(node.where, "'kernels' must be a list (got " + describe(node) + ")");
    }
    for (std::size_t i = 0; i < node.items.size(); ++i) kernel(node.items[i], indexed("kernels", i));
    for (auto& [group, members] : groups_) {
      std::sort(members.begin(), members.end());
    }
  }

  void kernel(const Node& node, const std::string& path) {
    expect_mapping(node, path);
    check_keys(node, kernel_keys, "kernel " + path);
    const Node* id_node = node.find("id");
    if (id_node == nullptr) fail(node.where, "missing required key 'id' in kernel " + path);
    const ParsedId id = parse_kernel_id(*id_node, join(path, "id"));

    KernelSpec spec;
    spec.where = node.where;
    const Node* type = node.find("type");
    if (type == nullptr) fail(node.where, "missing required key 'type' in kernel " + path);
    spec.type = get_string(*type, join(path, "type"));
    if (!ctx_.kernel_types.contains(spec.type)) {
      Names known(ctx_.kernel_types.begin(), ctx_.kernel_types.end());
      fail(type->where, "unknown kernel type '" + spec.type + "'" + did_you_mean(spec.type, known) +
                            (known.empty() ? "; no kernel types are registered"
                                           : "; known types: " + quoted_list(known)));
    }

    bool round_robin = false;
    if (const Node* device = node.find("device")) {
      const std::string device_path = join(path, "device");
      if (device->is_scalar() && device->plain && (device->text == "auto" || device->text == "round_robin")) {
        round_robin = device->text == "round_robin";
        if (round_robin && !id.replicated) {
          fail(device->where, "'device: round_robin' needs a replicated kernel id such as '" +
                                  id.base + "[0..7]'");
        }
      } else if (device->is_scalar() && device->plain && looks_like_int(device->text)) {
        spec.device = static_cast<int>(get_int(*device, device_path, -1, out_.devices - 1));
      } else {
        fail(device->where, q(device_path) +
                                " must be a device index, 'auto' or 'round_robin' (got " +
                                describe(*device) + ")");
      }
    }
    if (const Node* grid = node.find("grid")) spec.grid = get_dim3(*grid, join(path, "grid"), false);
    if (const Node* block = node.find("block")) spec.block = get_dim3(*block, join(path, "block"), true);

    const Node* capacity = node.find("queue_capacity");
    const Node* tier = node.find("queue_tier");
    if (capacity && tier) {
      fail(node.find_entry("queue_tier")->key_where,
           "'queue_capacity' and 'queue_tier' exclude each other in kernel " + path);
    }
    if (capacity) {
      const std::string capacity_path = join(path, "queue_capacity");
      const auto value = get_int(*capacity, capacity_path, min_queue_capacity, max_queue_capacity);
      if (!is_power_of_two(static_cast<std::uint64_t>(value))) {
        std::uint64_t below = 1;
        while (below * 2 < static_cast<std::uint64_t>(value)) below *= 2;
        fail(capacity->where, q(capacity_path) + " must be a power of two (got " + capacity->text +
                                  "; nearest: " + std::to_string(below) + " or " +
                                  std::to_string(below * 2) + ")");
      }
      spec.queue_capacity = static_cast<std::uint32_t>(value);
    } else if (tier) {
      spec.queue_capacity = tier_capacities[get_choice(*tier, join(path, "queue_tier"), tier_names)];
    }
    if (const Node* idle = node.find("idle")) {
      spec.idle = static_cast<IdlePolicy>(get_choice(*idle, join(path, "idle"), idle_names));
    }
    spec.params = params(node.find("params"), join(path, "params"), false, node.where);

    if (!id.replicated) {
      if (groups_.contains(id.base)) {
        fail(id_node->where, "kernel id '" + id.base + "' is also the name of a replica group (first at " +
                                 to_string(group_where_[id.base]) + ")");
      }
      spec.id = id.base;
      add_kernel(std::move(spec), id_node->where);
      return;
    }
    if (auto it = ids_.find(id.base); it != ids_.end()) {
      fail(id_node->where, "replica group '" + id.base + "' has the name of kernel '" + id.base +
                               "' (first at " + to_string(it->second) + ")");
    }
    group_where_.try_emplace(id.base, id_node->where);
    charge((std::size_t{id.last} - id.first + 1) * (spec.params.size() + 1), id_node->where);
    for (std::uint32_t r = id.first; r <= id.last; ++r) {
      KernelSpec replica = spec;
      replica.id = id.base + "[" + std::to_string(r) + "]";
      replica.group = id.base;
      replica.replica = static_cast<int>(r);
      if (round_robin) replica.device = static_cast<int>(r % static_cast<std::uint32_t>(out_.devices));
      groups_[id.base].emplace_back(r, out_.kernels.size());
      add_kernel(std::move(replica), id_node->where);
    }
  }

  void charge(std::size_t items, const SourceLocation& where) {
    expanded_ += items;
    if (expanded_ > max_expanded_items) {
      fail(where, "the scenario expands to more than " + std::to_string(max_expanded_items) +
                      " replica parameters and route or probe endpoints");
    }
  }

  void add_kernel(KernelSpec spec, const SourceLocation& id_where) {
    if (out_.kernels.size() >= max_kernels) {
      fail(id_where, "too many kernels: at most " + std::to_string(max_kernels) +
                         " after replica expansion");
    }
    auto [it, inserted] = ids_.try_emplace(spec.id, id_where);
    if (!inserted) {
      fail(id_where, "duplicate kernel id '" + spec.id + "' (first defined at " +
                         to_string(it->second) + ")");
    }
    out_.kernels.push_back(std::move(spec));
  }

  /// `coordinator`: placement policy, timed migrations, load-triggered rebalancing.
  void coordinator(const Node& node) {
    expect_mapping(node, "coordinator");
    check_keys(node, coordinator_keys, "'coordinator'");
    CoordinatorSpec& c = out_.coordinator;
    c.where = node.where;
    if (const Node* n = node.find("placement")) {
      c.placement = std::string(placement_names[get_choice(*n, "coordinator.placement", placement_names)]);
      if (c.placement == "pinned") {
        for (const KernelSpec& k : out_.kernels)
          if (k.device < 0) fail(n->where, "placement 'pinned' needs a 'device' on every kernel; '" + k.id + "' has none");
      }
    }
    if (const Node* list = node.find("migrations")) {
      if (!list->is_sequence()) fail(list->where, "'coordinator.migrations' must be a list (got " + describe(*list) + ")");
      for (std::size_t i = 0; i < list->items.size(); ++i) {
        const Node& m = list->items[i];
        const std::string path = indexed("coordinator.migrations", i);
        expect_mapping(m, path);
        check_keys(m, migration_keys, q(path));
        MigrationSpec spec;
        spec.where = m.where;
        const Node* kernel = m.find("kernel");
        const Node* to = m.find("to");
        const Node* at = m.find("at");
        if (!kernel || !to || !at) fail(m.where, q(path) + " needs 'kernel', 'to' and 'at'");
        spec.kernel = get_string(*kernel, join(path, "kernel"));
        if (!ids_.contains(spec.kernel)) fail(kernel->where, q(join(path, "kernel")) + " names unknown kernel '" + spec.kernel + "'");
        spec.to = static_cast<int>(get_int(*to, join(path, "to"), 0, out_.devices - 1));
        spec.at = get_duration(*at, join(path, "at"), 0ns);
        c.migrations.push_back(std::move(spec));
      }
    }
    if (const Node* r = node.find("rebalance")) {
      expect_mapping(*r, "coordinator.rebalance");
      check_keys(*r, rebalance_keys, "'coordinator.rebalance'");
      const Node* t = r->find("threshold");
      if (!t) fail(r->where, "'coordinator.rebalance' needs a 'threshold'");
      if (!t->is_scalar() || !t->plain) fail(t->where, "'coordinator.rebalance.threshold' must be a number (got " + describe(*t) + ")");
      char* end = nullptr;
      const double v = std::strtod(t->text.c_str(), &end);
      if (end == t->text.c_str() || *end != '\0' || !(v > 1.0) || v > 1e6)
        fail(t->where, "'coordinator.rebalance.threshold' must be a number above 1 (the busiest device's load over the "
                       "idlest's), got " + t->text);
      c.rebalance_threshold = v;
      c.rebalance_interval = std::chrono::milliseconds(100);
      if (const Node* iv = r->find("interval")) c.rebalance_interval = get_duration(*iv, "coordinator.rebalance.interval", 1ms);
    }
  }

  Endpoint endpoint(const Node& node, const std::string& path) {
    Endpoint end;
    end.name = get_string(node, path);
    if (end.name == "host") return end;
    const std::string& name = end.name;
    if (name.size() > 3 && name.ends_with("[*]")) {
      const std::string group = name.substr(0, name.size() - 3);
      auto it = groups_.find(group);
      if (it == groups_.end()) unknown_endpoint(node, path, name);
      charge(it->second.size(), node.where);
      for (const auto& [replica, index] : it->second) end.kernel_ids.push_back(out_.kernels[index].id);
      return end;
    }
    if (groups_.contains(name)) {
      fail(node.where, q(path) + " names replica group '" + name + "'; use '" + name +
                           "[*]' for every replica or '" + name + "[0]' for one");
    }
    if (!ids_.contains(name)) unknown_endpoint(node, path, name);
    end.kernel_ids.push_back(name);
    return end;
  }

  [[noreturn]] void unknown_endpoint(const Node& node, const std::string& path, const std::string& name) {
    std::vector<std::string> choices{"host"};
    for (const auto& [group, members] : groups_) choices.push_back(group + "[*]");
    for (const KernelSpec& k : out_.kernels) choices.push_back(k.id);
    Names views(choices.begin(), choices.end());
    fail(node.where, q(path) + " names no kernel: '" + name + "' is not a kernel id, a replica group "
                         "'name[*]' or 'host'" + did_you_mean(name, views));
  }

  void routes(const Node& node) {
    if (node.is_null()) return;
    if (!node.is_sequence()) fail(node.where, "'routes' must be a list (got " + describe(node) + ")");
    std::map<std::pair<std::string, std::string>, SourceLocation> seen;
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      const Node& item = node.items[i];
      const std::string path = indexed("routes", i);
      expect_mapping(item, path);
      check_keys(item, route_keys, "route " + path);
      RouteSpec route;
      route.where = item.where;
      const Node* from = item.find("from");
      const Node* to = item.find("to");
      if (from == nullptr) fail(item.where, "missing required key 'from' in route " + path);
      if (to == nullptr) fail(item.where, "missing required key 'to' in route " + path);
      route.from = endpoint(*from, join(path, "from"));
      route.to = endpoint(*to, join(path, "to"));
      if (const Node* rule = item.find("rule")) {
        route.rule = static_cast<RouteRule>(get_choice(*rule, join(path, "rule"), rule_names));
      }
      if (route.from.is_host() && route.to.is_host()) {
        fail(item.where, "route " + path + " connects the host to itself; a route needs a kernel end");
      }
      if (route.rule == RouteRule::direct && route.to.kernel_ids.size() > 1) {
        if (!route.from.is_group()) {
          fail(to->where, "route " + path + ": rule 'direct' from one sender to group '" +
                              route.to.name + "' is ambiguous; use round_robin, hash or broadcast");
        }
        if (route.from.kernel_ids.size() != route.to.kernel_ids.size()) {
          fail(to->where, "route " + path + ": rule 'direct' pairs replicas one to one, but '" +
                              route.from.name + "' has " + std::to_string(route.from.kernel_ids.size()) +
                              " and '" + route.to.name + "' has " +
                              std::to_string(route.to.kernel_ids.size()));
        }
      }
      auto [it, inserted] = seen.try_emplace({route.from.name, route.to.name}, item.where);
      if (!inserted) {
        fail(item.where, "duplicate route from '" + route.from.name + "' to '" + route.to.name +
                             "' (first at " + to_string(it->second) + ")");
      }
      out_.routes.push_back(std::move(route));
    }
  }

  std::string probe_name(const Node& item, const std::string& path,
                         std::map<std::string, SourceLocation>& names) {
    const Node* name_node = item.find("name");
    if (name_node == nullptr) fail(item.where, "missing required key 'name' in probe " + path);
    std::string name = get_string(*name_node, join(path, "name"));
    if (!is_name(name)) {
      fail(name_node->where, "probe name must be 1 to " + std::to_string(max_name_length) +
                                 " letters, digits, '_', '-' or '.' (got '" + name + "')");
    }
    auto [it, inserted] = names.try_emplace(name, name_node->where);
    if (!inserted) {
      fail(name_node->where, "duplicate probe name '" + name + "' (first at " +
                                 to_string(it->second) + ")");
    }
    return name;
  }

  void probes(const Node& node) {
    if (node.is_null()) return;
    expect_mapping(node, "probes");
    check_keys(node, probe_keys, "probes");
    std::map<std::string, SourceLocation> names;
    if (const Node* latency = node.find("latency"); latency && !latency->is_null()) {
      if (!latency->is_sequence()) {
        fail(latency->where, "'probes.latency' must be a list (got " + describe(*latency) + ")");
      }
      for (std::size_t i = 0; i < latency->items.size(); ++i) {
        const Node& item = latency->items[i];
        const std::string path = indexed("probes.latency", i);
        expect_mapping(item, path);
        check_keys(item, latency_keys, "latency probe " + path);
        LatencyProbe probe;
        probe.where = item.where;
        probe.name = probe_name(item, path, names);
        const Node* from = item.find("from");
        const Node* to = item.find("to");
        if (from == nullptr) fail(item.where, "missing required key 'from' in latency probe " + path);
        if (to == nullptr) fail(item.where, "missing required key 'to' in latency probe " + path);
        probe.from = endpoint(*from, join(path, "from"));
        probe.to = endpoint(*to, join(path, "to"));
        out_.probes.latency.push_back(std::move(probe));
      }
    }
    if (const Node* throughput = node.find("throughput"); throughput && !throughput->is_null()) {
      if (!throughput->is_sequence()) {
        fail(throughput->where, "'probes.throughput' must be a list (got " + describe(*throughput) + ")");
      }
      for (std::size_t i = 0; i < throughput->items.size(); ++i) {
        const Node& item = throughput->items[i];
        const std::string path = indexed("probes.throughput", i);
        expect_mapping(item, path);
        check_keys(item, throughput_keys, "throughput probe " + path);
        ThroughputProbe probe;
        probe.where = item.where;
        probe.name = probe_name(item, path, names);
        const Node* at = item.find("at");
        if (at == nullptr) fail(item.where, "missing required key 'at' in throughput probe " + path);
        probe.at = endpoint(*at, join(path, "at"));
        out_.probes.throughput.push_back(std::move(probe));
      }
    }
    if (const Node* interval = node.find("telemetry_interval")) {
      const auto value = get_duration(*interval, "probes.telemetry_interval", 0ns);
      if (value > 0ns && value < 1us) {
        fail(interval->where, "'probes.telemetry_interval' must be 0 (off) or at least 1us (got " +
                                  interval->text + ")");
      }
      out_.probes.telemetry_interval = value;
    }
  }

  void workload(const Node& node) {
    WorkloadSpec& spec = out_.workload;
    spec.where = node.where;
    spec.params = ParamMap("workload", node.where);
    if (node.is_null()) return;
    expect_mapping(node, "workload");
    Node rest;
    rest.kind = Node::Kind::mapping;
    rest.where = node.where;
    for (const Entry& entry : node.entries) {
      if (entry.key == "name") {
        spec.name = get_string(entry.value, "workload.name");
        if (!ctx_.workloads.contains(spec.name)) {
          Names known(ctx_.workloads.begin(), ctx_.workloads.end());
          fail(entry.value.where, "unknown workload '" + spec.name + "'" + did_you_mean(spec.name, known) +
                                      (known.empty() ? "; no workloads are registered"
                                                     : "; known workloads: " + quoted_list(known)));
        }
      } else if (entry.key == "generator") {
        if (entry.value.is_null()) continue;
        spec.generator = params(&entry.value, "workload.generator", false, entry.value.where);
      } else {
        rest.entries.push_back(entry);
      }
    }
    if (spec.name.empty() && (!rest.entries.empty() || spec.generator)) {
      fail(node.where, "'workload' has parameters but no 'name'");
    }
    spec.params = params(&rest, "workload", true, node.where);
  }

  const std::filesystem::path& base_dir_;
  const ValidationContext& ctx_;
  Scenario& out_;
  std::unordered_map<std::string, SourceLocation> ids_;
  /// Replica group -> (replica index, index into out_.kernels).
  std::map<std::string, std::vector<std::pair<std::uint32_t, std::size_t>>> groups_;
  std::map<std::string, SourceLocation> group_where_;
  std::size_t expanded_ = 0;
};

}  // namespace

void validate(const Node& root, const std::filesystem::path& base_dir, const ValidationContext& ctx,
              Scenario& out) {
  Validator(base_dir, ctx, out).run(root);
}

}  // namespace rk::scenario::detail
