// MpiBridge: see bridge.hpp.
#include "rk/mpi/bridge.hpp"

#include <mpi.h>

#include <atomic>
#include <condition_variable>
#include <climits>
#include <cstring>
#include <span>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>

#include "mpi_check.hpp"

namespace rk::mpi {

namespace {

constexpr int kTagData = 7101;     // batches of Slots
constexpr int kTagState = 7102;    // arrays of RemoteKernelState (ranks > 0 → rank 0)
constexpr int kTagControl = 7103;  // one std::uint64_t: kStop (rank 0 → every rank)
constexpr std::uint64_t kStop = 1;

static_assert(std::is_trivially_copyable_v<Slot>);
static_assert(std::is_trivially_copyable_v<RemoteKernelState>);

using Outbox = OwnedRing<MpscRing<Slot>>;

}  // namespace

struct MpiBridge::Impl {
  Impl(const Environment& e, RingKernelRuntime& r, const std::vector<int>& own, std::vector<std::string> n, BridgeOptions o)
      : env(e), rt(r), owner(own), names(std::move(n)), opt(o), rank(e.rank()), size(e.size()) {
    RK_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    outbox.resize(static_cast<std::size_t>(size));
    for (int p = 0; p < size; ++p)
      if (p != rank) outbox[static_cast<std::size_t>(p)] = std::make_unique<Outbox>(opt.outbox_capacity);
    staging.resize(static_cast<std::size_t>(size));
    data_sent.assign(static_cast<std::size_t>(size), 0);
    data_received.assign(static_cast<std::size_t>(size), 0);
    state_sent.assign(static_cast<std::size_t>(size), 0);
    state_received.assign(static_cast<std::size_t>(size), 0);
    control_sent.assign(static_cast<std::size_t>(size), 0);
    control_received.assign(static_cast<std::size_t>(size), 0);
    inflight_per_peer.assign(static_cast<std::size_t>(size), 0);
    host_inbox.resize(owner.size());
    states.resize(owner.size());
    for (KernelId k = 0; k < owner.size(); ++k)
      if (owner[k] == rank) local.push_back(k);
  }
  ~Impl() {
    // Requests still open here mean stop() never ran (an exception on the way): cancel what can be.
    for (auto& b : inflight) {
      if (b.request != MPI_REQUEST_NULL) {
        MPI_Cancel(&b.request);
        MPI_Request_free(&b.request);
      }
    }
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm);
  }

  struct Send {
    std::vector<std::byte> bytes;
    MPI_Request request = MPI_REQUEST_NULL;
    int peer = 0;
  };

  const Environment& env;
  RingKernelRuntime& rt;
  const std::vector<int>& owner;
  std::vector<std::string> names;
  BridgeOptions opt;
  int rank, size;
  MPI_Comm comm = MPI_COMM_NULL;
  std::vector<KernelId> local;
  std::vector<std::unique_ptr<Outbox>> outbox;

  // Rank 0's host side, shared with the driver thread.
  std::mutex host_mu;
  std::vector<std::deque<Slot>> host_inbox;
  mutable std::mutex state_mu;
  std::vector<std::optional<RemoteKernelState>> states;

  // Thread control.
  std::thread thread;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> abandon{false};  // destroyed without stop(): leave the loop on any rank
  std::atomic<bool> closed{false};
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool loop_done = false;
  std::string error;

  // Owned by the bridge thread until it ends, then by stop(). A batch on the wire is a sequence of
  // records: the Slot, then the length of the by-reference payload shipped with it (0 when none), then
  // that many bytes padded to 8.
  struct Staged {
    std::vector<std::byte> bytes;
    std::uint32_t messages = 0;
  };
  std::vector<Staged> staging;
  std::vector<ArenaView> arenas;  // registered before start(); read-only afterwards
  std::deque<Send> inflight;
  std::vector<std::uint32_t> inflight_per_peer;
  std::map<KernelId, std::deque<Slot>> pending;
  std::size_t pending_total = 0;
  std::vector<std::uint64_t> data_sent, data_received, state_sent, state_received, control_sent, control_received;
  bool stop_seen = false;

  mutable std::mutex counters_mu;
  BridgeCounters counters;
  std::atomic<std::uint64_t> full_outbox{0};

