// Bounded lock-free rings over fixed-size slots: SpscRing (one producer, one consumer) and MpscRing
// (many producers, one consumer). A ring is a view over memory the backend gives it (host, mapped
// pinned or device), so the same ring is written by the host and read by a persistent GPU kernel.
//
// Design: every slot carries a 32-bit sequence word that only producers write: a message at position
// p is ready when its slot's word reads p + 1, so the consumer polls the slot itself and the slot's line
// arrives together with its "ready" flag (one cache-line or PCIe transfer per message). The consumer
// never writes a slot; it publishes its position (`head`) on a line of its own, which producers read
// only when their cached copy says the ring is full. So slot lines are written by one side only and
// never bounce back. For MessageSlot the sequence word is the last word of the 64-byte header
// (MessageHeader::ring_seq); other element types get a small wrapper cell. Only the header and
// `payload_size` bytes are copied.
#pragma once

#include "rk/core/config.hpp"
#include "rk/core/message.hpp"

#if !RK_DEVICE_CODE
#include <chrono>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#endif

namespace rk {

/// Outcome of a queue operation (the seed's QueueError plus Ok).
enum class QueueStatus : std::uint8_t { Ok, Full, Empty, Timeout, Closed };

RK_HOST_DEVICE constexpr const char* to_string(QueueStatus s) {
  switch (s) {
    case QueueStatus::Ok: return "ok";
    case QueueStatus::Full: return "queue is full";
    case QueueStatus::Empty: return "queue is empty";
    case QueueStatus::Timeout: return "operation timed out";
    case QueueStatus::Closed: return "queue has been closed";
  }
  return "?";
}

/// Counters of a ring. `total_dropped` counts enqueue attempts refused because the ring was full or
/// closed (the caller still holds the message). Latency is sampled: one message in 64 carries an
/// enqueue timestamp when the ring was created with track_latency (valid when both sides share a clock).
/// `peak_depth` is sampled every 64 enqueues and whenever statistics are read.
struct QueueStatistics {
  std::uint64_t total_enqueued = 0;
  std::uint64_t total_dequeued = 0;
  std::uint64_t total_dropped = 0;
  std::uint64_t average_latency_ns = 0;
  std::uint64_t latency_samples = 0;
  std::uint64_t peak_depth = 0;
};

struct RingOptions {
  bool track_latency = false;
};

#if !RK_DEVICE_CODE && defined(__x86_64__)
/// Whether this CPU has PREFETCHW (CPUID 0x80000001, ECX bit 8: every x86-64 CPU from Intel Broadwell
/// and AMD K8 on), read once at start-up; the ring's ownership hint is skipped without it.
inline const bool kCpuHasPrefetchw = [] {
  unsigned a = 0x80000001u, b = 0, c = 0, d = 0;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return ((c >> 8) & 1u) != 0;
}();
#endif

inline constexpr std::uint32_t kMinRingCapacity = 2;
inline constexpr std::uint32_t kMaxRingCapacity = 1u << 24;
inline constexpr std::uint32_t kLatencySampleMask = 63;

/// The shared state at the start of a ring's memory. Each side's hot fields have their own cache line.
struct RingState {
  static constexpr std::uint64_t kMagic = 0x524B52494E470001ull;  // "RKRING" v1
  // Line 0: written once at creation.
  std::uint64_t magic;
  std::uint32_t capacity;
  std::uint32_t cell_bytes;
  std::uint32_t flags;  // bit 0: track latency
  std::uint32_t reserved0;
  std::uint64_t cells_offset;
  std::uint64_t timestamps_offset;
  // Line 1: producers. `tail` is the next position to fill (shared by CAS in the MPSC ring);
  // `cached_head` is the producers' last look at `head` (a lower bound of it).
  alignas(kCacheLine) std::uint64_t tail;
  std::uint64_t dropped;
  std::uint64_t peak_depth;
  std::uint64_t cached_head;
  // Line 2: the consumer.
  alignas(kCacheLine) std::uint64_t head;
  std::uint64_t latency_sum_ns;
  std::uint64_t latency_samples;
  // Line 3: read by everyone, written once.
  alignas(kCacheLine) std::uint32_t closed;
};
static_assert(sizeof(RingState) == 4 * kCacheLine);
static_assert(offsetof(RingState, tail) == 64);
static_assert(offsetof(RingState, head) == 128);
static_assert(offsetof(RingState, closed) == 192);

/// How a ring stores elements of type T. Generic types are wrapped with a sequence word; MessageSlot
/// uses its header's ring_seq and copies only the bytes in use.
template <class T>
struct RingCell {
  struct Cell {
    std::uint32_t seq;
    T value;
  };
  RK_HOST_DEVICE static std::uint32_t& seq(Cell& c) { return c.seq; }
  RK_HOST_DEVICE static void write(Cell& c, const T& v) { memcpy(&c.value, &v, sizeof(T)); }
  RK_HOST_DEVICE static void read(T& out, const Cell& c) { memcpy(&out, &c.value, sizeof(T)); }
};

template <std::uint32_t N>
struct RingCell<MessageSlot<N>> {
  using Cell = MessageSlot<N>;
  static constexpr std::size_t kSeqOffset = offsetof(MessageHeader, ring_seq);
  RK_HOST_DEVICE static std::uint32_t& seq(Cell& c) { return c.header.ring_seq; }
  // The header's first 48 bytes are three 16-byte words, then three 4-byte words up to ring_seq; the
  // payload is copied in 16-byte words (rounded up: the slot's payload area is a multiple of 64 bytes).
  static_assert(kSeqOffset == 60 && alignof(MessageHeader) == 16 && Cell::kPayloadCapacity % 16 == 0);
  RK_HOST_DEVICE static std::uint32_t payload_words(std::uint32_t p) {
    return ((p < Cell::kPayloadCapacity ? p : Cell::kPayloadCapacity) + 15) / 16;
  }
  RK_HOST_DEVICE static void copy_header(MessageHeader& dst, const MessageHeader& src) {
    // Never overwrite the sequence word non-atomically: the consumer may be polling it.
    copy_words16(&dst, &src, 3);
    copy_words4(reinterpret_cast<std::byte*>(&dst) + 48, reinterpret_cast<const std::byte*>(&src) + 48, 3);
  }
  RK_HOST_DEVICE static void write(Cell& c, const MessageSlot<N>& v) {
    copy_header(c.header, v.header);
    copy_words16(c.payload, v.payload, payload_words(v.header.payload_size));
  }
  RK_HOST_DEVICE static void read(MessageSlot<N>& out, const Cell& c) {
    copy_header(out.header, c.header);
    copy_words16(out.payload, c.payload, payload_words(out.header.payload_size));
  }
};

/// The private position of the one producer (`pos` = tail, `other` = its last look at head) or of the
/// one consumer (`pos` = head) of a single-producer ring, kept where that side reads it cheaply (a GPU's
/// own memory or registers). With it neither side reads its own index from the ring's shared memory,
/// which for a ring in mapped host memory is a PCIe round trip per access (see try_enqueue_owned).
struct RingCursor {
  std::uint64_t pos = 0;
  std::uint64_t other = 0;
};

namespace detail {

enum class RingKind { Spsc, Mpsc };

/// The common machinery of both rings; Kind only changes how producers claim a position.
template <class T, RingKind Kind>
class RingBase {
 public:
  static_assert(std::is_trivially_copyable_v<T>, "ring elements are copied byte-wise");
  using value_type = T;
  using Ops = RingCell<T>;
  using Cell = typename Ops::Cell;

