// rk_mpi_tests: run by every rank (`mpirun -np 2 rk_mpi_tests`, or alone as a one-rank singleton).
// Checks MpiReduction on its own (both the allgather and the reduce-scatter path), HierarchicalReduction
// over {1, 2, 4} simulated devices per rank with MPI between ranks, for every operator × type, against the
// sequential reference in the documented order, bit for bit, and bit-identical on a repeat; a multi-phase
// run across ranks; and the gather helpers. Plain checks (no gtest: one summary line per rank instead of
// interleaved test logs); the exit code is non-zero on every rank if any rank saw a failure.
#include <cstdio>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "reference.hpp"
#include "rk/cpu/collective/hierarchical_reduction.hpp"
#include "rk/cpu/collective/multi_phase.hpp"
#include "rk/cpu/collective/shared_memory_collective.hpp"
#include "rk/mpi/environment.hpp"
#include "rk/mpi/gather.hpp"
#include "rk/mpi/mpi_reduction.hpp"

namespace {

using rk::ReductionOp;

/// Counts checks and failures; prints the first few failures with the rank.
class Checker {
 public:
  explicit Checker(int rank) : rank_(rank) {}
  void check(bool ok, const std::string& what) {
    ++checks_;
    if (ok) return;
    if (++failures_ <= 20) std::fprintf(stderr, "rank %d: FAILED %s\n", rank_, what.c_str());
  }
  std::uint64_t checks() const { return checks_; }
  std::uint64_t failures() const { return failures_; }

