// `ringkernel trace`: a results file's events as Chrome / Perfetto trace JSON (the Trace Event Format's
// JSON object form, loadable in ui.perfetto.dev and chrome://tracing), ordered by hybrid logical clock.
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>

namespace rk::record {

/// What write_chrome_trace() wrote.
struct TraceCounts {
  std::size_t events = 0;  ///< instant events ("ph": "i"), one per /events row
  std::size_t spans = 0;   ///< complete events ("ph": "X"): each kernel's life, launched -> terminated
  std::size_t flows = 0;   ///< flow events ("ph": "s"/"f"): message flows (none yet: see results/SCHEMA.md)
};

/// Reads `results` (ResultsReader) and writes its trace to `out`: a metadata event naming the process
/// (the scenario) and one thread per kernel ("run" for run-level events), then the timed events sorted by
/// HLC (physical, logical, node; a file whose events carry no HLC, written before format 1.4, by wall_ns).
/// `ts` and `dur` are microseconds since the earliest event's HLC physical time (`otherData.origin_ns`).
/// @throws RecordError when the file cannot be read.
TraceCounts write_chrome_trace(const std::filesystem::path& results, std::ostream& out);

}  // namespace rk::record
