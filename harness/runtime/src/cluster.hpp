// Internal: the processes of a run behind one interface. A single process, or the ranks of an MPI job
// (cluster_mpi.cpp, built when kernels/mpi is): collective calls, typed gathers at rank 0, and the link
// that joins this process's runtime to the other ranks' (the MPI bridge). The driver has no #if.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "rk/core/runtime.hpp"
#include "rk/harness/driver.hpp"
#include "rk/workloads/workload.hpp"

namespace rk::harness {

/// Traffic through one process's link to the others (all zero for a single process).
struct LinkCounters {
  std::uint64_t messages_sent = 0, batches_sent = 0, bytes_sent = 0, messages_received = 0;
  std::uint64_t full_outbox = 0;           ///< forwards refused because a peer's outbox was full
  std::uint64_t dead_letters = 0;          ///< received messages that could not be delivered
  std::uint64_t unread_host_messages = 0;  ///< kernel → host messages rank 0's host never read
};

/// What joins this process's runtime to the runtimes of the other processes of the run.
class ClusterLink {
 public:
  virtual ~ClusterLink() = default;
  /// Every kernel of the run as the host sees it (the local runtime for a single process).
  virtual RingKernelRuntime& runtime() = 0;
  /// Where a workload registers the arenas its by-reference payloads live in, so they cross processes;
  /// nullptr for a single process (nothing to cross).
  virtual workloads::SharedArenas* arenas() = 0;
  /// Start carrying messages (after every rank launched and activated its kernels).
  virtual void start() = 0;
  /// Ranks other than 0: block until rank 0 ends the run.
  virtual void wait_for_stop() = 0;
  /// Collective: end the run everywhere and settle what is on the wire. Never throws; see error().
  virtual LinkCounters stop() = 0;
  /// Why the link failed; empty when it did not.
  virtual std::string error() const = 0;
};

/// The processes of a run. Collective calls are made by every rank in the same order; for a single
/// process they return at once.
class Cluster {
 public:
  virtual ~Cluster() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool distributed() const { return size() > 1; }
  /// Input errors in the environment the cluster reads (e.g. RK_MPI_BRIDGE): throws InputError.
  virtual void check_environment() const {}
  /// The MPI library's version, empty for a single process.
  virtual std::string library_version() const { return {}; }

  /// Collective: true on every rank when `ok` is true on every rank.
  virtual bool all_true(bool ok) const = 0;
  /// Collective: rank 0's value on every rank.
  virtual int broadcast(int value) const = 0;
  /// Collective: every rank's bytes at rank 0, indexed by rank (empty elsewhere).
  virtual std::vector<std::string> gather_bytes(std::string_view bytes) const = 0;

  /// Collective: every rank's value at rank 0 (a trivially copyable struct), indexed by rank.
  template <class T>
  std::vector<T> gather(const T& value) const {
    std::vector<T> out;
    for (auto& v : gather_all(std::span<const T>(&value, 1))) out.push_back(v.empty() ? T{} : v.front());
    return out;
  }
  /// Collective: every rank's values at rank 0, indexed by rank.
  template <class T>
  std::vector<std::vector<T>> gather_all(std::span<const T> values) const {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::vector<T>> out;
    for (const std::string& b : gather_bytes(std::string_view(reinterpret_cast<const char*>(values.data()),
                                                              values.size() * sizeof(T)))) {
      std::vector<T> v(b.size() / sizeof(T));
      if (!v.empty()) std::memcpy(v.data(), b.data(), v.size() * sizeof(T));
      out.push_back(std::move(v));
    }
    return out;
  }

  /// Join `local` (this rank's kernels, launched before start()) to the other ranks' runtimes.
  /// `owner[k]`: the rank of kernel id k; `names[k]`: its name; `devices`: every device of the run.
  virtual std::unique_ptr<ClusterLink> link(RingKernelRuntime& local, std::vector<int> owner,
                                            std::vector<std::string> names, std::vector<DeviceProperties> devices) = 0;
};

/// The cluster this process belongs to: the ranks of an MPI job when an MPI launcher started it (and
/// MPI support is built), otherwise this process alone.
std::unique_ptr<Cluster> make_cluster();
/// This process alone (also the fallback of make_cluster).
std::unique_ptr<Cluster> make_single_process_cluster();

/// Thrown on ranks other than 0 when the run cannot go on: rank 0 reports why.
class OtherRankFailed : public InputError {
 public:
  OtherRankFailed() : InputError("the run failed on another rank (rank 0 reports why)") {}
};

/// Collective: every rank passes its own failure (null: none). When any rank failed, rank 0 throws its own
/// error (or a rank's, named) and the other ranks throw OtherRankFailed; the error keeps its kind (input
/// error or run failure).
void agree(const Cluster& cluster, const std::exception_ptr& failure);

/// Runs `step` on every rank, then agree()s on its outcome.
template <class F>
void collectively(const Cluster& cluster, F&& step) {
  std::exception_ptr failure;
  try {
    step();
  } catch (...) {
    failure = std::current_exception();
  }
  agree(cluster, failure);
}

/// Which rank runs which device: the scenario's devices split into one group per rank (device d on rank
/// d·R/N), with at least one device per rank.
struct DeviceLayout {
  DeviceLayout(int scenario_devices, int ranks, int rank)
      : devices(static_cast<std::uint32_t>(std::max(scenario_devices, ranks))), ranks(ranks), rank(rank) {}
  std::uint32_t devices;  ///< of the whole run
  int ranks;
  int rank;  ///< this process's
  int owner(std::uint32_t device) const {
    return static_cast<int>(static_cast<std::uint64_t>(device) * static_cast<std::uint64_t>(ranks) / devices);
  }
  std::uint32_t local_devices() const {
    std::uint32_t n = 0;
    for (std::uint32_t d = 0; d < devices; ++d) n += owner(d) == rank;
    return n;
  }
};

}  // namespace rk::harness