  RingBase() = default;

  /// Bytes of memory a ring of `capacity` slots needs (state, cells and optional timestamps).
  RK_HOST_DEVICE static constexpr std::size_t bytes_required(std::uint32_t capacity,
                                                             RingOptions opts = {}) {
    return cells_offset() + std::size_t{capacity} * sizeof(Cell) +
           (opts.track_latency ? std::size_t{capacity} * sizeof(std::uint64_t) : 0);
  }

  /// Initialise a ring in `memory` (writable by the caller: host or mapped memory; for device memory
  /// build it in a host staging buffer, copy it over, then attach() on the device).
  /// Returns an invalid ring (valid() == false) on bad arguments.
  RK_HOST_DEVICE static RingBase create(void* memory, std::size_t bytes, std::uint32_t capacity,
                                        RingOptions opts = {}) {
    RingBase r;
    if (memory == nullptr || !is_power_of_two(capacity) || capacity < kMinRingCapacity ||
        capacity > kMaxRingCapacity || bytes < bytes_required(capacity, opts) ||
        reinterpret_cast<std::uintptr_t>(memory) % kCacheLine != 0)
      return r;
    auto* st = static_cast<RingState*>(memory);
    memset(static_cast<void*>(st), 0, sizeof(RingState));
    st->capacity = capacity;
    st->cell_bytes = static_cast<std::uint32_t>(sizeof(Cell));
    st->flags = opts.track_latency ? 1u : 0u;
    st->cells_offset = cells_offset();
    st->timestamps_offset = opts.track_latency ? cells_offset() + std::size_t{capacity} * sizeof(Cell) : 0;
    auto* cells = reinterpret_cast<Cell*>(static_cast<std::byte*>(memory) + st->cells_offset);
    // Sequence 0 matches no position's "ready" value (p + 1 ≥ 1 in the first lap).
    for (std::uint32_t i = 0; i < capacity; ++i) memset(static_cast<void*>(&cells[i]), 0, sizeof(Cell));
    st->magic = RingState::kMagic;
    return attach(memory);
  }