  // ---- sending
  void isend(int peer, int tag, std::vector<std::byte> bytes) {
    Send s;
    s.bytes = std::move(bytes);
    s.peer = peer;
    RK_MPI_CHECK(MPI_Isend(s.bytes.data(), static_cast<int>(s.bytes.size()), MPI_BYTE, peer, tag, comm, &s.request));
    ++inflight_per_peer[static_cast<std::size_t>(peer)];
    inflight.push_back(std::move(s));
  }
  template <class T>
  static std::vector<std::byte> bytes_of(const T* data, std::size_t n) {
    std::vector<std::byte> out(n * sizeof(T));
    if (n) std::memcpy(out.data(), data, out.size());
    return out;
  }

  const ArenaView* arena(std::uint32_t id) const {
    for (const ArenaView& a : arenas)
      if (a.arena_id == id) return &a;
    return nullptr;
  }
  /// The by-reference block a message points to in a registered arena (empty span when it has none).
  std::span<const std::byte> referenced(const Slot& s) const {
    if (!(s.header.flags & message_flags::kPayloadByRef) || s.header.payload_size != sizeof(PayloadRef)) return {};
    PayloadRef ref;
    std::memcpy(&ref, s.payload, sizeof ref);
    const ArenaView* a = arena(ref.arena_id);
    const std::byte* p = a ? a->resolve(ref) : nullptr;
    return p ? std::span<const std::byte>(p, ref.size) : std::span<const std::byte>();
  }
  void stage(Staged& st, const Slot& s) {
    const std::span<const std::byte> block = referenced(s);
    const std::uint64_t len = block.size();
    const std::size_t at = st.bytes.size();
    st.bytes.resize(at + sizeof(Slot) + sizeof len + ((len + 7) & ~std::uint64_t{7}));
    std::memcpy(st.bytes.data() + at, &s, sizeof(Slot));
    std::memcpy(st.bytes.data() + at + sizeof(Slot), &len, sizeof len);
    if (len) std::memcpy(st.bytes.data() + at + sizeof(Slot) + sizeof len, block.data(), len);
    ++st.messages;
  }
  bool room(const Staged& st, bool all) const {
    return all || (st.messages < opt.batch_slots && st.bytes.size() < kBatchBytes);
  }
  static constexpr std::size_t kBatchBytes = std::size_t{1} << 20;

  /// Move what the outboxes (and, on ranks > 0, the local kernels' host outputs) hold into staging.
  /// `all`: everything (at the end); otherwise at most a batch per peer, so backpressure reaches senders.
  bool collect(bool all) {
    bool any = false;
    Slot s;
    for (int p = 0; p < size; ++p) {
      if (p == rank) continue;
      auto& st = staging[static_cast<std::size_t>(p)];
      while (room(st, all) && (*outbox[static_cast<std::size_t>(p)])->try_dequeue(s) == QueueStatus::Ok) {
        stage(st, s);
        any = true;
      }
    }
    if (rank != 0) {
      auto& st = staging[0];
      for (KernelId k : local) {
        while (room(st, all) && rt.try_receive(k, s) == QueueStatus::Ok) {
          stage(st, s);
          any = true;
        }
      }
    }
    return any;
  }

  /// Send staged batches while the peer has room for more unfinished sends (`all`: regardless).
  bool send_staged(bool all) {
    bool any = false;
    for (int p = 0; p < size; ++p) {
      auto& st = staging[static_cast<std::size_t>(p)];
      if (st.messages > 0 && (all || inflight_per_peer[static_cast<std::size_t>(p)] < opt.max_inflight_batches)) {
        if (st.bytes.size() > static_cast<std::size_t>(INT_MAX))
          throw MpiError("a batch for rank " + std::to_string(p) + " exceeds MPI's 2 GiB message limit");
        const std::uint64_t n = st.messages, bytes = st.bytes.size();
        isend(p, kTagData, std::move(st.bytes));
        st = Staged{};
        ++data_sent[static_cast<std::size_t>(p)];
        std::lock_guard lk(counters_mu);
        counters.messages_sent += n;
        counters.batches_sent += 1;
        counters.bytes_sent += bytes;
        any = true;
      }
    }
    return any;
  }

