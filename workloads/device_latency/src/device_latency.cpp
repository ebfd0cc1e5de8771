// device_latency: what a ring kernel costs on the backend that runs it, as separate figures that are never
// divided into one another (ARCHITECTURE.md, "honest measurement"). In phases, each with only the kernels
// it uses active (the others paused, so their loops do not compete for the host's cores on the CPU
// backend and the fake CUDA layer):
//
//   injection    host-timed try_send calls alone: a 64-byte-payload message into the echo kernel's input.
//                Echoes are drained between calls, untimed (at most `injection_window` outstanding).
//   round_trip   host send → echo → host busy-polling try_receive, one message at a time, host-timed.
//   k2k_hop      host → forward A → (K2K) forward B → host, one message at a time; the sample is B's stamp
//                minus A's (ctx.wall_ns(), the device's calibrated wall clock, not the HLC: stamped by each
//                kernel in the Trace, the same device clock).
//   throughput   `messages` 64-byte messages sent as fast as the ring takes them into the counter kernel,
//                then a Query; a round's time ends when its CountReport reaches the host. The count is
//                exact: the counter checks every sequence number and payload word.
//   baselines    the device's own (runtime.device_baselines: empty launch + sync, graph replay; a real GPU
//                only) and the host's two-thread atomic bounce (ping_pong's, from the synthetic workloads).
//
// Every sample goes to the results file raw (LatencyStream → /latency/<probe>/samples_ns); the summary's
// percentiles come from the streams' histograms (within 1/256), the file's attributes are exact.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "rk/core/runtime.hpp"
#include "rk/workloads/device_latency/kernels.hpp"
#include "rk/workloads/device_latency/workloads.hpp"
#include "rk/workloads/latency_stream.hpp"
#include "rk/workloads/synthetic/messages.hpp"
#include "rk/workloads/synthetic/workloads.hpp"

namespace rk::workloads::device_latency {

namespace {

using Clock = std::chrono::steady_clock;
using synthetic::Control;
using synthetic::Ping;
using synthetic::Report;
using synthetic::Trace;

constexpr std::uint32_t kPayload = 64;  // bytes of payload of every injected, echoed and counted message
constexpr std::uint64_t kPingTag = 0x646C6174;  // "dlat": correlation ids of echoed messages
static_assert(kPayload == sizeof(Burst64));

std::uint64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

std::string fmt_ns(std::uint64_t ns) { return std::to_string(ns) + " ns"; }

std::string fmt_rate(double per_s) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f M msg/s", per_s / 1e6);
  return buf;
}

/// The 64-byte payload of echoed message `seq`: the sequence number and its seven check words.
void fill_payload(Slot& s, std::uint64_t seq) {
  Burst64 b{};
  b.seq = seq;
  for (std::uint32_t i = 0; i < Burst64::kWords; ++i) b.check[i] = check_word(seq, i);
  std::memcpy(s.payload, &b, sizeof b);
}

class DeviceLatency final : public Workload {
 public:
  std::string name() const override { return "device_latency"; }