 private:
  int rank_;
  std::uint64_t checks_ = 0;
  std::uint64_t failures_ = 0;
};

template <class F>
void for_each_type(F&& f) {
  f(std::type_identity<std::int32_t>{});
  f(std::type_identity<std::int64_t>{});
  f(std::type_identity<std::uint32_t>{});
  f(std::type_identity<std::uint64_t>{});
  f(std::type_identity<float>{});
  f(std::type_identity<double>{});
}

std::string label(const char* what, ReductionOp op, rk::ScalarType t, std::size_t count, std::uint32_t local = 1) {
  return std::string(what) + " " + rk::to_string(op) + " " + rk::to_string(t) + " count=" + std::to_string(count) +
         " local=" + std::to_string(local);
}

/// Every rank's input is a function of (rank, seed), so every rank can compute the whole reference.
template <class T>
void flat(Checker& ck, rk::mpi::MpiReduction& world, const char* name) {
  const std::uint32_t ranks = world.participants();
  for (const ReductionOp op : rk::kAllReductionOps) {
    if (!rk::supports<T>(op)) continue;
    for (const std::size_t count : {std::size_t{1}, std::size_t{37}, std::size_t{5000}, std::size_t{40000}}) {
      std::vector<std::vector<T>> in(ranks);
      for (std::uint32_t r = 0; r < ranks; ++r) in[r] = rk::test::make_input<T>(r * 7919 + count, count, op);
      const std::vector<T> expected = rk::test::ref_elementwise(op, in);
      std::vector<T> partials(ranks);
      for (std::uint32_t r = 0; r < ranks; ++r) partials[r] = rk::test::ref_fold<T>(op, in[r]);
      const T expected_scalar = rk::test::ref_fold<T>(op, partials);

      const std::vector<T>& mine = in[world.rank()];
      std::vector<T> out(count), again(count), in_place = mine;
      world.all_reduce<T>(mine, out, op);
      world.all_reduce<T>(mine, again, op);
      world.all_reduce<T>(in_place, in_place, op);
      const T scalar = world.reduce<T>(mine, op);
      const std::string l = label(name, op, rk::scalar_type_of<T>, count);
      ck.check(rk::test::same_bits<T>(out, expected), l + " all_reduce");
      ck.check(rk::test::same_bits<T>(again, out), l + " repeat");
      ck.check(rk::test::same_bits<T>(in_place, expected), l + " in place");
      ck.check(rk::test::same_bits(scalar, expected_scalar), l + " reduce");
      if constexpr (std::is_floating_point_v<T>) {
        std::vector<T> column(ranks);
        for (std::size_t i = 0; i < count; i += 97) {
          for (std::uint32_t r = 0; r < ranks; ++r) column[r] = in[r][i];
          const std::string err = rk::test::check_tolerance<T>(op, out[i], column);
          ck.check(err.empty(), l + " tolerance: " + err);
        }
      }
    }
  }
}

/// `local` simulated devices per rank, HierarchicalReduction with MPI between ranks.
template <class T>
void hierarchical(Checker& ck, rk::mpi::MpiReduction& world, std::uint32_t local) {
  const std::uint32_t ranks = world.participants();
  rk::cpu::SharedMemoryCollective devices(local);
  std::vector<std::unique_ptr<rk::cpu::HierarchicalReduction>> handles;
  for (std::uint32_t l = 0; l < local; ++l)
    handles.push_back(std::make_unique<rk::cpu::HierarchicalReduction>(devices.participant(l), &world));
  for (const ReductionOp op : rk::kAllReductionOps) {
    if (!rk::supports<T>(op)) continue;
    for (const std::size_t count : {std::size_t{1}, std::size_t{100}, std::size_t{12000}}) {
      std::vector<std::vector<std::vector<T>>> in(ranks, std::vector<std::vector<T>>(local));
      std::vector<std::vector<std::vector<T>>> partials(ranks, std::vector<std::vector<T>>(local));
      for (std::uint32_t p = 0; p < ranks; ++p)
        for (std::uint32_t l = 0; l < local; ++l) {
          in[p][l] = rk::test::make_input<T>(p * 1000 + l * 17 + count, count, op);
          partials[p][l] = {rk::test::ref_fold<T>(op, in[p][l])};
        }
      const std::vector<T> expected = rk::test::ref_hierarchical(op, in);
      const T expected_scalar = rk::test::ref_hierarchical(op, partials)[0];

      std::vector<std::vector<T>> out(local, std::vector<T>(count)), again(local, std::vector<T>(count));
      std::vector<T> scalar(local);
      std::vector<int> ranks_ok(local, 0);
      rk::test::run_team(local, [&](std::uint32_t l) {
        rk::cpu::HierarchicalReduction& h = *handles[l];
        ranks_ok[l] = h.rank() == world.rank() * local + l && h.participants() == ranks * local;
        const std::vector<T>& mine = in[world.rank()][l];
        h.all_reduce<T>(mine, out[l], op);
        scalar[l] = h.reduce_and_broadcast<T>(mine, op);
        h.all_reduce<T>(mine, again[l], op);
      });
      const std::string lbl = label("hierarchical", op, rk::scalar_type_of<T>, count, local);
      for (std::uint32_t l = 0; l < local; ++l) {
        ck.check(ranks_ok[l] != 0, lbl + " rank numbering");
        ck.check(rk::test::same_bits<T>(out[l], expected), lbl + " device " + std::to_string(l));
        ck.check(rk::test::same_bits<T>(again[l], out[l]), lbl + " repeat, device " + std::to_string(l));
        ck.check(rk::test::same_bits(scalar[l], expected_scalar), lbl + " reduce, device " + std::to_string(l));
      }
    }
  }
}

/// Iterative averaging over ranks × 2 devices: converges to the global mean.
void multi_phase(Checker& ck, rk::mpi::MpiReduction& world) {
  constexpr std::uint32_t local = 2;
  rk::cpu::SharedMemoryCollective devices(local);
  std::vector<std::unique_ptr<rk::cpu::HierarchicalReduction>> handles;
  std::vector<rk::GlobalReduction*> raw;
  for (std::uint32_t l = 0; l < local; ++l) {
    handles.push_back(std::make_unique<rk::cpu::HierarchicalReduction>(devices.participant(l), &world));
    raw.push_back(handles.back().get());
  }
  const std::uint32_t total = world.participants() * local;
  std::vector<double> x(local);
  for (std::uint32_t l = 0; l < local; ++l) x[l] = world.rank() * local + l;
  rk::cpu::MultiPhaseConfig config;
  config.with_sync_mode(rk::cpu::SyncMode::Cooperative)
      .with_phase("publish", [&](rk::cpu::PhaseContext& ctx) { ctx.contribute(x[ctx.participant()]); })
      .with_phase("relax",
                  [&](rk::cpu::PhaseContext& ctx) {
                    x[ctx.participant()] = 0.5 * x[ctx.participant()] + 0.5 * ctx.reduced_f64() / total;
                  })
      .with_reduction_between_phases(ReductionOp::Sum);
  rk::cpu::MultiPhaseExecutor executor(config, raw);
  executor.run(50);
  const double mean = (total - 1) / 2.0;
  for (const double v : x) ck.check(std::fabs(v - mean) < 1e-9, "multi-phase averaging: " + std::to_string(v));
}

void gathers(Checker& ck, const rk::mpi::Environment& env) {
  const int rank = env.rank();
  std::vector<std::uint64_t> samples;
  for (int i = 0; i < rank * 3; ++i) samples.push_back(static_cast<std::uint64_t>(rank) * 1000 + i);  // rank 0: none
  std::string blob = "host " + env.processor_name() + " rank " + std::to_string(rank);
  blob.push_back('\0');
  blob += "tail";
  for (int root = 0; root < env.size(); ++root) {
    const auto got = rk::mpi::gather_samples(env, samples, root);
    const auto strings = rk::mpi::gather_strings(env, blob, root);
    if (rank != root) {
      ck.check(got.empty() && strings.empty(), "gather: non-root gets nothing");
      continue;
    }
    ck.check(got.size() == static_cast<std::size_t>(env.size()), "gather_samples: one vector per rank");
    ck.check(strings.size() == static_cast<std::size_t>(env.size()), "gather_strings: one string per rank");
    for (int r = 0; r < env.size() && r < static_cast<int>(got.size()); ++r) {
      bool ok = got[r].size() == static_cast<std::size_t>(r) * 3;
      for (std::size_t i = 0; ok && i < got[r].size(); ++i) ok = got[r][i] == static_cast<std::uint64_t>(r) * 1000 + i;
      ck.check(ok, "gather_samples: rank " + std::to_string(r) + "'s samples");
    }
    for (int r = 0; r < env.size() && r < static_cast<int>(strings.size()); ++r) {
      const std::string& s = strings[r];
      ck.check(s.size() > 5 && s.substr(s.size() - 5) == std::string("\0tail", 5) &&
                   s.find(" rank " + std::to_string(r)) != std::string::npos,
               "gather_strings: rank " + std::to_string(r) + "'s blob");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    rk::mpi::Environment env(&argc, &argv);
    Checker ck(env.rank());
    std::uint64_t failures = 0;
    {
      rk::mpi::MpiReduction world(env);
      rk::mpi::MpiReduction scatter(env, rk::mpi::MpiReduction::Options{.allgather_max_bytes = 0, .chunk_bytes = 8192});
      ck.check(world.participants() == static_cast<std::uint32_t>(env.size()) &&
                   world.rank() == static_cast<std::uint32_t>(env.rank()),
               "MpiReduction rank/size");
      for_each_type([&]<class T>(std::type_identity<T>) {
        flat<T>(ck, world, "mpi allgather");
        flat<T>(ck, scatter, "mpi reduce-scatter");
        for (const std::uint32_t local : {1u, 2u, 4u}) hierarchical<T>(ck, world, local);
      });
      bool threw = false;
      try {
        float f = 1;
        world.all_reduce_bytes(&f, &f, 1, rk::ScalarType::F32, ReductionOp::Xor);
      } catch (const rk::ReductionError&) {
        threw = true;
      }
      ck.check(threw, "bitwise on float throws");
      multi_phase(ck, world);
      gathers(ck, env);
      failures = world.all_reduce_value<std::uint64_t>(ck.failures(), ReductionOp::Sum);
    }
    std::printf("rk_mpi_tests: rank %d/%d on %s (%s threads): %llu checks, %llu failures on this rank, %llu on all\n",
                env.rank(), env.size(), env.processor_name().c_str(), rk::mpi::to_string(env.threading()),
                static_cast<unsigned long long>(ck.checks()), static_cast<unsigned long long>(ck.failures()),
                static_cast<unsigned long long>(failures));
    return failures == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rk_mpi_tests: %s\n", e.what());
    return 1;
  }
}
