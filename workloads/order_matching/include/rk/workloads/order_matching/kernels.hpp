// Ring-kernel handlers of the order-matching topology:
//
//   host ──OrderBatch──► om_gateway ──OrderBatch (hash by symbol)──► om_book[i] ──Trade/RejectBatch,
//   Watermark, BookReport──► om_reporter ──(forwarded)──► host
//
// - `om_gateway` (routes: to the book kernels, rule hash): admits every order in arrival order
//   (Admission: quantity, price, duplicate id across all symbols), marks rejected ones and routes each
//   order to book `symbol % books` (its route targets in scenario order), batching 7 orders per message.
//   A burst end (kFlush) sends every book its partial batch carrying the flag.
// - `om_book` (route: to the reporter): one Book per symbol it owns (the same code as the
//   reference), batches fills (4 per message) and rejects (11 per message) to the reporter; on a burst
//   end flushes them and acknowledges the burst with a Watermark; on the final burst sends its
//   BookReport (counts and the volume/notional partials of the global reduction) first.
// - `om_reporter`: forwards fills, rejects and reports to the host unchanged and the minimum watermark
//   over all books once it advances (the host's flow control and end-of-run signal).
//
// Handlers are templates over the context (single source); kernel-wide work is done by global thread 0.
// The state uses host containers (std::vector/std::map), so these handlers run on the CPU backend only
// for now; every handler is copyable, so its kernel can migrate.
#pragma once

#include <utility>
#include <vector>

#include "rk/core/context.hpp"
#include "rk/core/runtime.hpp"
#include "rk/workloads/order_matching/book.hpp"
#include "rk/workloads/order_matching/messages.hpp"
#include "rk/workloads/outbox.hpp"

namespace rk::workloads::order_matching {

template <class T>
inline Slot make_slot(const T& msg) {
  Slot s{};
  encode(s, msg);
  return s;
}

/// What every order-matching kernel has: an outbox for messages whose target was full, and the idle hook
/// (rk::HasIdleHook) that sends them as soon as the target has room.
struct WithOutbox {
  GrowingOutbox outbox;
  template <class Ctx>
  bool idle(Ctx& ctx) {
    return outbox.retry(ctx);
  }
};

/// `om_gateway`: admission and routing by symbol.
struct GatewayKernel : WithOutbox {
  std::vector<KernelId> books;
  std::vector<OrderBatch> pending;  // per book
  Admission admission;
  std::uint64_t orders = 0, bad_messages = 0;

  GatewayKernel() = default;
  explicit GatewayKernel(const KernelParams& p) : books(p.routes().outputs), pending(books.size()) {
    for (auto& b : pending) b = OrderBatch{};
  }

  template <class Ctx>
  void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    if (outbox.count > 0) outbox.flush(ctx);
    OrderBatch b;
    if (decode(in, b) != DecodeStatus::Ok || b.count > OrderBatch::kCapacity || books.empty()) {
      ++bad_messages;
      ctx.report_error();
      return;
    }
    const auto nbooks = static_cast<std::uint32_t>(books.size());
    for (std::uint32_t i = 0; i < b.count; ++i) {
      WireOrder w = b.orders[i];
      ++orders;
      if (!w.cancel()) {
        Order o;
        o.id = w.id;
        o.price = w.price;
        o.quantity = w.quantity;  // 0 stands for any invalid quantity
        o.action = Action::New;
        const RejectReason r = admission.admit(o);
        w.meta = (w.meta & ~(0xFu << WireOrder::kReasonShift)) | (static_cast<std::uint32_t>(r) << WireOrder::kReasonShift);
      }
      const std::uint32_t book = w.symbol() % nbooks;
      OrderBatch& p = pending[book];
      p.orders[p.count++] = w;
      if (p.count == OrderBatch::kCapacity) send_pending(ctx, book, 0, 0);
    }
    if (b.flags & OrderBatch::kFlush) {
      const std::uint32_t flags = b.flags & (OrderBatch::kFlush | OrderBatch::kFinal);
      for (std::uint32_t k = 0; k < nbooks; ++k) send_pending(ctx, k, flags, b.burst);
    }
  }

