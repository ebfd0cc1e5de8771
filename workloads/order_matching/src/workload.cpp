// order_matching: the host driver. Reads the orders (CSV `workload.orders`, or the seeded generator),
// injects them into the gateway kernel in bursts of 7-order messages under a window of unacknowledged
// bursts, collects fills and rejects from the reporter, records order-to-fill latency (time a fill
// reaches the host − time its taker order was sent, host run clock), and verifies everything against
// the sequential reference (reference_match) on every run: per symbol the trades must be identical
// (sorted by symbol, symbol_seq), the rejects identical as a set, and the global reduction (Sum over
// the book kernels, in book order) of volume and notional equal to the reference totals.
#include <algorithm>
#include <optional>
#include <thread>

#include "rk/core/reduction.hpp"
#include "rk/workloads/order_matching/workloads.hpp"
#include "rk/workloads/stats.hpp"

namespace rk::workloads::order_matching {

namespace {

using Clock = std::chrono::steady_clock;

class OrderMatching final : public Workload {
 public:
  std::string name() const override { return "order_matching"; }

  void configure(const Params& params, const Topology& topo, const RunLimits& limits) override {
    limits_ = limits;
    if (params.has("orders")) {
      source_ = params.get_string("orders");
      try {
        stream_ = load_orders_csv(source_);
      } catch (const DataFileError& e) {
        params.fail("orders", e.what());
      }
    } else {
      GeneratorConfig c;
      c.symbols = static_cast<std::uint32_t>(params.get_int("symbols"));
      c.seed = limits.seed;
      if (const Params* g = params.generator()) {
        c.orders = static_cast<std::uint64_t>(g->get_int("orders"));
        c.symbols = static_cast<std::uint32_t>(g->get_int("symbols", c.symbols));
        c.resting = static_cast<std::uint32_t>(g->get_int("resting"));
        c.gtc_pct = g->get_double("gtc_pct");
        c.market_pct = g->get_double("market_pct");
        c.cancel_pct = g->get_double("cancel_pct");
        if (c.gtc_pct + c.market_pct + c.cancel_pct > 100.0)
          g->fail("cancel_pct", "gtc_pct + market_pct + cancel_pct must not exceed 100");
        if (g->has("seed")) c.seed ^= static_cast<std::uint64_t>(g->get_int("seed", 0)) * 0x9E3779B97F4A7C15ull;
      } else {
        c.orders = static_cast<std::uint64_t>(params.get_int("count"));
      }
      source_ = "generator";
      // Generated when the run starts, once the harness has checked memory_estimate() against the machine.
      generator_ = c;
    }
    if (limits.stop_requested()) throw Interrupted();  // reading millions of orders takes a while
    truncate_to_iterations();
    burst_ = static_cast<std::uint32_t>(params.get_int("burst"));
    window_ = static_cast<std::uint64_t>(params.get_int("window"));

    const auto gateways = topo.of_type("om_gateway");
    const auto reporters = topo.of_type("om_reporter");
    if (gateways.size() != 1) params.fail("", "order_matching needs exactly one kernel of type 'om_gateway'");
    if (reporters.size() != 1) params.fail("", "order_matching needs exactly one kernel of type 'om_reporter'");
    const KernelInfo& gw = *gateways.front();
    const KernelInfo& rep = *reporters.front();
    if (!gw.input_from_host) params.fail("", "order_matching needs a route from host to the gateway");
    if (!rep.outputs_to_host) params.fail("", "order_matching needs a route from the reporter to host");
    if (gw.outputs.empty()) params.fail("", "order_matching needs routes from the gateway to the books (om_book)");
    if (gw.rule != RouteRule::Hash)
      params.fail("", "the route from the gateway to the books must use rule: hash (orders go to book symbol % books)");
    for (KernelId b : gw.outputs) {
      const KernelInfo& k = topo.by_id(b);
      if (k.type != "om_book") params.fail("", "the gateway must route to kernels of type 'om_book' only, not '" + k.name + "'");
      if (k.outputs.size() != 1 || k.outputs.front() != rep.id)
        params.fail("", "book '" + k.name + "' must route to the reporter '" + rep.name + "' (only)");
      book_names_.push_back(k.name);
    }
    gateway_ = gw.id;
    reporter_ = rep.id;
    books_ = static_cast<std::uint32_t>(gw.outputs.size());
    probe_ = limits.latency_probes.empty() ? std::string("order_to_fill") : limits.latency_probes.front().name;
    for (const auto& p : limits.latency_probes)
      if (p.from == "host" && p.to == "host") probe_ = p.name;
  }