  bool complete_sends() {
    bool any = false;
    for (auto it = inflight.begin(); it != inflight.end();) {
      int done = 0;
      RK_MPI_CHECK(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE));
      if (done) {
        --inflight_per_peer[static_cast<std::size_t>(it->peer)];
        it = inflight.erase(it);
        any = true;
      } else {
        ++it;
      }
    }
    return any;
  }

  void send_states() {
    if (rank == 0 || local.empty()) return;
    std::vector<RemoteKernelState> out;
    out.reserve(local.size());
    for (KernelId k : local) {
      const std::string& name = names[k];
      RemoteKernelState r;
      r.id = k;
      const KernelStatus st = rt.status(name);
      r.state = st.state;
      r.device = st.device;
      r.messages_processed = st.messages_processed;
      r.messages_in_flight = st.messages_in_flight;
      r.error_count = st.error_count;
      r.last_error = st.last_error;
      r.metrics = rt.metrics(name);
      r.telemetry = rt.telemetry(name);
      out.push_back(r);
    }
    isend(0, kTagState, bytes_of(out.data(), out.size()));
    ++state_sent[0];
  }

  // ---- receiving
  /// Take one message with `tag` from `source` (may be MPI_ANY_SOURCE) if one is there (`block`: wait).
  bool receive_one(int source, int tag, bool block) {
    MPI_Status st;
    int flag = 1;
    if (block) {
      RK_MPI_CHECK(MPI_Probe(source, tag, comm, &st));
    } else {
      RK_MPI_CHECK(MPI_Iprobe(source, tag, comm, &flag, &st));
      if (!flag) return false;
    }
    int count = 0;
    RK_MPI_CHECK(MPI_Get_count(&st, MPI_BYTE, &count));
    std::vector<std::byte> buf(static_cast<std::size_t>(count));
    RK_MPI_CHECK(MPI_Recv(buf.data(), count, MPI_BYTE, st.MPI_SOURCE, tag, comm, MPI_STATUS_IGNORE));
    const auto peer = static_cast<std::size_t>(st.MPI_SOURCE);
    if (tag == kTagData) {
      ++data_received[peer];
      std::uint64_t n = 0;
      for (std::size_t at = 0; at + sizeof(Slot) + sizeof(std::uint64_t) <= buf.size(); ++n) {
        Slot s;
        std::uint64_t len = 0;
        std::memcpy(&s, buf.data() + at, sizeof(Slot));
        std::memcpy(&len, buf.data() + at + sizeof(Slot), sizeof len);
        const std::byte* block = buf.data() + at + sizeof(Slot) + sizeof len;
        at += sizeof(Slot) + sizeof len + ((len + 7) & ~std::uint64_t{7});
        if (at > buf.size()) throw MpiError("malformed batch from rank " + std::to_string(peer));
        if (len > 0 && !place_block(s, block, len)) {
          dead_letter(s, SendStatus::TooLarge);
          continue;
        }
        route(s);
      }
      std::lock_guard lk(counters_mu);
      counters.messages_received += n;
      counters.batches_received += 1;
      counters.bytes_received += buf.size();
    } else if (tag == kTagState) {
      ++state_received[peer];
      const std::size_t n = buf.size() / sizeof(RemoteKernelState);
      std::lock_guard lk(state_mu);
      for (std::size_t i = 0; i < n; ++i) {
        RemoteKernelState r;
        std::memcpy(&r, buf.data() + i * sizeof(RemoteKernelState), sizeof r);
        if (r.id < states.size()) states[r.id] = r;
      }
    } else {
      ++control_received[peer];
      std::uint64_t word = 0;
      if (buf.size() == sizeof word) std::memcpy(&word, buf.data(), sizeof word);
      if (word == kStop) stop_seen = true;
    }
    return true;
  }

  bool receive_some() {
    bool any = false;
    while (receive_one(MPI_ANY_SOURCE, kTagControl, false)) any = true;
    while (receive_one(MPI_ANY_SOURCE, kTagState, false)) any = true;
    for (int i = 0; i < 16 && pending_total < opt.max_pending && receive_one(MPI_ANY_SOURCE, kTagData, false); ++i) any = true;
    return any;
  }

  /// A by-reference block shipped with a message goes to the same offset of this rank's arena of the
  /// same id, before the message is delivered (so the receiver reads it as if the sender were local).
  bool place_block(const Slot& s, const std::byte* block, std::uint64_t len) {
    if (s.header.payload_size != sizeof(PayloadRef)) return false;
    PayloadRef ref;
    std::memcpy(&ref, s.payload, sizeof ref);
    const ArenaView* a = arena(ref.arena_id);
    std::byte* dst = a ? a->resolve(ref) : nullptr;
    if (dst == nullptr || ref.size != len) return false;
    std::memcpy(dst, block, len);
    return true;
  }

  void dead_letter(const Slot& s, SendStatus why) {
    rt.record_dead_letter(s, why);
    std::lock_guard lk(counters_mu);
    ++counters.dead_letters;
  }

  void route(const Slot& s) {
    const KernelId dest = s.header.dest_kernel;
    if (dest == kHostKernel) {
      std::lock_guard lk(host_mu);
      const KernelId from = s.header.source_kernel;
      if (rank != 0 || from >= host_inbox.size()) {
        dead_letter(s, SendStatus::UnknownKernel);
      } else {
        host_inbox[from].push_back(s);
      }
      return;
    }
    if (dest >= owner.size() || owner[dest] != rank) {
      dead_letter(s, SendStatus::UnknownKernel);
      return;
    }
    auto it = pending.find(dest);
    if (it != pending.end() && !it->second.empty()) {  // keep arrival order behind what waits already
      it->second.push_back(s);
      ++pending_total;
      return;
    }
    const SendStatus st = rt.deliver_stamped(dest, s);
    if (st == SendStatus::Ok) return;
    if (st == SendStatus::Full) {
      pending[dest].push_back(s);
      ++pending_total;
      return;
    }
    dead_letter(s, st);
  }

  bool deliver_pending() {
    bool any = false;
    for (auto it = pending.begin(); it != pending.end();) {
      auto& q = it->second;
      while (!q.empty()) {
        const SendStatus st = rt.deliver_stamped(it->first, q.front());
        if (st == SendStatus::Full) break;
        if (st != SendStatus::Ok) dead_letter(q.front(), st);
        q.pop_front();
        --pending_total;
        any = true;
      }
      it = q.empty() ? pending.erase(it) : std::next(it);
    }
    return any;
  }

  // ---- the thread
  void loop() {
    auto next_state = std::chrono::steady_clock::now();
    std::uint32_t idle = 0;
    for (;;) {
      if (abandon.load(std::memory_order_acquire)) return;
      if (rank == 0 && stop_requested.load(std::memory_order_acquire)) {
        collect(true);
        send_staged(true);
        const std::uint64_t word = kStop;
        for (int p = 1; p < size; ++p) {
          isend(p, kTagControl, bytes_of(&word, 1));
          ++control_sent[static_cast<std::size_t>(p)];
        }
        return;
      }
      bool busy = collect(false);
      busy |= send_staged(false);
      busy |= complete_sends();
      busy |= receive_some();
      busy |= deliver_pending();
      if (rank != 0 && std::chrono::steady_clock::now() >= next_state) {
        send_states();
        next_state = std::chrono::steady_clock::now() + opt.state_interval;
      }
      if (stop_seen) {
        // Rank 0 is done with the run: a last state report and everything the kernels still had.
        collect(true);
        send_staged(true);
        send_states();
        return;
      }
      if (busy) {
        idle = 0;
      } else if (++idle < 256) {
        cpu_relax();
      } else if (idle < 512) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    }
  }

  /// After the thread: receive exactly what the peers sent and this rank has not received yet.
  void settle() {
    const auto n = static_cast<std::size_t>(size);
    std::vector<std::uint64_t> sent(3 * n), expected(3 * n);
    for (std::size_t p = 0; p < n; ++p) {
      sent[3 * p] = data_sent[p];
      sent[3 * p + 1] = state_sent[p];
      sent[3 * p + 2] = control_sent[p];
    }
    RK_MPI_CHECK(MPI_Alltoall(sent.data(), 3, MPI_UINT64_T, expected.data(), 3, MPI_UINT64_T, comm));
    for (std::size_t p = 0; p < n; ++p) {
      const int src = static_cast<int>(p);
      while (control_received[p] < expected[3 * p + 2]) receive_one(src, kTagControl, true);
      while (state_received[p] < expected[3 * p + 1]) receive_one(src, kTagState, true);
      while (data_received[p] < expected[3 * p]) receive_one(src, kTagData, true);
    }
    for (auto& s : inflight) RK_MPI_CHECK(MPI_Wait(&s.request, MPI_STATUS_IGNORE));
    inflight.clear();
    // What still waits for a full input ring gets until settle_timeout; after that it is a dead letter.
    const auto deadline = std::chrono::steady_clock::now() + opt.settle_timeout;
    while (pending_total > 0 && std::chrono::steady_clock::now() < deadline) {
      if (!deliver_pending()) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    for (auto& [dest, q] : pending)
      for (const Slot& s : q) dead_letter(s, SendStatus::Full);
    pending.clear();
    pending_total = 0;
    // Whatever kernels sent to other ranks after the bridge closed was refused (dead-lettered by
    // their broker); whatever sits in the outboxes now was accepted before and is counted here.
    Slot s;
    for (auto& box : outbox)
      if (box)
        while ((*box)->try_dequeue(s) == QueueStatus::Ok) dead_letter(s, SendStatus::Closed);
    // The host has finished reading: what kernels of other ranks sent it and it did not read is kept
    // as a dead letter, as a single process keeps the unread output of a terminated kernel.
    std::lock_guard lk(host_mu);
    for (auto& q : host_inbox) {
      for (const Slot& m : q) {
        dead_letter(m, SendStatus::Closed);
        std::lock_guard c(counters_mu);
        ++counters.unread_host_messages;
      }
      q.clear();
    }
  }
};