  void configure(const Params& params, const Topology& topo, const RunLimits& limits) override {
    limits_ = limits;
    injection_samples_ = static_cast<std::uint64_t>(params.get_int("injection_samples"));
    injection_window_ = static_cast<std::uint64_t>(params.get_int("injection_window"));
    round_trips_planned_ = static_cast<std::uint64_t>(params.get_int("round_trips"));
    hop_samples_ = static_cast<std::uint64_t>(params.get_int("hop_samples"));
    messages_ = static_cast<std::uint64_t>(params.get_int("messages"));
    rounds_ = static_cast<std::uint64_t>(params.get_int("throughput_rounds"));
    baseline_samples_ = static_cast<std::uint32_t>(params.get_int("baseline_samples"));
    bounce_ = params.get_bool("atomic_bounce");
    bounce_samples_ = static_cast<std::uint64_t>(params.get_int("atomic_bounce_samples"));
    bounce_lines_ = static_cast<std::uint32_t>(params.get_int("atomic_bounce_lines"));

    const auto echoes = topo.of_type("echo");
    if (echoes.size() != 1) params.fail("", "device_latency needs exactly one kernel of type 'echo'");
    echo_ = *echoes.front();
    if (!echo_.input_from_host || !echo_.outputs_to_host)
      params.fail("", "device_latency needs routes host → '" + echo_.name + "' → host");

    // The K2K pair: a forward kernel the host feeds, routing to one forward kernel that routes to the host.
    const KernelInfo* a = nullptr;
    for (const KernelInfo* f : topo.of_type("forward"))
      if (f->input_from_host) {
        if (a != nullptr) params.fail("", "device_latency needs exactly one 'forward' kernel fed by the host");
        a = f;
      }
    if (a == nullptr || a->outputs.size() != 1)
      params.fail("", "device_latency needs a 'forward' kernel fed by the host that routes to one other 'forward' kernel");
    const KernelInfo& b = topo.by_id(a->outputs.front());
    if (b.type != "forward" || !b.outputs.empty() || !b.outputs_to_host)
      params.fail("", "device_latency: '" + b.name + "' must be a 'forward' kernel that routes to the host only");
    if (a->device != b.device)
      params.fail("", "device_latency: '" + a->name + "' and '" + b.name +
                          "' must share a device (their stamps are compared on one device clock)");
    hop_a_ = *a;
    hop_b_ = b;

    const auto counters = topo.of_type("counter");
    if (counters.size() != 1) params.fail("", "device_latency needs exactly one kernel of type 'counter'");
    counter_ = *counters.front();
    if (!counter_.input_from_host || !counter_.outputs_to_host)
      params.fail("", "device_latency needs routes host → '" + counter_.name + "' → host");
  }

  void run(RingKernelRuntime& rt, RunControl& ctl, ResultSink& sink) override {
    backend_ = std::string(rt.backend_name());
    for (const DeviceProperties& d : rt.devices())
      if (static_cast<int>(d.index) == echo_.device) {
        device_name_ = d.name;
        simulated_ = d.simulated;
      }
    const std::uint64_t planned =
        injection_samples_ + round_trips_planned_ + hop_samples_ + rounds_ * messages_;
    auto progress = [&] { ctl.progress(injection_.count() + round_trip_.count() + hop_.count() + counted_, planned); };

    injection_ = LatencyStream("injection");
    round_trip_ = LatencyStream("round_trip");
    hop_ = LatencyStream("k2k_hop");
    bounce_stream_ = LatencyStream("atomic_bounce");
    injection_.attach(sink);
    round_trip_.attach(sink);
    hop_.attach(sink);
    if (bounce_) bounce_stream_.attach(sink);

    // ---- echo: warm-up, injection, round trip
    only(rt, {echo_.name});
    const auto warm_end = Clock::now() + limits_.warmup;
    while (Clock::now() < warm_end && !ctl.stop_requested() && phase_ok_)
      if (!round_trip(rt, nullptr)) break;
    if (!ctl.stop_requested() && phase_ok_) run_injection(rt, ctl);
    progress();
    for (std::uint64_t i = 0; i < round_trips_planned_ && !ctl.stop_requested() && phase_ok_; ++i) {
      if (!round_trip(rt, &round_trip_)) break;
      if ((i & 1023) == 1023) progress();
    }
    progress();

    // ---- K2K hop
    if (!ctl.stop_requested()) {
      only(rt, {hop_a_.name, hop_b_.name});
      run_hops(rt, ctl);
      progress();
    }

    // ---- throughput
    if (!ctl.stop_requested()) {
      only(rt, {counter_.name});
      sink.throughput("throughput", ctl.now_ns(), 0, 0);
      for (std::uint64_t r = 0; r < rounds_ && !ctl.stop_requested(); ++r) {
        if (!throughput_round(rt, ctl, sink)) break;
        progress();
      }
    }

    // ---- baselines, every kernel paused (launched: they persist)
    only(rt, {});
    if (bounce_ && !ctl.stop_requested()) {
      synthetic::BounceLines lines(bounce_lines_);
      bounce_stream_.add(synthetic::atomic_bounce_round_trips(bounce_samples_, [&] { return ctl.stop_requested(); }, lines));
    }
    if (!ctl.stop_requested()) baselines_ = rt.device_baselines(0, baseline_samples_);
    for (const DeviceBaseline& b : baselines_) {
      LatencyStream s(b.name);
      s.attach(sink);
      for (const double v : b.samples) s.add(v <= 0 ? 0 : static_cast<std::uint64_t>(v + 0.5));
      s.finish();
      baseline_p50_p99_.emplace_back(s.histogram().p50(), s.histogram().p99());
    }
    for (const auto& k : {echo_, hop_a_, hop_b_, counter_}) rt.activate(k.name);  // as the harness left them

    injection_.finish();
    round_trip_.finish();
    hop_.finish();
    bounce_stream_.finish();
    progress();
  }

