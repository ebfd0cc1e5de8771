// compare_runs: every file read, checked to be comparable, and each shared figure put through the verdict rule.
#include "rk/compare/compare.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

namespace rk::compare {

namespace {

std::string major_of(const std::string& version) { return version.substr(0, version.find('.')); }

/// Every file must match the first one in scenario, workload and format MAJOR version.
void require_comparable(const RunFigures& first, const RunFigures& other) {
  const auto mismatch = [&](const char* what, const std::string& a, const std::string& b) {
    throw InputError("'" + other.path.string() + "': " + what + " '" + b + "' differs from '" + a + "' of '" +
                     first.path.string() + "'; only runs of the same " + what + " can be compared");
  };
  if (major_of(other.format_version) != major_of(first.format_version))
    mismatch("format_version (MAJOR)", first.format_version, other.format_version);
  if (other.scenario_name != first.scenario_name) mismatch("scenario", first.scenario_name, other.scenario_name);
  if (other.workload != first.workload) mismatch("workload", first.workload, other.workload);
}

}  // namespace

std::size_t Comparison::count(Verdict verdict) const {
  return static_cast<std::size_t>(
      std::count_if(figures.begin(), figures.end(), [&](const FigureComparison& f) { return f.stats.verdict == verdict; }));
}

int Comparison::exit_code() const { return count(Verdict::slower) > 0 ? 1 : 0; }

double parse_fraction(const std::string& text) {
  std::string s = text;
  const bool percent = !s.empty() && s.back() == '%';
  if (percent) s.pop_back();
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(value))
    throw InputError("'" + text + "' is not a fraction (write 5% or 0.05)");
  if (percent) value /= 100;
  if (value < 0 || value >= 10) throw InputError("'" + text + "' is out of range (0% to 1000%)");
  return value;
}

Comparison compare_runs(const CompareOptions& options) {
  if (options.baseline.empty() || options.candidate.empty())
    throw InputError("compare needs at least one baseline and one candidate file");
  Comparison cmp;
  cmp.options = options;
  std::vector<RunFigures> base, cand;
  for (const auto& p : options.baseline) base.push_back(read_run_figures(p, options.raw));
  for (const auto& p : options.candidate) cand.push_back(read_run_figures(p, options.raw));
  for (const auto& r : base) require_comparable(base.front(), r);
  for (const auto& r : cand) require_comparable(base.front(), r);
  cmp.scenario_name = base.front().scenario_name;
  cmp.workload = base.front().workload;
  cmp.format_version = base.front().format_version;

  // Figure name → the values of each side (one per repetition that has it), and its unit and direction.
  std::map<std::string, Figure> kinds;
  std::map<std::string, std::vector<double>> a, b;
  for (const auto& r : base)
    for (const auto& [name, f] : r.figures) {
      a[name].push_back(f.value);
      kinds.emplace(name, f);
    }
  for (const auto& r : cand)
    for (const auto& [name, f] : r.figures) {
      b[name].push_back(f.value);
      kinds.emplace(name, f);
    }
  for (const auto& [name, kind] : kinds) {
    const auto ia = a.find(name), ib = b.find(name);
    if (ia == a.end()) {
      cmp.only_candidate.push_back(name);
      continue;
    }
    if (ib == b.end()) {
      cmp.only_baseline.push_back(name);
      continue;
    }
    FigureComparison fc{name, kind.unit, kind.better, ia->second, ib->second, {}};
    fc.stats = compare_figure(fc.baseline_values, fc.candidate_values, fc.better, options.rule);
    cmp.figures.push_back(std::move(fc));
  }
  if (cmp.figures.empty()) throw InputError("no figure is present in both the baseline and the candidate files");
  return cmp;
}

}  // namespace rk::compare