MpiBridge::MpiBridge(const Environment& env, RingKernelRuntime& rt, std::vector<int> owner, std::vector<std::string> names,
                     BridgeOptions options)
    : rt_(rt), owner_(std::move(owner)), rank_(env.rank()) {
  if (names.size() != owner_.size()) throw MpiError("MpiBridge: owner and names differ in length");
  for (int o : owner_)
    if (o < 0 || o >= env.size()) throw MpiError("MpiBridge: kernel owner rank " + std::to_string(o) + " out of range");
  impl_ = std::make_unique<Impl>(env, rt, owner_, std::move(names), options);
}

MpiBridge::~MpiBridge() {
  // Destroyed without stop() (an exception on the way): the thread leaves its loop at once.
  if (impl_ && impl_->thread.joinable()) {
    impl_->abandon.store(true, std::memory_order_release);
    impl_->thread.join();
  }
  for (KernelId k = 0; k < owner_.size(); ++k)
    if (owner_[k] != rank_) rt_.set_remote_route(k, nullptr);
}

void MpiBridge::start() {
  for (KernelId k = 0; k < owner_.size(); ++k)
    if (owner_[k] != rank_) rt_.set_remote_route(k, this);
  impl_->thread = std::thread([this] {
    try {
      impl_->loop();
    } catch (const std::exception& e) {
      std::lock_guard lk(impl_->done_mu);
      impl_->error = e.what();
    }
    impl_->closed.store(true, std::memory_order_release);
    {
      std::lock_guard lk(impl_->done_mu);
      impl_->loop_done = true;
    }
    impl_->done_cv.notify_all();
  });
}