  Verification verify() override {
    Verification v;
    // injection
    v.check(injected_ == injection_samples_,
            "injection: " + std::to_string(injected_) + " of " + std::to_string(injection_samples_) + " messages sent");
    v.check(injection_echoes_ == injected_,
            "injection: " + std::to_string(injected_) + " sent, " + std::to_string(injection_echoes_) + " echoed");
    // round trip
    v.check(round_trip_.count() == round_trips_planned_,
            "round_trip: " + std::to_string(round_trip_.count()) + " of " + std::to_string(round_trips_planned_) + " completed");
    v.check(wrong_echoes_ == 0, std::to_string(wrong_echoes_) + " echoes did not match their request (seq, type, size or payload)");
    // k2k hop
    v.check(hop_.count() == hop_samples_,
            "k2k_hop: " + std::to_string(hop_.count()) + " of " + std::to_string(hop_samples_) + " messages came back");
    v.check(wrong_traces_ == 0, std::to_string(wrong_traces_) + " K2K messages came back wrong (seq or stamps)");
    for (const Report& r : hop_reports_) {
      v.check(r.received == hop_sent_, "k2k: kernel " + std::to_string(r.kernel) + " received " + std::to_string(r.received) +
                                           " of " + std::to_string(hop_sent_) + " messages");
      v.check(r.order_violations == 0, "k2k: kernel " + std::to_string(r.kernel) + " saw messages out of order");
      v.check(r.lost == 0 && r.backlog == 0, "k2k: kernel " + std::to_string(r.kernel) + " lost or kept messages");
    }
    v.check(hop_reports_.size() == 2 || hop_samples_ == 0, "k2k: the forward kernels did not report");
    // throughput
    v.check(rates_.size() == rounds_, "throughput: " + std::to_string(rates_.size()) + " of " + std::to_string(rounds_) + " rounds done");
    v.check(last_count_.received == counted_ && counted_ == rates_.size() * messages_,
            "throughput: sent " + std::to_string(rates_.size() * messages_) + ", host saw " + std::to_string(counted_) +
                " confirmed, counter counted " + std::to_string(last_count_.received));
    v.check(last_count_.out_of_order == 0, "throughput: " + std::to_string(last_count_.out_of_order) +
                                               " messages out of sequence at the counter (lost or duplicated)");
    v.check(last_count_.corrupt == 0, "throughput: " + std::to_string(last_count_.corrupt) + " corrupt messages at the counter");
    v.check(last_count_.other == 0, "throughput: " + std::to_string(last_count_.other) + " unexpected messages at the counter");
    v.check(timeouts_ == 0, std::to_string(timeouts_) + " waits ran past the drain timeout");
    v.check(send_errors_ == 0, std::to_string(send_errors_) + " sends failed (neither Ok nor Full)");
    for (const std::string& f : failures_) v.check(false, f);

    const bool says_so = device_name_.find("not a GPU") != std::string::npos;
    v.figures.emplace_back("backend", backend_ + ", " + device_name_ +
                                          (simulated_ && !says_so ? "  (simulated: host threads, not a GPU)" : ""));
    auto lat = [&](const LatencyStream& s, const std::string& label, const std::string& target) {
      if (s.count() == 0) return;
      v.figures.emplace_back(label + " p50", fmt_ns(s.histogram().p50()) + target);
      v.figures.emplace_back(label + " p99", fmt_ns(s.histogram().p99()));
    };
    lat(injection_, "injection (try_send)", "");
    if (injection_full_) v.figures.emplace_back("injection Full returns", std::to_string(injection_full_) + " (not timed)");
    lat(round_trip_, "round_trip", "  (target on one H200: <= 1500 ns)");
    lat(hop_, "k2k_hop", "  (target on one H200: <= 1000 ns)");
    if (hop_.count() > 0 && (inherited_a_ || inherited_b_))
      v.figures.emplace_back("k2k_hop clock",
                             std::to_string(inherited_a_) + " first stamps equal the host's send time, " +
                                 std::to_string(inherited_b_) + " second stamps equal the first (the stamps read the "
                                 "wall clock, so this should not happen: those hops are suspect)");
    if (!rates_.empty()) {
      std::vector<double> r = rates_;
      std::sort(r.begin(), r.end());
      v.figures.emplace_back("throughput median", fmt_rate(r[(r.size() - 1) / 2]) + "  (target on one H200: >= 20 M msg/s)");
      v.figures.emplace_back("throughput min / max", fmt_rate(r.front()) + " / " + fmt_rate(r.back()) + "  (" +
                                                         std::to_string(r.size()) + " rounds of " + std::to_string(messages_) +
                                                         " x 64 B, counted exactly)");
    }
    lat(bounce_stream_, "atomic_bounce (host)", "");
    if (baselines_.empty()) {
      v.figures.emplace_back("device baselines", "none from this backend (only a real GPU has them)");
    } else {
      for (std::size_t i = 0; i < baselines_.size(); ++i) {
        v.figures.emplace_back(baselines_[i].name + " p50", fmt_ns(baseline_p50_p99_[i].first));
        v.figures.emplace_back(baselines_[i].name + " p99", fmt_ns(baseline_p50_p99_[i].second));
      }
    }
    v.figures.emplace_back("percentiles above",
                           "whole-run ones from a histogram, within 0.4% (1/256); exact: the file's /latency attributes");
    return v;
  }

