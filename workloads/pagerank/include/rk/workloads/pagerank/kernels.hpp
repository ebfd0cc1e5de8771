// PageRank as ring kernels: the messages and the `pagerank_partition` handler. Single-source (a
// template over the context, only kernels/core), kernel-wide work done by global thread 0.
//
// Each partition kernel owns a contiguous vertex range and the in-edges of its vertices (CSR-in whose
// columns index the partition's gather vector x). Its large state (CSR, ranks, x) is not in the
// handler: the driver allocates it and hands the kernel a PartitionView by pointer in a Setup message
// (host memory on the CPU backend; on a GPU it would be device memory allocated by the driver).
//
// An iteration has two phases with a global reduction after each:
//  * scatter(it): contributions c[u] = rank[u]/outdeg[u] of the owned vertices go to x[own]; for every
//    other partition q that has in-edges from here, the needed values are packed into q's x (the block
//    reserved for this partition, inside the shared arena) and q is sent ONE K2K `Contrib` message
//    referencing the block (PayloadRef: by reference, counted as a message and its bytes). Yields this
//    partition's dangling mass → the host reduces it (partition order) into the teleport base.
//  * gather(it, base): once every expected Contrib message of `it` has arrived, pull over CSR-in:
//    new rank = base + d·Σ x[col]. Yields the partial L1 change → the host reduces it (partition
//    order) for the convergence test.
// The phases are pipelined: Start runs scatter(0); Step(it, base) runs gather(it) then scatter(it+1)
// at once, so each iteration costs the host one round trip. x is double-buffered by iteration parity
// (scatter(it+1) writes buffer (it+1)%2 while slower partitions still read buffer it%2), and Contrib
// messages are counted per parity (the referenced block says which). After the last Step the
// speculative scatter is simply not used.
#pragma once

#include "rk/core/context.hpp"
#include "rk/core/runtime.hpp"

