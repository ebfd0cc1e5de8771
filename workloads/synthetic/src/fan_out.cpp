// fan_out: one producer kernel, many consumer kernels. The host starts the producer in batches (paced
// by what the consumers have processed); at the end the consumers' counts are reduced (Sum) and must
// equal what the producer generated, with per-source order kept at every consumer.
#include "driver_util.hpp"
#include "rk/core/reduction.hpp"
#include "rk/workloads/synthetic/workloads.hpp"

namespace rk::workloads::synthetic {

using namespace detail;

namespace {

class FanOut final : public Workload {
 public:
  std::string name() const override { return "fan_out"; }

  void configure(const Params& params, const Topology& topo, const RunLimits& limits) override {
    limits_ = limits;
    batch_ = static_cast<std::uint64_t>(params.get_int("batch"));
    window_ = static_cast<std::uint64_t>(params.get_int("window"));
    const auto producers = topo.of_type("producer");
    if (producers.size() != 1) params.fail("", "fan_out needs exactly one kernel of type 'producer'");
    producer_ = producers.front()->id;
    if (!producers.front()->input_from_host) params.fail("", "fan_out needs a route from host to the producer");
    for (const auto* c : topo.of_type("consumer")) consumers_.push_back(c->id);
    if (consumers_.empty()) params.fail("", "fan_out needs kernels of type 'consumer'");
    for (KernelId out : producers.front()->outputs)
      if (topo.by_id(out).type != "consumer") params.fail("", "the producer must route to consumers only");
    if (producers.front()->outputs.empty()) params.fail("", "fan_out needs routes from the producer to the consumers");
    for (const auto* c : topo.of_type("consumer")) names_.push_back(c->name);
    copies_ = producers.front()->rule == RouteRule::Broadcast ? producers.front()->outputs.size() : 1;
  }

  void run(RingKernelRuntime& rt, RunControl& ctl, ResultSink& sink) override {
    const Plan plan = Plan::from(limits_, 1'000'000);
    std::vector<std::string> consumer_names = names_;
    const auto t0 = Clock::now();
    std::uint64_t last_tp = 0, tp_prev = 0;
    sink.throughput("fan_out_consumed", ctl.now_ns(), 0, 0);
    while (!plan.done(started_) && !ctl.stop_requested()) {
      const std::uint64_t consumed = consumed_total(rt, consumer_names);
      if (started_ - std::min(started_, consumed) < window_) {
        const std::uint64_t n = plan.iterations ? std::min(batch_, plan.iterations - started_) : batch_;
        send_control(rt, producer_, Control::Start, n);
        started_ += n;
      } else {
        std::this_thread::yield();
      }
      const std::uint64_t t = ns_since(t0);
      if (t - last_tp >= 100'000'000) {
        sink.throughput("fan_out_consumed", ctl.now_ns(), consumed - tp_prev, (consumed - tp_prev) * (64 + sizeof(Token)));
        tp_prev = consumed;
        last_tp = t;
        ctl.progress(consumed, plan.iterations);
      }
    }
    producer_report_ = settle(rt, {producer_}, {}, limits_.drain_timeout).front();
    // Wait until the consumers have taken everything the producer delivered, then ask them.
    const auto deadline = Clock::now() + limits_.drain_timeout;
    while (consumed_total(rt, consumer_names) < producer_report_.sent && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    consumer_reports_ = settle(rt, consumers_, {}, limits_.drain_timeout);
    const std::uint64_t consumed = consumed_total(rt, consumer_names);
    sink.throughput("fan_out_consumed", ctl.now_ns(), consumed - tp_prev, (consumed - tp_prev) * (64 + sizeof(Token)));
    ctl.progress(consumed, plan.iterations);
  }

  Verification verify() override {
    Verification v;
    std::uint64_t total = reduction_identity(), order = 0, causality = 0;
    for (const auto& r : consumer_reports_) {
      total = rk::reduce<ReductionOp::Sum>(total, r.received);
      order += r.order_violations;
      causality += r.causality_violations;
    }
    total_received_ = total;
    v.check(started_ > 0, "the producer was never started");
    v.check(producer_report_.received == started_ * expected_copies(),
            "producer generated " + std::to_string(producer_report_.received) + " tokens, expected " +
                std::to_string(started_ * expected_copies()));
    v.check(producer_report_.lost == 0, "producer lost " + std::to_string(producer_report_.lost) + " tokens");
    v.check(producer_report_.backlog == 0, "producer still holds " + std::to_string(producer_report_.backlog) + " tokens");
    v.check(total == producer_report_.sent, "consumers received " + std::to_string(total) + " tokens, producer delivered " +
                                                std::to_string(producer_report_.sent));
    v.check(order == 0, std::to_string(order) + " tokens arrived out of order");
    v.check(causality == 0, std::to_string(causality) + " tokens violated HLC causality");
    v.figures.emplace_back("consumers", std::to_string(consumers_.size()));
    v.figures.emplace_back("tokens (sum over consumers)", std::to_string(total));
    return v;
  }

  void write_results(ResultSink& sink) override {
    std::vector<std::uint64_t> per_consumer;
    for (const auto& r : consumer_reports_) per_consumer.push_back(r.received);
    sink.write_u64("received_per_consumer", per_consumer);
    sink.write_strings("consumers", names_);
    sink.attr("tokens_generated", static_cast<std::int64_t>(producer_report_.received));
    sink.attr("tokens_received", static_cast<std::int64_t>(total_received_));
  }

 private:
  static std::uint64_t reduction_identity() { return rk::identity<ReductionOp::Sum, std::uint64_t>(); }
  /// A broadcasting producer emits one token per consumer route for each one it is asked for.
  std::uint64_t expected_copies() const { return copies_; }

  std::uint64_t consumed_total(RingKernelRuntime& rt, const std::vector<std::string>& names) {
    std::uint64_t total = 0;
    for (const auto& n : names) total += rt.status(n).messages_processed;
    return total;
  }

  RunLimits limits_;
  std::uint64_t batch_ = 256, window_ = 4096;
  KernelId producer_ = 0;
  std::vector<KernelId> consumers_;
  std::vector<std::string> names_;
  std::uint64_t started_ = 0, total_received_ = 0, copies_ = 1;
  Report producer_report_{};
  std::vector<Report> consumer_reports_;
};

}  // namespace

std::unique_ptr<Workload> make_fan_out() { return std::make_unique<FanOut>(); }

}  // namespace rk::workloads::synthetic
