// Order matching input (CSV reader, seeded generator) and the sequential reference matcher.
#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "rk/workloads/order_matching/book.hpp"
#include "rk/workloads/order_matching/messages.hpp"
#include "rk/workloads/order_matching/orders.hpp"
#include "rk/workloads/util.hpp"

namespace rk::workloads::order_matching {

const char* to_string(RejectReason r) {
  switch (r) {
    case RejectReason::None: return "none";
    case RejectReason::DuplicateId: return "duplicate order id";
    case RejectReason::BadQuantity: return "bad quantity";
    case RejectReason::NegativePrice: return "negative price";
    case RejectReason::UnknownOrder: return "unknown order";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Reference

MatchResult reference_match(std::span<const Order> orders) {
  MatchResult out;
  Admission admission;
  std::vector<Book> books;
  for (const Order& o : orders) {
    const RejectReason r = admission.admit(o);
    if (r != RejectReason::None) {
      out.rejects.push_back(Reject{o.id, static_cast<std::uint32_t>(r), o.symbol});
      continue;
    }
    if (o.symbol >= books.size()) books.resize(o.symbol + 1);
    apply(books[o.symbol], o, [&](const Trade& t) { out.trades.push_back(t); },
          [&](RejectReason why) { out.rejects.push_back(Reject{o.id, static_cast<std::uint32_t>(why), o.symbol}); });
  }
  return out;
}

SymbolTotals totals_by_symbol(std::span<const Trade> trades, std::size_t symbols) {
  SymbolTotals t;
  t.volume.assign(symbols, 0);
  t.notional.assign(symbols, 0);
  for (const Trade& tr : trades) {
    if (tr.symbol >= symbols) continue;
    t.volume[tr.symbol] = static_cast<std::int64_t>(static_cast<std::uint64_t>(t.volume[tr.symbol]) +
                                                    static_cast<std::uint64_t>(tr.quantity));
    t.notional[tr.symbol] = static_cast<std::int64_t>(static_cast<std::uint64_t>(t.notional[tr.symbol]) +
                                                      static_cast<std::uint64_t>(tr.price) * static_cast<std::uint64_t>(tr.quantity));
  }
  return t;
}

void sort_canonical(std::vector<Trade>& trades) {
  std::stable_sort(trades.begin(), trades.end(), [](const Trade& a, const Trade& b) {
    return a.symbol != b.symbol ? a.symbol < b.symbol : a.symbol_seq < b.symbol_seq;
  });
}

// ---------------------------------------------------------------------------------------------
// CSV

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// The byte offset of the first byte of `s` that is not part of well-formed UTF-8 (no overlong forms, no
/// surrogates, at most U+10FFFF), or npos.
std::size_t invalid_utf8_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) n = 2;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return i;
    if (i + n >= s.size()) return i;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

/// A field as messages show it: bytes that are not printable ASCII as \xNN (messages stay valid UTF-8).
std::string shown(std::string_view s) {
  std::string out;
  for (const char ch : s.substr(0, 64)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else {
      static const char* const hex = "0123456789ABCDEF";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > 64) out += "...";
  return out;
}

template <class T>
bool parse_int(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

}  // namespace

OrderStream parse_orders_csv(std::string_view text, const std::string& file) {
  OrderStream out;
  std::unordered_map<std::string, std::uint32_t> symbol_index;
  bool header_seen = false;
  std::size_t line_no = 0, pos = 0;
  if (text.starts_with("\xEF\xBB\xBF")) pos = 3;  // a UTF-8 byte order mark (spreadsheet exports write one)
  out.orders.reserve(text.size() / 32);
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto fail = [&](const std::string& m) -> void { throw DataFileError(file, line_no, m); };
    std::string_view f[6];
    std::size_t n = 0, start = 0;
    for (;;) {
      const std::size_t comma = line.find(',', start);
      const std::string_view field = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (n < 6) f[n] = trim(field);
      ++n;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (!header_seen) {
      if (n != 6 || f[0] != "action" || f[1] != "order_id" || f[2] != "symbol" || f[3] != "side" || f[4] != "price" ||
          f[5] != "quantity")
        fail("expected the header 'action,order_id,symbol,side,price,quantity'");
      header_seen = true;
      continue;
    }
    if (n != 6) fail("expected 6 fields (action,order_id,symbol,side,price,quantity), found " + std::to_string(n));
    Order o;
    if (f[0] == "NEW") o.action = Action::New;
    else if (f[0] == "CANCEL") o.action = Action::Cancel;
    else fail("action '" + shown(f[0]) + "' is not NEW or CANCEL");
    if (!parse_int(f[1], o.id)) fail("order_id '" + shown(f[1]) + "' is not an unsigned 64-bit integer");
    if (f[2].empty()) fail("symbol is empty");
    // Symbols are stored as UTF-8 strings in the results file (h5py's asstr() decodes them).
    if (const std::size_t bad = invalid_utf8_at(f[2]); bad != std::string_view::npos)
      fail("symbol '" + shown(f[2]) + "' is not valid UTF-8 (byte " + std::to_string(bad + 1) + ")");
    {
      auto [it, inserted] = symbol_index.try_emplace(std::string(f[2]), static_cast<std::uint32_t>(out.symbols.size()));
      if (inserted) {
        if (out.symbols.size() >= kMaxSymbols) fail("more than " + std::to_string(kMaxSymbols) + " symbols");
        out.symbols.emplace_back(f[2]);
      }
      o.symbol = it->second;
    }
    const bool is_new = o.action == Action::New;
    if (f[3] == "BUY") o.side = Side::Buy;
    else if (f[3] == "SELL") o.side = Side::Sell;
    else if (!(f[3].empty() && !is_new)) fail("side '" + shown(f[3]) + "' is not BUY or SELL");
    if (!(f[4].empty() && !is_new) && !parse_int(f[4], o.price))
      fail("price '" + shown(f[4]) + "' is not an integer number of ticks");
    if (!(f[5].empty() && !is_new) && !parse_int(f[5], o.quantity))
      fail("quantity '" + shown(f[5]) + "' is not an integer");
    out.orders.push_back(o);
  }
  if (!header_seen) throw DataFileError(file, line_no == 0 ? 1 : line_no, "no header line 'action,order_id,symbol,side,price,quantity'");
  return out;
}

OrderStream load_orders_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataFileError(path, 1, "cannot open the orders file");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  return parse_orders_csv(text, path);
}

// ---------------------------------------------------------------------------------------------
// Generator

namespace {

using Rng = SplitMix64;

struct Live {
  std::uint64_t id;
  std::int64_t price;
  Side side;
};

}  // namespace

OrderStream generate_orders(const GeneratorConfig& cfg) {
  OrderStream out;
  const std::uint32_t nsym = cfg.symbols == 0 ? 1 : cfg.symbols;
  for (std::uint32_t s = 0; s < nsym; ++s) out.symbols.push_back("SYM" + std::to_string(s));
  out.orders.reserve(cfg.orders);
  Rng rng{cfg.seed * 0x2545F4914F6CDD1Dull + 0x1234567ull};
  std::vector<std::vector<Live>> live(nsym);
  std::vector<std::int64_t> mid(nsym);
  for (std::uint32_t s = 0; s < nsym; ++s) mid[s] = 10'000 + 100 * static_cast<std::int64_t>(s);
  std::uint64_t next_id = 1;
  constexpr std::int64_t kBand = 50;
  auto emit_new = [&](std::uint32_t s, Side side, std::int64_t price, std::int64_t qty, bool track) {
    const std::uint64_t id = next_id++;
    out.orders.push_back(Order{id, price, qty, s, Action::New, side});
    if (track) live[s].push_back(Live{id, price, side});
  };
  auto passive_price = [&](std::uint32_t s, Side side, std::int64_t spread) {
    const std::int64_t off = 1 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(spread)));
    return side == Side::Buy ? mid[s] - off : mid[s] + off;
  };
  auto take_live = [&](std::uint32_t s) {
    auto& v = live[s];
    const std::size_t i = rng.below(v.size());
    const Live l = v[i];
    v[i] = v.back();
    v.pop_back();
    return l;
  };
  // Build-up: `resting` passive orders per book, alternating sides.
  for (std::uint32_t k = 0; k < cfg.resting && out.orders.size() < cfg.orders; ++k)
    for (std::uint32_t s = 0; s < nsym && out.orders.size() < cfg.orders; ++s) {
      const Side side = (k & 1) ? Side::Sell : Side::Buy;
      emit_new(s, side, passive_price(s, side, kBand), 1 + static_cast<std::int64_t>(rng.below(100)), true);
    }
  // Steady phase.
  const double p_gtc = cfg.gtc_pct, p_mkt = p_gtc + cfg.market_pct, p_cxl = p_mkt + cfg.cancel_pct;
  while (out.orders.size() < cfg.orders) {
    const auto s = static_cast<std::uint32_t>(rng.below(nsym));
    double r = rng.unit() * 100.0;
    if (live[s].empty() && r >= p_mkt) r = 0;                              // nothing to cancel or move: add
    if (r < p_gtc && live[s].size() > cfg.resting + cfg.resting / 5) r = p_mkt;  // keep the book near `resting`
    const Side side = (rng.next() & 1) ? Side::Sell : Side::Buy;
    if (r < p_gtc) {
      // Good-till-cancel near the touch; one in ten crosses the spread and trades.
      const bool cross = rng.below(10) == 0;
      const std::int64_t px = cross ? (side == Side::Buy ? mid[s] + 1 + static_cast<std::int64_t>(rng.below(5))
                                                          : mid[s] - 1 - static_cast<std::int64_t>(rng.below(5)))
                                    : passive_price(s, side, 20);
      emit_new(s, side, px, 1 + static_cast<std::int64_t>(rng.below(100)), true);
    } else if (r < p_mkt) {
      emit_new(s, side, 0, 1 + static_cast<std::int64_t>(rng.below(200)), false);  // market: immediate-or-cancel
    } else if (r < p_cxl) {
      const Live l = take_live(s);
      out.orders.push_back(Order{l.id, 0, 0, s, Action::Cancel, l.side});
    } else {
      // Price move: cancel a live order and re-enter it a few ticks away with a fresh id.
      const Live l = take_live(s);
      out.orders.push_back(Order{l.id, 0, 0, s, Action::Cancel, l.side});
      if (out.orders.size() >= cfg.orders) break;
      std::int64_t px = l.price + (rng.next() & 1 ? 1 : -1) * (1 + static_cast<std::int64_t>(rng.below(3)));
      // Stay on the order's side of the mid and within kBand ticks of it (books concentrate near the touch).
      if (l.side == Side::Buy) px = std::clamp(px, mid[s] - kBand, mid[s] - 1);
      else px = std::clamp(px, mid[s] + 1, mid[s] + kBand);
      emit_new(s, l.side, px, 1 + static_cast<std::int64_t>(rng.below(100)), true);
    }
  }
  return out;
}

}  // namespace rk::workloads::order_matching