  MemoryEstimate memory_estimate() const override {
    const std::uint64_t n = generator_ ? generator_->orders : stream_.orders.size();
    return {n * kBytesPerOrder, std::to_string(n) + " orders", generator_ ? "generator" : ""};
  }

  void run(RingKernelRuntime& rt, RunControl& ctl, ResultSink& sink) override {
    if (generator_) {
      stream_ = generate_orders(*generator_);
      generator_.reset();
      if (limits_.stop_requested()) throw Interrupted();
      truncate_to_iterations();
    }
    const auto& orders = stream_.orders;
    build_taker_index();
    const std::size_t n_orders = orders.size();
    send_ns_.assign((n_orders + OrderBatch::kCapacity - 1) / OrderBatch::kCapacity, 0);
    trades_.clear();
    t_end_ = 0;
    rejects_.clear();
    reports_.clear();
    latency_.clear();
    latency_.reserve(n_orders / 8);
    burst_orders_.assign(1, 0);  // burst b (from 1) ends after burst_orders_[b] orders

    std::uint64_t burst = 0, acked = 0, final_burst = 0;
    std::size_t next = 0, msg = 0;
    auto last_progress = Clock::now();
    std::uint64_t tp_t = ctl.now_ns(), tp_orders = 0;
    sink.throughput("orders", tp_t, 0, 0);
    t_start_ = ctl.now_ns();

    auto send_slot = [&](Slot& s) {
      for (;;) {
        const SendStatus st = rt.try_send(gateway_, s);
        if (st == SendStatus::Ok) return;
        if (st != SendStatus::Full)
          throw WorkloadError(std::string("cannot send orders to the gateway: ") + to_string(st));
        drain(rt, ctl, acked);
        if (Clock::now() - last_progress > limits_.drain_timeout)
          throw WorkloadError("the gateway accepted no orders for " +
                              std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(limits_.drain_timeout).count()) + " ms");
        std::this_thread::yield();
      }
    };
    auto send_marker = [&](std::uint32_t flags) {
      Slot s{};
      OrderBatch b{};
      b.flags = flags;
      b.burst = ++burst;
      b.send_ns = ctl.now_ns();
      encode(s, b);
      send_slot(s);
      burst_orders_.push_back(next);
    };