namespace rk::workloads::pagerank {

inline constexpr std::uint32_t kMaxPartitions = 1024;

/// Neumaier-compensated float64 sum: the error does not grow with the number of terms, so sums of
/// millions of terms taken in different orders (per partition, per thread, sequentially) agree to a
/// few ulps. Used for the dangling mass and the L1 change (not for the per-vertex in-sums, which every
/// variant takes in the same CSR order).
struct CompensatedSum {
  double sum = 0.0, carry = 0.0;
  RK_HOST_DEVICE void add(double x) {
    const double t = sum + x;
    if ((sum < 0 ? -sum : sum) >= (x < 0 ? -x : x)) carry += (sum - t) + x;
    else carry += (x - t) + sum;
    sum = t;
  }
  RK_HOST_DEVICE double value() const { return sum + carry; }
};

/// Everything a partition kernel reads and writes. Plain pointers into memory the driver owns.
struct PartitionView {
  std::uint32_t index = 0;       ///< this partition
  std::uint32_t parts = 0;       ///< number of partitions
  std::uint64_t first = 0;       ///< first owned vertex (global id)
  std::uint64_t count = 0;       ///< owned vertices
  double damping = 0.85;
  const std::uint64_t* in_offsets = nullptr;  ///< count + 1
  const std::uint32_t* in_cols = nullptr;     ///< indices into x
  const std::uint32_t* out_degree = nullptr;  ///< count
  double* rank = nullptr;                     ///< count: current ranks of the owned vertices
  double* x[2] = {nullptr, nullptr};          ///< gather vectors by iteration parity: [own | blocks from others]
  std::uint64_t x_size = 0;
  // Send side: for destination q, owned local indices send_idx[send_off[q] .. send_off[q+1]) go to
  // the arena at byte offset dest_offset[parity][q] (the block q reserved for this partition).
  const std::uint64_t* send_off = nullptr;   ///< parts + 1
  const std::uint32_t* send_idx = nullptr;
  const std::uint64_t* dest_offset[2] = {nullptr, nullptr};  ///< parts each: byte offsets in the arena
  // Receive side: the block from partition q starts at x[recv_off[q]] and holds recv_count[q] values.
  const std::uint64_t* recv_off = nullptr;    ///< parts
  const std::uint64_t* recv_count = nullptr;  ///< parts
  std::uint32_t expected_messages = 0;        ///< partitions q != index with recv_count[q] > 0
  const KernelId* kernel_of = nullptr;        ///< parts: kernel id of each partition
  ArenaView arena{};                          ///< every partition's x (both parities) lies in this arena
};

/// Host → kernel: the partition's state (a PartitionView*, as an integer).
struct Setup {
  static constexpr std::uint32_t kTypeId = 100;
  static constexpr Domain kDomain = Domain::GraphAnalytics;
  std::uint64_t view;
};
/// Host → kernel: scatter(0).
struct Start {
  static constexpr std::uint32_t kTypeId = 101;
  static constexpr Domain kDomain = Domain::GraphAnalytics;
  std::uint32_t reserved;
};
/// Host → kernel: gather(iteration) with the globally reduced teleport base, then scatter(iteration+1).
struct Step {
  static constexpr std::uint32_t kTypeId = 102;
  static constexpr Domain kDomain = Domain::GraphAnalytics;
  std::uint32_t iteration;
  std::uint32_t reserved;
  double base;
};
/// Host → kernel: the run is over. Answered after every Contrib message sent before it (the unused
/// final scatter's) has been consumed — FIFO — and the kernel drops its view, so the driver may free
/// the partition state once all partitions answered.
struct Finish {
  static constexpr std::uint32_t kTypeId = 105;
  static constexpr Domain kDomain = Domain::GraphAnalytics;
  std::uint32_t reserved;
};
/// Kernel → kernel: type id of the by-reference contribution block (payload: PayloadRef into the arena).
inline constexpr std::uint32_t kContribTypeId = 103;
/// Kernel → host: the answer to Setup, Start and Step.
struct Report {
  static constexpr std::uint32_t kTypeId = 104;
  static constexpr Domain kDomain = Domain::GraphAnalytics;
  enum Phase : std::uint32_t { SetupDone = 0, StartDone = 1, StepDone = 2, FinishDone = 3 };
  std::uint32_t partition;
  std::uint32_t phase;
  std::uint32_t iteration;       ///< StepDone: the iteration gathered
  std::uint32_t errors;          ///< bad messages seen so far
  double l1;                     ///< StepDone: Σ |new - old| over owned vertices (gather(iteration))
  double dangling;               ///< rank mass of owned dangling vertices, for the next gather
  std::uint64_t messages_sent;   ///< K2K messages sent by the scatter of this message
  std::uint64_t bytes_sent;      ///< their slot bytes + referenced payload bytes
  std::uint64_t messages_received;  ///< StepDone: Contrib messages gathered in `iteration`
  std::uint64_t edges;           ///< StepDone: in-edges pulled
  std::uint64_t gather_ns;       ///< kernel clock: time in gather
  std::uint64_t scatter_ns;      ///< kernel clock: time in scatter
};
static_assert(sizeof(Report) <= Slot::kPayloadCapacity);

/// `pagerank_partition`: one partition of the graph.
struct PartitionKernel {
  const PartitionView* view = nullptr;
  std::uint32_t received[2] = {0, 0};  ///< Contrib messages per iteration parity
  std::uint32_t errors = 0;
  bool step_pending = false;           ///< a Step arrived before all its Contrib messages
  Step pending{};
  MessageHeader pending_header{};

  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    const std::uint32_t type = in.header.type_id;
    if (type == kContribTypeId) {
      on_contrib(ctx, in);
      if (step_pending && view && received[pending.iteration & 1] >= view->expected_messages) {
        step_pending = false;
        step(ctx, pending_header, pending);
      }
      return;
    }
    if (type == Setup::kTypeId) {
      Setup s{};
      decode(in, s);
      view = reinterpret_cast<const PartitionView*>(static_cast<std::uintptr_t>(s.view));
      received[0] = received[1] = 0;
      step_pending = false;
      Report r{};
      r.partition = view ? view->index : 0;
      r.phase = Report::SetupDone;
      reply(ctx, in.header, r);
      return;
    }
    if (type == Finish::kTypeId) {
      Report r{};
      r.partition = view ? view->index : 0;
      r.phase = Report::FinishDone;
      view = nullptr;
      received[0] = received[1] = 0;
      step_pending = false;
      reply(ctx, in.header, r);
      return;
    }
    if (view == nullptr) {
      fail(ctx);
      return;
    }
    if (type == Start::kTypeId) {
      Report r{};
      r.partition = view->index;
      r.phase = Report::StartDone;
      scatter(ctx, 0, r);
      reply(ctx, in.header, r);
    } else if (type == Step::kTypeId) {
      Step st{};
      decode(in, st);
      if (received[st.iteration & 1] < view->expected_messages) {  // contributions still on their way
        step_pending = true;
        pending = st;
        pending_header = in.header;
      } else {
        step(ctx, in.header, st);
      }
    } else {
      fail(ctx);
    }
  }

 private:
  template <class Ctx>
  RK_HOST_DEVICE void fail(Ctx& ctx) {
    ++errors;
    ctx.report_error();
  }

  template <class Ctx>
  RK_HOST_DEVICE void reply(Ctx& ctx, const MessageHeader& request, Report r) {
    r.errors = errors;
    Slot s{};
    make_reply_header(request, ctx.kernel_id(), s.header);
    encode(s, r);
    while (!ctx.enqueue_output(s)) {
    }
  }

