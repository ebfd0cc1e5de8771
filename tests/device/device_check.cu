// Instantiates kernels/core in device code: messages, HLC, rings, queue tiers, control block,
// reductions for every op and type, and a handler in the persistent loop. With a GPU present it also
// runs a ring round trip through mapped memory: the host enqueues, a kernel echoes, the host checks.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#include "rk/core/domain.hpp"
#include "rk/core/persistent_message.hpp"
#include "rk/core/queue_tier.hpp"
#include "rk/core/reduction.hpp"
#include "rk/core/reduction_buffer.hpp"
#include "rk/cuda/gpu_loop.cuh"

namespace {

struct Ping {
  static constexpr std::uint32_t kTypeId = 1;
  std::uint64_t seq;
};

/// A single-source handler: the same template the CPU backend runs.
struct EchoHandler {
  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const rk::Slot& in) {
    Ping p{};
    if (rk::decode(in, p) != rk::DecodeStatus::Ok) {
      ctx.report_error();
      return;
    }
    const std::uint32_t lanes = ctx.warp_ballot(true);
    const std::int32_t v = ctx.warp_shuffle(static_cast<std::int32_t>(ctx.lane_id()), 0);
    ctx.sync_threads();
    if (ctx.global_thread_id() == 0 && v == 0 && lanes != 0) {
      p.seq += 1;
      ctx.enqueue_output(p, &in.header);
    }
  }
};

struct Sum2 {
  static constexpr std::uint32_t kTypeId = 20;
  std::int64_t total;
};
struct Add2 {
  static constexpr std::uint32_t kTypeId = 21;
  static constexpr std::uint32_t kHandlerId = 1;
  static constexpr bool kRequiresResponse = true;
  using Response = Sum2;
  std::int64_t a, b;
};
struct Add2Handler {
  using Message = Add2;
  template <class Ctx>
  RK_HOST_DEVICE Sum2 handle(Ctx&, const Add2& m, const rk::MessageHeader&) {
    return {m.a + m.b};
  }
};
using DeviceTable = rk::DispatchTable<Add2Handler>;

template <class T>
__device__ T fold_all_ops(T x) {
  T acc = x;
  for (std::uint32_t i = 0; i < rk::kReductionOpCount; ++i) {
    const auto op = static_cast<rk::ReductionOp>(i);
    T id{}, r{};
    if (rk::identity<T>(op, id) && rk::reduce<T>(op, id, x, r)) acc = rk::reduce<rk::ReductionOp::Max>(acc, r);
  }
  return acc;
}

/// The seed's reduction buffer, accumulated from every thread of the grid.
__global__ void reduction_buffer_kernel(void* storage, std::uint32_t slots) {
  rk::ReductionBuffer<std::uint64_t> sum(storage, slots, rk::ReductionOp::Sum);
  rk::ReductionBuffer<float> fmax(static_cast<char*>(storage) + rk::ReductionBuffer<std::uint64_t>::storage_bytes(slots),
                                  slots, rk::ReductionOp::Max);
  const std::uint32_t tid = blockIdx.x * blockDim.x + threadIdx.x;
  if (sum.valid()) sum.accumulate(tid, std::uint64_t{1});
  if (fmax.valid()) fmax.accumulate(tid, static_cast<float>(tid));
}

__global__ void core_types_kernel(std::uint64_t* out) {
  rk::HlcTimestamp a(10, 1, 1), b(12, 0, 2);
  a.merge(b, rk::wall_clock_ns());
  a.tick(rk::wall_clock_ns());
  rk::Domain d{};
  const bool known = rk::from_type_id(523, d);
  std::uint64_t acc = a.physical + (known && d == rk::Domain::OrderMatching ? 1 : 0);
  acc += rk::capacity(rk::for_throughput(100000, 10));
  acc += static_cast<std::uint64_t>(fold_all_ops<std::int32_t>(3)) + fold_all_ops<std::uint64_t>(4) +
         static_cast<std::uint64_t>(fold_all_ops<float>(1.5f)) + static_cast<std::uint64_t>(fold_all_ops<double>(2.5)) +
         static_cast<std::uint64_t>(fold_all_ops<std::int64_t>(5)) + fold_all_ops<std::uint32_t>(6);
  rk::ControlBlock cb;
  rk::TelemetryBuffer t;
  rk::reset(cb, 3);
  rk::reset(t);
  rk::record_processed(t, 42);
  rk::record_error(cb, t, rk::KernelError::HandlerError);
  acc += t.max_latency_ns + cb.error_count + Add2::kHandlerId + (DeviceTable::serves(21) ? 1 : 0);
  *out = acc;
}

/// Echo through rings that live in mapped pinned memory: the device consumes the host's input.
__global__ void ring_echo_kernel(void* in_mem, void* out_mem, std::uint32_t n, std::uint32_t* errors) {
  auto in = rk::SpscRing<rk::Slot>::attach(in_mem);
  auto out = rk::SpscRing<rk::Slot>::attach(out_mem);
  for (std::uint32_t i = 0; i < n; ++i) {
    rk::Slot s;
    while (in.try_dequeue(s) != rk::QueueStatus::Ok) rk::cpu_relax();
    Ping p{};
    if (rk::decode(s, p) != rk::DecodeStatus::Ok || p.seq != i) atomicAdd(errors, 1u);
    while (out.try_enqueue(s) != rk::QueueStatus::Ok) rk::cpu_relax();
  }
}

