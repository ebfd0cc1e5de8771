// gather_samples / gather_strings: sizes first (allgathered, so every rank can refuse an oversized
// gather consistently instead of leaving the others blocked), then one MPI_Gatherv.
#include "rk/mpi/gather.hpp"

#include <mpi.h>

#include <climits>
#include <cstring>

#include "mpi_check.hpp"

namespace rk::mpi {

namespace {

/// Gathers `count` elements of `elem_bytes` each from every rank at root; returns the concatenation at root
/// (and the per-rank counts in `counts`, on every rank).
std::vector<std::byte> gather_bytes(const void* data, std::uint64_t count, std::size_t elem_bytes, int root,
                                    std::vector<std::uint64_t>& counts, int rank, int size) {
  counts.assign(static_cast<std::size_t>(size), 0);
  RK_MPI_CHECK(MPI_Allgather(&count, 1, MPI_UINT64_T, counts.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD));
  std::uint64_t total = 0;
  for (const std::uint64_t c : counts) total += c;
  if (total * elem_bytes > static_cast<std::uint64_t>(INT_MAX))
    throw MpiError("gather of " + std::to_string(total) + " elements exceeds MPI's 2 GiB per-call limit");
  std::vector<int> recv_counts;
  std::vector<int> displs;
  std::vector<std::byte> out;
  if (rank == root) {
    out.resize(total * elem_bytes);
    int at = 0;
    for (const std::uint64_t c : counts) {
      recv_counts.push_back(static_cast<int>(c * elem_bytes));
      displs.push_back(at);
      at += recv_counts.back();
    }
  }
  RK_MPI_CHECK(MPI_Gatherv(data, static_cast<int>(count * elem_bytes), MPI_BYTE, out.data(), recv_counts.data(),
                           displs.data(), MPI_BYTE, root, MPI_COMM_WORLD));
  return out;
}

void check_root(const Environment& env, int root) {
  if (root < 0 || root >= env.size())
    throw MpiError("gather root " + std::to_string(root) + " is not a rank of " + std::to_string(env.size()));
}

}  // namespace

std::vector<std::vector<std::uint64_t>> gather_samples(const Environment& env, std::span<const std::uint64_t> samples,
                                                       int root) {
  check_root(env, root);
  std::vector<std::uint64_t> counts;
  const std::vector<std::byte> all =
      gather_bytes(samples.data(), samples.size(), sizeof(std::uint64_t), root, counts, env.rank(), env.size());
  std::vector<std::vector<std::uint64_t>> result;
  if (env.rank() != root) return result;
  std::size_t at = 0;
  for (const std::uint64_t c : counts) {
    std::vector<std::uint64_t> v(c);
    if (c != 0) std::memcpy(v.data(), all.data() + at, c * sizeof(std::uint64_t));
    at += c * sizeof(std::uint64_t);
    result.push_back(std::move(v));
  }
  return result;
}

std::vector<std::string> gather_strings(const Environment& env, std::string_view blob, int root) {
  check_root(env, root);
  std::vector<std::uint64_t> counts;
  const std::vector<std::byte> all = gather_bytes(blob.data(), blob.size(), 1, root, counts, env.rank(), env.size());
  std::vector<std::string> result;
  if (env.rank() != root) return result;
  std::size_t at = 0;
  for (const std::uint64_t c : counts) {
    result.emplace_back(reinterpret_cast<const char*>(all.data()) + at, c);
    at += c;
  }
  return result;
}

}  // namespace rk::mpi
