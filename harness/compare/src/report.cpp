// The report of a comparison: aligned text for a terminal, a Markdown table for a CI job summary, JSON for tools.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "rk/compare/compare.hpp"
#include "rk/record/json.hpp"

namespace rk::compare {

namespace {

std::string printf_string(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

/// A figure's value in human units.
std::string human(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "n/a";
  const double a = std::abs(v);
  if (unit == "ns") {
    if (a < 1e3) return printf_string("%.0f ns", v);
    if (a < 1e6) return printf_string("%.4g us", v / 1e3);
    if (a < 1e9) return printf_string("%.4g ms", v / 1e6);
    return printf_string("%.4g s", v / 1e9);
  }
  if (unit == "s") {
    if (a < 1e-3) return printf_string("%.4g us", v * 1e6);
    if (a < 1) return printf_string("%.4g ms", v * 1e3);
    return printf_string("%.4g s", v);
  }
  if (unit == "x") return printf_string("%.3fx", v);
  if (a >= 1e9) return printf_string("%.4g G", v / 1e9) + unit;
  if (a >= 1e6) return printf_string("%.4g M", v / 1e6) + unit;
  if (a >= 1e3) return printf_string("%.4g k", v / 1e3) + unit;
  return printf_string("%.4g ", v) + unit;
}

std::string ratio_text(double r) { return std::isfinite(r) ? printf_string("%.3f", r) : "n/a"; }
std::string change_text(double r) { return std::isfinite(r) ? printf_string("%+.1f%%", (r - 1) * 100) : "n/a"; }
std::string ci_text(const Interval& i) { return "[" + ratio_text(i.low) + ", " + ratio_text(i.high) + "]"; }
std::string noise_text(double n) { return std::isfinite(n) ? printf_string("%.1f%%", n * 100) : "n/a"; }
std::string p_text(double p) { return p < 0.001 ? "<0.001" : printf_string("%.3f", p); }
std::string reps_text(const FigureStats& s) { return std::to_string(s.baseline_n) + "/" + std::to_string(s.candidate_n); }
std::string percent_text(double f) { return printf_string("%g%%", f * 100); }

std::string headline(const Comparison& c) {
  std::string s = std::to_string(c.count(Verdict::slower)) + " SLOWER, " + std::to_string(c.count(Verdict::faster)) +
                  " FASTER, " + std::to_string(c.count(Verdict::same)) + " SAME, " +
                  std::to_string(c.count(Verdict::unsure)) + " UNSURE";
  return s;
}

std::string setup_line(const Comparison& c) {
  return "scenario " + c.scenario_name + " (workload " + c.workload + "), " + std::to_string(c.options.baseline.size()) +
         " baseline vs " + std::to_string(c.options.candidate.size()) + " candidate repetitions; threshold " +
         percent_text(c.options.rule.threshold) + ", alpha " + printf_string("%g", c.options.rule.alpha) + ", " +
         (c.options.raw ? "absolute figures (--raw)" : "in-run normalised figures where the files have them");
}

std::vector<std::vector<std::string>> rows(const Comparison& c) {
  std::vector<std::vector<std::string>> out;
  for (const auto& f : c.figures) {
    const auto& s = f.stats;
    out.push_back({f.name, std::string(to_string(f.better)), human(s.baseline_median, f.unit),
                   human(s.candidate_median, f.unit), ratio_text(s.ratio), change_text(s.ratio), ci_text(s.ratio_ci),
                   noise_text(s.baseline_noise), noise_text(s.candidate_noise), reps_text(s), p_text(s.test.p_value),
                   std::string(to_string(s.verdict))});
  }
  return out;
}

const std::vector<std::string> kHeader{"figure",  "better",      "baseline",     "candidate", "ratio", "change",
                                       "95% CI",  "noise base", "noise cand", "reps",      "p",     "verdict"};

// JSON text comes from the record library's writers (one escaping rule for compare, trace and --format json).
void json_string(std::ostream& out, const std::string& s) { out << record::json_string(s); }
void json_number(std::ostream& out, double v) { out << record::json_number(v); }

template <class T, class F>
void json_array(std::ostream& out, const std::vector<T>& items, F each) {
  out << '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out << ", ";
    each(items[i]);
  }
  out << ']';
}

}  // namespace

void write_text(std::ostream& out, const Comparison& c) {
  out << setup_line(c) << "\n";
  const auto body = rows(c);
  std::vector<std::size_t> width(kHeader.size());
  for (std::size_t i = 0; i < kHeader.size(); ++i) width[i] = kHeader[i].size();
  for (const auto& r : body)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  const auto line = [&](const std::vector<std::string>& r) {
    std::string s = " ";
    for (std::size_t i = 0; i < r.size(); ++i) {
      s += " " + r[i];
      if (i + 1 < r.size()) s += std::string(width[i] - r[i].size() + 1, ' ');
    }
    out << s << "\n";
  };
  line(kHeader);
  for (const auto& r : body) line(r);
  for (const auto& n : c.only_baseline) out << "  only in the baseline: " << n << "\n";
  for (const auto& n : c.only_candidate) out << "  only in the candidate: " << n << "\n";
  out << headline(c) << "\n";
}

void write_markdown(std::ostream& out, const Comparison& c) {
  out << "### ringkernel compare: " << headline(c) << "\n\n" << setup_line(c) << ".\n\n";
  out << "|";
  for (const auto& h : kHeader) out << " " << h << " |";
  out << "\n|";
  for (std::size_t i = 0; i < kHeader.size(); ++i) out << (i == 0 || i == 1 || i == kHeader.size() - 1 ? " --- |" : " ---: |");
  out << "\n";
  for (auto r : rows(c)) {
    r[0] = "`" + r[0] + "`";
    if (r.back() == "SLOWER" || r.back() == "FASTER") r.back() = "**" + r.back() + "**";
    out << "|";
    for (const auto& cell : r) out << " " << cell << " |";
    out << "\n";
  }
  if (!c.only_baseline.empty() || !c.only_candidate.empty()) out << "\n";
  for (const auto& n : c.only_baseline) out << "- only in the baseline: `" << n << "`\n";
  for (const auto& n : c.only_candidate) out << "- only in the candidate: `" << n << "`\n";
}

void write_json(std::ostream& out, const Comparison& c) {
  const auto paths = [&](const std::vector<std::filesystem::path>& ps) {
    json_array(out, ps, [&](const std::filesystem::path& p) { json_string(out, p.string()); });
  };
  const auto numbers = [&](const std::vector<double>& vs) { json_array(out, vs, [&](double v) { json_number(out, v); }); };
  const auto names = [&](const std::vector<std::string>& ns) { json_array(out, ns, [&](const std::string& n) { json_string(out, n); }); };
  const auto& rule = c.options.rule;
  out << "{\n  \"scenario\": ";
  json_string(out, c.scenario_name);
  out << ",\n  \"workload\": ";
  json_string(out, c.workload);
  out << ",\n  \"format_version\": ";
  json_string(out, c.format_version);
  out << ",\n  \"baseline\": ";
  paths(c.options.baseline);
  out << ",\n  \"candidate\": ";
  paths(c.options.candidate);
  out << ",\n  \"normalised\": " << (c.options.raw ? "false" : "true") << ",\n  \"rule\": {\"threshold\": ";
  json_number(out, rule.threshold);
  out << ", \"alpha\": ";
  json_number(out, rule.alpha);
  out << ", \"min_repetitions\": " << rule.min_repetitions << ", \"huge\": ";
  json_number(out, rule.huge);
  out << ", \"confidence\": ";
  json_number(out, rule.confidence);
  out << "},\n  \"figures\": [";
  for (std::size_t i = 0; i < c.figures.size(); ++i) {
    const auto& f = c.figures[i];
    const auto& s = f.stats;
    out << (i == 0 ? "\n" : ",\n") << "    {\"name\": ";
    json_string(out, f.name);
    out << ", \"unit\": ";
    json_string(out, f.unit);
    out << ", \"better\": ";
    json_string(out, std::string(to_string(f.better)));
    out << ",\n     \"baseline\": {\"values\": ";
    numbers(f.baseline_values);
    out << ", \"median\": ";
    json_number(out, s.baseline_median);
    out << ", \"noise\": ";
    json_number(out, s.baseline_noise);
    out << "},\n     \"candidate\": {\"values\": ";
    numbers(f.candidate_values);
    out << ", \"median\": ";
    json_number(out, s.candidate_median);
    out << ", \"noise\": ";
    json_number(out, s.candidate_noise);
    out << "},\n     \"ratio\": ";
    json_number(out, s.ratio);
    out << ", \"ci_low\": ";
    json_number(out, s.ratio_ci.low);
    out << ", \"ci_high\": ";
    json_number(out, s.ratio_ci.high);
    out << ", \"mann_whitney_u\": ";
    json_number(out, s.test.u);
    out << ", \"p_value\": ";
    json_number(out, s.test.p_value);
    out << ", \"p_exact\": " << (s.test.exact ? "true" : "false") << ", \"verdict\": ";
    json_string(out, std::string(to_string(s.verdict)));
    out << "}";
  }
  out << "\n  ],\n  \"only_baseline\": ";
  names(c.only_baseline);
  out << ",\n  \"only_candidate\": ";
  names(c.only_candidate);
  out << ",\n  \"counts\": {\"SLOWER\": " << c.count(Verdict::slower) << ", \"FASTER\": " << c.count(Verdict::faster)
      << ", \"SAME\": " << c.count(Verdict::same) << ", \"UNSURE\": " << c.count(Verdict::unsure)
      << "},\n  \"exit_code\": " << c.exit_code() << "\n}\n";
}

}  // namespace rk::compare
