// Wire messages of the order-matching topology (General domain, type ids 40–46). Every one fits a
// slot's 192-byte inline payload; orders and fills travel in batches.
#pragma once

#include "rk/core/message.hpp"
#include "rk/workloads/order_matching/book.hpp"

namespace rk::workloads::order_matching {

/// One order on the wire (24 bytes). `meta` = symbol (bits 0–23) | cancel (bit 24) | sell (bit 25) |
/// admission reject reason (bits 28–31, set by the gateway: the book reports it instead of matching).
struct WireOrder {
  std::uint64_t id;
  std::int64_t price;
  std::uint32_t quantity;
  std::uint32_t meta;

  static constexpr std::uint32_t kSymbolMask = 0x00FFFFFFu;
  static constexpr std::uint32_t kCancel = 1u << 24;
  static constexpr std::uint32_t kSell = 1u << 25;
  static constexpr std::uint32_t kReasonShift = 28;

  std::uint32_t symbol() const { return meta & kSymbolMask; }
  bool cancel() const { return (meta & kCancel) != 0; }
  Side side() const { return (meta & kSell) ? Side::Sell : Side::Buy; }
  RejectReason reason() const { return static_cast<RejectReason>(meta >> kReasonShift); }
};
static_assert(sizeof(WireOrder) == 24);
inline constexpr std::uint32_t kMaxSymbols = WireOrder::kSymbolMask + 1;

/// host → gateway and gateway → book: up to 7 orders. `flags`: kFlush ends a burst (`burst` numbers it,
/// from 1): the gateway passes it to every book, which flushes its fills and acknowledges the burst;
/// kFinal additionally asks the books for their BookReport. Bits 16–31 of `flags` carry the number of
/// books (set by the gateway on every batch): a book keeps symbol s at index s / books, and the
/// reporter knows how many acknowledgements make a burst complete.
struct OrderBatch {
  static constexpr std::uint32_t kTypeId = 40;
  static constexpr Domain kDomain = Domain::General;
  static constexpr std::uint32_t kCapacity = 7;
  static constexpr std::uint32_t kFlush = 1u << 0;
  static constexpr std::uint32_t kFinal = 1u << 1;
  std::uint64_t send_ns;  ///< host send time (host clock), for the record
  std::uint32_t count;
  std::uint32_t flags;
  std::uint64_t burst;
  WireOrder orders[kCapacity];
};
static_assert(sizeof(OrderBatch) <= Slot::kPayloadCapacity);

/// One fill on the wire (40 bytes); symbol_seq is the trade's number within its symbol (32 bits on the wire).
struct WireTrade {
  std::uint64_t taker;
  std::uint64_t maker;
  std::int64_t price;
  std::uint32_t quantity;
  std::uint32_t symbol;
  std::uint32_t symbol_seq;
};
static_assert(sizeof(WireTrade) == 40);

/// book → reporter → host: up to 4 fills (40-byte records).
struct TradeBatch {
  static constexpr std::uint32_t kTypeId = 41;
  static constexpr Domain kDomain = Domain::General;
  static constexpr std::uint32_t kCapacity = (Slot::kPayloadCapacity - 8) / sizeof(WireTrade);
  std::uint32_t count;
  std::uint32_t reserved;
  WireTrade trades[kCapacity];
};
static_assert(sizeof(TradeBatch) <= Slot::kPayloadCapacity);

/// book → reporter → host: up to 11 rejects.
struct RejectBatch {
  static constexpr std::uint32_t kTypeId = 42;
  static constexpr Domain kDomain = Domain::General;
  static constexpr std::uint32_t kCapacity = 11;
  std::uint32_t count;
  std::uint32_t reserved;
  Reject rejects[kCapacity];
};
static_assert(sizeof(RejectBatch) <= Slot::kPayloadCapacity);

/// book → reporter: burst `burst` is fully matched and its fills sent. reporter → host: all books have
/// acknowledged bursts up to `burst`.
struct Watermark {
  static constexpr std::uint32_t kTypeId = 43;
  static constexpr Domain kDomain = Domain::General;
  std::uint64_t burst;
  std::uint32_t books;
  std::uint32_t lost;  ///< messages the sender could not deliver so far (saturating)
};

/// book → reporter → host on the final burst: what the book did. volume/notional are the book's
/// partials of the global reduction (Sum, combined by the host in book order).
struct BookReport {
  static constexpr std::uint32_t kTypeId = 44;
  static constexpr Domain kDomain = Domain::General;
  std::uint32_t kernel;
  std::uint32_t symbols;      ///< symbols this book has seen
  std::uint64_t orders;       ///< orders received
  std::uint64_t trades;
  std::uint64_t rejects;
  std::int64_t volume;
  std::int64_t notional;
  std::uint64_t resting;      ///< orders left resting
  std::uint64_t lost;         ///< messages it could not deliver (outbox overflow)
  std::uint64_t upstream_lost;  ///< the gateway's losses (passed in the final batch's send_ns)
  std::uint64_t bad_messages; ///< undecodable input
};


}  // namespace rk::workloads::order_matching
