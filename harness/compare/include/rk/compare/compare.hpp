// `ringkernel compare`: the figures of a baseline's repetitions against a candidate's (one results file per
// repetition), a verdict per figure, and the report as text, Markdown (a CI job summary) or JSON.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "rk/compare/figures.hpp"
#include "rk/compare/stats.hpp"

namespace rk::compare {

struct CompareOptions {
  std::vector<std::filesystem::path> baseline;
  std::vector<std::filesystem::path> candidate;
  bool raw = false;  ///< absolute figures; by default in-run normalised figures replace them
  VerdictRule rule;
};

/// One figure compared.
struct FigureComparison {
  std::string name;
  std::string unit;
  Better better = Better::lower;
  std::vector<double> baseline_values, candidate_values;  ///< one per repetition that has the figure
  FigureStats stats;
};

struct Comparison {
  CompareOptions options;
  std::string scenario_name, workload, format_version;
  std::vector<FigureComparison> figures;                  ///< figures present on both sides, by name
  std::vector<std::string> only_baseline, only_candidate;  ///< figures one side lacks entirely

  [[nodiscard]] std::size_t count(Verdict verdict) const;
  /// 1 when any figure is SLOWER (beyond the threshold and significant), else 0.
  [[nodiscard]] int exit_code() const;
};

/// Reads every file and compares. @throws InputError for a missing, unfinished or unreadable file, files of
/// different scenarios, workloads or format MAJOR versions, or no figure present on both sides.
[[nodiscard]] Comparison compare_runs(const CompareOptions& options);

/// "5%", "0.05" → 0.05. @throws InputError for anything else or a value outside [0, 10).
[[nodiscard]] double parse_fraction(const std::string& text);

void write_text(std::ostream& out, const Comparison& comparison);
/// A GitHub-flavoured Markdown table (for $GITHUB_STEP_SUMMARY) with a one-line verdict above it.
void write_markdown(std::ostream& out, const Comparison& comparison);
/// One JSON object: inputs, rule, and every figure with its values, statistics and verdict.
void write_json(std::ostream& out, const Comparison& comparison);

}  // namespace rk::compare