  /// A view of a ring that create() initialised; invalid if the memory holds no ring of this type.
  RK_HOST_DEVICE static RingBase attach(void* memory) {
    RingBase r;
    auto* st = static_cast<RingState*>(memory);
    if (st == nullptr || st->magic != RingState::kMagic || st->cell_bytes != sizeof(Cell)) return r;
    r.st_ = st;
    r.cells_ = reinterpret_cast<Cell*>(static_cast<std::byte*>(memory) + st->cells_offset);
    r.ts_ = st->timestamps_offset
                ? reinterpret_cast<std::uint64_t*>(static_cast<std::byte*>(memory) + st->timestamps_offset)
                : nullptr;
    r.capacity_ = st->capacity;
    r.mask_ = st->capacity - 1;
    return r;
  }

  RK_HOST_DEVICE bool valid() const { return st_ != nullptr; }
  RK_HOST_DEVICE std::uint32_t capacity() const { return capacity_; }
  RK_HOST_DEVICE void* memory() const { return st_; }

  /// Messages in the ring (exact when both sides are quiescent, approximate while they run).
  RK_HOST_DEVICE std::uint64_t size() const {
    const std::uint64_t h = atomics::load_relaxed(st_->head);
    const std::uint64_t t = atomics::load_relaxed(st_->tail);
    const std::uint64_t n = t > h ? t - h : 0;
    return n > capacity_ ? capacity_ : n;
  }
  RK_HOST_DEVICE bool empty() const { return size() == 0; }
  RK_HOST_DEVICE bool full() const { return size() >= capacity_; }
  RK_HOST_DEVICE std::uint64_t free_slots() const { return capacity_ - size(); }

  /// Close the ring: further enqueues fail with Closed; the consumer drains what is left, then gets
  /// Closed instead of Empty. A message racing with close() may still be dequeued after a Closed.
  RK_HOST_DEVICE void close() { atomics::store_release(st_->closed, 1u); }
  RK_HOST_DEVICE bool is_closed() const { return atomics::load_acquire(st_->closed) != 0; }

  RK_HOST_DEVICE RK_FORCEINLINE QueueStatus try_enqueue(const T& v) {
    if (atomics::load_relaxed(st_->closed)) return refuse(QueueStatus::Closed);
    std::uint64_t pos = atomics::load_relaxed(st_->tail);
    if constexpr (Kind == RingKind::Spsc) {
      if (!has_room(pos)) return refuse(QueueStatus::Full);
      atomics::store_relaxed(st_->tail, pos + 1);
    } else {
      for (;;) {
        if (!has_room(pos)) return refuse(QueueStatus::Full);
        if (atomics::compare_exchange(st_->tail, pos, pos + 1)) break;  // else pos = current tail
      }
    }
    Cell& c = cells_[pos & mask_];
    Ops::write(c, v);
    if ((pos & kLatencySampleMask) == 0) sample_on_enqueue(pos);
    atomics::store_release(Ops::seq(c), static_cast<std::uint32_t>(pos + 1));
    return QueueStatus::Ok;
  }