  void write_results(ResultSink& sink) override {
    sink.attr("payload_bytes", static_cast<std::int64_t>(kPayload));
    sink.attr("injected", static_cast<std::int64_t>(injected_));
    sink.attr("injection_full_returns", static_cast<std::int64_t>(injection_full_));
    sink.attr("round_trips", static_cast<std::int64_t>(round_trip_.count()));
    sink.attr("hop_samples", static_cast<std::int64_t>(hop_.count()));
    sink.attr("hop_first_stamp_inherited", static_cast<std::int64_t>(inherited_a_));
    sink.attr("hop_second_stamp_inherited", static_cast<std::int64_t>(inherited_b_));
    sink.attr("hop_kernels", hop_a_.name + " -> " + hop_b_.name);
    sink.attr("throughput_messages_per_round", static_cast<std::int64_t>(messages_));
    sink.attr("throughput_messages_counted", static_cast<std::int64_t>(last_count_.received));
    sink.attr("throughput_full_returns", static_cast<std::int64_t>(throughput_full_));
    sink.attr("backend", backend_);
    sink.attr("device", device_name_);
    sink.attr("simulated_device", static_cast<std::int64_t>(simulated_ ? 1 : 0));
    if (!rates_.empty()) {
      sink.write_f64("throughput_msgs_per_s", rates_);
      sink.write_u64("throughput_round_ns", round_ns_);
    }
    for (const DeviceBaseline& b : baselines_) {
      sink.write_f64(b.name + "_" + b.unit, b.samples);  // as the backend measured them (the /latency copy is rounded)
      sink.attr(b.name + "_description", b.description);
    }
  }

