// Partitioning and the host driver of PageRank as ring kernels.
#include "rk/workloads/pagerank/ring.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>

#include "rk/workloads/workload.hpp"

#include "parallel.hpp"

#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace rk::workloads::pagerank {

namespace {
using Clock = std::chrono::steady_clock;
std::uint64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}
constexpr std::uint64_t kAlignDoubles = 8;  // 64-byte aligned gather vectors
}  // namespace

PartitionedGraph::PartitionedGraph(const Graph& g, const std::vector<KernelId>& kernel_of, double damping,
                                   std::uint32_t arena_id)
    : vertices_(g.vertices), kernel_of_(kernel_of) {
  const std::uint32_t K = static_cast<std::uint32_t>(kernel_of.size());
  if (K == 0 || K > kMaxPartitions) throw std::invalid_argument("PageRank needs 1.." + std::to_string(kMaxPartitions) + " partitions");
  bounds_ = balanced_ranges(g, K);
  for (std::uint32_t p = 0; p < K; ++p) parts_.push_back(std::make_unique<Part>());
  // ghosts[p][q]: the distinct vertices of partition q that partition p pulls from, ascending.
  std::vector<std::vector<std::vector<std::uint32_t>>> ghosts(K, std::vector<std::vector<std::uint32_t>>(K));
  const unsigned T = std::min<unsigned>(K, std::max(1u, std::thread::hardware_concurrency()));
  // An exception in a thread (std::bad_alloc for a large graph) is rethrown here after the join.
  auto per_partition = [&](auto&& fn) {
    detail::parallel(T, [&](unsigned t) {
      for (std::uint32_t p = t; p < K; p += T) fn(p);
    });
  };
  per_partition([&](std::uint32_t p) {
    Part& part = *parts_[p];
    const std::uint64_t lo = bounds_[p], hi = bounds_[p + 1];
    std::vector<std::uint32_t> local(g.vertices, 0xFFFFFFFFu);  // global id → index in x (marks first)
    for (std::uint64_t e = g.in_offsets[lo]; e < g.in_offsets[hi]; ++e) {
      const std::uint32_t u = g.in_sources[e];
      if (u < lo || u >= hi) local[u] = 0;
    }
    part.recv_off.assign(K, 0);
    part.recv_count.assign(K, 0);
    std::uint64_t next = hi - lo;
    for (std::uint32_t q = 0; q < K; ++q) {
      if (q == p) continue;
      part.recv_off[q] = next;
      for (std::uint64_t u = bounds_[q]; u < bounds_[q + 1]; ++u)
        if (local[u] == 0) {
          local[u] = static_cast<std::uint32_t>(next++);
          ghosts[p][q].push_back(static_cast<std::uint32_t>(u));
        }
      part.recv_count[q] = next - part.recv_off[q];
    }
    if (next >= 0xFFFFFFFFull) throw std::length_error("partition gather vector too large");
    for (std::uint64_t u = lo; u < hi; ++u) local[u] = static_cast<std::uint32_t>(u - lo);
    part.view.x_size = next;
    part.in_offsets.resize(hi - lo + 1);
    const std::uint64_t base = g.in_offsets[lo];
    for (std::uint64_t v = lo; v <= hi; ++v) part.in_offsets[v - lo] = g.in_offsets[v] - base;
    part.in_cols.resize(g.in_offsets[hi] - base);
    for (std::uint64_t e = base; e < g.in_offsets[hi]; ++e) part.in_cols[e - base] = local[g.in_sources[e]];
    part.out_degree.assign(g.out_degree.begin() + static_cast<std::ptrdiff_t>(lo), g.out_degree.begin() + static_cast<std::ptrdiff_t>(hi));
    part.rank.assign(hi - lo, 1.0 / static_cast<double>(g.vertices));
  });
  // Arena layout: every partition's x for parity 0, then for parity 1, each 64-byte aligned.
  std::uint64_t doubles = 0;
  for (int parity = 0; parity < 2; ++parity)
    for (auto& part : parts_) {
      part->x_offset[parity] = doubles * sizeof(double);
      doubles += (part->view.x_size + kAlignDoubles - 1) / kAlignDoubles * kAlignDoubles;
    }
  doubles = std::max<std::uint64_t>(doubles, kAlignDoubles);
  arena_bytes_ = doubles * sizeof(double);
  arena_.assign(doubles, 0.0);
  arena_view_ = ArenaView{reinterpret_cast<std::byte*>(arena_.data()), arena_bytes_, arena_id};
  // Send side of q: for every p, the ghosts p takes from q, as indices local to q.
  for (std::uint32_t q = 0; q < K; ++q) {
    Part& part = *parts_[q];
    part.send_off.assign(K + 1, 0);
    for (int parity = 0; parity < 2; ++parity) part.dest_offset[parity].assign(K, 0);
    for (std::uint32_t p = 0; p < K; ++p) {
      part.send_off[p + 1] = part.send_off[p] + (p == q ? 0 : ghosts[p][q].size());
      if (p != q)
        for (int parity = 0; parity < 2; ++parity)
          part.dest_offset[parity][p] = parts_[p]->x_offset[parity] + parts_[p]->recv_off[q] * sizeof(double);
    }
    part.send_idx.resize(part.send_off[K]);
    for (std::uint32_t p = 0; p < K; ++p) {
      if (p == q) continue;
      std::uint64_t j = part.send_off[p];
      for (std::uint32_t u : ghosts[p][q]) part.send_idx[j++] = static_cast<std::uint32_t>(u - bounds_[q]);
    }
  }
  for (std::uint32_t p = 0; p < K; ++p) {
    Part& part = *parts_[p];
    PartitionView& v = part.view;
    v.index = p;
    v.parts = K;
    v.first = bounds_[p];
    v.count = bounds_[p + 1] - bounds_[p];
    v.damping = damping;
    v.in_offsets = part.in_offsets.data();
    v.in_cols = part.in_cols.data();
    v.out_degree = part.out_degree.data();
    v.rank = part.rank.data();
    for (int parity = 0; parity < 2; ++parity) {
      v.x[parity] = arena_.data() + part.x_offset[parity] / sizeof(double);
      v.dest_offset[parity] = part.dest_offset[parity].data();
    }
    v.send_off = part.send_off.data();
    v.send_idx = part.send_idx.data();
    v.recv_off = part.recv_off.data();
    v.recv_count = part.recv_count.data();
    v.expected_messages = 0;
    for (std::uint32_t q = 0; q < K; ++q)
      if (q != p && part.recv_count[q] > 0) ++v.expected_messages;
    v.kernel_of = kernel_of_.data();
    v.arena = ArenaView{reinterpret_cast<std::byte*>(arena_.data()), arena_bytes_, arena_id};
  }
}

