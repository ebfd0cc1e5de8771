// pipeline: a chain of `forward` kernels over K2K. The host injects Trace messages at the first stage
// (a window of them in flight) and collects them from the last; every stage stamps its HLC time, so
// the host records end-to-end latency and the latency of every hop, and checks count and order.
// Samples stream to the results file in bounded chunks as they arrive (LatencyStream); the summary's
// p50s come from the streams' histograms, so memory does not grow with the run's length.
#include <deque>
#include <map>

#include "driver_util.hpp"
#include "rk/workloads/synthetic/workloads.hpp"

namespace rk::workloads::synthetic {

using namespace detail;

namespace {

class Pipeline final : public Workload {
 public:
  std::string name() const override { return "pipeline"; }

  void configure(const Params& params, const Topology& topo, const RunLimits& limits) override {
    limits_ = limits;
    window_ = static_cast<std::uint64_t>(params.get_int("window"));
    // Follow the chain from the kernel the host feeds.
    const KernelInfo* k = nullptr;
    for (const auto& c : topo.kernels)
      if (c.input_from_host) k = &c;
    if (k == nullptr) params.fail("", "pipeline needs a route from host to the first stage");
    while (k != nullptr) {
      for (const auto& s : stages_)
        if (s.id == k->id) params.fail("", "pipeline stages form a cycle at '" + k->name + "'");
      stages_.push_back({k->name, k->id});
      if (k->type != "forward") params.fail("", "pipeline stage '" + k->name + "' must be of type 'forward'");
      if (k->outputs.size() > 1) params.fail("", "pipeline stage '" + k->name + "' routes to more than one kernel");
      k = k->outputs.empty() ? nullptr : &topo.by_id(k->outputs.front());
    }
    if (!topo.by_id(stages_.back().id).outputs_to_host)
      params.fail("", "pipeline needs a route from the last stage '" + stages_.back().name + "' to host");
    if (stages_.size() + 1 > Trace::kMaxStamps) params.fail("", "pipeline has more stages than a Trace can stamp");
    probe_ = probe_name(limits, stages_.back().name, "end_to_end");
    hops_.resize(stages_.size() - 1);
  }

  void run(RingKernelRuntime& rt, RunControl& ctl, ResultSink& sink) override {
    const Plan plan = Plan::from(limits_, 100000);
    const KernelId first = stages_.front().id, last = stages_.back().id;
    std::deque<std::pair<std::uint64_t, std::uint64_t>> in_flight;  // (seq, host send wall ns): at most `window`
    e2e_ = LatencyStream(probe_);
    e2e_.attach(sink);
    for (std::size_t h = 0; h < hops_.size(); ++h) {
      hops_[h] = LatencyStream("hop_" + stages_[h].name + "_" + stages_[h + 1].name);
      hops_[h].attach(sink);
    }
    auto on_output = [&](const Slot& s) { receive(s, in_flight); };
    const auto t_start = Clock::now();
    std::uint64_t last_tp = 0, tp_count = 0;
    sink.throughput(probe_, ctl.now_ns(), 0, 0);
    Slot r;
    while (!ctl.stop_requested()) {
      const bool sending = !plan.done(sent_);
      if (sending && in_flight.size() < window_) {
        Slot s{};
        Trace t{};
        t.seq = sent_;
        t.origin = 0;
        s.header.priority = priority::kNormal;
        encode(s, t);
        const std::uint64_t wall = wall_clock_ns();
        if (rt.try_send(first, s) == SendStatus::Ok) {
          in_flight.emplace_back(sent_, wall);
          ++sent_;
        }
      }
      if (rt.try_receive(last, r) == QueueStatus::Ok) on_output(r);
      if (!sending && in_flight.empty()) break;
      const std::uint64_t t = ns_since(t_start);
      if (t - last_tp >= 100'000'000) {
        sink.throughput(probe_, ctl.now_ns(), received_ - tp_count, (received_ - tp_count) * (64 + sizeof(Trace)));
        tp_count = received_;
        last_tp = t;
        ctl.progress(received_, plan.iterations);
      }
      if (!sending && ns_since(t_start) > 0 && in_flight.size() > 0 && stalled(rt)) break;
    }
    sink.throughput(probe_, ctl.now_ns(), received_ - tp_count, (received_ - tp_count) * (64 + sizeof(Trace)));
    // Collect the stages' own accounts; anything still arriving at the host is counted (and recorded) too.
    std::vector<KernelId> ids;
    for (const auto& s : stages_) ids.push_back(s.id);
    reports_ = settle(rt, ids, [&](const Slot& s) { if (s.header.type_id == Trace::kTypeId) receive(s, in_flight); },
                      limits_.drain_timeout, [&](const std::vector<Report>&) { return in_flight.empty(); });
    missing_ = in_flight.size();
    e2e_.finish();
    for (auto& hop : hops_) hop.finish();
    ctl.progress(received_, plan.iterations);
  }

