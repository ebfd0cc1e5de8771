// ping_pong: host → echo kernel → host round trips, one at a time, each timed on the host. In the same
// run it measures the floor of any cross-core round trip (two threads bouncing one atomic) so the
// result is reported as a ratio to a baseline taken on the same machine at the same moment: the two
// are measured in alternating blocks, so a machine whose speed drifts during the run (a VM whose
// virtual CPUs move between physical cores) weighs on both alike.
//
// Memory does not grow with the run: samples stream to the results file in bounded chunks
// (LatencyStream), whole-run percentiles come from histograms (within 1/256 of exact; the file's
// /latency attributes are exact), and a block's figures from that block's samples (at most baseline_block).
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>
#include <thread>

#include "driver_util.hpp"
#include "rk/workloads/synthetic/workloads.hpp"

namespace rk::workloads::synthetic {

using namespace detail;

namespace {
constexpr std::size_t kPage = 4096;
constexpr int kBounceSwitchWarmup = 16;  // unrecorded bounces after the partner moves to another line
}  // namespace

BounceLines::BounceLines(std::uint32_t count)
    : pages_(static_cast<std::byte*>(::operator new(std::size_t{count} * kPage, std::align_val_t{kPage}))),
      count_(count) {
  for (std::uint32_t i = 0; i < count_; ++i) new (&line(i)) std::atomic<std::uint64_t>(0);
}

std::atomic<std::uint64_t>& BounceLines::line(std::uint32_t i) const {
  // Line i of page i (modulo the 64 lines of a page): different pages and different offsets.
  return *reinterpret_cast<std::atomic<std::uint64_t>*>(pages_.get() + std::size_t{i} * kPage +
                                                        std::size_t{i % (kPage / 64)} * 64);
}

void BounceLines::PageDeleter::operator()(std::byte* p) const { ::operator delete(p, std::align_val_t{kPage}); }

std::vector<std::uint64_t> atomic_bounce_round_trips(std::uint64_t samples, const std::function<bool()>& stop,
                                                     const BounceLines& lines,
                                                     std::vector<std::vector<std::uint64_t>>* per_line) {
  // The partner answers on the line `current` points at; both flags have a line of their own.
  struct alignas(64) Shared {
    std::atomic<std::atomic<std::uint64_t>*> current{nullptr};
    std::atomic<bool> quit{false};
  } shared;
  std::thread partner([&shared] {
    std::atomic<std::uint64_t>* word = nullptr;
    std::uint64_t answered = 0;
    while (!shared.quit.load(std::memory_order_relaxed)) {
      std::atomic<std::uint64_t>* now = shared.current.load(std::memory_order_acquire);
      if (now != word) {
        word = now;
        answered = 0;  // a line at rest holds an even value: nothing to answer until it turns odd
      }
      if (word == nullptr) continue;
      const std::uint64_t v = word->load(std::memory_order_acquire);
      if (v != answered && (v & 1)) {
        answered = v + 1;
        word->store(answered, std::memory_order_release);
      }
    }
  });
  auto bounce = [](std::atomic<std::uint64_t>& word) {
    const std::uint64_t v = word.load(std::memory_order_relaxed) + 1;  // only this thread writes odd values
    const auto t0 = Clock::now();
    word.store(v, std::memory_order_release);
    while (word.load(std::memory_order_acquire) != v + 1) {
    }
    return ns_since(t0);
  };
  std::vector<std::uint64_t> out;
  out.reserve(samples);
  const std::uint32_t n_lines = lines.count();
  for (std::uint32_t l = 0; l < n_lines && out.size() < samples; ++l) {
    // Share the samples evenly: line l takes its part of what is left.
    const std::uint64_t mine = (samples - out.size() + (n_lines - l) - 1) / (n_lines - l);
    std::atomic<std::uint64_t>& word = lines.line(l);
    shared.current.store(&word, std::memory_order_release);
    for (int i = 0; i < kBounceSwitchWarmup; ++i) bounce(word);
    bool stopped = false;
    for (std::uint64_t i = 0; i < mine; ++i) {
      if ((out.size() & 1023) == 0 && stop && stop()) {
        stopped = true;
        break;
      }
      const std::uint64_t ns = bounce(word);
      out.push_back(ns);
      if (per_line) (*per_line)[l].push_back(ns);
    }
    if (stopped) break;
  }
  shared.quit = true;
  partner.join();
  return out;
}

namespace {

/// The baseline is `mean_of(line_p50s(...))`, the mean of the bounce lines' p50s. A line's p50 depends
/// on the cache slice it maps to (on the development VM two groups, ~210 and ~360 ns), so the p50 of all
/// bounces pooled jumps between the groups with the share of fast lines a run happens to get; the mean
/// of the lines' p50s moves with that share smoothly, as the average cost of a ring's many lines does.
std::uint64_t mean_of(const std::vector<std::uint64_t>& values) {
  double sum = 0;
  for (std::uint64_t v : values) sum += static_cast<double>(v);
  return values.empty() ? 0 : static_cast<std::uint64_t>(sum / static_cast<double>(values.size()) + 0.5);
}

/// The p50 of each line that has samples, in line order (exact: one block's samples).
std::vector<std::uint64_t> line_p50s(const std::vector<std::vector<std::uint64_t>>& per_line) {
  std::vector<std::uint64_t> out;
  for (const auto& line : per_line)
    if (!line.empty()) out.push_back(percentile(line, 0.50));
  return out;
}

class PingPong final : public Workload {
 public:
  std::string name() const override { return "ping_pong"; }