 private:
  template <class Ctx>
  void send_pending(Ctx& ctx, std::uint32_t book, std::uint32_t flags, std::uint64_t burst) {
    OrderBatch& p = pending[book];
    p.flags = flags | (static_cast<std::uint32_t>(books.size()) << 16);
    p.burst = burst;
    p.send_ns = (flags & OrderBatch::kFinal) ? outbox.lost : 0;  // the final batch reports our losses
    outbox.send(ctx, books[book], make_slot(p));
    p.count = 0;
  }
};

/// `om_book`: the books of the symbols routed here.
struct BookKernel : WithOutbox {
  KernelId reporter = kHostKernel;
  std::vector<Book> books;  // indexed by symbol / number of books (this kernel owns symbol % books)
  TradeBatch trades{};
  RejectBatch rejects{};
  std::uint64_t orders = 0, n_trades = 0, n_rejects = 0, bad_messages = 0;
  std::int64_t volume = 0, notional = 0;
  std::uint32_t symbols_seen = 0;

  BookKernel() = default;
  explicit BookKernel(const KernelParams& p) {
    const std::vector<KernelId>& out = p.routes().outputs;
    if (!out.empty()) reporter = out.front();
  }

  template <class Ctx>
  void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    if (outbox.count > 0) outbox.flush(ctx);
    OrderBatch b;
    if (decode(in, b) != DecodeStatus::Ok || b.count > OrderBatch::kCapacity) {
      ++bad_messages;
      ctx.report_error();
      return;
    }
    const std::uint32_t nbooks = (b.flags >> 16) ? (b.flags >> 16) : 1;
    for (std::uint32_t i = 0; i < b.count; ++i) {
      const WireOrder& w = b.orders[i];
      ++orders;
      const std::uint32_t sym = w.symbol();
      if (w.reason() != RejectReason::None) {
        add_reject(ctx, w.id, w.reason(), sym);
        continue;
      }
      const std::uint32_t local = sym / nbooks;
      if (local >= books.size()) books.resize(local + 1);
      Book& book = books[local];
      if (w.cancel()) {
        if (!book.cancel(w.id)) add_reject(ctx, w.id, RejectReason::UnknownOrder, sym);
      } else {
        book.submit(w.id, w.side(), w.price, w.quantity, sym, [&](const Trade& t) { add_trade(ctx, t); });
      }
    }
    if (b.flags & OrderBatch::kFlush) {
      if (trades.count) send_trades(ctx);
      if (rejects.count) send_rejects(ctx);
      if (b.flags & OrderBatch::kFinal) {
        BookReport r{};
        r.kernel = ctx.kernel_id();
        std::uint64_t resting = 0;
        for (const Book& bk : books) {
          resting += bk.resting();
          if (bk.trades() > 0 || bk.resting() > 0) ++r.symbols;
        }
        r.orders = orders;
        r.trades = n_trades;
        r.rejects = n_rejects;
        r.volume = volume;
        r.notional = notional;
        r.resting = resting;
        r.lost = outbox.lost;
        r.upstream_lost = b.send_ns;
        r.bad_messages = bad_messages;
        outbox.send(ctx, reporter, make_slot(r));
      }
      Watermark m{b.burst, b.flags >> 16, static_cast<std::uint32_t>(outbox.lost)};
      outbox.send(ctx, reporter, make_slot(m));
    }
  }

 private:
  template <class Ctx>
  void add_trade(Ctx& ctx, const Trade& t) {
    ++n_trades;
    volume = static_cast<std::int64_t>(static_cast<std::uint64_t>(volume) + static_cast<std::uint64_t>(t.quantity));
    notional = static_cast<std::int64_t>(static_cast<std::uint64_t>(notional) +
                                         static_cast<std::uint64_t>(t.price) * static_cast<std::uint64_t>(t.quantity));
    WireTrade& w = trades.trades[trades.count++];
    w.taker = t.taker_order_id;
    w.maker = t.maker_order_id;
    w.price = t.price;
    w.quantity = static_cast<std::uint32_t>(t.quantity);
    w.symbol = t.symbol;
    w.symbol_seq = static_cast<std::uint32_t>(t.symbol_seq);
    if (trades.count == TradeBatch::kCapacity) send_trades(ctx);
  }
  template <class Ctx>
  void add_reject(Ctx& ctx, std::uint64_t id, RejectReason r, std::uint32_t sym) {
    ++n_rejects;
    rejects.rejects[rejects.count++] = Reject{id, static_cast<std::uint32_t>(r), sym};
    if (rejects.count == RejectBatch::kCapacity) send_rejects(ctx);
  }
  template <class Ctx>
  void send_trades(Ctx& ctx) {
    outbox.send(ctx, reporter, make_slot(trades));
    trades.count = 0;
  }
  template <class Ctx>
  void send_rejects(Ctx& ctx) {
    outbox.send(ctx, reporter, make_slot(rejects));
    rejects.count = 0;
  }
};