    while (next < n_orders && !ctl.stop_requested()) {
      if (burst - acked < window_) {
        const std::uint64_t b_no = ++burst;
        for (std::uint32_t m = 0; m < burst_ && next < n_orders; ++m) {
          Slot s{};
          OrderBatch b;
          b.count = 0;
          b.burst = b_no;
          b.flags = 0;
          while (b.count < OrderBatch::kCapacity && next < n_orders) b.orders[b.count++] = to_wire(orders[next++]);
          if (m + 1 == burst_ || next == n_orders) b.flags = OrderBatch::kFlush;
          b.send_ns = ctl.now_ns();
          send_ns_[msg++] = b.send_ns;
          encode(s, b);
          send_slot(s);
        }
        burst_orders_.push_back(next);
        last_progress = Clock::now();
      }
      const bool got = drain(rt, ctl, acked);
      if (got) last_progress = Clock::now();
      if (burst - acked >= window_ && !got) {
        if (Clock::now() - last_progress > std::chrono::milliseconds(2)) {
          send_marker(OrderBatch::kFlush);  // nudge: lets every kernel flush what it holds
          last_progress = Clock::now();
        }
        std::this_thread::yield();
      }
      const std::uint64_t now = ctl.now_ns();
      if (now - tp_t >= 100'000'000) {
        const std::uint64_t done = burst_orders_[std::min<std::uint64_t>(acked, burst_orders_.size() - 1)];
        sink.throughput("orders", now, done - tp_orders, (done - tp_orders) * sizeof(WireOrder));
        ctl.progress(done, n_orders);
        tp_t = now;
        tp_orders = done;
      }
    }
    sent_ = next;
    // Final burst: every book flushes, reports and acknowledges.
    send_marker(OrderBatch::kFlush | OrderBatch::kFinal);
    final_burst = burst;
    auto deadline = Clock::now() + limits_.drain_timeout;
    auto last_nudge = Clock::now();
    // Until every marker is acknowledged, the nudges sent while waiting included (otherwise their
    // watermarks would arrive after the run and stay unread).
    while (acked < burst || reports_.size() < books_) {
      if (drain(rt, ctl, acked)) {
        if (acked >= final_burst && t_end_ == 0) t_end_ = ctl.now_ns();  // every order matched, fills received
        deadline = Clock::now() + limits_.drain_timeout;
        continue;
      }
      if (Clock::now() > deadline) {
        timed_out_ = true;
        break;
      }
      if (Clock::now() - last_nudge > std::chrono::milliseconds(2)) {
        send_marker(OrderBatch::kFlush);
        last_nudge = Clock::now();
      }
      std::this_thread::yield();
    }
    if (t_end_ == 0) t_end_ = ctl.now_ns();
    const std::uint64_t now = ctl.now_ns();
    sink.throughput("orders", now, sent_ - tp_orders, (sent_ - tp_orders) * sizeof(WireOrder));
    ctl.progress(sent_, n_orders);
    ran_ = true;
  }

  Verification verify() override {
    Verification v;
    v.check(ran_, "the workload did not run");
    v.check(!timed_out_, "the books did not acknowledge the final burst within the drain timeout");
    const std::span<const Order> prefix(stream_.orders.data(), sent_);
    MatchResult ref = reference_match(prefix);
    sort_canonical(ref.trades);
    sort_canonical(trades_);
    std::sort(ref.rejects.begin(), ref.rejects.end());
    std::sort(rejects_.begin(), rejects_.end());
    // Per symbol: identical trade sequences.
    if (trades_ != ref.trades) {
      std::size_t i = 0;
      while (i < trades_.size() && i < ref.trades.size() && trades_[i] == ref.trades[i]) ++i;
      std::string where = i < ref.trades.size()
                              ? "symbol " + std::to_string(ref.trades[i].symbol) + " trade " + std::to_string(ref.trades[i].symbol_seq)
                              : "past the reference's last trade";
      v.check(false, "trades differ from the sequential reference at " + where + " (kernels " +
                         std::to_string(trades_.size()) + " trades, reference " + std::to_string(ref.trades.size()) + ")");
    }
    v.check(rejects_ == ref.rejects, "rejects differ from the sequential reference (kernels " + std::to_string(rejects_.size()) +
                                         ", reference " + std::to_string(ref.rejects.size()) + ")");
    v.check(reports_.size() == books_, std::to_string(reports_.size()) + " of " + std::to_string(books_) + " books reported");
    // The global reduction: per-book partials combined in book order.
    std::int64_t volume = rk::identity<ReductionOp::Sum, std::int64_t>();
    std::int64_t notional = rk::identity<ReductionOp::Sum, std::int64_t>();
    std::uint64_t orders = 0, lost = reporter_lost_, bad = 0;
    std::vector<BookReport> by_book = reports_;
    std::sort(by_book.begin(), by_book.end(), [](const BookReport& a, const BookReport& b) { return a.kernel < b.kernel; });
    for (const BookReport& r : by_book) {
      volume = rk::reduce<ReductionOp::Sum>(volume, r.volume);
      notional = rk::reduce<ReductionOp::Sum>(notional, r.notional);
      orders += r.orders;
      lost += r.lost + r.upstream_lost;
      bad += r.bad_messages;
    }
    const SymbolTotals ref_tot = totals_by_symbol(ref.trades, stream_.symbols.size());
    std::int64_t ref_volume = 0, ref_notional = 0;
    for (std::size_t s = 0; s < stream_.symbols.size(); ++s) {
      ref_volume = rk::reduce<ReductionOp::Sum>(ref_volume, ref_tot.volume[s]);
      ref_notional = rk::reduce<ReductionOp::Sum>(ref_notional, ref_tot.notional[s]);
    }
    if (reports_.size() == books_) {
      v.check(volume == ref_volume, "reduced volume " + std::to_string(volume) + " != reference " + std::to_string(ref_volume));
      v.check(notional == ref_notional, "reduced notional " + std::to_string(notional) + " != reference " + std::to_string(ref_notional));
      v.check(orders == sent_, "books received " + std::to_string(orders) + " orders, the host sent " + std::to_string(sent_));
    }
    v.check(lost == 0, std::to_string(lost) + " messages were lost (outbox overflow)");
    v.check(bad == 0, std::to_string(bad) + " undecodable messages reached the books");
    total_volume_ = volume;
    total_notional_ = notional;

    const double secs = static_cast<double>(t_end_ - t_start_) * 1e-9;
    orders_per_s_ = secs > 0 ? static_cast<double>(sent_) / secs : 0.0;
    v.figures.emplace_back("orders", std::to_string(sent_) + " (" + source_ + ")");
    v.figures.emplace_back("symbols / books", std::to_string(stream_.symbols.size()) + " / " + std::to_string(books_));
    v.figures.emplace_back("trades", std::to_string(trades_.size()));
    v.figures.emplace_back("rejects", std::to_string(rejects_.size()));
    v.figures.emplace_back("orders/s (end to end)", std::to_string(static_cast<std::uint64_t>(orders_per_s_)));
    v.figures.emplace_back("order_to_fill p50", std::to_string(percentile(latency_, 0.50)) + " ns");
    v.figures.emplace_back("order_to_fill p99", std::to_string(percentile(latency_, 0.99)) + " ns");
    v.figures.emplace_back("volume", std::to_string(volume));
    v.figures.emplace_back("VWAP", volume ? std::to_string(static_cast<double>(notional) / static_cast<double>(volume)) : "-");
    return v;
  }

