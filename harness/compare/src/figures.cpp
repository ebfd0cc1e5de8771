// Figure extraction from a results file (rk/compare/figures.hpp), through rk::record's reader.
#include "rk/compare/figures.hpp"

#include <exception>
#include <set>

#include "rk/record/check.hpp"
#include "rk/record/names.hpp"
#include "rk/record/reader.hpp"

namespace rk::compare {

namespace {

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

/// The file must exist and say `complete` (read to its root attributes: figures are read below).
void require_complete(const std::filesystem::path& path) {
  using rk::record::Verdict;
  const rk::record::FileReport report = rk::record::check_results_file(path, rk::record::CheckDepth::attributes);
  switch (report.verdict) {
    case Verdict::complete:
      return;
    case Verdict::missing:
      throw InputError(quoted(path) + ": no such file");
    case Verdict::not_a_file:
      throw InputError(quoted(path) + ": not a regular file (" + report.detail + ")");
    case Verdict::unreadable:
      throw InputError(quoted(path) + ": not a readable results file: " + report.detail);
    default:
      throw InputError(quoted(path) + ": status is '" + (report.status.empty() ? std::string(to_string(report.verdict)) : report.status) +
                       "', not complete" + (report.detail.empty() ? "" : " (" + report.detail + ")") +
                       "; only complete runs can be compared");
  }
}

}  // namespace

RunFigures read_run_figures(const std::filesystem::path& path, bool raw) {
  require_complete(path);
  RunFigures run;
  run.path = path;
  try {
    const rk::record::ResultsReader reader(path);
    const auto text = [&](const char* name) { return reader.has_attr("/", name) ? reader.string_attr("/", name) : ""; };
    run.format_version = text("format_version");
    run.scenario_name = text("scenario_name");
    run.workload = text("workload");

    // In-run baselines: which absolute figures a normalised one replaces.
    std::set<std::string> replaced;
    const std::string wl = "/workloads/" + rk::record::escape_name(run.workload.empty() ? "-" : run.workload);
    const auto put = [&](const std::string& key, double value, const char* unit, Better better) {
      run.figures[key] = Figure{value, unit, better};
    };
    const auto workload_attr = [&](const char* name, const char* unit, Better better) {
      if (reader.has(wl) && reader.has_attr(wl, name)) put(wl.substr(1) + "/" + name, reader.f64_attr(wl, name), unit, better);
    };
    if (run.workload == "ping_pong" && reader.has(wl)) {
      // p50_ratio_to_line_mean: the round trip's p50 over the atomic bounce's, measured in the same run.
      if (!raw && reader.has_attr(wl, "p50_ratio_to_line_mean")) {
        workload_attr("p50_ratio_to_line_mean", "x", Better::lower);
        if (reader.has_attr(wl, "probe")) replaced.insert("latency/" + rk::record::escape_name(reader.string_attr(wl, "probe")) + "/p50_ns");
        if (reader.has_attr(wl, "baseline_probe")) {
          const std::string b = "latency/" + rk::record::escape_name(reader.string_attr(wl, "baseline_probe"));
          replaced.insert(b + "/p50_ns");
          replaced.insert(b + "/p99_ns");
        }
      }
    } else if (run.workload == "pagerank" && reader.has(wl)) {
      if (!raw && reader.has_attr(wl, "ring_over_baseline_time")) {
        workload_attr("ring_over_baseline_time", "x", Better::lower);
      } else {
        workload_attr("seconds_per_iteration", "s", Better::lower);
        workload_attr("teps", "edges/s", Better::higher);
        workload_attr("baseline_seconds_per_iteration", "s", Better::lower);
      }
    } else if (run.workload == "order_matching") {
      workload_attr("orders_per_second", "orders/s", Better::higher);
    }

    if (reader.has("/latency")) {
      for (const auto& probe : reader.members("/latency")) {
        const std::string ds = "/latency/" + probe + "/samples_ns";
        if (!reader.has(ds) || !reader.has_attr(ds, "count") || reader.u64_attr(ds, "count") == 0) continue;
        for (const char* p : {"p50_ns", "p99_ns"}) {
          const std::string key = "latency/" + probe + "/" + p;
          if (replaced.contains(key) || !reader.has_attr(ds, p)) continue;
          put(key, static_cast<double>(reader.u64_attr(ds, p)), "ns", Better::lower);
        }
      }
    }
    if (reader.has("/throughput")) {
      for (const auto& probe : reader.members("/throughput")) {
        const std::string g = "/throughput/" + probe;
        for (const auto& [name, unit] : {std::pair{"messages_per_second", "msg/s"}, std::pair{"bytes_per_second", "B/s"}})
          if (reader.has_attr(g, name)) put(g.substr(1) + "/" + name, reader.f64_attr(g, name), unit, Better::higher);
      }
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(quoted(path) + ": cannot read its figures: " + e.what());
  }
  return run;
}

}  // namespace rk::compare