/// `om_reporter`: forwards fills, rejects and reports to the host; merges the books' watermarks.
struct ReporterKernel : WithOutbox {
  std::vector<std::pair<KernelId, std::uint64_t>> marks;
  std::uint64_t forwarded_mark = 0;
  std::uint64_t trade_batches = 0, reject_batches = 0, bad_messages = 0;

  ReporterKernel() = default;
  explicit ReporterKernel(const KernelParams&) { outbox.storage.limit = 1 << 20; }

  template <class Ctx>
  void operator()(Ctx& ctx, const Slot& in) {
    if (ctx.global_thread_id() != 0) return;
    if (outbox.count > 0) outbox.flush(ctx);
    switch (in.header.type_id) {
      case TradeBatch::kTypeId: ++trade_batches; forward(ctx, in); return;
      case RejectBatch::kTypeId: ++reject_batches; forward(ctx, in); return;
      case BookReport::kTypeId: forward(ctx, in); return;
      case Watermark::kTypeId: break;
      default: ++bad_messages; ctx.report_error(); return;
    }
    Watermark m;
    if (decode(in, m) != DecodeStatus::Ok) {
      ++bad_messages;
      ctx.report_error();
      return;
    }
    bool found = false;
    std::uint64_t low = m.burst;
    for (auto& [k, b] : marks) {
      if (k == in.header.source_kernel) {
        b = m.burst > b ? m.burst : b;
        found = true;
      }
    }
    if (!found) marks.emplace_back(in.header.source_kernel, m.burst);
    if (marks.size() < m.books) return;
    for (const auto& [k, b] : marks) low = b < low ? b : low;
    if (low > forwarded_mark) {
      forwarded_mark = low;
      const std::uint64_t lost = outbox.lost;
      Watermark out{low, m.books, static_cast<std::uint32_t>(lost > 0xFFFFFFFFu ? 0xFFFFFFFFu : lost)};
      outbox.send(ctx, kHostKernel, make_slot(out));
    }
  }

 private:
  template <class Ctx>
  void forward(Ctx& ctx, const Slot& in) {
    Slot s{};
    s.header.type_id = in.header.type_id;
    const std::uint32_t n = in.header.payload_size < Slot::kPayloadCapacity ? in.header.payload_size : Slot::kPayloadCapacity;
    s.header.payload_size = static_cast<std::uint16_t>(n);
    memcpy(s.payload, in.payload, n);
    outbox.send(ctx, kHostKernel, s);
  }
};

/// Registers the order-matching handler types with a backend's registrar (`r.template add<H>(name)`).
template <class Registrar>
void register_kernel_types(Registrar& r) {
  r.template add<GatewayKernel>("om_gateway");
  r.template add<BookKernel>("om_book");
  r.template add<ReporterKernel>("om_reporter");
}

}  // namespace rk::workloads::order_matching
