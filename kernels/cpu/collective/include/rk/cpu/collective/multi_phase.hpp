// Multi-phase execution (seed section 12): P participants — one thread per simulated device or partition —
// run a sequence of phases for K iterations, synchronised between phases the way a GPU kernel would be
// (grid sync in one cooperative launch, a software barrier in a persistent kernel, or one launch per
// phase), with an optional global reduction between phases whose result the next phase reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rk/core/global_reduction.hpp"

namespace rk::cpu {

class SharedMemoryCollective;

/// How participants synchronise between phases.
enum class SyncMode : std::uint8_t {
  Cooperative,      ///< one long-lived team, spin-then-sleep barrier (grid.sync() in a cooperative launch)
  SoftwareBarrier,  ///< one long-lived team, std::barrier (a barrier in global memory in a persistent kernel)
  PerPhaseLaunch,   ///< a fresh team per phase, joined at its end (one kernel launch per phase)
};

const char* to_string(SyncMode mode);

/// What a phase sees: who it is, where it is, the last between-phase reduction, and where to put its
/// contribution to the next one. One per participant; valid only during the call.
class PhaseContext {
 public:
  std::uint32_t participant() const { return participant_; }
  std::uint32_t participants() const { return participants_; }
  std::uint32_t phase() const { return phase_; }
  std::uint64_t iteration() const { return iteration_; }
  /// This participant's handle, for phases that reduce arrays of their own (a collective call: every
  /// participant of the phase must make it).
  GlobalReduction& reduction() { return *reduction_; }

  /// This participant's value for the reduction after this phase (the identity when a phase does not
  /// contribute). Use the overload matching MultiPhaseConfig::reduction_type; the other throws.
  void contribute(double value);
  void contribute(std::int64_t value);

  /// Whether a between-phase reduction has completed yet in this run.
  bool has_reduced() const { return has_reduced_; }
  /// The result of the most recent between-phase reduction (0 before the first), identical on every
  /// participant. The reduction after the last phase of an iteration is seen by phase 0 of the next.
  double reduced_f64() const { return reduced_f64_; }
  std::int64_t reduced_i64() const { return reduced_i64_; }

 private:
  friend class MultiPhaseExecutor;
  std::uint32_t participant_ = 0;
  std::uint32_t participants_ = 0;
  std::uint32_t phase_ = 0;
  std::uint64_t iteration_ = 0;
  GlobalReduction* reduction_ = nullptr;
  ScalarType type_ = ScalarType::F64;
  double contribution_f64_ = 0;
  std::int64_t contribution_i64_ = 0;
  double reduced_f64_ = 0;
  std::int64_t reduced_i64_ = 0;
  bool has_reduced_ = false;
};

/// One phase: a name (for stats) and the body every participant runs.
struct KernelPhase {
  std::string name;
  std::function<void(PhaseContext&)> fn;
};

/// The seed's MultiPhaseConfig, as a value with builder-style setters.
struct MultiPhaseConfig {
  SyncMode sync_mode = SyncMode::Cooperative;
  std::vector<KernelPhase> phases;
  /// When set, after every phase the participants' contributions are all-reduced with this operator.
  std::optional<ReductionOp> reduction;
  /// F64 or I64: the type of the between-phase value.
  ScalarType reduction_type = ScalarType::F64;

  MultiPhaseConfig& with_sync_mode(SyncMode mode) {
    sync_mode = mode;
    return *this;
  }
  MultiPhaseConfig& with_phase(std::string name, std::function<void(PhaseContext&)> fn) {
    phases.push_back(KernelPhase{std::move(name), std::move(fn)});
    return *this;
  }
  MultiPhaseConfig& with_reduction_between_phases(ReductionOp op, ScalarType type = ScalarType::F64) {
    reduction = op;
    reduction_type = type;
    return *this;
  }
};

struct PhaseStats {
  std::string name;
  /// Time in this phase's body, summed over iterations, averaged over participants.
  std::chrono::nanoseconds compute_time{0};
};

/// Timing of one run. Per-participant times are averaged over participants, so that
/// total_time ≈ Σ phases[i].compute_time + sync_overhead + reduction_time (+ thread start-up and bookkeeping).
struct MultiPhaseStats {
  /// Wall time of run(), from starting the team to joining it.
  std::chrono::nanoseconds total_time{0};
  /// Time a participant spent synchronising, averaged over participants: waiting in the barrier after each
  /// phase (Cooperative, SoftwareBarrier), or from the launch to its thread starting plus from its end to
  /// the team being joined (PerPhaseLaunch). Includes waiting for slower participants (load imbalance).
  std::chrono::nanoseconds sync_overhead{0};
  /// Time in the between-phase all-reduces, averaged over participants.
  std::chrono::nanoseconds reduction_time{0};
  std::uint64_t iterations = 0;
  /// Synchronisation points passed: iterations × phases.
  std::uint64_t sync_points = 0;
  std::vector<PhaseStats> phases;
};

/// Runs a MultiPhaseConfig on P participants. A phase body that throws stops running bodies on that
/// participant (it keeps taking part in barriers and reductions, contributing the identity, so nobody
/// blocks); run() rethrows the lowest participant's exception at the end.
class MultiPhaseExecutor {
 public:
  /// P participants reducing through an internal SharedMemoryCollective.
  MultiPhaseExecutor(MultiPhaseConfig config, std::uint32_t participants);
  /// One participant per handle (e.g. HierarchicalReduction handles spanning processes); handle i is used by
  /// participant i's thread only. The handles must outlive the executor.
  MultiPhaseExecutor(MultiPhaseConfig config, std::vector<GlobalReduction*> handles);
  ~MultiPhaseExecutor();
  MultiPhaseExecutor(const MultiPhaseExecutor&) = delete;
  MultiPhaseExecutor& operator=(const MultiPhaseExecutor&) = delete;

  /// Runs every phase `iterations` times on every participant; returns (and keeps) the stats.
  const MultiPhaseStats& run(std::uint64_t iterations);
  /// Stats of the last run.
  const MultiPhaseStats& stats() const { return stats_; }
  std::uint32_t participants() const { return static_cast<std::uint32_t>(handles_.size()); }
  const MultiPhaseConfig& config() const { return config_; }

 private:
  struct Participant;
  void validate() const;
  void run_phase(Participant& p, std::uint64_t iteration, std::uint32_t phase);
  void reduce_between_phases(Participant& p);

  MultiPhaseConfig config_;
  std::unique_ptr<SharedMemoryCollective> owned_;
  std::vector<GlobalReduction*> handles_;
  MultiPhaseStats stats_;
};

}  // namespace rk::cpu