  /// A block's round trips and bounces are kept until its row is written: `baseline_block` may ask for more
  /// than the machine holds (it goes up to 10^8 samples of 8 bytes each, twice).
  MemoryEstimate memory_estimate() const override {
    if (!baseline_) return {};
    return {2 * baseline_block_ * sizeof(std::uint64_t),
            "one block of " + std::to_string(baseline_block_) + " round trips and bounces", "baseline_block"};
  }

  void configure(const Params& params, const Topology& topo, const RunLimits& limits) override {
    limits_ = limits;
    payload_bytes_ = static_cast<std::uint32_t>(params.get_int("payload_bytes"));
    baseline_ = params.get_bool("baseline");
    baseline_samples_ = static_cast<std::uint64_t>(params.get_int("baseline_samples"));
    baseline_block_ = static_cast<std::uint64_t>(params.get_int("baseline_block"));
    const auto n_lines = static_cast<std::uint32_t>(params.get_int("baseline_lines"));
    if (baseline_) {
      lines_ = std::make_unique<BounceLines>(n_lines);
      per_line_.assign(n_lines, {});
    }
    const auto echoes = topo.of_type("echo");
    if (echoes.empty()) params.fail("", "ping_pong needs a kernel of type 'echo'");
    echo_ = echoes.front()->id;
    echo_name_ = echoes.front()->name;
    probe_ = probe_name(limits, echoes.front()->name, "round_trip");
  }

