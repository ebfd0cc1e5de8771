// Collecting per-rank data at one rank, so that rank 0 alone writes the run's results file: raw latency
// samples and opaque byte blobs (serialised telemetry, host descriptions, error messages).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rk/mpi/environment.hpp"

namespace rk::mpi {

/// Collective over MPI_COMM_WORLD: every rank passes its samples (any number, also none); at `root` the result
/// holds one vector per rank, indexed by rank; on the other ranks it is empty. Throws MpiError (on every rank)
/// when the total exceeds 2^31−1 samples.
std::vector<std::vector<std::uint64_t>> gather_samples(const Environment& env, std::span<const std::uint64_t> samples,
                                                       int root = 0);

/// Like gather_samples, for byte strings (may contain any bytes, including NUL).
std::vector<std::string> gather_strings(const Environment& env, std::string_view blob, int root = 0);

}  // namespace rk::mpi
