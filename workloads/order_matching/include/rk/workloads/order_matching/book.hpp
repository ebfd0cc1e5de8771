// Order matching: the order types, the limit order book and the sequential reference matcher.
//
// This is the single source of the matching rules: the book kernels (kernels.hpp) wrap the same
// `Book` and `Admission` the reference uses, so the ring-kernel result per symbol can be compared to
// the reference exactly.
//
// Rules (see workloads/order_matching/README.md):
//  - one book per symbol, price-time priority; a limit order trades against the best opposite levels
//    while they cross, FIFO within a level, every fill at the resting (maker) order's price; the rest of
//    a limit order rests. A market order (price 0) trades at any price and its rest is cancelled.
//  - CANCEL removes the remaining quantity of a resting order of that symbol, else it is rejected
//    (UnknownOrder: never seen, already filled, already cancelled, or resting on another symbol).
//  - a NEW is rejected when its quantity is not in 1..2^32-1 (BadQuantity), its price is negative
//    (NegativePrice), or its id was already used by an accepted NEW of any symbol (DuplicateId); the
//    checks apply in that order and a rejected NEW does not use up its id.
//  - trades of a symbol are numbered from 0 in the order that symbol's book produced them
//    (symbol_seq); notional = price * quantity in int64 (wraps like an unsigned sum, as rk::reduce).
//
// Host-only for now (std::vector / std::map storage); the book is copyable so its kernel can migrate.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace rk::workloads::order_matching {

enum class Action : std::uint8_t { New = 0, Cancel = 1 };
enum class Side : std::uint8_t { Buy = 0, Sell = 1 };

enum class RejectReason : std::uint32_t {
  None = 0,
  DuplicateId = 1,    ///< NEW whose id an earlier accepted NEW used
  BadQuantity = 2,    ///< NEW with quantity <= 0 or > 2^32-1
  NegativePrice = 3,  ///< NEW with price < 0
  UnknownOrder = 4,   ///< CANCEL of an order not resting in that symbol's book
};
inline constexpr std::uint32_t kRejectReasonCount = 5;
const char* to_string(RejectReason r);

inline constexpr std::int64_t kMaxQuantity = 0xFFFFFFFFll;

/// One input row (CSV or generator). `symbol` indexes the run's symbol table.
struct Order {
  std::uint64_t id = 0;
  std::int64_t price = 0;     ///< ticks; 0 = market order
  std::int64_t quantity = 0;  ///< may be invalid (<= 0): then the order is rejected
  std::uint32_t symbol = 0;
  Action action = Action::New;
  Side side = Side::Buy;
  friend bool operator==(const Order&, const Order&) = default;
};

/// One fill; the row layout of /workloads/order_matching/trades.
struct Trade {
  std::uint32_t symbol = 0;
  std::uint32_t reserved = 0;
  std::uint64_t symbol_seq = 0;
  std::uint64_t taker_order_id = 0;
  std::uint64_t maker_order_id = 0;
  std::int64_t price = 0;
  std::int64_t quantity = 0;
  friend bool operator==(const Trade&, const Trade&) = default;
};

/// One rejected order; the row layout of /workloads/order_matching/rejects.
struct Reject {
  std::uint64_t order_id = 0;
  std::uint32_t reason = 0;  ///< RejectReason
  std::uint32_t symbol = 0;
  friend bool operator==(const Reject&, const Reject&) = default;
  friend bool operator<(const Reject& a, const Reject& b) {
    if (a.order_id != b.order_id) return a.order_id < b.order_id;
    if (a.reason != b.reason) return a.reason < b.reason;
    return a.symbol < b.symbol;
  }
};

/// The set of order ids used so far, as disjoint intervals: O(1) for increasing ids (the usual case),
/// O(log n) otherwise.
class IdRegistry {
 public:
  /// Adds `id`; false when it was already there.
  bool insert(std::uint64_t id) {
    if (iv_.empty()) {
      iv_.emplace(id, id);
      return true;
    }
    auto& last = *std::prev(iv_.end());
    if (id > last.second) {
      if (id == last.second + 1) last.second = id;
      else iv_.emplace_hint(iv_.end(), id, id);
      return true;
    }
    auto it = iv_.upper_bound(id);  // first interval starting after id
    if (it != iv_.begin()) {
      auto p = std::prev(it);
      if (id <= p->second) return false;
      if (p->second + 1 == id) {
        p->second = id;
        if (it != iv_.end() && it->first == id + 1) {
          p->second = it->second;
          iv_.erase(it);
        }
        return true;
      }
    }
    if (it != iv_.end() && it->first == id + 1) {
      const std::uint64_t end = it->second;
      iv_.erase(it);
      iv_.emplace(id, end);
      return true;
    }
    iv_.emplace(id, id);
    return true;
  }
  bool contains(std::uint64_t id) const {
    auto it = iv_.upper_bound(id);
    if (it == iv_.begin()) return false;
    return id <= std::prev(it)->second;
  }
  std::size_t intervals() const { return iv_.size(); }

