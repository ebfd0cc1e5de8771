// libFuzzer target for the orders CSV reader (workloads/order_matching/src/orders.cpp). Input: the file's
// bytes. The only exception allowed is DataFileError, "fuzz.csv:LINE: error: ..." with a line that exists
// and a message in ASCII (raw bytes are shown as \xNN). What parses has valid UTF-8, unique, non-empty
// symbols (checked here by decoding code points, independently of the reader) and orders that refer to
// them; a byte order mark in front changes nothing; the reference matcher runs on it without undefined
// behaviour.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "rk/workloads/order_matching/messages.hpp"
#include "rk/workloads/order_matching/orders.hpp"

namespace om = rk::workloads::order_matching;

namespace {

[[noreturn]] void bug(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}

/// Decodes code points: the length from the lead byte, then rejects overlong forms, surrogates and values
/// above U+10FFFF.
bool utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (n < 0 || i + static_cast<std::size_t>(n) >= s.size()) return false;
    std::uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1Fu) : n == 2 ? (c & 0x0Fu) : (c & 0x07u);
    for (int k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((b >> 6) != 0x2) return false;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    static const std::uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<std::size_t>(n) + 1;
  }
  return true;
}

struct Outcome {
  bool ok = false;
  om::OrderStream stream;
  std::string error;
};

Outcome parse(const std::string& text) {
  Outcome o;
  try {
    o.stream = om::parse_orders_csv(text, "fuzz.csv");
    o.ok = true;
  } catch (const om::DataFileError& e) {
    o.error = e.what();
    std::size_t lines = 1;
    for (const char c : text) lines += c == '\n';
    if (e.file() != "fuzz.csv" || e.line() < 1 || e.line() > lines) bug("bad error location: " + o.error);
    for (const char c : o.error)
      if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20) bug("raw byte in: " + o.error);
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Outcome o = parse(text);
  const std::string bom = "\xEF\xBB\xBF";
  if (text.rfind(bom, 0) != 0) {
    const Outcome with_bom = parse(bom + text);
    if (with_bom.ok != o.ok || with_bom.error != o.error || with_bom.stream.symbols != o.stream.symbols ||
        with_bom.stream.orders.size() != o.stream.orders.size())
      bug("a byte order mark changed the result");
  }
  if (!o.ok) return 0;

  const om::OrderStream& s = o.stream;
  std::set<std::string> seen;
  for (const std::string& sym : s.symbols) {
    if (sym.empty() || !utf8(sym)) bug("symbol is empty or not UTF-8");
    if (!seen.insert(sym).second) bug("duplicate symbol " + sym);
  }
  if (s.symbols.size() > om::kMaxSymbols) bug("too many symbols");
  for (const om::Order& order : s.orders)
    if (order.symbol >= s.symbols.size()) bug("order refers to a missing symbol");
  if (s.orders.size() <= 512) {
    const om::MatchResult r = om::reference_match(s.orders);
    (void)om::totals_by_symbol(r.trades, s.symbols.size());
  }
  return 0;
}
