// Internal: the summary table printed after a run (rank 0).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "rk/harness/driver.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::harness {

struct SummaryFacts {
  std::string scenario, workload, backend;
  std::uint32_t devices = 1;
  bool simulated = true;
  int ranks = 1;
  double seconds = 0;
};

void print_summary(std::ostream& out, const SummaryFacts& facts, const RunResult& r, const workloads::Verification& v);

/// A summary figure's text read as a number and its unit: "494 ns" -> {494, "ns"}, "1.93x" -> {1.93, "x"},
/// "200000" -> {200000, ""}, "256 ns  (mean of ...)" -> {256, "ns", note "mean of ..."}. Nullopt when the
/// text is not one number with at most a unit and a parenthesised note ("2 / 4", "1.6x to 2.1x").
struct FigureValue {
  double value = 0;
  std::string unit, note;
};
std::optional<FigureValue> parse_figure(std::string_view text);

/// `ringkernel run --format json`: one JSON object (scenario, workload, backend, devices, status, duration,
/// verification, oversubscription, results path, and every figure with its value as a number and its unit).
void print_summary_json(std::ostream& out, const SummaryFacts& facts, const RunResult& r, const workloads::Verification& v);
/// `--format csv`: the header `name,value,unit`, then one row per numeric figure.
void print_summary_csv(std::ostream& out, const SummaryFacts& facts, const RunResult& r, const workloads::Verification& v);

}  // namespace rk::harness