  RK_HOST_DEVICE RK_FORCEINLINE QueueStatus try_dequeue(T& out) {
    const std::uint64_t pos = atomics::load_relaxed(st_->head);
    Cell& c = cells_[pos & mask_];
    if (atomics::load_acquire(Ops::seq(c)) != static_cast<std::uint32_t>(pos + 1)) {
#if !RK_DEVICE_CODE
      // Pull the slot's second line while waiting, so a payload past the header does not cost a second
      // cache miss after the "ready" word arrives (a hint only: no data is read).
      if constexpr (sizeof(Cell) > kCacheLine) __builtin_prefetch(reinterpret_cast<const char*>(&c) + kCacheLine);
#endif
      if (!is_closed()) return QueueStatus::Empty;
      // Closed: one more look, so a message published just before close() is not missed.
      if (atomics::load_acquire(Ops::seq(c)) != static_cast<std::uint32_t>(pos + 1)) return QueueStatus::Closed;
    }
    Ops::read(out, c);
    if (ts_ != nullptr && (pos & kLatencySampleMask) == 0) {
      const std::uint64_t t0 = atomics::load_relaxed(ts_[pos & mask_]);
      const std::uint64_t now = monotonic_ns();
      if (t0 != 0 && now >= t0) {
        atomics::store_relaxed(st_->latency_sum_ns, atomics::load_relaxed(st_->latency_sum_ns) + (now - t0));
        atomics::store_relaxed(st_->latency_samples, atomics::load_relaxed(st_->latency_samples) + 1);
      }
    }
    // Releasing head hands the slot back: producers reuse it only after seeing this store.
    atomics::store_release(st_->head, pos + 1);
    return QueueStatus::Ok;
  }

  /// The single producer's enqueue with its private cursor (SPSC rings only): reads the consumer's `head`
  /// only when the cursor says full, never reads `tail` or `closed`, and performs no read-modify-write on
  /// the ring's memory, so a GPU producing into mapped host memory issues posted writes only. Refusals are
  /// not counted in the ring (the caller counts them). The ring's `tail` is still published for size().
  RK_HOST_DEVICE RK_FORCEINLINE QueueStatus try_enqueue_owned(const T& v, RingCursor& cur) {
    static_assert(Kind == RingKind::Spsc, "an owned producer cursor needs a single producer");
    const std::uint64_t pos = cur.pos;
    if (pos - cur.other >= capacity_) {
      cur.other = atomics::load_acquire(st_->head);
      if (pos - cur.other >= capacity_) return QueueStatus::Full;
    }
    Cell& c = cells_[pos & mask_];
    Ops::write(c, v);
    atomics::store_release(Ops::seq(c), static_cast<std::uint32_t>(pos + 1));
    atomics::store_relaxed(st_->tail, pos + 1);
    cur.pos = pos + 1;
    return QueueStatus::Ok;
  }

  /// The single consumer's dequeue with its private cursor: never reads `head` or `closed` (an empty ring
  /// is Empty, closed or not), publishes `head` with a release store (a posted write over PCIe).
  RK_HOST_DEVICE RK_FORCEINLINE QueueStatus try_dequeue_owned(T& out, RingCursor& cur) {
    const std::uint64_t pos = cur.pos;
    Cell& c = cells_[pos & mask_];
    if (atomics::load_acquire(Ops::seq(c)) != static_cast<std::uint32_t>(pos + 1)) return QueueStatus::Empty;
    Ops::read(out, c);
    atomics::store_release(st_->head, pos + 1);
    cur.pos = pos + 1;
    return QueueStatus::Ok;
  }
  /// Whether the consumer with cursor `cur` has a message ready (reads one sequence word).
  RK_HOST_DEVICE bool has_message_owned(const RingCursor& cur) const {
    return atomics::load_acquire(Ops::seq(cells_[cur.pos & mask_])) == static_cast<std::uint32_t>(cur.pos + 1);
  }

  /// Whether a message is ready for the consumer (consumer side only; reads one slot's sequence word).
  RK_HOST_DEVICE bool has_message() const {
    const std::uint64_t pos = atomics::load_relaxed(st_->head);
    return atomics::load_acquire(Ops::seq(cells_[pos & mask_])) == static_cast<std::uint32_t>(pos + 1);
  }

  /// Producer side, a hint: start taking ownership of the slot the next enqueue will write (its header
  /// line, and its second line when `payload_bytes` > 0), so that the cache-line transfer overlaps what
  /// the producer does before enqueueing (stamping the message) instead of following it. The consumer
  /// polls that very line, so without this the first store of the enqueue waits for the transfer.
  RK_HOST_DEVICE RK_FORCEINLINE void prepare_enqueue(std::uint32_t payload_bytes) const {
#if !RK_DEVICE_CODE && defined(__x86_64__)
    if (!kCpuHasPrefetchw) return;
    const char* c = reinterpret_cast<const char*>(&cells_[atomics::load_relaxed(st_->tail) & mask_]);
    asm volatile("prefetchw (%0)" ::"r"(c));
    if (sizeof(Cell) > kCacheLine && payload_bytes > 0) asm volatile("prefetchw (%0)" ::"r"(c + kCacheLine));
#else
    (void)payload_bytes;
#endif
  }

