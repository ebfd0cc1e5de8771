// write_chrome_trace. See trace.hpp; the layout it writes is documented in results/SCHEMA.md ("Trace export").
#include "rk/record/trace.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "rk/record/json.hpp"
#include "rk/record/reader.hpp"

namespace rk::record {

namespace {

/// The order of an event: its HLC, or its wall clock when the file recorded no HLC.
using Key = std::tuple<std::uint64_t, std::uint32_t, std::uint32_t>;

Key key_of(const Event& e) {
  if (e.hlc.physical == 0) return {e.wall_ns, 0, 0};
  return {e.hlc.physical, e.hlc.logical, e.hlc.node};
}

std::string micros(std::uint64_t ns) {
  // Exact decimal microseconds (ns / 1000 with three decimals), not a rounded double.
  std::string frac = std::to_string(ns % 1000);
  return std::to_string(ns / 1000) + "." + std::string(3 - frac.size(), '0') + frac;
}

std::string string_attr_or(const ResultsReader& r, const std::string& name, const std::string& fallback) {
  return r.has_attr("/", name) ? r.string_attr("/", name) : fallback;
}

}  // namespace

TraceCounts write_chrome_trace(const std::filesystem::path& results, std::ostream& out) {
  const ResultsReader reader(results);
  std::vector<Event> events = reader.read_events();
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return key_of(a) < key_of(b); });
  const std::uint64_t origin = events.empty() ? 0 : std::get<0>(key_of(events.front()));

  // One thread per kernel, in order of first appearance; tid 0 holds run-level events.
  std::map<std::string, int> tids;
  std::vector<std::string> kernels;
  for (const Event& e : events)
    if (!e.kernel.empty() && tids.emplace(e.kernel, static_cast<int>(tids.size()) + 1).second) kernels.push_back(e.kernel);
  const auto tid = [&](const std::string& kernel) { return kernel.empty() ? 0 : tids.at(kernel); };

  // Each kernel's life: its first event to its "terminated" event, drawn as a complete event at the start.
  std::map<std::string, std::pair<std::size_t, std::size_t>> life;  // kernel -> (first, terminated) index
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.kernel.empty() || e.kind != "lifecycle") continue;
    auto [it, fresh] = life.emplace(e.kernel, std::pair{i, events.size()});
    if (e.message == "terminated") it->second.second = i;
    (void)fresh;
  }
  std::map<std::size_t, std::string> span_at;  // first index -> kernel
  for (const auto& [kernel, range] : life)
    if (range.second < events.size()) span_at.emplace(range.first, kernel);

  const std::string scenario = string_attr_or(reader, "scenario_name", results.filename().string());
  TraceCounts counts;
  out << "{\"displayTimeUnit\": \"ns\",\n \"otherData\": {\"source\": " << json_string(results.string())
      << ", \"format_version\": " << json_string(string_attr_or(reader, "format_version", ""))
      << ", \"scenario\": " << json_string(scenario) << ", \"backend\": " << json_string(string_attr_or(reader, "backend", ""))
      << ", \"clock\": \"hlc\", \"origin_ns\": " << json_string(std::to_string(origin)) << "},\n \"traceEvents\": [\n";
  out << "  {\"ph\": \"M\", \"name\": \"process_name\", \"pid\": 0, \"tid\": 0, \"args\": {\"name\": "
      << json_string(scenario) << "}},\n";
  out << "  {\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 0, \"tid\": 0, \"args\": {\"name\": \"run\"}}";
  for (const std::string& k : kernels)
    out << ",\n  {\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 0, \"tid\": " << tids.at(k)
        << ", \"args\": {\"name\": " << json_string(k) << "}}";
  const auto ts_of = [&](const Event& e) { return micros(std::get<0>(key_of(e)) - origin); };
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (const auto s = span_at.find(i); s != span_at.end()) {
      const Event& end = events[life.at(s->second).second];
      out << ",\n  {\"ph\": \"X\", \"name\": " << json_string("kernel " + s->second) << ", \"cat\": \"kernel\", \"pid\": 0, \"tid\": "
          << tid(s->second) << ", \"ts\": " << ts_of(e) << ", \"dur\": "
          << micros(std::get<0>(key_of(end)) - std::get<0>(key_of(e))) << "}";
      ++counts.spans;
    }
    out << ",\n  {\"ph\": \"i\", \"s\": " << (e.kernel.empty() ? "\"p\"" : "\"t\"") << ", \"name\": "
        << json_string(e.kind + (e.message.empty() ? "" : ": " + e.message)) << ", \"cat\": " << json_string(e.kind)
        << ", \"pid\": 0, \"tid\": " << tid(e.kernel) << ", \"ts\": " << ts_of(e) << ", \"args\": {\"severity\": "
        << json_string(to_string(e.severity)) << ", \"kind\": " << json_string(e.kind) << ", \"kernel\": "
        << json_string(e.kernel) << ", \"message\": " << json_string(e.message) << ", \"wall_ns\": "
        << json_string(std::to_string(e.wall_ns)) << ", \"hlc_physical\": " << json_string(std::to_string(e.hlc.physical))
        << ", \"hlc_logical\": " << e.hlc.logical << ", \"hlc_node\": " << e.hlc.node << "}}";
    ++counts.events;
  }
  out << "\n ]}\n";
  return counts;
}

}  // namespace rk::record