  void run(RingKernelRuntime& rt, RunControl& ctl, ResultSink& sink) override {
    const auto warm_end = Clock::now() + limits_.warmup;
    std::uint64_t seq = 0;
    while (Clock::now() < warm_end && !ctl.stop_requested()) round_trip(rt, ++seq);
    const Plan plan = Plan::from(limits_, 100000);
    // With the baseline on, blocks of baseline_block round trips alternate with blocks of as many atomic
    // bounces until baseline_samples bounces are taken; each block of round trips after a bounce block
    // starts with unrecorded round trips (the echo kernel was paused and its worker may have slept).
    round_trips_ = LatencyStream(probe_);
    round_trips_.attach(sink);
    bounces_ = LatencyStream("atomic_bounce");
    if (baseline_) bounces_.attach(sink);
    std::uint64_t in_block = 0;
    while (!plan.done(completed_) && !ctl.stop_requested()) {
      const auto t0 = Clock::now();
      const bool ok = round_trip(rt, ++seq);
      const std::uint64_t ns = ns_since(t0);
      if (!ok) break;
      round_trips_.add(ns);
      if (baseline_pending()) block_round_trips_.push_back(ns);  // at most baseline_block of them
      ++completed_;
      if ((completed_ & 1023) == 0) ctl.progress(completed_, plan.iterations);
      if (++in_block == baseline_block_ && baseline_pending()) {
        in_block = 0;
        if (!baseline_block(rt, ctl, baseline_block_)) break;
        if (plan.done(completed_)) break;
        const std::uint64_t rewarm = std::min(kRewarm, baseline_block_);
        for (std::uint64_t i = 0; i < rewarm && !ctl.stop_requested(); ++i) round_trip(rt, ++seq);
      }
    }
    ctl.progress(completed_, plan.iterations);
    // A run shorter than one block (or cut short by a failed round trip) still gets a baseline, after it.
    if (baseline_ && bounces_.count() == 0 && !ctl.stop_requested())
      baseline_block(rt, ctl, std::min(baseline_samples_, std::max<std::uint64_t>(completed_, 1000)));
    round_trips_.finish();
    bounces_.finish();
    block_round_trips_ = {};
  }

  /// One row per block of round trips with the bounce block measured right after it: how the ratio
  /// moves during a run (on a VM whose cores' distance changes, by a factor of two or more).
  struct BlockRow {
    std::uint64_t round_trip_p50_ns;
    std::uint64_t atomic_bounce_p50_ns;            // all the block's bounces pooled
    double ratio;                                  // to the pooled p50
    std::uint64_t atomic_bounce_line_mean_p50_ns;  // the mean of the lines' p50s in the block
    double line_mean_ratio;                        // to that mean: what the summary reports
  };

  /// One row per bounce line: the p50 of the bounces taken on it over the whole run.
  struct LineRow {
    std::uint32_t line;
    std::uint64_t p50_ns;
    std::uint64_t samples;
  };

  Verification verify() override {
    Verification v;
    v.check(completed_ > 0, "no round trip completed");
    v.check(wrong_ == 0, std::to_string(wrong_) + " replies did not match their request");
    v.check(timeouts_ == 0, std::to_string(timeouts_) + " requests got no reply within the drain timeout");
    v.figures.emplace_back("round trips", std::to_string(completed_));
    if (round_trips_.count() > 0) {
      p50_ = round_trips_.histogram().p50();
      v.figures.emplace_back(probe_ + " p50", fmt_ns(p50_));
      v.figures.emplace_back(probe_ + " p99", fmt_ns(round_trips_.histogram().p99()));
    }
    if (bounces_.count() > 0) {
      // Whole-run p50s from the histograms (the lines', and all bounces pooled).
      std::vector<std::uint64_t> p50s;
      line_rows_.clear();
      for (std::size_t l = 0; l < per_line_.size(); ++l)
        if (!per_line_[l].empty()) {
          p50s.push_back(per_line_[l].p50());
          line_rows_.push_back({static_cast<std::uint32_t>(l), p50s.back(), per_line_[l].count()});
        }
      pooled_p50_ = bounces_.histogram().p50();
      base_p50_ = mean_of(p50s);
      std::sort(p50s.begin(), p50s.end());
      v.figures.emplace_back("atomic_bounce p50", fmt_ns(base_p50_) + (p50s.size() > 1
                                                      ? "  (mean of " + std::to_string(p50s.size()) + " lines' p50s, " +
                                                            fmt_ns(p50s.front()) + " to " + fmt_ns(p50s.back()) +
                                                            "; all pooled " + fmt_ns(pooled_p50_) + ")"
                                                      : std::string()));
      if (base_p50_ && p50_) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2fx", static_cast<double>(p50_) / static_cast<double>(base_p50_));
        v.figures.emplace_back("p50 / atomic_bounce p50", buf);
      }
    }
    if (blocks_.size() > 1) {
      std::vector<double> r;
      for (const BlockRow& b : blocks_) r.push_back(b.line_mean_ratio);
      std::sort(r.begin(), r.end());
      char buf[96];
      std::snprintf(buf, sizeof buf, "%.2fx to %.2fx, median %.2fx (%zu blocks)", r.front(), r.back(), r[r.size() / 2],
                    r.size());
      v.figures.emplace_back("per-block p50 ratio", buf);
    }
    if (round_trips_.count() > 0) v.figures.push_back(percentile_precision_figure());
    return v;
  }