void PartitionedGraph::reset_ranks() {
  for (auto& p : parts_) std::fill(p->rank.begin(), p->rank.end(), 1.0 / static_cast<double>(vertices_));
}

std::vector<double> PartitionedGraph::ranks() const {
  std::vector<double> out;
  out.reserve(vertices_);
  for (const auto& p : parts_) out.insert(out.end(), p->rank.begin(), p->rank.end());
  return out;
}

std::uint64_t PartitionedGraph::exchanged_values() const {
  std::uint64_t n = 0;
  for (const auto& p : parts_) n += p->send_off.back();
  return n;
}

std::uint64_t PartitionedGraph::messages_per_iteration() const {
  std::uint64_t n = 0;
  for (const auto& p : parts_) n += p->view.expected_messages;
  return n;
}

RingPageRank::RingPageRank(const Graph& g, std::vector<KernelId> kernel_of, PageRankOptions o)
    : g_(g), kernel_of_(std::move(kernel_of)), o_(o),
      parts_(std::make_unique<PartitionedGraph>(g, kernel_of_, o.damping)) {}

namespace {
template <class T>
void send_to(RingKernelRuntime& rt, KernelId k, const T& msg, std::chrono::nanoseconds timeout) {
  Slot s{};
  s.header.priority = priority::kHigh;
  encode(s, msg);
  const SendStatus st = rt.send(k, s, timeout);
  if (st != SendStatus::Ok)
    throw WorkloadError("pagerank: cannot send to kernel " + std::to_string(k) + ": " + to_string(st));
}

/// Waits for a kernel's report: a few yields, then sleeps doubling from 10 µs up to `max_sleep`. The
/// driver sets max_sleep to ~1/64 of the previous phase's duration (10 µs – 1 ms), so the host neither
/// adds much to a phase (≤ ~1.5 %) nor steals the workers' cores with thousands of wake-ups per phase.
QueueStatus poll_receive(RingKernelRuntime& rt, KernelId k, Slot& s, std::chrono::nanoseconds timeout,
                         std::chrono::nanoseconds max_sleep) {
  const auto deadline = Clock::now() + timeout;
  std::chrono::nanoseconds sleep = std::chrono::microseconds(10);
  for (std::uint32_t round = 0;; ++round) {
    const QueueStatus st = rt.try_receive(k, s);
    if (st != QueueStatus::Empty) return st;
    if (Clock::now() >= deadline) return QueueStatus::Timeout;
    if (round < 32) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(sleep);
      sleep = std::min(sleep * 2, max_sleep);
    }
  }
}

