// MultiPhaseExecutor: teams of threads stepping through phases, barriers or per-phase launches between
// them, an all-reduce of each participant's contribution after every phase, and per-participant timing
// merged into MultiPhaseStats after the team is joined (no shared counters on the hot path).
#include "rk/cpu/collective/multi_phase.hpp"

#include <barrier>
#include <exception>
#include <thread>

#include "rk/cpu/collective/shared_memory_collective.hpp"
#include "rk/cpu/collective/spin_barrier.hpp"

namespace rk::cpu {

const char* to_string(SyncMode mode) {
  switch (mode) {
    case SyncMode::Cooperative: return "cooperative";
    case SyncMode::SoftwareBarrier: return "software_barrier";
    case SyncMode::PerPhaseLaunch: return "per_phase_launch";
  }
  return "?";
}

void PhaseContext::contribute(double value) {
  if (type_ != ScalarType::F64)
    throw ReductionError("contribute(double) to a between-phase reduction of type " + std::string(to_string(type_)));
  contribution_f64_ = value;
}

void PhaseContext::contribute(std::int64_t value) {
  if (type_ != ScalarType::I64)
    throw ReductionError("contribute(int64) to a between-phase reduction of type " + std::string(to_string(type_)));
  contribution_i64_ = value;
}

struct alignas(kCacheLine) MultiPhaseExecutor::Participant {
  PhaseContext ctx;
  std::vector<std::int64_t> phase_ns;
  std::int64_t wait_ns = 0;
  std::int64_t reduce_ns = 0;
  std::int64_t end_ns = 0;  // PerPhaseLaunch: when this participant's part of the launch ended
  std::exception_ptr error;
};

namespace {
std::int64_t now_ns() { return static_cast<std::int64_t>(monotonic_ns()); }
}  // namespace

MultiPhaseExecutor::MultiPhaseExecutor(MultiPhaseConfig config, std::uint32_t participants)
    : config_(std::move(config)) {
  if (participants == 0) throw ReductionError("MultiPhaseExecutor needs at least one participant");
  owned_ = std::make_unique<SharedMemoryCollective>(participants);
  for (std::uint32_t i = 0; i < participants; ++i) handles_.push_back(&owned_->participant(i));
  validate();
}

MultiPhaseExecutor::MultiPhaseExecutor(MultiPhaseConfig config, std::vector<GlobalReduction*> handles)
    : config_(std::move(config)), handles_(std::move(handles)) {
  if (handles_.empty()) throw ReductionError("MultiPhaseExecutor needs at least one participant");
  for (const GlobalReduction* h : handles_)
    if (h == nullptr) throw ReductionError("MultiPhaseExecutor: null reduction handle");
  validate();
}

MultiPhaseExecutor::~MultiPhaseExecutor() = default;

void MultiPhaseExecutor::validate() const {
  if (config_.phases.empty()) throw ReductionError("MultiPhaseConfig has no phases");
  for (const KernelPhase& ph : config_.phases)
    if (!ph.fn) throw ReductionError("phase '" + ph.name + "' has no body");
  if (config_.reduction_type != ScalarType::F64 && config_.reduction_type != ScalarType::I64)
    throw ReductionError(std::string("between-phase reductions are f64 or i64, not ") +
                         to_string(config_.reduction_type));
  if (config_.reduction) check_supported(config_.reduction_type, *config_.reduction);
}

void MultiPhaseExecutor::run_phase(Participant& p, std::uint64_t iteration, std::uint32_t phase) {
  PhaseContext& ctx = p.ctx;
  ctx.phase_ = phase;
  ctx.iteration_ = iteration;
  if (config_.reduction) {
    rk::identity<double>(*config_.reduction, ctx.contribution_f64_);  // false (unchanged) for bitwise ops
    rk::identity<std::int64_t>(*config_.reduction, ctx.contribution_i64_);
  }
  if (p.error) return;
  const std::int64_t t = now_ns();
  try {
    config_.phases[phase].fn(ctx);
  } catch (...) {
    p.error = std::current_exception();
  }
  p.phase_ns[phase] += now_ns() - t;
}

void MultiPhaseExecutor::reduce_between_phases(Participant& p) {
  if (!config_.reduction) return;
  PhaseContext& ctx = p.ctx;
  const std::int64_t t = now_ns();
  try {
    if (config_.reduction_type == ScalarType::F64)
      ctx.reduced_f64_ = ctx.reduction_->all_reduce_value(ctx.contribution_f64_, *config_.reduction);
    else
      ctx.reduced_i64_ = ctx.reduction_->all_reduce_value(ctx.contribution_i64_, *config_.reduction);
    ctx.has_reduced_ = true;
  } catch (...) {
    if (!p.error) p.error = std::current_exception();
  }
  p.reduce_ns += now_ns() - t;
}

const MultiPhaseStats& MultiPhaseExecutor::run(std::uint64_t iterations) {
  const std::uint32_t n = participants();
  const auto phases = static_cast<std::uint32_t>(config_.phases.size());
  std::vector<Participant> team(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    PhaseContext& ctx = team[i].ctx;
    ctx.participant_ = i;
    ctx.participants_ = n;
    ctx.reduction_ = handles_[i];
    ctx.type_ = config_.reduction_type;
    team[i].phase_ns.assign(phases, 0);
  }

  const std::int64_t start = now_ns();
  if (config_.sync_mode == SyncMode::PerPhaseLaunch) {
    std::vector<std::thread> threads;
    threads.reserve(n);
    for (std::uint64_t it = 0; it < iterations; ++it) {
      for (std::uint32_t ph = 0; ph < phases; ++ph) {
        const std::int64_t launch = now_ns();
        for (std::uint32_t i = 0; i < n; ++i) {
          threads.emplace_back([this, &p = team[i], launch, it, ph] {
            p.wait_ns += now_ns() - launch;
            run_phase(p, it, ph);
            reduce_between_phases(p);
            p.end_ns = now_ns();
          });
        }
        for (std::thread& t : threads) t.join();
        threads.clear();
        const std::int64_t joined = now_ns();
        for (Participant& p : team) p.wait_ns += joined - p.end_ns;
      }
    }
  } else {
    SpinBarrier spin(n);
    std::barrier<> software(n);
    const bool cooperative = config_.sync_mode == SyncMode::Cooperative;
    auto body = [&](Participant& p) {
      for (std::uint64_t it = 0; it < iterations; ++it) {
        for (std::uint32_t ph = 0; ph < phases; ++ph) {
          run_phase(p, it, ph);
          const std::int64_t w = now_ns();
          if (cooperative) spin.arrive_and_wait();
          else software.arrive_and_wait();
          p.wait_ns += now_ns() - w;
          reduce_between_phases(p);
        }
      }
    };
    std::vector<std::thread> threads;
    threads.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) threads.emplace_back(body, std::ref(team[i]));
    for (std::thread& t : threads) t.join();
  }
  const std::int64_t total = now_ns() - start;

  stats_ = MultiPhaseStats{};
  stats_.total_time = std::chrono::nanoseconds(total);
  stats_.iterations = iterations;
  stats_.sync_points = iterations * phases;
  std::int64_t wait = 0;
  std::int64_t reduce = 0;
  for (const Participant& p : team) {
    wait += p.wait_ns;
    reduce += p.reduce_ns;
  }
  stats_.sync_overhead = std::chrono::nanoseconds(wait / n);
  stats_.reduction_time = std::chrono::nanoseconds(reduce / n);
  for (std::uint32_t ph = 0; ph < phases; ++ph) {
    std::int64_t sum = 0;
    for (const Participant& p : team) sum += p.phase_ns[ph];
    stats_.phases.push_back(PhaseStats{config_.phases[ph].name, std::chrono::nanoseconds(sum / n)});
  }
  for (const Participant& p : team)
    if (p.error) std::rethrow_exception(p.error);
  return stats_;
}

}  // namespace rk::cpu
