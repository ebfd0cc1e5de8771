// The prepare phase. See plan.hpp.
#include "plan.hpp"

#include <algorithm>
#include <map>

#include "footprint.hpp"
#include "environment.hpp"
#include "params.hpp"
#include "rk/harness/driver.hpp"

namespace rk::harness {

namespace {

IdleStrategy to_idle(scenario::IdlePolicy p) {
  switch (p) {
    case scenario::IdlePolicy::spin: return IdleStrategy::Spin;
    case scenario::IdlePolicy::yield: return IdleStrategy::Yield;
    case scenario::IdlePolicy::park: return IdleStrategy::Park;
    case scenario::IdlePolicy::adaptive: return IdleStrategy::Adaptive;
  }
  return IdleStrategy::Adaptive;
}

RouteRule to_rule(scenario::RouteRule r) {
  switch (r) {
    case scenario::RouteRule::direct: return RouteRule::Direct;
    case scenario::RouteRule::round_robin: return RouteRule::RoundRobin;
    case scenario::RouteRule::hash: return RouteRule::Hash;
    case scenario::RouteRule::broadcast: return RouteRule::Broadcast;
  }
  return RouteRule::Direct;
}

std::string param_text(const scenario::Value& v) {
  if (const auto* list = std::get_if<scenario::Value::List>(&v.data)) {
    std::string out;
    for (const auto& item : *list) out += (out.empty() ? "" : ",") + param_text(item);
    return out;
  }
  return v.text;
}

/// Kernel ids are the scenario order; routes become each kernel's KernelRoutes.
std::vector<PlannedKernel> plan(const scenario::Scenario& sc, workloads::Topology& topo) {
  std::map<std::string, KernelId> ids;
  std::vector<PlannedKernel> out;
  for (std::size_t i = 0; i < sc.kernels.size(); ++i) ids[sc.kernels[i].id] = static_cast<KernelId>(i);
  for (std::size_t i = 0; i < sc.kernels.size(); ++i) {
    const auto& k = sc.kernels[i];
    workloads::KernelInfo info;
    info.name = k.id;
    info.type = k.type;
    info.id = static_cast<KernelId>(i);
    info.device = k.device < 0 ? 0 : k.device;
    topo.kernels.push_back(info);
    PlannedKernel p{i, {}};
    p.options.kernel_type = k.type;
    p.options.input_capacity = k.queue_capacity;
    p.options.output_capacity = std::max<std::uint32_t>(k.queue_capacity, 1024);
    p.options.idle = to_idle(k.idle);
    p.options.requested_id = static_cast<int>(i);
    p.options.device = k.device;
    for (const auto& [key, value] : k.params.entries()) p.options.params.set(key, param_text(value));
    out.push_back(std::move(p));
  }
  std::vector<KernelRoutes> routes(sc.kernels.size());
  for (const auto& r : sc.routes) {
    if (r.from.is_host()) {
      for (const auto& to : r.to.kernel_ids) topo.kernels[ids.at(to)].input_from_host = true;
      continue;
    }
    for (const auto& f : r.from.kernel_ids) {
      KernelRoutes& kr = routes[ids.at(f)];
      if (r.to.is_host()) {
        kr.to_host = true;
        continue;
      }
      for (const auto& to : r.to.kernel_ids)
        if (to != f) kr.outputs.push_back(ids.at(to));  // a group routed to itself (all_to_all) skips the kernel's own id
      kr.rule = to_rule(r.rule);
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    workloads::KernelInfo& info = topo.kernels[i];
    info.outputs = routes[i].outputs;
    info.rule = routes[i].rule;
    info.outputs_to_host = routes[i].to_host;
    out[i].options.params.set_routes(std::move(routes[i]));
  }
  return out;
}

/// Every key of the workload's mappings and of every kernel's `params` is declared, with a value of the
/// declared type and range; every run limit the scenario gives is one the workload honours.
void check_declared(const scenario::Scenario& sc, const workloads::WorkloadInfo& info) {
  expect_declared(sc.workload.params, info.params);
  if (sc.workload.generator) {
    if (info.generator_params.empty())
      throw scenario::ScenarioError(sc.workload.generator->where(),
                                    "workload '" + info.name + "' has no generator (remove 'generator')");
    expect_declared(*sc.workload.generator, info.generator_params);
  }
  for (const auto& k : sc.kernels) {
    const std::vector<ParamSpec> specs = kernel_type_params(k.type);
    expect_declared(k.params, specs);
    const ScenarioParams values(k.params, k.where, specs);
    for (const ParamSpec& s : specs) {
      if (!k.params.contains(s.name)) continue;
      switch (s.type) {  // reading checks type and range at the value's location
        case ParamSpec::Type::Int: (void)(s.has_default ? values.get_int(s.name) : values.get_int(s.name, 0)); break;
        case ParamSpec::Type::Real: (void)values.get_double(s.name); break;
        case ParamSpec::Type::Flag: (void)values.get_bool(s.name); break;
        case ParamSpec::Type::Text:
        case ParamSpec::Type::Path: (void)values.get_string(s.name); break;
      }
    }
  }
  const workloads::LimitsHonoured& h = info.limits;
  for (const auto& [key, where] : sc.limits_given) {
    const bool honoured = key == "duration" ? h.duration : key == "iterations" ? h.iterations : h.warmup;
    if (key == "warmup" && sc.warmup.count() == 0) continue;  // 0s: nothing to honour
    if (!honoured)
      throw scenario::ScenarioError(where, "workload '" + info.name + "' does not honour '" + key + "'" +
                                               (key == "warmup" ? " (it has no unmeasured phase)"
                                                                : " (it runs to the end of its own input or parameters)") +
                                               "; remove it");
  }
}

}  // namespace

namespace {
/// The first of `types` backend `b` cannot run ("" when it runs them all).
std::string type_not_run(const Backend& b, const std::vector<std::string>& types) {
  if (!b.kernel_types || types.empty()) return {};
  const std::vector<std::string> runs = b.kernel_types();
  for (const auto& t : types)
    if (std::find(runs.begin(), runs.end(), t) == runs.end()) return t;
  return {};
}
}  // namespace

const Backend& choose_backend(const std::string& requested, std::uint32_t devices, bool allow_simulated_devices,
                              const std::vector<Backend>& backends, std::string& note,
                              const std::vector<std::string>& types) {
  note.clear();
  const Backend* simulated = nullptr;
  std::string built;
  for (const Backend& b : backends) {
    if (b.simulated && !simulated) simulated = &b;
    built += (built.empty() ? "" : ", ") + b.name;
  }
  if (requested == "auto") {
    for (const Backend& b : backends) {
      if (b.simulated || b.physical_devices() < devices) continue;
      const std::string t = type_not_run(b, types);
      if (t.empty()) return b;
      note = "backend '" + b.name + "' has the devices but cannot run kernel type '" + t + "' (host only): the scenario " +
             "runs on the simulating backend";
    }
    if (simulated) return *simulated;
    throw InputError("no backend of this executable can run " + std::to_string(devices) + " device(s) (built: " + built + ")");
  }
  for (const Backend& b : backends) {
    if (b.name != requested) continue;
    if (const std::string t = type_not_run(b, types); !t.empty())
      throw InputError("backend '" + requested + "' cannot run kernel type '" + t +
                       "': its handler runs on the host only (use backend: auto or cpu)");
    const std::uint32_t have = b.simulated ? devices : b.physical_devices();
    if (have >= devices) return b;
    if (!allow_simulated_devices || !simulated)
      throw InputError("backend '" + requested + "': the scenario asks for " + std::to_string(devices) +
                       " device(s), this machine has " + std::to_string(have) +
                       "; set allow_simulated_devices: true to run on simulated devices instead");
    note = "backend '" + requested + "' has " + std::to_string(have) + " of the " + std::to_string(devices) +
           " devices asked for: simulated on the " + simulated->name + " backend (allow_simulated_devices)";
    return *simulated;
  }
  if (requested == "cuda" && allow_simulated_devices && simulated) {
    note = "backend 'cuda' is not built into this executable: the " + std::to_string(devices) +
           " device(s) are simulated on the " + simulated->name + " backend (allow_simulated_devices)";
    return *simulated;
  }
  if (requested == "cuda")
    throw InputError("backend 'cuda' is not built into this executable (built: " + built + ")");
  throw InputError("unknown backend '" + requested + "' (use auto or one of: " + built + ")");
}

Prepared prepare(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                 const std::string& backend_override) {
  Prepared p;
  check_environment_variables();
  p.sc = scenario::load_scenario(path, overrides, validation_context());
  const scenario::Scenario& sc = p.sc;
  const std::string requested =
      backend_override.empty() ? std::string(scenario::to_string(sc.backend)) : backend_override;
  try {
    std::vector<std::string> types;
    for (const auto& k : sc.kernels)
      if (std::find(types.begin(), types.end(), k.type) == types.end()) types.push_back(k.type);
    p.backend = &choose_backend(requested, static_cast<std::uint32_t>(sc.devices), sc.allow_simulated_devices,
                                registered_backends(), p.backend_note, types);
  } catch (const InputError& e) {
    throw InputError(sc.source_path + ": " + e.what());
  }
  if (sc.workload.name.empty()) throw scenario::ScenarioError(sc.workload.where, "the scenario names no workload");
  const std::vector<workloads::WorkloadInfo> all = registered_workloads();
  const auto info = std::find_if(all.begin(), all.end(), [&](const auto& w) { return w.name == sc.workload.name; });
  if (info == all.end()) throw scenario::ScenarioError(sc.workload.where, "unknown workload '" + sc.workload.name + "'");
  check_declared(sc, *info);
  p.workload = info->create();
  p.planned = plan(sc, p.topo);
  p.limits.duration = sc.duration;
  p.limits.iterations = sc.iterations;
  p.limits.warmup = sc.warmup;
  p.limits.drain_timeout = sc.drain_timeout;
  p.limits.seed = sc.seed;
  p.limits.stop_requested = [] { return stop_flag().load(std::memory_order_relaxed); };
  for (const auto& pr : sc.probes.latency)
    p.limits.latency_probes.push_back(
        {pr.name, pr.from.is_host() ? "host" : pr.from.name, pr.to.is_host() ? "host" : pr.to.name});
  ScenarioParams params(sc.workload, *info);
  try {
    p.workload->configure(params, p.topo, p.limits);  // workload input errors surface here, before any file exists
  } catch (const workloads::InputError& e) {
    throw InputError(e.what());  // a malformed data file: exit 2, the message names file:line
  }
  check_run_fits(p);  // thread limits and the memory estimate (footprint.hpp): exit 2 before anything is allocated
  return p;
}

}  // namespace rk::harness