  Verification verify() override {
    Verification v;
    v.check(sent_ > 0, "no message was injected");
    v.check(received_ == sent_, "sent " + std::to_string(sent_) + " messages, received " + std::to_string(received_));
    v.check(missing_ == 0, std::to_string(missing_) + " messages never came back");
    v.check(out_of_order_ == 0, std::to_string(out_of_order_) + " messages arrived out of order or twice");
    v.check(stamp_errors_ == 0, std::to_string(stamp_errors_) + " messages missed a stage stamp");
    for (const auto& r : reports_) {
      v.check(r.order_violations == 0, "stage " + std::to_string(r.kernel) + " saw messages out of order");
      v.check(r.lost == 0, "stage " + std::to_string(r.kernel) + " lost " + std::to_string(r.lost) + " messages");
    }
    v.figures.emplace_back("stages", std::to_string(stages_.size()));
    v.figures.emplace_back("messages", std::to_string(received_));
    if (e2e_.count() > 0) v.figures.emplace_back(probe_ + " p50", fmt_ns(e2e_.histogram().p50()));
    for (std::size_t h = 0; h < hops_.size(); ++h)
      if (hops_[h].count() > 0)
        v.figures.emplace_back("hop " + stages_[h].name + " -> " + stages_[h + 1].name + " p50", fmt_ns(hops_[h].histogram().p50()));
    if (e2e_.count() > 0) v.figures.push_back(percentile_precision_figure());
    return v;
  }

  void write_results(ResultSink& sink) override {
    sink.attr("stages", static_cast<std::int64_t>(stages_.size()));
    sink.attr("messages_sent", static_cast<std::int64_t>(sent_));
    sink.attr("messages_received", static_cast<std::int64_t>(received_));
    std::vector<std::string> names;
    for (const auto& s : stages_) names.push_back(s.name);
    sink.write_strings("stages", names);
  }

 private:
  struct Stage {
    std::string name;
    KernelId id;
  };

  void receive(const Slot& s, std::deque<std::pair<std::uint64_t, std::uint64_t>>& in_flight) {
    Trace t{};
    if (decode(s, t) != DecodeStatus::Ok) return;
    const std::uint64_t now = wall_clock_ns();
    if (in_flight.empty() || in_flight.front().first != t.seq) {
      ++out_of_order_;
      return;
    }
    const std::uint64_t sent_wall = in_flight.front().second;
    in_flight.pop_front();
    ++received_;
    const std::uint64_t lat = now > sent_wall ? now - sent_wall : 0;
    e2e_.add(lat);
    if (t.hops != stages_.size()) {
      ++stamp_errors_;
      return;
    }
    for (std::size_t h = 0; h + 1 < t.hops; ++h)
      hops_[h].add(t.stamp_ns[h + 1] > t.stamp_ns[h] ? t.stamp_ns[h + 1] - t.stamp_ns[h] : 0);
  }

  /// True when nothing has arrived for the drain timeout (after the send phase).
  bool stalled(RingKernelRuntime&) {
    if (received_ != last_received_) {
      last_received_ = received_;
      last_progress_ = Clock::now();
      return false;
    }
    if (last_progress_ == Clock::time_point{}) last_progress_ = Clock::now();
    return Clock::now() - last_progress_ > limits_.drain_timeout;
  }

  RunLimits limits_;
  std::uint64_t window_ = 256;
  std::vector<Stage> stages_;
  std::string probe_;
  LatencyStream e2e_;                // end to end: host send → host receive
  std::vector<LatencyStream> hops_;  // one per hop, in chain order (sized by configure, named by run)
  std::vector<Report> reports_;
  std::uint64_t sent_ = 0, received_ = 0, out_of_order_ = 0, stamp_errors_ = 0, missing_ = 0;
  std::uint64_t last_received_ = 0;
  Clock::time_point last_progress_{};
};

}  // namespace

std::unique_ptr<Workload> make_pipeline() { return std::make_unique<Pipeline>(); }

}  // namespace rk::workloads::synthetic
