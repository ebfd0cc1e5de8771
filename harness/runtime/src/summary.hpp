// Internal: the summary table printed after a run (rank 0).
#pragma once

#include <iosfwd>
#include <string>

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

}  // namespace rk::harness
