// print_summary. See summary.hpp.
#include "summary.hpp"

#include <charconv>
#include <iomanip>
#include <ostream>
#include <tuple>
#include <utility>
#include <vector>

#include "rk/record/json.hpp"

namespace rk::harness {

void print_summary(std::ostream& out, const SummaryFacts& f, const RunResult& r, const workloads::Verification& v) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"scenario", f.scenario},
      {"workload", f.workload},
      {"backend", f.backend},
      {"devices", std::to_string(f.devices) + (f.devices > 1 && f.simulated ? " (simulated)" : "") +
                      (f.ranks > 1 ? " on " + std::to_string(f.ranks) + " MPI ranks" : "")},
      {"status", r.status},
      {"duration", std::to_string(f.seconds).substr(0, 6) + " s"}};
  for (const auto& fig : v.figures) rows.push_back(fig);
  rows.emplace_back("verification", v.ok ? "passed" : "FAILED");
  rows.emplace_back("results", r.results.string());
  std::size_t w = 0;
  for (const auto& [k, val] : rows) w = std::max(w, k.size());
  out << "\n";
  for (const auto& [k, val] : rows) out << "  " << std::left << std::setw(static_cast<int>(w)) << k << "  " << val << "\n";
  for (const auto& fail : v.failures) out << "  check failed: " << fail << "\n";
  if (!r.error.empty() && v.failures.empty()) out << "  error: " << r.error << "\n";
}

}  // namespace rk::harness

namespace rk::harness {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

/// The summary's fixed rows as numbers (name, value, unit), before the workload's figures.
std::vector<std::tuple<std::string, double, std::string>> fixed_numbers(const SummaryFacts& f, const RunResult& r,
                                                                       const workloads::Verification& v) {
  return {{"duration", f.seconds, "s"},
          {"devices", static_cast<double>(f.devices), ""},
          {"mpi_ranks", static_cast<double>(f.ranks), ""},
          {"verification_passed", v.ok ? 1.0 : 0.0, ""},
          {"oversubscribed", r.oversubscribed ? 1.0 : 0.0, ""}};
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::optional<FigureValue> parse_figure(std::string_view text) {
  text = trim(text);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view rest = text.substr(static_cast<std::size_t>(end - text.data()));
  FigureValue f;
  f.value = value;
  if (!rest.empty() && rest.front() != ' ' && rest.front() != '(') {  // "1.93x"
    const auto stop = rest.find(' ');
    f.unit = rest.substr(0, stop);
    rest = stop == std::string_view::npos ? std::string_view{} : rest.substr(stop);
  } else {
    rest = trim(rest);
    if (!rest.empty() && rest.front() != '(') {  // "494 ns"
      const auto stop = rest.find(' ');
      f.unit = rest.substr(0, stop);
      rest = stop == std::string_view::npos ? std::string_view{} : rest.substr(stop);
    }
  }
  rest = trim(rest);
  if (rest.empty()) return f;
  if (rest.front() == '(' && rest.back() == ')' && rest.find('(', 1) == std::string_view::npos) {
    f.note = rest.substr(1, rest.size() - 2);
    return f;
  }
  return std::nullopt;
}

void print_summary_json(std::ostream& out, const SummaryFacts& f, const RunResult& r, const workloads::Verification& v) {
  using record::json_number;
  using record::json_string;
  out << "{\"scenario\": " << json_string(f.scenario) << ", \"workload\": " << json_string(f.workload)
      << ", \"backend\": " << json_string(f.backend) << ", \"devices\": " << f.devices
      << ", \"simulated\": " << (f.simulated ? "true" : "false") << ", \"mpi_ranks\": " << f.ranks
      << ", \"status\": " << json_string(r.status) << ", \"duration_s\": " << json_number(f.seconds)
      << ", \"verification\": {\"passed\": " << (v.ok ? "true" : "false") << ", \"failures\": [";
  for (std::size_t i = 0; i < v.failures.size(); ++i) out << (i ? ", " : "") << json_string(v.failures[i]);
  out << "]}, \"oversubscribed\": " << (r.oversubscribed ? "true" : "false");
  if (r.oversubscribed) out << ", \"oversubscription\": " << json_string(r.oversubscription);
  if (!r.error.empty()) out << ", \"error\": " << json_string(r.error);
  out << ", \"results\": " << json_string(r.results.string()) << ", \"figures\": [";
  for (std::size_t i = 0; i < v.figures.size(); ++i) {
    const auto& [name, text] = v.figures[i];
    const std::optional<FigureValue> fv = parse_figure(text);
    out << (i ? ", " : "") << "{\"name\": " << json_string(name) << ", \"value\": " << (fv ? json_number(fv->value) : "null")
        << ", \"unit\": " << json_string(fv ? fv->unit : "") << ", \"text\": " << json_string(text) << "}";
  }
  out << "]}\n";
}

void print_summary_csv(std::ostream& out, const SummaryFacts& f, const RunResult& r, const workloads::Verification& v) {
  out << "name,value,unit\n";
  for (const auto& [name, value, unit] : fixed_numbers(f, r, v))
    out << csv_field(name) << "," << record::json_number(value) << "," << csv_field(unit) << "\n";
  for (const auto& [name, text] : v.figures)
    if (const std::optional<FigureValue> fv = parse_figure(text))
      out << csv_field(name) << "," << record::json_number(fv->value) << "," << csv_field(fv->unit) << "\n";
}

}  // namespace rk::harness
