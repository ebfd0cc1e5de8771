// MpiBridge: ring-kernel messages between the processes of an MPI run (one rank per device group).
//
// Every rank runs the kernels of its own devices in its own runtime (RingKernelRuntime: any backend that
// can span processes); the bridge makes the others
// reachable. A kernel that sends K2K to a kernel of another rank goes through its runtime's remote route
// into the bridge's outbox for that rank (an MPSC ring; Full when the peer falls behind, so senders back
// off exactly as for a full input ring). The bridge thread sends outboxes in batches of slots
// (MPI_Isend, at most `max_inflight_batches` unfinished per peer), receives the peers' batches and
// delivers them into the local input rings — in arrival order per target, so per-sender FIFO holds
// (MPI does not overtake between one pair of ranks on one tag). Ranks other than 0 also forward every
// output of their kernels (kernel → host) to rank 0, where the host (the workload driver) runs, and send
// rank 0 their kernels' status, metrics and telemetry every `state_interval` and once more at the end.
// Payloads passed by reference (PayloadRef) into a registered arena travel with their message.
//
// Ending is collective: rank 0 calls stop() when its workload is done, which tells every rank; then all
// ranks exchange how many batches each sent to each, receive exactly the ones still on the wire, and
// deliver them (or dead-letter them), so no message is lost without being counted.
//
// Threading: between start() and stop() only the bridge thread calls MPI; the caller may use MPI again
// after stop() returns (MPI_THREAD_SERIALIZED is enough).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rk/core/runtime.hpp"
#include "rk/mpi/environment.hpp"

namespace rk::mpi {

/// What rank 0 knows of a kernel that runs on another rank, as that rank last reported it.
struct RemoteKernelState {
  KernelId id = 0;
  KernelState state = KernelState::Launched;
  std::int32_t device = 0;
  std::uint64_t messages_processed = 0;
  std::uint64_t messages_in_flight = 0;
  std::uint32_t error_count = 0;
  KernelError last_error = KernelError::None;
  KernelMetrics metrics{};
  TelemetrySnapshot telemetry{};
};

struct BridgeOptions {
  std::uint32_t outbox_capacity = 1u << 14;  ///< slots per peer rank (power of two)
  std::uint32_t batch_slots = 256;           ///< messages per MPI message at most (64 KiB)
  std::uint32_t max_inflight_batches = 8;    ///< unfinished sends per peer before the outbox backs up
  std::size_t max_pending = 1u << 16;        ///< received messages waiting for full input rings before
                                             ///< the bridge stops taking more from the network
  std::chrono::milliseconds state_interval{100};
  std::chrono::milliseconds settle_timeout{5000};  ///< at stop: how long to retry full input rings
};

/// Traffic through one rank's bridge.
struct BridgeCounters {
  std::uint64_t messages_sent = 0, messages_received = 0;
  std::uint64_t batches_sent = 0, batches_received = 0;
  std::uint64_t bytes_sent = 0, bytes_received = 0;
  std::uint64_t full_outbox = 0;        ///< forwards refused because a peer's outbox was full
  std::uint64_t dead_letters = 0;       ///< received messages that could not be delivered
  std::uint64_t unread_host_messages = 0;  ///< kernel → host messages rank 0's host never read (dead letters)
};

class MpiBridge final : public RemoteEndpoint {
 public:
  /// `owner[k]`: the rank that runs kernel id k (one entry per kernel of the run, ids 0..n-1); `names[k]`
  /// its name. Kernels owned by this rank must be launched in `rt` before start().
  MpiBridge(const Environment& env, RingKernelRuntime& rt, std::vector<int> owner, std::vector<std::string> names,
            BridgeOptions options = {});
  ~MpiBridge() override;
  MpiBridge(const MpiBridge&) = delete;
  MpiBridge& operator=(const MpiBridge&) = delete;

  /// Make by-reference payloads into `arena` cross ranks (before start()): a message whose PayloadRef points
  /// into it travels with the referenced bytes, which the receiving rank copies to the same offset of its
  /// own arena of the same id before delivering the message. Every rank registers its copy of the arena
  /// (same id, same layout). The sender keeps the block unchanged until the receiver has consumed it, as
  /// within one process.
  void register_arena(const ArenaView& arena);
  /// Install the remote routes in the runtime and start the bridge thread.
  void start();
  /// Ranks other than 0: block until rank 0 ends the run (or the bridge fails).
  void wait_for_stop();
  /// Collective, on every rank's main thread: rank 0 ends the run everywhere; then every rank receives
  /// what is still on the wire and delivers it. Returns this rank's counters. Never throws (so that every
  /// rank goes on to the next collective call); a failure of the bridge is in error() afterwards.
  BridgeCounters stop();
  /// Why the bridge failed (an MPI error in its thread or while settling); empty when it did not.
  std::string error() const;

  /// Broker side: a stamped message for `target`, a kernel of another rank. Full when that rank's
  /// outbox is full (retry). Rank 0's DistributedRuntime forwards host messages this way too.
  SendStatus forward(KernelId target, const Slot& message) override;
  /// Rank 0: the host's next message from a kernel of another rank (Empty when none has arrived).
  QueueStatus host_receive(KernelId kernel, Slot& out);
  /// Rank 0: the last state a kernel of another rank reported (nullopt before its first report).
  std::optional<RemoteKernelState> remote_state(KernelId kernel) const;

  int rank() const { return rank_; }
  int owner(KernelId kernel) const { return kernel < owner_.size() ? owner_[kernel] : -1; }
  BridgeCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  RingKernelRuntime& rt_;
  std::vector<int> owner_;
  int rank_ = 0;
};

}  // namespace rk::mpi
