// NcclReduction: deterministic all-reduce over NCCL (all-gather, then a rank-ordered fold kernel).
#include "rk/cuda/nccl_reduction.hpp"
#include "rk/cuda/nccl_error.hpp"

#include <cstring>
#include <mutex>
#include <string>

namespace rk::cuda {

namespace {

ncclDataType_t nccl_type(ScalarType t) {
  switch (t) {
    case ScalarType::I32: return ncclInt32;
    case ScalarType::I64: return ncclInt64;
    case ScalarType::U32: return ncclUint32;
    case ScalarType::U64: return ncclUint64;
    case ScalarType::F32: return ncclFloat32;
    case ScalarType::F64: return ncclFloat64;
  }
  return ncclFloat32;
}

/// out[i] = identity ⊕ parts[0][i] ⊕ parts[1][i] ⊕ … in rank order.
template <class T, ReductionOp Op>
__global__ void fold_ranks(const T* parts, T* out, std::size_t count, std::uint32_t ranks) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    T acc = Reducer<Op, T>::identity();
    for (std::uint32_t r = 0; r < ranks; ++r) acc = Reducer<Op, T>::apply(acc, parts[r * count + i]);
    out[i] = acc;
  }
}

template <class T>
void launch_fold(ReductionOp op, const void* parts, void* out, std::size_t count, std::uint32_t ranks, cudaStream_t s) {
  const auto* p = static_cast<const T*>(parts);
  auto* o = static_cast<T*>(out);
  const unsigned blocks = static_cast<unsigned>(std::min<std::size_t>((count + 255) / 256, 1024));
  const bool ok = dispatch<T>(op, [&](auto o_c) {
    fold_ranks<T, decltype(o_c)::value><<<blocks ? blocks : 1, 256, 0, s>>>(p, o, count, ranks);
  });
  if (!ok) throw ReductionError(std::string("reduction ") + to_string(op) + " does not apply to this type");
  RK_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

/// The communicators this process holds: every participant's (ncclCommInitAll, one process), or its
/// own one of `world` (ncclCommInitRank, one GPU per process). Local index i is global rank first + i.
class NcclClique {
 public:
  explicit NcclClique(const std::vector<int>& devices)
      : devices_(devices), comms_(devices.size()), streams_(devices.size()),
        world_(static_cast<std::uint32_t>(devices.size())) {
    RK_NCCL_CHECK(ncclCommInitAll(comms_.data(), static_cast<int>(devices.size()), devices.data()));
    make_streams();
  }
  NcclClique(const ncclUniqueId& id, std::uint32_t world, std::uint32_t rank, int device)
      : devices_{device}, comms_(1), streams_(1), world_(world), first_(rank) {
    RK_CUDA_CHECK(cudaSetDevice(device));
    RK_NCCL_CHECK(ncclCommInitRank(&comms_[0], static_cast<int>(world), id, static_cast<int>(rank)));
    make_streams();
  }
  ~NcclClique() {
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      cudaSetDevice(devices_[i]);
      RK_CUDA_CHECK_NOEXCEPT(cudaStreamDestroy(streams_[i]));
      ncclCommDestroy(comms_[i]);
    }
  }
  /// Participants in the communicator (all processes).
  std::uint32_t size() const { return world_; }
  /// Global rank of local participant 0.
  std::uint32_t first() const { return first_; }
  // By local index.
  int device(std::uint32_t i) const { return devices_[i]; }
  ncclComm_t comm(std::uint32_t i) const { return comms_[i]; }
  cudaStream_t stream(std::uint32_t i) const { return streams_[i]; }

 private:
  void make_streams() {
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      RK_CUDA_CHECK(cudaSetDevice(devices_[i]));
      RK_CUDA_CHECK(cudaStreamCreateWithFlags(&streams_[i], cudaStreamNonBlocking));
    }
  }
  std::vector<int> devices_;
  std::vector<ncclComm_t> comms_;
  std::vector<cudaStream_t> streams_;
  std::uint32_t world_ = 0;
  std::uint32_t first_ = 0;
};