 private:
  /// Make exactly `names` active among the workload's kernels (the others paused).
  void only(RingKernelRuntime& rt, std::vector<std::string> names) {
    for (const auto& k : {echo_, hop_a_, hop_b_, counter_})
      if (std::find(names.begin(), names.end(), k.name) == names.end()) rt.deactivate(k.name);
    for (const auto& n : names) rt.activate(n);
  }

  void fail_phase(const std::string& why) {
    failures_.push_back(why);
    phase_ok_ = false;
  }

  /// Busy-polls kernel `k`'s output for one message (false after the drain timeout).
  bool poll(RingKernelRuntime& rt, KernelId k, Slot& out) {
    const auto deadline = Clock::now() + limits_.drain_timeout;
    for (std::uint32_t spins = 0;; ++spins) {
      if (rt.try_receive(k, out) == QueueStatus::Ok) return true;
      if ((spins & 4095) == 4095 && Clock::now() > deadline) {
        ++timeouts_;
        return false;
      }
    }
  }

  /// Sends until the ring takes it (Full retried until the drain timeout); false on failure.
  bool send_retrying(RingKernelRuntime& rt, KernelId k, Slot& s) {
    const SendStatus st = rt.send(k, s, limits_.drain_timeout);
    if (st == SendStatus::Ok) return true;
    if (st == SendStatus::Full) ++timeouts_;
    else ++send_errors_;
    return false;
  }

  void prepare_echo_request(std::uint64_t seq) {
    Slot& s = request_;
    s.header.message_id = {};
    s.header.priority = priority::kNormal;
    s.header.type_id = Ping::kTypeId;
    s.header.payload_size = kPayload;
    s.header.correlation_id = MessageId{kPingTag, seq};
    fill_payload(s, seq);
  }

  /// Whether an echo is the one of message `seq`: type, size, correlation and all 64 payload bytes.
  bool echo_matches(const Slot& r, std::uint64_t seq) {
    Slot expected{};
    fill_payload(expected, seq);
    return r.header.type_id == Ping::kTypeId && r.header.payload_size == kPayload &&
           r.header.correlation_id == MessageId{kPingTag, seq} && std::memcmp(r.payload, expected.payload, kPayload) == 0;
  }

  /// One host-timed round trip (recorded into `into` when given; warm-up otherwise).
  bool round_trip(RingKernelRuntime& rt, LatencyStream* into) {
    const std::uint64_t seq = next_echo_seq_++;
    prepare_echo_request(seq);
    Slot r;
    const auto t0 = Clock::now();
    if (rt.try_send(echo_.id, request_) != SendStatus::Ok && !send_retrying(rt, echo_.id, request_)) {
      fail_phase("round_trip: the echo kernel did not take message " + std::to_string(seq));
      return false;
    }
    if (!poll(rt, echo_.id, r)) {
      fail_phase("round_trip: no echo of message " + std::to_string(seq) + " within the drain timeout");
      return false;
    }
    const std::uint64_t ns = ns_between(t0, Clock::now());
    if (!echo_matches(r, seq)) ++wrong_echoes_;
    if (into) into->add(ns);
    return true;
  }

