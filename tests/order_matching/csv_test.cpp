// The orders CSV reader: valid files (comments, blank lines, empty CANCEL fields, CRLF) and malformed
// rows, reported as FILE:LINE.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "rk/workloads/order_matching/orders.hpp"

using namespace rk::workloads::order_matching;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_orders_csv(text, "orders.csv");
  } catch (const DataFileError& e) {
    return e.what();
  }
  return "";
}

const std::string kHeader = "action,order_id,symbol,side,price,quantity\n";

}  // namespace

TEST(OrderMatchingCsv, ParsesRowsCommentsAndEmptyCancelFields) {
  const OrderStream s = parse_orders_csv("# a comment\n\n" + kHeader +
                                             "NEW,1,AAPL,BUY,100,5\r\n# another\n NEW , 2 , MSFT , SELL , 0 , 7 \n"
                                             "CANCEL,1,AAPL,,,\nNEW,3,AAPL,SELL,-4,-2\nCANCEL,2,MSFT,SELL,0,7\n",
                                         "orders.csv");
  ASSERT_EQ(s.symbols, (std::vector<std::string>{"AAPL", "MSFT"}));
  ASSERT_EQ(s.orders.size(), 5u);
  EXPECT_EQ(s.orders[0], (Order{1, 100, 5, 0, Action::New, Side::Buy}));
  EXPECT_EQ(s.orders[1], (Order{2, 0, 7, 1, Action::New, Side::Sell}));
  EXPECT_EQ(s.orders[2].action, Action::Cancel);
  EXPECT_EQ(s.orders[2].id, 1u);
  EXPECT_EQ(s.orders[2].symbol, 0u);
  // Parsable but invalid values are orders to reject, not input errors.
  EXPECT_EQ(s.orders[3], (Order{3, -4, -2, 0, Action::New, Side::Sell}));
  EXPECT_EQ(s.orders[4].side, Side::Sell);
}

TEST(OrderMatchingCsv, MalformedRowsNameFileAndLine) {
  EXPECT_EQ(error_of(""), "orders.csv:1: error: no header line 'action,order_id,symbol,side,price,quantity'");
  EXPECT_EQ(error_of("# only a comment\naction,id,symbol\n"),
            "orders.csv:2: error: expected the header 'action,order_id,symbol,side,price,quantity'");
  EXPECT_EQ(error_of(kHeader + "NEW,1,A,BUY,100,5\nMODIFY,2,A,BUY,100,5\n"),
            "orders.csv:3: error: action 'MODIFY' is not NEW or CANCEL");
  EXPECT_EQ(error_of(kHeader + "# c\nNEW,x1,A,BUY,100,5\n"),
            "orders.csv:3: error: order_id 'x1' is not an unsigned 64-bit integer");
  EXPECT_EQ(error_of(kHeader + "NEW,-1,A,BUY,100,5\n"), "orders.csv:2: error: order_id '-1' is not an unsigned 64-bit integer");
  EXPECT_EQ(error_of(kHeader + "NEW,1,,BUY,100,5\n"), "orders.csv:2: error: symbol is empty");
  EXPECT_EQ(error_of(kHeader + "NEW,1,A,HOLD,100,5\n"), "orders.csv:2: error: side 'HOLD' is not BUY or SELL");
  EXPECT_EQ(error_of(kHeader + "NEW,1,A,,100,5\n"), "orders.csv:2: error: side '' is not BUY or SELL");
  EXPECT_EQ(error_of(kHeader + "NEW,1,A,BUY,10.5,5\n"), "orders.csv:2: error: price '10.5' is not an integer number of ticks");
  EXPECT_EQ(error_of(kHeader + "NEW,1,A,BUY,,5\n"), "orders.csv:2: error: price '' is not an integer number of ticks");
  EXPECT_EQ(error_of(kHeader + "NEW,1,A,BUY,100,five\n"), "orders.csv:2: error: quantity 'five' is not an integer");
  EXPECT_EQ(error_of(kHeader + "NEW,1,A,BUY,100\n"),
            "orders.csv:2: error: expected 6 fields (action,order_id,symbol,side,price,quantity), found 5");
  EXPECT_EQ(error_of(kHeader + "NEW,1,A,BUY,100,5,7\n"),
            "orders.csv:2: error: expected 6 fields (action,order_id,symbol,side,price,quantity), found 7");
  EXPECT_EQ(error_of(kHeader + "CANCEL,1,A,LEFT,,\n"), "orders.csv:2: error: side 'LEFT' is not BUY or SELL");
  EXPECT_EQ(error_of(kHeader + "NEW,1,A,BUY,99999999999999999999,5\n"),
            "orders.csv:2: error: price '99999999999999999999' is not an integer number of ticks");
}

TEST(OrderMatchingCsv, LoadsFilesAndReportsMissingOnes) {
  const std::string path = ::testing::TempDir() + "rk_om_" + std::to_string(::getpid()) + "_orders.csv";
  {
    std::ofstream f(path);
    f << kHeader << "NEW,1,A,BUY,100,5\nNEW,2,A,SELL,100,oops\n";
  }
  try {
    load_orders_csv(path);
    FAIL() << "no error";
  } catch (const DataFileError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 3u);
  }
  std::remove(path.c_str());
  EXPECT_THROW(load_orders_csv(path), DataFileError);
}
