// print_summary. See summary.hpp.
#include "summary.hpp"

#include <iomanip>
#include <ostream>
#include <utility>
#include <vector>

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