  /// Look at the next message without taking it (consumer side only).
  RK_HOST_DEVICE bool peek(T& out) const {
    const std::uint64_t pos = atomics::load_relaxed(st_->head);
    Cell& c = cells_[pos & mask_];
    if (atomics::load_acquire(Ops::seq(c)) != static_cast<std::uint32_t>(pos + 1)) return false;
    Ops::read(out, c);
    return true;
  }

  /// Enqueue up to `n` messages in order; returns how many went in (stops at the first refusal).
  RK_HOST_DEVICE std::uint32_t try_enqueue_batch(const T* items, std::uint32_t n) {
    std::uint32_t i = 0;
    while (i < n && try_enqueue(items[i]) == QueueStatus::Ok) ++i;
    return i;
  }
  /// Dequeue up to `max` messages; returns how many were taken.
  RK_HOST_DEVICE std::uint32_t try_dequeue_batch(T* out, std::uint32_t max) {
    std::uint32_t i = 0;
    while (i < max && try_dequeue(out[i]) == QueueStatus::Ok) ++i;
    return i;
  }

  RK_HOST_DEVICE QueueStatistics statistics() const {
    QueueStatistics s;
    s.total_enqueued = atomics::load_relaxed(st_->tail);
    s.total_dequeued = atomics::load_relaxed(st_->head);
    if (s.total_dequeued > s.total_enqueued) s.total_dequeued = s.total_enqueued;
    s.total_dropped = atomics::load_relaxed(st_->dropped);
    s.latency_samples = atomics::load_relaxed(st_->latency_samples);
    const std::uint64_t sum = atomics::load_relaxed(st_->latency_sum_ns);
    s.average_latency_ns = s.latency_samples ? sum / s.latency_samples : 0;
    // Reading the statistics is a sample too: keep it, so the reported peak never goes down.
    atomics::fetch_max_relaxed(st_->peak_depth, size());
    s.peak_depth = atomics::load_relaxed(st_->peak_depth);
    return s;
  }

#if !RK_DEVICE_CODE
  /// Blocking enqueue: spins, then yields, then sleeps, until there is room, the ring closes or
  /// `timeout` passes (Timeout). Host only.
  QueueStatus enqueue(const T& v, std::chrono::nanoseconds timeout) {
    return wait_for([&] { return try_enqueue(v); }, QueueStatus::Full, timeout);
  }
  /// Blocking dequeue with a timeout (Timeout), or Closed once the ring is closed and drained. Host only.
  QueueStatus dequeue(T& out, std::chrono::nanoseconds timeout) {
    return wait_for([&] { return try_dequeue(out); }, QueueStatus::Empty, timeout);
  }
#endif

 protected:
  RK_HOST_DEVICE static constexpr std::size_t cells_offset() {
    return (sizeof(RingState) + alignof(Cell) - 1) / alignof(Cell) * alignof(Cell);
  }

  /// Whether position `pos` may be written: it is less than a capacity ahead of the consumer. Uses the
  /// producers' cached head first and reads the consumer's line only when that says full.
  RK_HOST_DEVICE bool has_room(std::uint64_t pos) {
    // Signed: an MPSC producer's snapshot of tail may be older than a head that has moved past it
    // (then there is room, and its CAS will fail and retry with the current tail).
    // Acquire/release on cached_head too: a producer that trusts another producer's refresh must also
    // inherit its synchronisation with the consumer's release of head (the consumer is done with those
    // slots), or writing the slot would race with the consumer's last read of it.
    std::uint64_t head = atomics::load_acquire(st_->cached_head);
    if (static_cast<std::int64_t>(pos - head) < static_cast<std::int64_t>(capacity_)) return true;
    head = atomics::load_acquire(st_->head);
    std::uint64_t cur = atomics::load_relaxed(st_->cached_head);
    while (cur < head && !atomics::compare_exchange(st_->cached_head, cur, head)) {
    }
    return static_cast<std::int64_t>(pos - head) < static_cast<std::int64_t>(capacity_);
  }

  RK_HOST_DEVICE QueueStatus refuse(QueueStatus s) {
    atomics::fetch_add_relaxed(st_->dropped, std::uint64_t{1});
    return s;
  }