#define CHECK(call)                                                                          \
  do {                                                                                       \
    cudaError_t e_ = (call);                                                                 \
    if (e_ != cudaSuccess) {                                                                 \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
      return 1;                                                                              \
    }                                                                                        \
  } while (0)

}  // namespace

int main() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("SKIP: no CUDA device on this machine (device code compiled only)\n");
    return 77;
  }
  // The persistent loop with the single-source handler: instantiated (and so compiled) for the device.
  cudaFuncAttributes loop_attr{};
  CHECK(cudaFuncGetAttributes(&loop_attr, rk::cuda::ring_kernel_loop<EchoHandler>));
  cudaFuncAttributes table_attr{};
  CHECK(cudaFuncGetAttributes(&table_attr, rk::cuda::ring_kernel_loop<DeviceTable>));
  std::printf("ring_kernel_loop<EchoHandler>: %d registers, %zu B local memory\n", loop_attr.numRegs,
              loop_attr.localSizeBytes);

  std::uint64_t* d_out = nullptr;
  CHECK(cudaMalloc(&d_out, sizeof(std::uint64_t)));
  core_types_kernel<<<1, 1>>>(d_out);
  CHECK(cudaGetLastError());
  CHECK(cudaDeviceSynchronize());

  {  // the reduction buffer in mapped memory, read by the host without a copy
    constexpr std::uint32_t slots = 4, threads = 4096;
    const std::size_t rb_bytes = rk::ReductionBuffer<std::uint64_t>::storage_bytes(slots) +
                                 rk::ReductionBuffer<float>::storage_bytes(slots);
    void* rb = nullptr;
    CHECK(cudaHostAlloc(&rb, rb_bytes, cudaHostAllocMapped));
    rk::ReductionBuffer<std::uint64_t> sum(rb, slots, rk::ReductionOp::Sum);
    rk::ReductionBuffer<float> fmax(static_cast<char*>(rb) + rk::ReductionBuffer<std::uint64_t>::storage_bytes(slots), slots,
                                    rk::ReductionOp::Max);
    sum.reset();
    fmax.reset();
    void* d_rb = nullptr;
    CHECK(cudaHostGetDevicePointer(&d_rb, rb, 0));
    reduction_buffer_kernel<<<threads / 256, 256>>>(d_rb, slots);
    CHECK(cudaGetLastError());
    CHECK(cudaDeviceSynchronize());
    std::printf("reduction buffer: sum %llu (expected %u), max %.0f (expected %u)\n",
                static_cast<unsigned long long>(sum.read_result()), threads, fmax.read_result(), threads - 1);
    if (sum.read_result() != threads || fmax.read_result() != static_cast<float>(threads - 1)) return 1;
  }

  constexpr std::uint32_t cap = 64, n = 10000;
  const std::size_t bytes = rk::SpscRing<rk::Slot>::bytes_required(cap);
  void *in_mem = nullptr, *out_mem = nullptr;
  std::uint32_t* errors = nullptr;
  CHECK(cudaHostAlloc(&in_mem, bytes, cudaHostAllocMapped));
  CHECK(cudaHostAlloc(&out_mem, bytes, cudaHostAllocMapped));
  CHECK(cudaHostAlloc(reinterpret_cast<void**>(&errors), sizeof(std::uint32_t), cudaHostAllocMapped));
  *errors = 0;
  auto in = rk::SpscRing<rk::Slot>::create(in_mem, bytes, cap);
  auto out = rk::SpscRing<rk::Slot>::create(out_mem, bytes, cap);
  void *d_in = nullptr, *d_outr = nullptr, *d_err = nullptr;
  CHECK(cudaHostGetDevicePointer(&d_in, in_mem, 0));
  CHECK(cudaHostGetDevicePointer(&d_outr, out_mem, 0));
  CHECK(cudaHostGetDevicePointer(&d_err, errors, 0));
  ring_echo_kernel<<<1, 1>>>(d_in, d_outr, n, static_cast<std::uint32_t*>(d_err));
  CHECK(cudaGetLastError());
  std::uint32_t sent = 0, received = 0, wrong = 0;
  while (received < n) {
    if (sent < n) {
      rk::Slot s{};
      rk::encode(s, Ping{sent});
      if (in.try_enqueue(s) == rk::QueueStatus::Ok) ++sent;
    }
    rk::Slot r;
    if (out.try_dequeue(r) == rk::QueueStatus::Ok) {
      Ping p{};
      if (rk::decode(r, p) != rk::DecodeStatus::Ok || p.seq != received) ++wrong;
      ++received;
    }
  }
  CHECK(cudaDeviceSynchronize());
  std::printf("device ring echo: %u messages, %u wrong on host, %u wrong on device\n", n, wrong, *errors);
  return (wrong == 0 && *errors == 0) ? 0 : 1;
}