  void write_results(ResultSink& sink) override {
    sink.attr("round_trips", static_cast<std::int64_t>(completed_));
    sink.attr("payload_bytes", static_cast<std::int64_t>(payload_bytes_));
    sink.attr("probe", probe_);
    if (p50_) sink.attr("p50_ns", static_cast<std::int64_t>(p50_));
    if (pooled_p50_ && base_p50_) {
      sink.attr("baseline_probe", std::string("atomic_bounce"));
      sink.attr("baseline_p50_ns", static_cast<std::int64_t>(pooled_p50_));
      sink.attr("p50_ratio_to_baseline", static_cast<double>(p50_) / static_cast<double>(pooled_p50_));
      sink.attr("baseline_line_mean_p50_ns", static_cast<std::int64_t>(base_p50_));
      sink.attr("p50_ratio_to_line_mean", static_cast<double>(p50_) / static_cast<double>(base_p50_));
      sink.attr("baseline_blocks", static_cast<std::int64_t>(baseline_blocks_));
      sink.attr("baseline_lines", static_cast<std::int64_t>(per_line_.size()));
    }
    if (!blocks_.empty()) {
      using T = ResultSink::ColumnType;
      const std::vector<ResultSink::Column> cols = {
          {"round_trip_p50_ns", offsetof(BlockRow, round_trip_p50_ns), T::U64},
          {"atomic_bounce_p50_ns", offsetof(BlockRow, atomic_bounce_p50_ns), T::U64},
          {"ratio", offsetof(BlockRow, ratio), T::F64},
          {"atomic_bounce_line_mean_p50_ns", offsetof(BlockRow, atomic_bounce_line_mean_p50_ns), T::U64},
          {"line_mean_ratio", offsetof(BlockRow, line_mean_ratio), T::F64},
      };
      sink.write_table("blocks", cols, sizeof(BlockRow), blocks_.data(), blocks_.size());
    }
    if (!line_rows_.empty()) {
      using T = ResultSink::ColumnType;
      const std::vector<ResultSink::Column> cols = {
          {"line", offsetof(LineRow, line), T::U32},
          {"p50_ns", offsetof(LineRow, p50_ns), T::U64},
          {"samples", offsetof(LineRow, samples), T::U64},
      };
      sink.write_table("bounce_lines", cols, sizeof(LineRow), line_rows_.data(), line_rows_.size());
    }
  }