 private:
  std::map<std::uint64_t, std::uint64_t> iv_;  // start -> end (inclusive)
};

/// The checks every NEW passes before it reaches a book (done by the gateway kernel, in arrival order).
class Admission {
 public:
  RejectReason admit(const Order& o) {
    if (o.action == Action::Cancel) return RejectReason::None;
    if (o.quantity <= 0 || o.quantity > kMaxQuantity) return RejectReason::BadQuantity;
    if (o.price < 0) return RejectReason::NegativePrice;
    if (!ids_.insert(o.id)) return RejectReason::DuplicateId;
    return RejectReason::None;
  }

 private:
  IdRegistry ids_;
};

/// Order id → node index, open addressing with linear probing and backward-shift deletion. Key and
/// value share one 16-byte entry, so a lookup touches one cache line.
class IdIndex {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  std::uint32_t find(std::uint64_t key) const {
    if (slots_.empty()) return kNone;
    for (std::size_t i = slot(key);; i = (i + 1) & mask_) {
      const Entry& e = slots_[i];
      if (e.val == kNone) return kNone;
      if (e.key == key) return e.val;
    }
  }
  void insert(std::uint64_t key, std::uint32_t val) {  // key must be absent
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = slot(key);
    while (slots_[i].val != kNone) i = (i + 1) & mask_;
    slots_[i] = Entry{key, val, 0};
    ++size_;
  }
  bool erase(std::uint64_t key) {
    if (slots_.empty()) return false;
    std::size_t i = slot(key);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].val == kNone) return false;
      if (slots_[i].key == key) break;
    }
    // Backward shift: move later members of the cluster into the hole when their home allows it.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; slots_[j].val != kNone; j = (j + 1) & mask_) {
      const std::size_t home = slot(slots_[j].key);
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole].val = kNone;
    --size_;
    return true;
  }
  std::size_t size() const { return size_; }

 private:
  struct Entry {
    std::uint64_t key;
    std::uint32_t val;
    std::uint32_t reserved;
  };
  std::size_t slot(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void grow() {
    const std::size_t cap = slots_.empty() ? 64 : slots_.size() * 2;
    std::vector<Entry> old = std::move(slots_);
    slots_.assign(cap, Entry{0, kNone, 0});
    mask_ = cap - 1;
    shift_ = 64u - static_cast<unsigned>(__builtin_ctzll(cap));
    size_ = 0;
    for (const Entry& e : old)
      if (e.val != kNone) insert(e.key, e.val);
  }
  std::vector<Entry> slots_;
  std::size_t mask_ = 0, size_ = 0;
  unsigned shift_ = 64;
};

/// The limit order book of one symbol: price levels per side in vectors sorted so that the best level
/// is at the back, FIFO queues of resting orders as intrusive lists in a node pool.
class Book {
 public:
  static constexpr std::uint32_t kNil = 0xFFFFFFFFu;

  /// Match a validated NEW (quantity 1..2^32-1, price >= 0; 0 = market); `fill(const Trade&)` gets every
  /// trade in order (symbol_seq assigned). The rest of a limit order rests.
  template <class Fill>
  void submit(std::uint64_t id, Side side, std::int64_t price, std::int64_t quantity, std::uint32_t symbol, Fill&& fill) {
    std::vector<Level>& opp = side == Side::Buy ? asks_ : bids_;
    const bool market = price == 0;
    while (quantity > 0 && !opp.empty()) {
      Level& lv = opp.back();
      if (!market && (side == Side::Buy ? lv.price > price : lv.price < price)) break;
      std::uint32_t n = lv.head;
      while (quantity > 0 && n != kNil) {
        Node& m = nodes_[n];
        const std::int64_t q = quantity < std::int64_t{m.quantity} ? quantity : std::int64_t{m.quantity};
        Trade t;
        t.symbol = symbol;
        t.symbol_seq = next_seq_++;
        t.taker_order_id = id;
        t.maker_order_id = m.id;
        t.price = lv.price;
        t.quantity = q;
        fill(t);
        quantity -= q;
        m.quantity -= static_cast<std::uint32_t>(q);
        if (m.quantity == 0) {
          const std::uint32_t next = m.next;
          index_.erase(m.id);
          free_.push_back(n);
          n = next;
          lv.head = n;
          if (n != kNil) nodes_[n].prev = kNil;
          else lv.tail = kNil;
        }
      }
      if (lv.head == kNil) opp.pop_back();
    }
    if (quantity > 0 && !market) rest(id, side, price, quantity);
  }

