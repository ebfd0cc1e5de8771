// Order matching input: the CSV reader (`workload.orders`) and the seeded generator (`workload.generator`).
//
// CSV: header `action,order_id,symbol,side,price,quantity`; `#` comment lines and blank lines are
// skipped. action NEW|CANCEL, side BUY|SELL, price an integer (0 = market), quantity an integer; for
// CANCEL side, price and quantity may be empty; a symbol must be valid UTF-8. A UTF-8 byte order mark at
// the start is skipped. A malformed row throws DataFileError "FILE:LINE: error: …" (bytes of the row that
// are not printable ASCII appear as \xNN).
// Values that parse but break a matching rule (quantity <= 0, price < 0, …) are not input errors:
// those orders are rejected by the matcher.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rk/workloads/workload.hpp"

#include "rk/workloads/order_matching/book.hpp"

namespace rk::workloads::order_matching {

/// A malformed data file (exit code 2). what() = "FILE:LINE: error: MESSAGE".
class DataFileError : public InputError {
 public:
  DataFileError(std::string file, std::size_t line, const std::string& message)
      : InputError(file + ":" + std::to_string(line) + ": error: " + message),
        file_(std::move(file)),
        line_(line) {}
  const std::string& file() const { return file_; }
  std::size_t line() const { return line_; }

 private:
  std::string file_;
  std::size_t line_;
};

/// Orders plus the symbol table their `symbol` indices refer to.
struct OrderStream {
  std::vector<std::string> symbols;
  std::vector<Order> orders;
};

/// Parse CSV text; `file` names it in errors.
OrderStream parse_orders_csv(std::string_view text, const std::string& file);
/// Read and parse a CSV file (DataFileError also when it cannot be read).
OrderStream load_orders_csv(const std::string& path);

struct GeneratorConfig {
  std::uint64_t orders = 1'000'000;  ///< rows to generate (including the initial book build-up)
  std::uint32_t symbols = 8;
  std::uint32_t resting = 1000;      ///< resting orders per book to build up first and keep around
  std::uint64_t seed = 1;
  // The mix of the steady phase, in percent of events (a price move is two rows: CANCEL + NEW).
  double gtc_pct = 9.0;      ///< limit orders near the touch (a few cross and trade, the rest rest)
  double market_pct = 3.0;   ///< immediate-or-cancel: market orders (price 0)
  double cancel_pct = 6.0;   ///< cancels of a live order
  // The rest (82 %): price moves of a live order, as CANCEL + NEW with a fresh id.
};

/// Deterministic synthetic order flow (same config → same rows). Order ids are 1, 2, 3, … in row order.
OrderStream generate_orders(const GeneratorConfig& cfg);

}  // namespace rk::workloads::order_matching