  RK_HOST_DEVICE void sample_on_enqueue(std::uint64_t pos) {
    // The consumer frees a slot before it advances head, so pos + 1 − head can read one more than the
    // capacity for an instant: cap the sample.
    const std::uint64_t head = atomics::load_relaxed(st_->head);
    if (pos + 1 > head) {
      const std::uint64_t depth = pos + 1 - head;
      atomics::fetch_max_relaxed(st_->peak_depth, depth < capacity_ ? depth : std::uint64_t{capacity_});
    }
    if (ts_ != nullptr) atomics::store_relaxed(ts_[pos & mask_], monotonic_ns());
  }

#if !RK_DEVICE_CODE
  template <class Op>
  static QueueStatus wait_for(Op op, QueueStatus retry_on, std::chrono::nanoseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto sleep = std::chrono::microseconds(10);
    for (std::uint32_t round = 0;; ++round) {
      const QueueStatus s = op();
      if (s != retry_on) return s;
      if (std::chrono::steady_clock::now() >= deadline) return QueueStatus::Timeout;
      if (round < 256) {
        cpu_relax();
      } else if (round < 512) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(sleep);
        if (sleep < std::chrono::microseconds(1000)) sleep *= 2;
      }
    }
  }
#endif

  RingState* st_ = nullptr;
  Cell* cells_ = nullptr;
  std::uint64_t* ts_ = nullptr;
  std::uint32_t capacity_ = 0;
  std::uint32_t mask_ = 0;
};

}  // namespace detail

/// Single-producer single-consumer ring. Exactly one thread (or one GPU thread) enqueues and one
/// dequeues at a time; either side may move between threads given a happens-before handoff.
template <class T>
class SpscRing : public detail::RingBase<T, detail::RingKind::Spsc> {
  using Base = detail::RingBase<T, detail::RingKind::Spsc>;

 public:
  SpscRing() = default;
  RK_HOST_DEVICE SpscRing(const Base& b) : Base(b) {}  // NOLINT: views convert implicitly
  RK_HOST_DEVICE static SpscRing create(void* m, std::size_t bytes, std::uint32_t cap, RingOptions o = {}) {
    return SpscRing(Base::create(m, bytes, cap, o));
  }
  RK_HOST_DEVICE static SpscRing attach(void* m) { return SpscRing(Base::attach(m)); }
};

/// Multi-producer single-consumer ring: producers claim positions with a CAS; per-producer FIFO holds.
template <class T>
class MpscRing : public detail::RingBase<T, detail::RingKind::Mpsc> {
  using Base = detail::RingBase<T, detail::RingKind::Mpsc>;

 public:
  MpscRing() = default;
  RK_HOST_DEVICE MpscRing(const Base& b) : Base(b) {}  // NOLINT: views convert implicitly
  RK_HOST_DEVICE static MpscRing create(void* m, std::size_t bytes, std::uint32_t cap, RingOptions o = {}) {
    return MpscRing(Base::create(m, bytes, cap, o));
  }
  RK_HOST_DEVICE static MpscRing attach(void* m) { return MpscRing(Base::attach(m)); }
};

#if !RK_DEVICE_CODE
/// A ring together with the host memory it lives in (64-byte aligned). Movable, not copyable.
template <class Ring>
class OwnedRing {
 public:
  explicit OwnedRing(std::uint32_t capacity, RingOptions opts = {}) {
    if (!is_power_of_two(capacity) || capacity < kMinRingCapacity || capacity > kMaxRingCapacity)
      throw std::invalid_argument("ring capacity must be a power of two in [2, 2^24], got " +
                                  std::to_string(capacity));
    bytes_ = Ring::bytes_required(capacity, opts);
    mem_.reset(static_cast<std::byte*>(::operator new(bytes_, std::align_val_t{kCacheLine})));
    ring_ = Ring::create(mem_.get(), bytes_, capacity, opts);
  }
  Ring& operator*() { return ring_; }
  Ring* operator->() { return &ring_; }
  const Ring* operator->() const { return &ring_; }
  Ring& get() { return ring_; }
  const Ring& get() const { return ring_; }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Free {
    void operator()(std::byte* p) const { ::operator delete(p, std::align_val_t{kCacheLine}); }
  };
  std::unique_ptr<std::byte, Free> mem_;
  std::size_t bytes_ = 0;
  Ring ring_;
};
#endif

}  // namespace rk