  /// Remove a resting order; false when no order with that id rests here.
  bool cancel(std::uint64_t id) {
    const std::uint32_t n = index_.find(id);
    if (n == IdIndex::kNone) return false;
    const Node& node = nodes_[n];
    const std::uint32_t prev = node.prev, next = node.next;
    if (prev != kNil && next != kNil) {
      // Inside its level's queue: the level itself is untouched (the common case).
      nodes_[prev].next = next;
      nodes_[next].prev = prev;
    } else {
      std::vector<Level>& levels = node.side == Side::Buy ? bids_ : asks_;
      const auto it = find_level(levels, node.side, node.price);
      Level& lv = *it;
      if (prev != kNil) nodes_[prev].next = next;
      else lv.head = next;
      if (next != kNil) nodes_[next].prev = prev;
      else lv.tail = prev;
      if (lv.head == kNil) levels.erase(it);
    }
    index_.erase(id);
    free_.push_back(n);
    return true;
  }

  std::size_t resting() const { return index_.size(); }
  std::size_t levels(Side s) const { return (s == Side::Buy ? bids_ : asks_).size(); }
  /// Best price of a side (0 when empty).
  std::int64_t best(Side s) const {
    const auto& v = s == Side::Buy ? bids_ : asks_;
    return v.empty() ? 0 : v.back().price;
  }
  /// Resting quantity at a price on a side (0 when no level).
  std::int64_t depth(Side s, std::int64_t price) const {
    const auto& v = s == Side::Buy ? bids_ : asks_;
    for (const Level& lv : v)
      if (lv.price == price) {
        std::int64_t q = 0;
        for (std::uint32_t n = lv.head; n != kNil; n = nodes_[n].next) q += nodes_[n].quantity;
        return q;
      }
    return 0;
  }
  std::uint64_t trades() const { return next_seq_; }

 private:
  struct alignas(32) Node {  // 32 bytes: two per cache line (quantities are 1..2^32-1, see Admission)
    std::uint64_t id;
    std::int64_t price;
    std::uint32_t quantity;
    std::uint32_t prev, next;
    Side side;
  };
  static_assert(sizeof(Node) == 32);
  struct Level {
    std::int64_t price;
    std::uint32_t head, tail;
  };
  // Bids ascend by price, asks descend: the best level is at the back of both. Search by key where
  // key = price (bids) or -price (asks), ascending in both vectors.
  static std::int64_t key(Side s, std::int64_t price) { return s == Side::Buy ? price : -price; }
  static std::vector<Level>::iterator find_level(std::vector<Level>& v, Side s, std::int64_t price) {
    const std::int64_t k = key(s, price);
    // Most activity is near the top of the book: look at the last few levels before bisecting.
    const std::size_t n = v.size();
    for (std::size_t i = 0; i < 8 && i < n; ++i) {
      const std::int64_t lk = key(s, v[n - 1 - i].price);
      if (lk == k) return v.begin() + static_cast<std::ptrdiff_t>(n - 1 - i);
      if (lk < k) return v.begin() + static_cast<std::ptrdiff_t>(n - i);  // insertion point
    }
    return std::lower_bound(v.begin(), v.end(), k,
                            [s](const Level& lv, std::int64_t kk) { return key(s, lv.price) < kk; });
  }
  void rest(std::uint64_t id, Side side, std::int64_t price, std::int64_t quantity) {
    std::uint32_t n;
    if (!free_.empty()) {
      n = free_.back();
      free_.pop_back();
    } else {
      n = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();
    }
    nodes_[n] = Node{id, price, static_cast<std::uint32_t>(quantity), kNil, kNil, side};
    index_.insert(id, n);
    std::vector<Level>& levels = side == Side::Buy ? bids_ : asks_;
    auto it = find_level(levels, side, price);
    if (it == levels.end() || it->price != price) it = levels.insert(it, Level{price, kNil, kNil});
    Level& lv = *it;
    nodes_[n].prev = lv.tail;
    if (lv.tail != kNil) nodes_[lv.tail].next = n;
    else lv.head = n;
    lv.tail = n;
  }

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> free_;
  std::vector<Level> bids_, asks_;
  IdIndex index_;
  std::uint64_t next_seq_ = 0;
};

/// Apply one admitted order to a book; `reject(RejectReason)` is called for a failed cancel.
template <class Fill, class Rej>
void apply(Book& book, const Order& o, Fill&& fill, Rej&& reject) {
  if (o.action == Action::Cancel) {
    if (!book.cancel(o.id)) reject(RejectReason::UnknownOrder);
  } else {
    book.submit(o.id, o.side, o.price, o.quantity, o.symbol, fill);
  }
}

struct MatchResult {
  std::vector<Trade> trades;    ///< in production order (per symbol: symbol_seq order)
  std::vector<Reject> rejects;  ///< in input order
};

/// The plain sequential reference: every order in input order through Admission and its symbol's Book.
MatchResult reference_match(std::span<const Order> orders);

/// Per-symbol totals of a trade list: volume (sum of quantities) and notional (sum of price*quantity).
struct SymbolTotals {
  std::vector<std::int64_t> volume, notional;
};
SymbolTotals totals_by_symbol(std::span<const Trade> trades, std::size_t symbols);

/// Trades sorted by (symbol, symbol_seq), the canonical order for comparison and output.
void sort_canonical(std::vector<Trade>& trades);

}  // namespace rk::workloads::order_matching