  void write_results(ResultSink& sink) override {
    sink.latency(probe_, latency_);
    sink.write_strings("symbols", stream_.symbols);
    using C = ResultSink::Column;
    using T = ResultSink::ColumnType;
    sink.write_table("trades",
                     {C{"symbol", offsetof(Trade, symbol), T::U32}, C{"symbol_seq", offsetof(Trade, symbol_seq), T::U64},
                      C{"taker_order_id", offsetof(Trade, taker_order_id), T::U64},
                      C{"maker_order_id", offsetof(Trade, maker_order_id), T::U64}, C{"price", offsetof(Trade, price), T::I64},
                      C{"quantity", offsetof(Trade, quantity), T::I64}},
                     sizeof(Trade), trades_.data(), trades_.size());
    sink.write_table("rejects",
                     {C{"order_id", offsetof(Reject, order_id), T::U64}, C{"reason", offsetof(Reject, reason), T::U32},
                      C{"symbol", offsetof(Reject, symbol), T::U32}},
                     sizeof(Reject), rejects_.data(), rejects_.size());
    std::vector<std::string> reasons;
    for (std::uint32_t r = 0; r < kRejectReasonCount; ++r) reasons.emplace_back(to_string(static_cast<RejectReason>(r)));
    sink.write_strings("reject_reasons", reasons);
    const SymbolTotals tot = totals_by_symbol(trades_, stream_.symbols.size());
    std::vector<double> vwap(stream_.symbols.size(), 0.0);
    std::vector<std::uint64_t> per_symbol_trades(stream_.symbols.size(), 0);
    for (std::size_t s = 0; s < vwap.size(); ++s)
      vwap[s] = tot.volume[s] ? static_cast<double>(tot.notional[s]) / static_cast<double>(tot.volume[s]) : 0.0;
    for (const Trade& t : trades_)
      if (t.symbol < per_symbol_trades.size()) ++per_symbol_trades[t.symbol];
    sink.write_i64("volume", tot.volume);
    sink.write_i64("notional", tot.notional);
    sink.write_f64("vwap", vwap);
    sink.write_u64("trades_per_symbol", per_symbol_trades);
    sink.attr("orders", static_cast<std::int64_t>(sent_));
    sink.attr("trades_total", static_cast<std::int64_t>(trades_.size()));
    sink.attr("rejects_total", static_cast<std::int64_t>(rejects_.size()));
    sink.attr("total_volume", total_volume_);
    sink.attr("total_notional", total_notional_);
    sink.attr("vwap", total_volume_ ? static_cast<double>(total_notional_) / static_cast<double>(total_volume_) : 0.0);
    sink.attr("orders_per_second", orders_per_s_);
    sink.attr("elapsed_ns", static_cast<std::int64_t>(t_end_ - t_start_));
    sink.attr("books", static_cast<std::int64_t>(books_));
    sink.attr("source", source_);
    sink.attr("latency_probe", probe_);
  }