Report await_report(RingKernelRuntime& rt, KernelId k, std::uint32_t phase, std::chrono::nanoseconds timeout,
                    std::chrono::nanoseconds max_sleep = std::chrono::microseconds(10)) {
  Slot s;
  const QueueStatus st = poll_receive(rt, k, s, timeout, max_sleep);
  if (st != QueueStatus::Ok)
    throw WorkloadError("pagerank: kernel " + std::to_string(k) + " did not report in time (" + to_string(st) + ")");
  Report r{};
  if (decode(s, r) != DecodeStatus::Ok || r.phase != phase)
    throw WorkloadError("pagerank: kernel " + std::to_string(k) + " sent an unexpected message (type " +
                        std::to_string(s.header.type_id) + ")");
  return r;
}
}  // namespace

namespace {
/// While the driver waits for reports, its short sleeps should last what they say: Linux's default
/// 50 µs timer slack would add up to that to every wake-up. Restores the thread's slack on exit.
class TightTimerSlack {
 public:
  TightTimerSlack() {
#if defined(__linux__)
    const int old = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    if (old > 0 && prctl(PR_SET_TIMERSLACK, 1ul, 0, 0, 0) == 0) old_ = old;
#endif
  }
  ~TightTimerSlack() {
#if defined(__linux__)
    if (old_ > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(old_), 0, 0, 0);
#endif
  }
  TightTimerSlack(const TightTimerSlack&) = delete;
  TightTimerSlack& operator=(const TightTimerSlack&) = delete;

 private:
  int old_ = 0;
};
}  // namespace

void RingPageRank::setup(RingKernelRuntime& rt, const std::function<bool(KernelId)>& is_local,
                         std::chrono::nanoseconds timeout) {
  parts_->reset_ranks();
  const std::uint32_t K = parts_->parts();
  for (std::uint32_t p = 0; p < K; ++p)
    if (is_local(kernel_of_[p]))
      send_to(rt, kernel_of_[p], Setup{reinterpret_cast<std::uintptr_t>(&parts_->view(p))}, timeout);
  for (std::uint32_t p = 0; p < K; ++p)
    if (is_local(kernel_of_[p])) await_report(rt, kernel_of_[p], Report::SetupDone, timeout);
  set_up_ = true;
}