void MpiBridge::wait_for_stop() {
  std::unique_lock lk(impl_->done_mu);
  impl_->done_cv.wait(lk, [&] { return impl_->loop_done; });
}

BridgeCounters MpiBridge::stop() {
  impl_->stop_requested.store(true, std::memory_order_release);
  if (impl_->thread.joinable()) impl_->thread.join();
  try {
    impl_->settle();
  } catch (const std::exception& e) {
    std::lock_guard lk(impl_->done_mu);
    if (impl_->error.empty()) impl_->error = e.what();
  }
  return counters();
}

std::string MpiBridge::error() const {
  std::lock_guard lk(impl_->done_mu);
  return impl_->error.empty() ? std::string() : "MPI bridge on rank " + std::to_string(rank_) + ": " + impl_->error;
}

void MpiBridge::register_arena(const ArenaView& arena) {
  if (impl_->thread.joinable()) throw MpiError("register_arena: the bridge has started");
  if (impl_->arena(arena.arena_id) != nullptr)
    throw MpiError("register_arena: arena id " + std::to_string(arena.arena_id) + " is registered already");
  impl_->arenas.push_back(arena);
}

SendStatus MpiBridge::forward(KernelId target, const Slot& message) {
  if (target >= owner_.size() || owner_[target] == rank_) return SendStatus::UnknownKernel;
  if (impl_->closed.load(std::memory_order_acquire)) return SendStatus::Closed;
  if ((*impl_->outbox[static_cast<std::size_t>(owner_[target])])->try_enqueue(message) == QueueStatus::Ok)
    return SendStatus::Ok;
  impl_->full_outbox.fetch_add(1, std::memory_order_relaxed);
  return SendStatus::Full;
}

QueueStatus MpiBridge::host_receive(KernelId kernel, Slot& out) {
  std::lock_guard lk(impl_->host_mu);
  if (kernel >= impl_->host_inbox.size() || impl_->host_inbox[kernel].empty()) return QueueStatus::Empty;
  out = impl_->host_inbox[kernel].front();
  impl_->host_inbox[kernel].pop_front();
  return QueueStatus::Ok;
}

std::optional<RemoteKernelState> MpiBridge::remote_state(KernelId kernel) const {
  std::lock_guard lk(impl_->state_mu);
  if (kernel >= impl_->states.size()) return std::nullopt;
  return impl_->states[kernel];
}

BridgeCounters MpiBridge::counters() const {
  std::lock_guard lk(impl_->counters_mu);
  BridgeCounters c = impl_->counters;
  c.full_outbox = impl_->full_outbox.load(std::memory_order_relaxed);
  return c;
}

}  // namespace rk::mpi