 private:
  static WireOrder to_wire(const Order& o) {
    WireOrder w;
    w.id = o.id;
    w.price = o.price;
    // Quantities outside 1..2^32-1 travel as 0, which the gateway rejects as BadQuantity (the same
    // outcome Admission gives the original value).
    w.quantity = (o.action == Action::New && o.quantity > 0 && o.quantity <= kMaxQuantity) ? static_cast<std::uint32_t>(o.quantity) : 0;
    w.meta = (o.symbol & WireOrder::kSymbolMask) | (o.action == Action::Cancel ? WireOrder::kCancel : 0u) |
             (o.side == Side::Sell ? WireOrder::kSell : 0u);
    return w;
  }

  /// Taker order id → input position (for the send time of its message), for the admitted NEW orders
  /// (the only possible takers). Ids up to 4 × rows + 64 (the generator's 1, 2, 3, …) use a direct
  /// table; others an open-addressing index.
  void build_taker_index() {
    const auto& orders = stream_.orders;
    std::uint64_t max_id = 0;
    for (const Order& o : orders)
      if (o.action == Action::New) max_id = std::max(max_id, o.id);
    direct_ids_ = max_id <= 4 * static_cast<std::uint64_t>(orders.size()) + 64;
    taker_table_.clear();
    taker_index_ = IdIndex{};
    if (direct_ids_) taker_table_.assign(max_id + 1, IdIndex::kNone);
    Admission a;
    for (std::size_t i = 0; i < orders.size(); ++i) {
      if (orders[i].action != Action::New || a.admit(orders[i]) != RejectReason::None) continue;
      if (direct_ids_) taker_table_[orders[i].id] = static_cast<std::uint32_t>(i);
      else taker_index_.insert(orders[i].id, static_cast<std::uint32_t>(i));
    }
  }
  std::uint64_t send_time_of(std::uint64_t taker) const {
    std::uint32_t pos = IdIndex::kNone;
    if (direct_ids_) {
      if (taker < taker_table_.size()) pos = taker_table_[taker];
    } else {
      pos = taker_index_.find(taker);
    }
    if (pos == IdIndex::kNone) return 0;
    const std::size_t m = pos / OrderBatch::kCapacity;
    return m < send_ns_.size() ? send_ns_[m] : 0;
  }