NcclReduction::NcclReduction(std::shared_ptr<NcclClique> clique, std::uint32_t rank) : clique_(std::move(clique)), rank_(rank) {}

std::uint32_t NcclReduction::participants() const { return clique_->size(); }

void NcclReduction::all_reduce_bytes(const void* in, void* out, std::size_t count, ScalarType type, ReductionOp op) {
  check_supported(type, op);
  const std::size_t bytes = count * size_of(type);
  const std::uint32_t n = clique_->size();
  const std::uint32_t i = rank_ - clique_->first();  // local index
  RK_CUDA_CHECK(cudaSetDevice(clique_->device(i)));
  cudaStream_t s = clique_->stream(i);
  void *d_in = nullptr, *d_parts = nullptr, *d_out = nullptr;
  RK_CUDA_CHECK(cudaMallocAsync(&d_in, bytes ? bytes : 1, s));
  RK_CUDA_CHECK(cudaMallocAsync(&d_parts, bytes ? bytes * n : 1, s));
  RK_CUDA_CHECK(cudaMallocAsync(&d_out, bytes ? bytes : 1, s));
  RK_CUDA_CHECK(cudaMemcpyAsync(d_in, in, bytes, cudaMemcpyHostToDevice, s));
  RK_NCCL_CHECK(ncclAllGather(d_in, d_parts, count, nccl_type(type), clique_->comm(i), s));
  visit_scalar_type(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_fold<T>(op, d_parts, d_out, count, n, s);
  });
  RK_CUDA_CHECK(cudaMemcpyAsync(out, d_out, bytes, cudaMemcpyDeviceToHost, s));
  RK_CUDA_CHECK(cudaFreeAsync(d_in, s));
  RK_CUDA_CHECK(cudaFreeAsync(d_parts, s));
  RK_CUDA_CHECK(cudaFreeAsync(d_out, s));
  RK_CUDA_CHECK(cudaStreamSynchronize(s));
}

void NcclReduction::all_reduce_native(const void* d_in, void* d_out, std::size_t count, ScalarType type, ReductionOp op) {
  check_supported(type, op);
  ncclRedOp_t nop;
  switch (op) {
    case ReductionOp::Sum: nop = ncclSum; break;
    case ReductionOp::Product: nop = ncclProd; break;
    case ReductionOp::Min: nop = ncclMin; break;
    case ReductionOp::Max: nop = ncclMax; break;
    default: throw ReductionError("NCCL has no bitwise all-reduce; use all_reduce_bytes");
  }
  const std::uint32_t i = rank_ - clique_->first();  // local index
  RK_CUDA_CHECK(cudaSetDevice(clique_->device(i)));
  RK_NCCL_CHECK(ncclAllReduce(d_in, d_out, count, nccl_type(type), nop, clique_->comm(i), clique_->stream(i)));
}

std::vector<std::unique_ptr<NcclReduction>> make_nccl_reductions(const std::vector<int>& devices) {
  auto clique = std::make_shared<NcclClique>(devices);
  std::vector<std::unique_ptr<NcclReduction>> out;
  for (std::uint32_t r = 0; r < devices.size(); ++r) out.push_back(std::make_unique<NcclReduction>(clique, r));
  return out;
}

static_assert(sizeof(ncclUniqueId) == sizeof(NcclId), "NcclId must hold an ncclUniqueId");

NcclId new_nccl_id() {
  ncclUniqueId id;
  RK_NCCL_CHECK(ncclGetUniqueId(&id));
  NcclId out;
  std::memcpy(out.data(), &id, sizeof id);
  return out;
}

std::unique_ptr<NcclReduction> make_nccl_reduction(const NcclId& id, std::uint32_t participants, std::uint32_t rank,
                                                   int device) {
  if (rank >= participants) throw ReductionError("make_nccl_reduction: rank " + std::to_string(rank) + " of " +
                                                 std::to_string(participants));
  ncclUniqueId nid;
  std::memcpy(&nid, id.data(), sizeof nid);
  return std::make_unique<NcclReduction>(std::make_shared<NcclClique>(nid, participants, rank, device), rank);
}

}  // namespace rk::cuda
