// The figures of one results file that `ringkernel compare` compares: each /latency probe's exact p50 and
// p99, each /throughput probe's rates, and the scalar workload figures results/SCHEMA.md documents. Where a
// file carries an in-run baseline, its normalised figure replaces the absolute ones it normalises, unless
// `raw` is asked for.
#pragma once

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include "rk/compare/stats.hpp"

namespace rk::compare {

/// Bad input: a missing, unreadable or unfinished file, or files that cannot be compared. The message names
/// the file. `ringkernel compare` exits 2 for it.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One figure of one run.
struct Figure {
  double value = 0;
  std::string unit;  ///< "ns", "s", "msg/s", "B/s", "x" (a ratio)
  Better better = Better::lower;
};

/// What one results file holds for comparison.
struct RunFigures {
  std::filesystem::path path;
  std::string scenario_name;
  std::string workload;
  std::string format_version;
  /// Keyed by a name built from the object path and attribute: "latency/round_trip/p50_ns",
  /// "throughput/echo_processed/messages_per_second", "workloads/ping_pong/p50_ratio_to_line_mean".
  std::map<std::string, Figure> figures;
};

/// Reads a results file's figures. `raw`: absolute figures only, no in-run normalisation.
/// @throws InputError when the file is missing, not a results file, not `complete`, or cannot be read.
[[nodiscard]] RunFigures read_run_figures(const std::filesystem::path& path, bool raw);

}  // namespace rk::compare
