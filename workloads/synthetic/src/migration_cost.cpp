// migration_cost: the time a live migration takes as a function of the kernel's state size. A
// `ballast` kernel (state_bytes of state) is moved round robin over the devices `migrations` times;
// between moves the host exchanges a few messages with it and checks that its count continued exactly
// (nothing lost or repeated across the move). Each migration's duration is a latency sample, streamed
// to the results file as the run goes; the p50/p99 reported come from its histogram.
#include "driver_util.hpp"
#include "rk/workloads/synthetic/workloads.hpp"

namespace rk::workloads::synthetic {

using namespace detail;

namespace {

class MigrationCost final : public Workload {
 public:
  std::string name() const override { return "migration_cost"; }

  void configure(const Params& params, const Topology& topo, const RunLimits& limits) override {
    limits_ = limits;
    migrations_ = static_cast<std::uint64_t>(params.get_int("migrations"));
    between_ = static_cast<std::uint64_t>(params.get_int("messages_between"));
    const auto b = topo.of_type("ballast");
    if (b.size() != 1) params.fail("", "migration_cost needs exactly one kernel of type 'ballast'");
    kernel_ = b.front()->name;
    id_ = b.front()->id;
    probe_ = probe_name(limits, kernel_, "migration");
  }

  void run(RingKernelRuntime& rt, RunControl& ctl, ResultSink& sink) override {
    const auto devices = static_cast<std::uint32_t>(rt.devices().size());
    if (devices < 2) throw WorkloadError("migration_cost needs at least two devices (set devices: 2)");
    std::uint32_t device = static_cast<std::uint32_t>(rt.status(kernel_).device);
    samples_ = LatencyStream(probe_);
    samples_.attach(sink);
    for (std::uint64_t m = 0; m < migrations_ && !ctl.stop_requested(); ++m) {
      exchange(rt);
      device = (device + 1) % devices;
      const MigrationReport r = rt.migrate(kernel_, device);
      samples_.add(static_cast<std::uint64_t>(r.duration.count()));
      state_bytes_ = r.state_bytes;
      ctl.progress(m + 1, migrations_);
    }
    exchange(rt);
    samples_.finish();
  }

  Verification verify() override {
    Verification v;
    v.check(samples_.count() == migrations_, std::to_string(samples_.count()) + " of " + std::to_string(migrations_) + " migrations done");
    v.check(wrong_ == 0, std::to_string(wrong_) + " replies did not continue the kernel's count across a migration");
    v.figures.emplace_back("state bytes", std::to_string(state_bytes_));
    v.figures.emplace_back("migrations", std::to_string(samples_.count()));
    if (samples_.count() > 0) {
      v.figures.emplace_back(probe_ + " p50", fmt_ns(samples_.histogram().p50()));
      v.figures.emplace_back(probe_ + " p99", fmt_ns(samples_.histogram().p99()));
      v.figures.push_back(percentile_precision_figure());
    }
    return v;
  }

  void write_results(ResultSink& sink) override {
    sink.attr("state_bytes", static_cast<std::int64_t>(state_bytes_));
    sink.attr("migrations", static_cast<std::int64_t>(samples_.count()));
    if (samples_.count() > 0) sink.attr("p50_ns", static_cast<std::int64_t>(samples_.histogram().p50()));
  }

 private:
  void exchange(RingKernelRuntime& rt) {
    for (std::uint64_t i = 0; i < between_; ++i) {
      Slot s{};
      encode(s, Ping{0});
      if (rt.send(id_, s, limits_.drain_timeout) != SendStatus::Ok) throw WorkloadError("cannot reach the ballast kernel");
      Slot r;
      if (rt.receive(id_, r, limits_.drain_timeout) != QueueStatus::Ok) throw WorkloadError("the ballast kernel did not answer");
      Ping p{};
      if (decode(r, p) != DecodeStatus::Ok || p.seq != ++expected_) ++wrong_;
    }
  }

  RunLimits limits_;
  std::uint64_t migrations_ = 50, between_ = 4, expected_ = 0, wrong_ = 0, state_bytes_ = 0;
  std::string kernel_, probe_;
  KernelId id_ = 0;
  LatencyStream samples_;  // each migration's duration
};

}  // namespace

std::unique_ptr<Workload> make_migration_cost() { return std::make_unique<MigrationCost>(); }

}  // namespace rk::workloads::synthetic