  /// Injection: only the try_send call is timed; echoes are drained (untimed) in between.
  void run_injection(RingKernelRuntime& rt, RunControl& ctl) {
    std::uint64_t first = next_echo_seq_, outstanding = 0;
    Slot r;
    auto take_echo = [&](const Slot& reply) {
      if (!echo_matches(reply, first + injection_echoes_)) ++wrong_echoes_;
      ++injection_echoes_;
      --outstanding;
    };
    for (std::uint64_t i = 0; i < injection_samples_ && !ctl.stop_requested(); ++i) {
      const std::uint64_t seq = next_echo_seq_++;
      prepare_echo_request(seq);
      for (;;) {
        const auto t0 = Clock::now();
        const SendStatus st = rt.try_send(echo_.id, request_);
        const auto t1 = Clock::now();
        if (st == SendStatus::Ok) {
          injection_.add(ns_between(t0, t1));
          ++injected_;
          ++outstanding;
          break;
        }
        if (st != SendStatus::Full) {
          ++send_errors_;
          fail_phase(std::string("injection: try_send returned ") + to_string(st));
          return;
        }
        ++injection_full_;  // the ring is full: wait for an echo (untimed) and try again
        if (outstanding == 0 || !poll(rt, echo_.id, r)) {
          fail_phase("injection: the echo kernel's input stays full");
          return;
        }
        take_echo(r);
        prepare_echo_request(seq);
      }
      while (rt.try_receive(echo_.id, r) == QueueStatus::Ok) take_echo(r);
      while (outstanding >= injection_window_) {
        if (!poll(rt, echo_.id, r)) {
          fail_phase("injection: echoes stopped coming");
          return;
        }
        take_echo(r);
      }
    }
    while (outstanding > 0) {
      if (!poll(rt, echo_.id, r)) {
        fail_phase("injection: " + std::to_string(outstanding) + " echoes never came");
        return;
      }
      take_echo(r);
    }
  }

  /// K2K hop: one Trace at a time through A → B → host; the sample is B's stamp minus A's.
  void run_hops(RingKernelRuntime& rt, RunControl& ctl) {
    Slot r;
    for (std::uint64_t seq = 0; seq < hop_samples_ && !ctl.stop_requested(); ++seq) {
      Slot s{};
      Trace t{};
      t.seq = seq;
      t.origin = 0;
      s.header.priority = priority::kNormal;
      encode(s, t);
      if (!send_retrying(rt, hop_a_.id, s)) {
        failures_.push_back("k2k: '" + hop_a_.name + "' did not take message " + std::to_string(seq));
        break;
      }
      ++hop_sent_;
      const std::uint64_t host_stamp = s.header.timestamp.physical;  // the runtime stamps the slot it sends
      // Not a busy poll: the sample is timed by the kernels, and a host thread spinning beside two spinning
      // kernels would oversubscribe a 2-core machine (the CPU backend, the fake CUDA layer).
      if (rt.receive(hop_b_.id, r, limits_.drain_timeout) != QueueStatus::Ok) {
        ++timeouts_;
        failures_.push_back("k2k: message " + std::to_string(seq) + " did not come back within the drain timeout");
        break;
      }
      Trace back{};
      if (decode(r, back) != DecodeStatus::Ok || back.seq != seq || back.hops != 2) {
        ++wrong_traces_;
        continue;
      }
      const std::uint64_t a = back.stamp_ns[0], b = back.stamp_ns[1];
      if (b < a) {
        ++wrong_traces_;  // an HLC never goes back along a message's path
        continue;
      }
      if (host_stamp != 0 && a == host_stamp) ++inherited_a_;
      if (b == a) ++inherited_b_;
      hop_.add(b - a);
    }
    // Each forward kernel's own account (answered on its output to the host).
    for (const KernelInfo* k : {&hop_a_, &hop_b_}) {
      Slot q{};
      q.header.priority = priority::kNormal;
      encode(q, Control{Control::Query, 0, 0});
      if (!send_retrying(rt, k->id, q)) {
        failures_.push_back("k2k: cannot query '" + k->name + "'");
        continue;
      }
      for (;;) {
        if (rt.receive(k->id, r, limits_.drain_timeout) != QueueStatus::Ok) {
          ++timeouts_;
          failures_.push_back("k2k: '" + k->name + "' did not answer its query");
          break;
        }
        Report rep{};
        if (decode(r, rep) == DecodeStatus::Ok) {
          hop_reports_.push_back(rep);
          break;
        }
        ++wrong_traces_;  // anything else on that output is a message that went the wrong way
      }
    }
  }