  template <class Ctx>
  RK_HOST_DEVICE void on_contrib(Ctx& ctx, const Slot& in) {
    if (view == nullptr || !(in.header.flags & message_flags::kPayloadByRef) || in.header.payload_size != sizeof(PayloadRef)) {
      fail(ctx);
      return;
    }
    PayloadRef ref;
    memcpy(&ref, in.payload, sizeof ref);
    // The block must be exactly one of the two this partition reserved for the sender.
    std::uint32_t q = 0;
    while (q < view->parts && view->kernel_of[q] != in.header.source_kernel) ++q;
    const std::byte* p = view->arena.resolve(ref);
    if (q == view->parts || q == view->index || ref.type_id != kContribTypeId || p == nullptr ||
        ref.size != view->recv_count[q] * sizeof(double)) {
      fail(ctx);
      return;
    }
    const double* block = reinterpret_cast<const double*>(p);
    if (block == view->x[0] + view->recv_off[q]) ++received[0];
    else if (block == view->x[1] + view->recv_off[q]) ++received[1];
    else fail(ctx);
  }

  /// gather(st.iteration), then scatter(st.iteration + 1).
  template <class Ctx>
  RK_HOST_DEVICE void step(Ctx& ctx, const MessageHeader& request, const Step& st) {
    const PartitionView& v = *view;
    const std::uint64_t t0 = ctx.now().physical;
    const double d = v.damping;
    CompensatedSum l1;
    const std::uint64_t* off = v.in_offsets;
    const std::uint32_t* col = v.in_cols;
    const double* x = v.x[st.iteration & 1];
    for (std::uint64_t i = 0; i < v.count; ++i) {
      double s = 0.0;
      for (std::uint64_t e = off[i]; e < off[i + 1]; ++e) s += x[col[e]];
      const double nr = st.base + d * s;  // == new_rank(base, d, s) of reference.hpp
      const double diff = nr - v.rank[i];
      l1.add(diff < 0 ? -diff : diff);
      v.rank[i] = nr;
    }
    Report r{};
    r.partition = v.index;
    r.phase = Report::StepDone;
    r.iteration = st.iteration;
    r.l1 = l1.value();
    r.messages_received = received[st.iteration & 1];
    r.edges = off[v.count];
    received[st.iteration & 1] = 0;
    r.gather_ns = ctx.now().physical - t0;
    scatter(ctx, st.iteration + 1, r);
    reply(ctx, request, r);
  }

  /// Contributions of `iteration` into buffer iteration % 2: own part locally, one K2K message per
  /// partition that pulls from this one.
  template <class Ctx>
  RK_HOST_DEVICE void scatter(Ctx& ctx, std::uint32_t iteration, Report& r) {
    const PartitionView& v = *view;
    const std::uint64_t t0 = ctx.now().physical;
    const std::uint32_t parity = iteration & 1;
    double* x = v.x[parity];
    CompensatedSum dangling;
    for (std::uint64_t i = 0; i < v.count; ++i) {
      const std::uint32_t deg = v.out_degree[i];
      if (deg == 0) dangling.add(v.rank[i]);
      x[i] = deg == 0 ? 0.0 : v.rank[i] / static_cast<double>(deg);
    }
    r.dangling = dangling.value();
    for (std::uint32_t q = 0; q < v.parts; ++q) {
      const std::uint64_t b = v.send_off[q], e = v.send_off[q + 1];
      if (q == v.index || b == e) continue;
      const std::uint64_t offset = v.dest_offset[parity][q];
      double* dst = reinterpret_cast<double*>(v.arena.base + offset);
      for (std::uint64_t j = b; j < e; ++j) dst[j - b] = x[v.send_idx[j]];
      Slot m{};
      m.header.priority = priority::kNormal;
      encode_by_ref(m, kContribTypeId, PayloadRef{offset, (e - b) * sizeof(double), v.arena.arena_id, kContribTypeId});
      SendStatus s;
      while ((s = ctx.try_send_to_kernel(v.kernel_of[q], m)) == SendStatus::Full) {
      }
      if (s != SendStatus::Ok) {
        fail(ctx);
        continue;
      }
      ++r.messages_sent;
      r.bytes_sent += m.used_bytes() + (e - b) * sizeof(double);
    }
    r.scatter_ns = ctx.now().physical - t0;
  }
};

/// Registers the PageRank handler types with a backend's registrar (`r.template add<H>(name)`).
template <class Registrar>
void register_kernel_types(Registrar& r) {
  r.template add<PartitionKernel>("pagerank_partition");
}

}  // namespace rk::workloads::pagerank
