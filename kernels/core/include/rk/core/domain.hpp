// The 20 business domains of the seed and their reserved message type-id ranges.
#pragma once

#include "rk/core/config.hpp"

namespace rk {

enum class Domain : std::uint8_t {
  General,              //   0 –   99
  GraphAnalytics,       // 100 –  199
  StatisticalML,        // 200 –  299
  Compliance,           // 300 –  399
  RiskManagement,       // 400 –  499
  OrderMatching,        // 500 –  599
  MarketData,           // 600 –  699
  Settlement,           // 700 –  799
  Accounting,           // 800 –  899
  NetworkAnalysis,      // 900 –  999
  FraudDetection,       // 1000 – 1099
  TimeSeries,           // 1100 – 1199
  Simulation,           // 1200 – 1299
  Banking,              // 1300 – 1399
  BehavioralAnalytics,  // 1400 – 1499
  ProcessIntelligence,  // 1500 – 1599
  Clearing,             // 1600 – 1699
  TreasuryManagement,   // 1700 – 1799
  PaymentProcessing,    // 1800 – 1899
  FinancialAudit,       // 1900 – 1999
  Custom,               // 10000 and up (user-defined)
};

inline constexpr std::uint32_t kDomainCount = 21;
inline constexpr std::uint32_t kCustomTypeIdBase = 10000;
inline constexpr std::uint32_t kDomainRangeSize = 100;

/// Inclusive type-id range [first, last] reserved for a domain.
struct TypeIdRange {
  std::uint32_t first;
  std::uint32_t last;
  RK_HOST_DEVICE constexpr bool contains(std::uint32_t id) const { return id >= first && id <= last; }
};

RK_HOST_DEVICE constexpr TypeIdRange type_id_range(Domain d) {
  if (d == Domain::Custom) return {kCustomTypeIdBase, 0xFFFFFFFFu};
  const auto i = static_cast<std::uint32_t>(d);
  return {i * kDomainRangeSize, i * kDomainRangeSize + kDomainRangeSize - 1};
}

/// The domain a type id belongs to. Ids 2000–9999 are unassigned: returns false.
RK_HOST_DEVICE constexpr bool from_type_id(std::uint32_t type_id, Domain& out) {
  if (type_id >= kCustomTypeIdBase) {
    out = Domain::Custom;
    return true;
  }
  const std::uint32_t i = type_id / kDomainRangeSize;
  if (i >= static_cast<std::uint32_t>(Domain::Custom)) return false;
  out = static_cast<Domain>(i);
  return true;
}

/// The type id of the `offset`-th message type of a domain (compile-time checked in domain_type_id).
RK_HOST_DEVICE constexpr std::uint32_t domain_type_id(Domain d, std::uint32_t offset) {
  return type_id_range(d).first + offset;
}

RK_HOST_DEVICE constexpr const char* domain_name(Domain d) {
  constexpr const char* names[kDomainCount] = {
      "General",          "GraphAnalytics",      "StatisticalML",       "Compliance",
      "RiskManagement",   "OrderMatching",       "MarketData",          "Settlement",
      "Accounting",       "NetworkAnalysis",     "FraudDetection",      "TimeSeries",
      "Simulation",       "Banking",             "BehavioralAnalytics", "ProcessIntelligence",
      "Clearing",         "TreasuryManagement",  "PaymentProcessing",   "FinancialAudit",
      "Custom"};
  return names[static_cast<std::uint32_t>(d)];
}

}  // namespace rk