 private:
  bool round_trip(RingKernelRuntime& rt, std::uint64_t seq) {
    // One request slot for the whole run: zeroing a fresh 256-byte slot would be timed with the round trip.
    Slot& s = request_;
    s.header.message_id = {};  // nil: the runtime gives every send a fresh id
    s.header.priority = priority::kNormal;
    s.header.type_id = Ping::kTypeId;
    s.header.payload_size = static_cast<std::uint16_t>(payload_bytes_);
    // The sequence number travels in the correlation id (the echo's reply keeps it), and in the
    // payload when there is one: payload_bytes 0 is a header-only round trip, one cache line each way.
    s.header.correlation_id = MessageId{kPingTag, seq};
    if (payload_bytes_ >= sizeof seq) std::memcpy(s.payload, &seq, sizeof seq);
    if (rt.send(echo_, s, limits_.drain_timeout) != SendStatus::Ok) {
      ++timeouts_;
      return false;
    }
    Slot r;
    // Busy-poll: this is a latency measurement.
    const auto deadline = Clock::now() + limits_.drain_timeout;
    for (std::uint32_t spins = 0;; ++spins) {
      if (rt.try_receive(echo_, r) == QueueStatus::Ok) break;
      if ((spins & 4095) == 4095 && Clock::now() > deadline) {
        ++timeouts_;
        return false;
      }
    }
    std::uint64_t back = seq;
    if (payload_bytes_ >= sizeof back) std::memcpy(&back, r.payload, sizeof back);
    if (r.header.type_id != Ping::kTypeId || r.header.payload_size != payload_bytes_ || back != seq ||
        r.header.correlation_id != MessageId{kPingTag, seq})
      ++wrong_;
    return true;
  }

  /// Whether bounce blocks are still to come (the round trips of the current block are kept until then).
  bool baseline_pending() const { return baseline_ && bounces_.count() < baseline_samples_; }

  /// One block of the baseline: the echo kernel paused, so its spinning worker does not compete with
  /// the two bouncing threads for cores; then resumed. False when the run was stopped meanwhile. The
  /// block's row (exact p50s of its round trips and bounces) is computed here; the bounces go on to the
  /// file and into the whole-run histograms.
  bool baseline_block(RingKernelRuntime& rt, RunControl& ctl, std::uint64_t n) {
    rt.deactivate(echo_name_);
    std::vector<std::vector<std::uint64_t>> block_lines(lines_->count());
    const auto block = atomic_bounce_round_trips(std::min(n, baseline_samples_ - std::min(baseline_samples_, bounces_.count())),
                                                 [&] { return ctl.stop_requested(); }, *lines_, &block_lines);
    rt.activate(echo_name_);
    bounces_.add(block);
    ++baseline_blocks_;
    if (!block.empty() && !block_round_trips_.empty()) {
      const std::uint64_t a = percentile(block_round_trips_, 0.50), b = percentile(block, 0.50),
                          m = mean_of(line_p50s(block_lines));
      auto ratio = [a](std::uint64_t base) { return base ? static_cast<double>(a) / static_cast<double>(base) : 0.0; };
      blocks_.push_back({a, b, ratio(b), m, ratio(m)});
    }
    for (std::size_t l = 0; l < block_lines.size(); ++l) per_line_[l].record(block_lines[l]);
    block_round_trips_.clear();
    return !ctl.stop_requested();
  }

  static constexpr std::uint64_t kRewarm = 1000;  // unrecorded round trips after each bounce block (at most)
  static constexpr std::uint64_t kPingTag = 0x70696E67;  // "ping"
  RunLimits limits_;
  std::uint32_t payload_bytes_ = 8;
  bool baseline_ = true;
  std::uint64_t baseline_samples_ = 200000;
  std::uint64_t baseline_block_ = 10000;
  KernelId echo_ = 0;
  std::string echo_name_;
  std::string probe_;
  LatencyStream round_trips_, bounces_;           // to the file in chunks; whole-run histograms
  std::vector<std::uint64_t> block_round_trips_;  // the current block's round trips, while blocks are to come
  Slot request_{};
  std::vector<BlockRow> blocks_;
  std::unique_ptr<BounceLines> lines_;
  std::vector<LatencyHistogram> per_line_;  // each bounce line's samples over the run (sized by configure)
  std::vector<LineRow> line_rows_;
  std::uint64_t completed_ = 0, wrong_ = 0, timeouts_ = 0, p50_ = 0, base_p50_ = 0, pooled_p50_ = 0,
                baseline_blocks_ = 0;
};

}  // namespace

std::unique_ptr<Workload> make_ping_pong() { return std::make_unique<PingPong>(); }

}  // namespace rk::workloads::synthetic