  /// Take everything the reporter has for the host; true when anything arrived.
  bool drain(RingKernelRuntime& rt, RunControl& ctl, std::uint64_t& acked) {
    bool any = false;
    Slot s;
    while (rt.try_receive(reporter_, s) == QueueStatus::Ok) {
      any = true;
      switch (s.header.type_id) {
        case TradeBatch::kTypeId: {
          TradeBatch b;
          if (decode(s, b) != DecodeStatus::Ok) break;
          const std::uint64_t now = ctl.now_ns();
          for (std::uint32_t i = 0; i < b.count && i < TradeBatch::kCapacity; ++i) {
            const WireTrade& w = b.trades[i];
            trades_.push_back(Trade{w.symbol, 0, w.symbol_seq, w.taker, w.maker, w.price, static_cast<std::int64_t>(w.quantity)});
            const std::uint64_t sent = send_time_of(w.taker);
            if (sent && now >= sent) latency_.push_back(now - sent);
          }
          break;
        }
        case RejectBatch::kTypeId: {
          RejectBatch b;
          if (decode(s, b) != DecodeStatus::Ok) break;
          for (std::uint32_t i = 0; i < b.count && i < RejectBatch::kCapacity; ++i) rejects_.push_back(b.rejects[i]);
          break;
        }
        case Watermark::kTypeId: {
          Watermark m;
          if (decode(s, m) != DecodeStatus::Ok) break;
          reporter_lost_ = m.lost;
          if (m.burst > acked) acked = m.burst;
          break;
        }
        case BookReport::kTypeId: {
          BookReport r;
          if (decode(s, r) == DecodeStatus::Ok) reports_.push_back(r);
          break;
        }
        default: break;
      }
    }
    return any;
  }

  RunLimits limits_;
  /// The stream, the reference book's copy and trades, send times and latencies: what a run holds per order.
  static constexpr std::uint64_t kBytesPerOrder = 4 * sizeof(Order);
  void truncate_to_iterations() {
    if (limits_.iterations && *limits_.iterations < stream_.orders.size()) stream_.orders.resize(*limits_.iterations);
  }

  OrderStream stream_;
  std::optional<GeneratorConfig> generator_;  ///< set until run() generates the stream
  std::string source_, probe_;
  std::uint32_t burst_ = 64, books_ = 0;
  std::uint64_t window_ = 8;
  KernelId gateway_ = 0, reporter_ = 0;
  std::vector<std::string> book_names_;
  // Run state and results.
  bool direct_ids_ = true, ran_ = false, timed_out_ = false;
  IdIndex taker_index_;
  std::vector<std::uint32_t> taker_table_;
  std::vector<std::uint64_t> send_ns_, burst_orders_, latency_;
  std::vector<Trade> trades_;
  std::vector<Reject> rejects_;
  std::vector<BookReport> reports_;
  std::uint64_t sent_ = 0, reporter_lost_ = 0, t_start_ = 0, t_end_ = 0;
  std::int64_t total_volume_ = 0, total_notional_ = 0;
  double orders_per_s_ = 0.0;
};

}  // namespace

std::unique_ptr<Workload> make_workload() { return std::make_unique<OrderMatching>(); }

std::vector<WorkloadInfo> workloads() {
  return {{"order_matching",
           "price-time order books sharded by symbol: gateway → books → reporter; trades checked against a sequential reference",
           &make_workload,
           {ParamSpec::path("orders", "the generator's stream", "orders CSV data file (replaces the generator)"),
            ParamSpec::integer("symbols", 8, 1, kMaxSymbols, "symbols of the generated stream"),
            ParamSpec::integer("count", 1'000'000, 1, 1'000'000'000, "orders generated when there is no generator mapping"),
            ParamSpec::integer("burst", 64, 1, 1 << 16, "7-order messages per burst"),
            ParamSpec::integer("window", 8, 1, 1 << 20, "bursts in flight")},
           {ParamSpec::integer("orders", 1'000'000, 1, 1'000'000'000, "orders generated"),
            ParamSpec::integer_computed("symbols", "workload.symbols", 1, kMaxSymbols, "symbols"),
            ParamSpec::integer("resting", 1000, 0, 10'000'000, "resting orders per book built up first and kept around"),
            ParamSpec::real("gtc_pct", 9.0, 0.0, 100.0, "percent of limit orders near the touch (a few cross and trade, the rest rest)"),
            ParamSpec::real("market_pct", 3.0, 0.0, 100.0, "percent of market orders"),
            ParamSpec::real("cancel_pct", 6.0, 0.0, 100.0, "percent of cancels"),
            ParamSpec::integer_computed("seed", "the scenario's seed", 0, INT64_MAX, "mixed into the scenario's seed")},
           {.duration = false, .iterations = true, .warmup = false}}};
}

}  // namespace rk::workloads::order_matching