RingResult RingPageRank::run(RingKernelRuntime& rt, const std::function<bool()>& stop, std::chrono::nanoseconds timeout,
                             bool fixed_iterations, const std::function<void(const IterationRecord&)>& on_iteration) {
  const TightTimerSlack slack;
  RingResult res;
  const std::uint32_t K = parts_->parts();
  if (!set_up_) setup(rt, [](KernelId) { return true; }, timeout);
  std::vector<Report> reports(K);
  if (o_.max_iterations == 0 || (stop && stop())) {
    res.stopped = o_.max_iterations != 0;
    for (std::uint32_t p = 0; p < K; ++p) send_to(rt, kernel_of_[p], Finish{0}, timeout);
    for (std::uint32_t p = 0; p < K; ++p) await_report(rt, kernel_of_[p], Report::FinishDone, timeout);
    res.ranks = parts_->ranks();
    return res;
  }
  // Host polling back-off, from the previous step's duration.
  std::uint64_t last_ns = 0;
  auto cap = [&] { return std::chrono::nanoseconds(std::clamp<std::uint64_t>(last_ns / 64, 10'000, 1'000'000)); };
  // Scatter(0); its dangling mass and traffic feed iteration 0.
  auto t0 = Clock::now();
  for (std::uint32_t p = 0; p < K; ++p) send_to(rt, kernel_of_[p], Start{0}, timeout);
  for (std::uint32_t p = 0; p < K; ++p) reports[p] = await_report(rt, kernel_of_[p], Report::StartDone, timeout, cap());
  auto fed_by = [&](IterationRecord& row, std::uint64_t& sent) {  // the scatter that fed the next gather
    CompensatedSum dangling;
    sent = 0;
    row.messages = row.bytes = row.scatter_ns = 0;
    for (const Report& r : reports) {
      dangling.add(r.dangling);
      sent += r.messages_sent;
      row.messages += r.messages_sent;
      row.bytes += r.bytes_sent;
      row.scatter_ns = std::max(row.scatter_ns, r.scatter_ns);
    }
    row.dangling_mass = dangling.value();
  };
  IterationRecord next{};
  std::uint64_t sent = 0;
  fed_by(next, sent);
  for (std::uint32_t it = 0; it < o_.max_iterations; ++it) {
    IterationRecord row = next;
    row.iteration = it;
    const std::uint64_t sent_for_it = sent;
    // gather(it) with the reduced dangling mass, then scatter(it + 1), in one step.
    const double base = teleport_base(o_.damping, row.dangling_mass, g_.vertices);
    for (std::uint32_t p = 0; p < K; ++p) send_to(rt, kernel_of_[p], Step{it, 0, base}, timeout);
    for (std::uint32_t p = 0; p < K; ++p) reports[p] = await_report(rt, kernel_of_[p], Report::StepDone, timeout, cap());
    const auto t1 = Clock::now();
    // Global reductions in partition order: the L1 change of it, the dangling mass for it + 1.
    CompensatedSum l1_sum;
    std::uint64_t received = 0;
    std::uint32_t errors = 0;
    row.gather_ns = 0;
    for (const Report& r : reports) {
      l1_sum.add(r.l1);
      received += r.messages_received;
      errors = std::max(errors, r.errors);
      row.gather_ns = std::max(row.gather_ns, r.gather_ns);
    }
    fed_by(next, sent);
    const double l1 = l1_sum.value();
    row.l1_delta = l1;
    row.total_ns = ns_between(t0, t1);
    last_ns = row.total_ns;
    t0 = t1;
    row.teps = row.total_ns ? static_cast<double>(g_.edges) * 1e9 / static_cast<double>(row.total_ns) : 0.0;
    res.rows.push_back(row);
    res.l1_delta.push_back(l1);
    res.dangling_mass.push_back(row.dangling_mass);
    res.iteration_ns.push_back(row.total_ns);
    res.messages += row.messages;
    res.bytes += row.bytes;
    res.errors = std::max(res.errors, errors);
    res.unmatched += sent_for_it > received ? sent_for_it - received : received - sent_for_it;
    ++res.iterations;
    if (on_iteration) on_iteration(row);
    if (l1 < o_.tolerance) res.converged = true;
    if (errors > 0 || (res.converged && !fixed_iterations)) break;
    if (stop && stop()) {
      res.stopped = true;
      break;
    }
  }
  res.unused_messages = sent;  // the last, speculative scatter
  // Drain: once every partition answered Finish, no kernel touches the partition state any more.
  for (std::uint32_t p = 0; p < K; ++p) send_to(rt, kernel_of_[p], Finish{0}, timeout);
  for (std::uint32_t p = 0; p < K; ++p) await_report(rt, kernel_of_[p], Report::FinishDone, timeout);
  res.ranks = parts_->ranks();
  return res;
}

}  // namespace rk::workloads::pagerank
