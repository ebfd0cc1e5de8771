// Hand-made order sequences, one per matching rule, with the trades and rejects they must produce.
#pragma once

#include <string>
#include <vector>

#include "rk/workloads/order_matching/orders.hpp"

namespace omtest {

using namespace rk::workloads::order_matching;

/// A trade of symbol `sym`, number `seq` within it.
inline Trade T(std::uint32_t sym, std::uint64_t seq, std::uint64_t taker, std::uint64_t maker, std::int64_t px, std::int64_t q) {
  return Trade{sym, 0, seq, taker, maker, px, q};
}
inline Reject R(std::uint64_t id, RejectReason r, std::uint32_t sym) { return Reject{id, static_cast<std::uint32_t>(r), sym}; }

struct HandCase {
  std::string name, csv;
  std::vector<Trade> trades;
  std::vector<Reject> rejects;
};

inline std::vector<HandCase> hand_cases() {
  const std::string h = "action,order_id,symbol,side,price,quantity\n";
  using RR = RejectReason;
  return {
      {"partial fill: the taker's rest rests",
       h + "NEW,1,A,SELL,100,5\nNEW,2,A,BUY,100,8\nNEW,3,A,SELL,100,2\n",
       {T(0, 0, 2, 1, 100, 5), T(0, 1, 3, 2, 100, 2)}, {}},
      {"partial fill: the maker's rest keeps its place",
       h + "NEW,1,A,BUY,100,10\nNEW,2,A,BUY,100,10\nNEW,3,A,SELL,100,4\nNEW,4,A,SELL,100,8\n",
       {T(0, 0, 3, 1, 100, 4), T(0, 1, 4, 1, 100, 6), T(0, 2, 4, 2, 100, 2)}, {}},
      {"multi-level sweep stops at the limit",
       h + "NEW,1,A,SELL,101,3\nNEW,2,A,SELL,102,3\nNEW,3,A,SELL,103,3\nNEW,4,A,SELL,104,3\nNEW,5,A,BUY,103,12\nNEW,6,A,SELL,103,1\n",
       {T(0, 0, 5, 1, 101, 3), T(0, 1, 5, 2, 102, 3), T(0, 2, 5, 3, 103, 3), T(0, 3, 6, 5, 103, 1)},
       {}},
      {"FIFO within a level",
       h + "NEW,1,A,BUY,100,2\nNEW,2,A,BUY,100,2\nNEW,3,A,BUY,100,2\nNEW,4,A,SELL,99,5\n",
       {T(0, 0, 4, 1, 100, 2), T(0, 1, 4, 2, 100, 2), T(0, 2, 4, 3, 100, 1)}, {}},
      {"fill at the resting order's price (buy and sell takers)",
       h + "NEW,1,A,SELL,95,1\nNEW,2,A,BUY,120,1\nNEW,3,A,BUY,90,1\nNEW,4,A,SELL,50,1\n",
       {T(0, 0, 2, 1, 95, 1), T(0, 1, 4, 3, 90, 1)}, {}},
      {"better price level first",
       h + "NEW,1,A,BUY,100,1\nNEW,2,A,BUY,102,1\nNEW,3,A,BUY,101,1\nNEW,4,A,SELL,100,3\n",
       {T(0, 0, 4, 2, 102, 1), T(0, 1, 4, 3, 101, 1), T(0, 2, 4, 1, 100, 1)}, {}},
      {"market order trades at any price and never rests",
       h + "NEW,1,A,SELL,100,2\nNEW,2,A,SELL,500,2\nNEW,3,A,BUY,0,10\nNEW,4,A,SELL,0,3\nNEW,5,A,BUY,1000,1\n"
           "NEW,6,A,SELL,1000,1\nCANCEL,3,A,,,\n",
       {T(0, 0, 3, 1, 100, 2), T(0, 1, 3, 2, 500, 2), T(0, 2, 6, 5, 1000, 1)}, {R(3, RR::UnknownOrder, 0)}},
      {"cancel of a resting order removes its remaining quantity",
       h + "NEW,1,A,SELL,100,5\nNEW,2,A,BUY,100,2\nCANCEL,1,A,,,\nNEW,3,A,BUY,100,5\nNEW,4,A,SELL,100,1\n",
       {T(0, 0, 2, 1, 100, 2), T(0, 1, 4, 3, 100, 1)}, {}},
      {"cancel of an unknown order, of another symbol's order, and of a filled order",
       h + "CANCEL,42,A,,,\nNEW,1,B,BUY,100,1\nCANCEL,1,A,,,\nNEW,2,A,SELL,100,1\nNEW,3,A,BUY,100,1\nCANCEL,2,A,,,\n"
           "CANCEL,1,B,BUY,100,1\nCANCEL,1,B,,,\n",
       {T(0, 0, 3, 2, 100, 1)},
       {R(42, RR::UnknownOrder, 0), R(1, RR::UnknownOrder, 0), R(2, RR::UnknownOrder, 0), R(1, RR::UnknownOrder, 1)}},
      {"duplicate order id is rejected (also across symbols, also after the first is gone)",
       h + "NEW,1,A,BUY,100,1\nNEW,1,A,SELL,100,1\nNEW,1,B,SELL,50,1\nCANCEL,1,A,,,\nNEW,1,A,SELL,100,1\nNEW,2,A,SELL,100,1\n",
       {}, {R(1, RR::DuplicateId, 0), R(1, RR::DuplicateId, 1), R(1, RR::DuplicateId, 0)}},
      {"bad quantity and negative price are rejected and use up no id",
       h + "NEW,1,A,BUY,100,0\nNEW,2,A,BUY,100,-5\nNEW,3,A,BUY,-1,5\nNEW,4,A,BUY,100,4294967296\nNEW,1,A,BUY,100,3\n"
           "NEW,3,A,SELL,100,1\nNEW,5,A,SELL,-3,0\n",
       {T(0, 0, 3, 1, 100, 1)},
       {R(1, RR::BadQuantity, 0), R(2, RR::BadQuantity, 0), R(3, RR::NegativePrice, 0), R(4, RR::BadQuantity, 0),
        R(5, RR::BadQuantity, 0)}},
      {"symbols are independent books with their own trade numbering",
       h + "NEW,1,A,SELL,100,1\nNEW,2,B,SELL,100,1\nNEW,3,B,BUY,100,1\nNEW,4,A,BUY,100,1\nNEW,5,B,SELL,99,1\nNEW,6,B,BUY,99,1\n",
       {T(1, 0, 3, 2, 100, 1), T(0, 0, 4, 1, 100, 1), T(1, 1, 6, 5, 99, 1)}, {}},
  };
}

}  // namespace omtest
