// The orders CSV reader at the edges of its input: a UTF-8 byte order mark (spreadsheet exports) is
// accepted, a symbol that is not valid UTF-8 is a FILE:LINE error (it used to be stored, and then the
// results file's symbols could not be decoded by h5py's asstr()), and messages never echo raw bytes.
#include <gtest/gtest.h>

#include "rk/workloads/order_matching/orders.hpp"

using namespace rk::workloads::order_matching;

namespace {

const std::string kHeader = "action,order_id,symbol,side,price,quantity\n";

std::string error_of(const std::string& text) {
  try {
    parse_orders_csv(text, "orders.csv");
  } catch (const DataFileError& e) {
    return e.what();
  }
  return "";
}

/// Messages escape every byte that is not printable ASCII, so they are ASCII (and valid UTF-8).
bool ascii_only(const std::string& s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

TEST(OrderMatchingCsvLimits, ByteOrderMarkIsAccepted) {
  const OrderStream s = parse_orders_csv("\xEF\xBB\xBF" + kHeader + "NEW,1,AAPL,BUY,100,5\r\n", "orders.csv");
  ASSERT_EQ(s.orders.size(), 1u);
  EXPECT_EQ(s.symbols, (std::vector<std::string>{"AAPL"}));
  const OrderStream c = parse_orders_csv("\xEF\xBB\xBF# exported\n" + kHeader + "NEW,1,AAPL,BUY,100,5\n", "orders.csv");
  EXPECT_EQ(c.orders.size(), 1u);
  // Only at the very start.
  EXPECT_EQ(error_of(kHeader + "\xEF\xBB\xBFNEW,1,AAPL,BUY,100,5\n"),
            "orders.csv:2: error: action '\\xEF\\xBB\\xBFNEW' is not NEW or CANCEL");
}

TEST(OrderMatchingCsvLimits, ValidUtf8SymbolsAreKept) {
  const OrderStream s = parse_orders_csv(kHeader + "NEW,1,caf\xC3\xA9,BUY,100,5\nNEW,2,\xE2\x82\xAC" "EUR,SELL,1,1\n"
                                         "NEW,3,\xF0\x9F\x93\x88,BUY,1,1\n", "orders.csv");
  EXPECT_EQ(s.symbols, (std::vector<std::string>{"caf\xC3\xA9", "\xE2\x82\xAC" "EUR", "\xF0\x9F\x93\x88"}));
}

TEST(OrderMatchingCsvLimits, InvalidUtf8SymbolsAreErrorsWithTheLine) {
  const struct {
    const char* symbol;
    const char* shown;
    int byte;
  } cases[] = {
      {"AB\xFF", "AB\\xFF", 3},                    // never valid
      {"\xC3", "\\xC3", 1},                         // truncated
      {"X\xC3(", "X\\xC3(", 2},                     // bad continuation
      {"\xC0\xAF", "\\xC0\\xAF", 1},                // overlong '/'
      {"\xE0\x80\xAF", "\\xE0\\x80\\xAF", 1},       // overlong, 3 bytes
      {"\xED\xA0\x80", "\\xED\\xA0\\x80", 1},       // a UTF-16 surrogate
      {"\xF4\x90\x80\x80", "\\xF4\\x90\\x80\\x80", 1},  // beyond U+10FFFF
      {"ok\x80", "ok\\x80", 3},                      // a lone continuation byte
  };
  for (const auto& c : cases) {
    const std::string e = error_of(kHeader + "NEW,1,AAPL,BUY,100,5\n# note\nNEW,2," + c.symbol + ",SELL,100,5\n");
    EXPECT_EQ(e, std::string("orders.csv:4: error: symbol '") + c.shown + "' is not valid UTF-8 (byte " +
                     std::to_string(c.byte) + ")")
        << c.shown;
    EXPECT_TRUE(ascii_only(e)) << e;
  }
}

TEST(OrderMatchingCsvLimits, MessagesShowBytesNotRawText) {
  const std::string e = error_of(kHeader + "NEW,1\xFE,AAPL,BUY,100,5\n");
  EXPECT_EQ(e, "orders.csv:2: error: order_id '1\\xFE' is not an unsigned 64-bit integer");
  EXPECT_TRUE(ascii_only(error_of(kHeader + "NEW,1,AAPL,B\xE9UY,100,5\n")));
}

}  // namespace
