// all_to_all: every `peer` kernel messages every other peer. The host starts rounds in batches; each
// peer checks on receipt that HLC causality holds (its clock after the merge is past the send
// timestamp; each source's timestamps increase) and that each source's tokens arrive in sequence.
// At the end every peer must have received (peers − 1) × rounds tokens.
#include "driver_util.hpp"
#include "rk/workloads/synthetic/workloads.hpp"

namespace rk::workloads::synthetic {

using namespace detail;

namespace {

class AllToAll final : public Workload {
 public:
  std::string name() const override { return "all_to_all"; }

  void configure(const Params& params, const Topology& topo, const RunLimits& limits) override {
    limits_ = limits;
    rounds_per_start_ = static_cast<std::uint64_t>(params.get_int("rounds_per_batch"));
    window_rounds_ = static_cast<std::uint64_t>(params.get_int("window_rounds"));
    for (const auto* p : topo.of_type("peer")) {
      peers_.push_back(p->id);
      names_.push_back(p->name);
      if (!p->input_from_host) params.fail("", "all_to_all needs a route from host to every peer ('" + p->name + "')");
    }
    if (peers_.size() < 2) params.fail("", "all_to_all needs at least two kernels of type 'peer'");
    for (const auto* p : topo.of_type("peer"))
      if (p->outputs.size() != peers_.size() - 1)
        params.fail("", "peer '" + p->name + "' must route to every other peer (" + std::to_string(peers_.size() - 1) +
                            " routes, has " + std::to_string(p->outputs.size()) + ")");
  }

  void run(RingKernelRuntime& rt, RunControl& ctl, ResultSink& sink) override {
    const Plan plan = Plan::from(limits_, 1000);
    const std::uint64_t fan = peers_.size() - 1;
    const auto t0 = Clock::now();
    std::uint64_t last_tp = 0, tp_prev = 0;
    std::uint64_t last_processed = 0, nudges = 0;
    auto last_progress = Clock::now();
    sink.throughput("all_to_all_received", ctl.now_ns(), 0, 0);
    while (!plan.done(rounds_) && !ctl.stop_requested()) {
      // Tokens processed so far (control messages are a rounding error at these batch sizes).
      const std::uint64_t processed = processed_total(rt);
      const std::uint64_t expected = rounds_ * fan * peers_.size();
      if (processed != last_processed) {
        last_processed = processed;
        last_progress = Clock::now();
        nudges = 0;
      }
      if (expected - std::min(expected, processed) < window_rounds_ * fan * peers_.size()) {
        const std::uint64_t n = plan.iterations ? std::min(rounds_per_start_, plan.iterations - rounds_) : rounds_per_start_;
        for (KernelId p : peers_) send_control(rt, p, Control::Start, n);
        rounds_ += n;
      } else if (Clock::now() - last_progress > std::chrono::milliseconds(1)) {
        // A peer flushes its outbox when a message arrives. With small input rings every peer can end up
        // idle with tokens held back for a peer that was full at the time: an empty Start wakes them all.
        for (KernelId p : peers_) send_control(rt, p, Control::Start, 0);
        last_progress = Clock::now();
        // Nothing moves even so: stop sending; settle() reports what arrived and verify() fails the run.
        if (++nudges > static_cast<std::uint64_t>(limits_.drain_timeout / std::chrono::milliseconds(1))) break;
      } else {
        std::this_thread::yield();
      }
      const std::uint64_t t = ns_since(t0);
      if (t - last_tp >= 100'000'000) {
        sink.throughput("all_to_all_received", ctl.now_ns(), processed - tp_prev, (processed - tp_prev) * (64 + sizeof(Token)));
        tp_prev = processed;
        last_tp = t;
        ctl.progress(rounds_, plan.iterations);
      }
    }
    const std::uint64_t want = rounds_ * fan;
    // Settled when every peer has all its tokens: query again until they arrive or time runs out.
    reports_ = settle(rt, peers_, {}, limits_.drain_timeout, [&](const std::vector<Report>& reps) {
      for (const auto& r : reps)
        if (r.received < want) return false;
      return true;
    });
    const std::uint64_t processed = processed_total(rt);
    sink.throughput("all_to_all_received", ctl.now_ns(), processed - tp_prev, (processed - tp_prev) * (64 + sizeof(Token)));
    ctl.progress(rounds_, plan.iterations);
  }

  Verification verify() override {
    Verification v;
    const std::uint64_t want = rounds_ * (peers_.size() - 1);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < reports_.size(); ++i) {
      const Report& r = reports_[i];
      total += r.received;
      v.check(r.received == want, "peer '" + names_[i] + "' received " + std::to_string(r.received) + " tokens, expected " +
                                      std::to_string(want));
      v.check(r.order_violations == 0, "peer '" + names_[i] + "' saw " + std::to_string(r.order_violations) + " tokens out of sequence");
      v.check(r.causality_violations == 0, "peer '" + names_[i] + "' saw " + std::to_string(r.causality_violations) +
                                               " HLC causality violations");
      v.check(r.lost == 0 && r.backlog == 0, "peer '" + names_[i] + "' lost " + std::to_string(r.lost) + " and still holds " +
                                                 std::to_string(r.backlog) + " tokens");
      v.check(r.untracked == 0, "peer '" + names_[i] + "' could not track " + std::to_string(r.untracked) + " tokens");
    }
    total_ = total;
    v.figures.emplace_back("peers", std::to_string(peers_.size()));
    v.figures.emplace_back("rounds", std::to_string(rounds_));
    v.figures.emplace_back("tokens", std::to_string(total));
    return v;
  }

  void write_results(ResultSink& sink) override {
    std::vector<std::uint64_t> received, causality;
    for (const auto& r : reports_) {
      received.push_back(r.received);
      causality.push_back(r.causality_violations);
    }
    sink.write_strings("peers", names_);
    sink.write_u64("received_per_peer", received);
    sink.write_u64("causality_violations_per_peer", causality);
    sink.attr("rounds", static_cast<std::int64_t>(rounds_));
    sink.attr("tokens", static_cast<std::int64_t>(total_));
  }

 private:
  std::uint64_t processed_total(RingKernelRuntime& rt) {
    std::uint64_t total = 0;
    for (const auto& n : names_) total += rt.status(n).messages_processed;
    return total;
  }

  RunLimits limits_;
  std::uint64_t rounds_per_start_ = 4, window_rounds_ = 32, rounds_ = 0, total_ = 0;
  std::vector<KernelId> peers_;
  std::vector<std::string> names_;
  std::vector<Report> reports_;
};

}  // namespace

std::unique_ptr<Workload> make_all_to_all() { return std::make_unique<AllToAll>(); }

}  // namespace rk::workloads::synthetic