  /// One throughput round: `messages_` Burst64 into the counter as fast as its ring takes them, then a
  /// Query in the same ring (so its answer follows every message); the round ends when the answer arrives.
  bool throughput_round(RingKernelRuntime& rt, RunControl& ctl, ResultSink& sink) {
    Slot s{};
    s.header.priority = priority::kNormal;
    Burst64 b{};
    const std::uint64_t first = counted_;
    const auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < messages_; ++i) {
      b.seq = first + i;
      for (std::uint32_t w = 0; w < Burst64::kWords; ++w) b.check[w] = check_word(b.seq, w);
      s.header.message_id = {};
      encode(s, b);
      SendStatus st;
      std::uint32_t spins = 0;
      auto deadline = Clock::time_point{};
      while ((st = rt.try_send(counter_.id, s)) == SendStatus::Full) {
        ++throughput_full_;
        if ((++spins & 4095) == 0) {
          if (deadline == Clock::time_point{}) deadline = Clock::now() + limits_.drain_timeout;
          else if (Clock::now() > deadline) {
            ++timeouts_;
            failures_.push_back("throughput: the counter's input stayed full past the drain timeout");
            return false;
          }
          if (ctl.stop_requested()) return false;
        }
      }
      if (st != SendStatus::Ok) {
        ++send_errors_;
        failures_.push_back(std::string("throughput: try_send returned ") + to_string(st));
        return false;
      }
    }
    Slot q{};
    q.header.priority = priority::kNormal;  // not kHigh: the answer must come after every message
    encode(q, Control{Control::Query, 0, 0});
    if (!send_retrying(rt, counter_.id, q)) {
      failures_.push_back("throughput: cannot query the counter");
      return false;
    }
    Slot r;
    if (!poll(rt, counter_.id, r)) {
      failures_.push_back("throughput: the counter did not answer within the drain timeout");
      return false;
    }
    const auto t1 = Clock::now();
    CountReport rep{};
    if (decode(r, rep) != DecodeStatus::Ok) {
      failures_.push_back("throughput: the counter answered with message type " + std::to_string(r.header.type_id));
      return false;
    }
    last_count_ = rep;
    const std::uint64_t ns = ns_between(t0, t1);
    counted_ = first + messages_;
    if (rep.received != counted_) {
      failures_.push_back("throughput round " + std::to_string(rates_.size()) + ": counter counted " +
                          std::to_string(rep.received) + ", sent " + std::to_string(counted_));
      return false;
    }
    round_ns_.push_back(ns);
    rates_.push_back(static_cast<double>(messages_) * 1e9 / static_cast<double>(ns ? ns : 1));
    sink.throughput("throughput", ctl.now_ns(), messages_, messages_ * (sizeof(MessageHeader) + kPayload));
    return true;
  }

  RunLimits limits_;
  std::uint64_t injection_samples_ = 0, injection_window_ = 0, round_trips_planned_ = 0, hop_samples_ = 0, messages_ = 0,
                rounds_ = 0, bounce_samples_ = 0;
  std::uint32_t baseline_samples_ = 0, bounce_lines_ = 0;
  bool bounce_ = true;
  KernelInfo echo_, hop_a_, hop_b_, counter_;
  std::string backend_, device_name_;
  bool simulated_ = true;

  LatencyStream injection_, round_trip_, hop_, bounce_stream_;
  std::vector<DeviceBaseline> baselines_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> baseline_p50_p99_;
  Slot request_{};
  bool phase_ok_ = true;
  std::uint64_t next_echo_seq_ = 0;
  std::uint64_t injected_ = 0, injection_echoes_ = 0, injection_full_ = 0, wrong_echoes_ = 0;
  std::uint64_t hop_sent_ = 0, wrong_traces_ = 0, inherited_a_ = 0, inherited_b_ = 0;
  std::vector<Report> hop_reports_;
  std::uint64_t counted_ = 0, throughput_full_ = 0;
  CountReport last_count_{};
  std::vector<double> rates_;
  std::vector<std::uint64_t> round_ns_;
  std::uint64_t timeouts_ = 0, send_errors_ = 0;
  std::vector<std::string> failures_;
};

}  // namespace

std::unique_ptr<Workload> make_device_latency() { return std::make_unique<DeviceLatency>(); }

}  // namespace rk::workloads::device_latency
