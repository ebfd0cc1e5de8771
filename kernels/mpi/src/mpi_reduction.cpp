// MpiReduction: allgather-then-fold for small calls, alltoallv reduce-scatter + allgatherv for large ones,
// both folding in rank order so every rank computes the same bits.
#include "rk/mpi/mpi_reduction.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "mpi_check.hpp"

namespace rk::mpi {

struct MpiReduction::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  Options options;
  std::vector<std::byte> gathered;  // allgather buffer / alltoallv receive buffer
  std::vector<std::byte> part;      // this rank's reduced range
  std::vector<const void*> inputs;
  std::vector<int> send_counts, send_displs, recv_counts, recv_displs;
};

MpiReduction::MpiReduction(const Environment& env, Options options) : impl_(std::make_unique<Impl>()) {
  (void)env;  // proof that MPI is initialised
  options.chunk_bytes = std::clamp<std::size_t>(options.chunk_bytes, 4096, std::size_t{1} << 30);
  impl_->options = options;
  RK_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &impl_->comm));
  MPI_Comm_set_errhandler(impl_->comm, MPI_ERRORS_RETURN);
  int rank = 0;
  int size = 1;
  RK_MPI_CHECK(MPI_Comm_rank(impl_->comm, &rank));
  RK_MPI_CHECK(MPI_Comm_size(impl_->comm, &size));
  rank_ = static_cast<std::uint32_t>(rank);
  size_ = static_cast<std::uint32_t>(size);
  const auto n = static_cast<std::size_t>(size);
  impl_->inputs.resize(n);
  impl_->send_counts.resize(n);
  impl_->send_displs.resize(n);
  impl_->recv_counts.resize(n);
  impl_->recv_displs.resize(n);
}

MpiReduction::~MpiReduction() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && impl_->comm != MPI_COMM_NULL) MPI_Comm_free(&impl_->comm);
}

void MpiReduction::all_reduce_bytes(const void* in, void* out, std::size_t count, ScalarType type, ReductionOp op) {
  check_supported(type, op);
  if (size_ == 1) {
    fold_arrays(type, op, &in, 1, out, count);
    return;
  }
  Impl& m = *impl_;
  const std::size_t es = size_of(type);
  const std::size_t n = size_;
  const std::size_t chunk_elems = m.options.chunk_bytes / es;
  for (std::size_t off = 0; off < count; off += chunk_elems) {
    const std::size_t len = std::min(chunk_elems, count - off);
    const std::byte* src = static_cast<const std::byte*>(in) + off * es;
    std::byte* dst = static_cast<std::byte*>(out) + off * es;
    const std::size_t bytes = len * es;

    if (bytes <= m.options.allgather_max_bytes) {
      m.gathered.resize(n * bytes);
      RK_MPI_CHECK(MPI_Allgather(src, static_cast<int>(bytes), MPI_BYTE, m.gathered.data(), static_cast<int>(bytes),
                                 MPI_BYTE, m.comm));
      for (std::size_t r = 0; r < n; ++r) m.inputs[r] = m.gathered.data() + r * bytes;
      fold_arrays(type, op, m.inputs.data(), n, dst, len);
      continue;
    }

    // Reduce-scatter: rank q owns elements [q·per, (q+1)·per) (clipped), a whole number of cache lines.
    const std::size_t per_line = 64 / es;
    const std::size_t per = ((len + n - 1) / n + per_line - 1) / per_line * per_line;
    auto begin = [&](std::size_t q) { return std::min(len, q * per); };
    auto end = [&](std::size_t q) { return std::min(len, begin(q) + per); };
    const std::size_t mine = end(rank_) - begin(rank_);
    m.gathered.resize(n * mine * es);
    for (std::size_t q = 0; q < n; ++q) {
      m.send_counts[q] = static_cast<int>((end(q) - begin(q)) * es);
      m.send_displs[q] = static_cast<int>(begin(q) * es);
      m.recv_counts[q] = static_cast<int>(mine * es);
      m.recv_displs[q] = static_cast<int>(q * mine * es);
    }
    RK_MPI_CHECK(MPI_Alltoallv(src, m.send_counts.data(), m.send_displs.data(), MPI_BYTE, m.gathered.data(),
                               m.recv_counts.data(), m.recv_displs.data(), MPI_BYTE, m.comm));
    for (std::size_t q = 0; q < n; ++q) m.inputs[q] = m.gathered.data() + q * mine * es;
    m.part.resize(mine * es);
    fold_arrays(type, op, m.inputs.data(), n, m.part.data(), mine);
    // All-gather the reduced ranges into place: rank q's range goes to offset begin(q).
    RK_MPI_CHECK(MPI_Allgatherv(m.part.data(), static_cast<int>(mine * es), MPI_BYTE, dst, m.send_counts.data(),
                                m.send_displs.data(), MPI_BYTE, m.comm));
  }
}

}  // namespace rk::mpi
