// Host message ids (random version-4 UUIDs and their text form) and the business domains' type-id ranges.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>

#include "rk/core/domain.hpp"
#include "rk/core/uuid.hpp"

namespace {

struct IdHash {
  std::size_t operator()(const rk::MessageId& id) const { return id.hi * 31 ^ id.lo; }
};

TEST(Uuid, VersionAndVariantBits) {
  for (int i = 0; i < 10000; ++i) {
    const rk::MessageId id = rk::new_message_id();
    ASSERT_EQ((id.hi >> 12) & 0xF, 4u) << "version nibble";
    ASSERT_EQ(id.lo >> 62, 2u) << "RFC 4122 variant bits 10";
    ASSERT_FALSE(id.is_nil());
  }
}

TEST(Uuid, UniqueOver100k) {
  std::unordered_set<rk::MessageId, IdHash> seen;
  seen.reserve(200000);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(seen.insert(rk::new_message_id()).second) << "at " << i;
}

TEST(Uuid, RandomBitsVary) {
  // Every non-fixed bit takes both values over a few thousand ids (catches a stuck generator word).
  std::uint64_t hi_or = 0, hi_and = ~0ull, lo_or = 0, lo_and = ~0ull;
  for (int i = 0; i < 4096; ++i) {
    const rk::MessageId id = rk::new_message_id();
    hi_or |= id.hi;
    hi_and &= id.hi;
    lo_or |= id.lo;
    lo_and &= id.lo;
  }
  EXPECT_EQ(hi_or, ~0ull & ~0xB000ull);  // version 0100: bits 15, 13, 12 always clear
  EXPECT_EQ(hi_and, 0x4000ull);
  EXPECT_EQ(lo_or, ~0ull & ~(1ull << 62));
  EXPECT_EQ(lo_and, 1ull << 63);
}

TEST(Uuid, TextForm) {
  const rk::MessageId id{0x0123456789ABCDEFull, 0xFEDCBA9876543210ull};
  EXPECT_EQ(rk::to_string(id), "01234567-89ab-cdef-fedc-ba9876543210");
  EXPECT_EQ(rk::to_string(rk::MessageId{}), "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(rk::to_string(rk::MessageId{~0ull, ~0ull}), "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

TEST(Uuid, TextFormOfRandomIds) {
  for (int i = 0; i < 1000; ++i) {
    const std::string s = rk::to_string(rk::new_message_id());
    ASSERT_EQ(s.size(), 36u);
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        ASSERT_EQ(s[k], '-') << s;
      } else {
        ASSERT_TRUE(std::isxdigit(static_cast<unsigned char>(s[k])) && !std::isupper(static_cast<unsigned char>(s[k])))
            << s;
      }
    }
    ASSERT_EQ(s[14], '4') << s;
    ASSERT_NE(std::string("89ab").find(s[19]), std::string::npos) << s;
  }
}

TEST(Uuid, DistinctPerThread) {
  // Each thread has its own generator; seeds from random_device must not collide.
  std::set<std::pair<std::uint64_t, std::uint64_t>> firsts;
  for (int t = 0; t < 8; ++t) {
    rk::MessageId id;
    std::thread th([&] { id = rk::new_message_id(); });
    th.join();
    EXPECT_TRUE(firsts.insert({id.hi, id.lo}).second);
  }
}

constexpr rk::Domain kBusinessDomains[] = {
    rk::Domain::General,         rk::Domain::GraphAnalytics,      rk::Domain::StatisticalML,
    rk::Domain::Compliance,      rk::Domain::RiskManagement,      rk::Domain::OrderMatching,
    rk::Domain::MarketData,      rk::Domain::Settlement,          rk::Domain::Accounting,
    rk::Domain::NetworkAnalysis, rk::Domain::FraudDetection,      rk::Domain::TimeSeries,
    rk::Domain::Simulation,      rk::Domain::Banking,             rk::Domain::BehavioralAnalytics,
    rk::Domain::ProcessIntelligence, rk::Domain::Clearing,        rk::Domain::TreasuryManagement,
    rk::Domain::PaymentProcessing, rk::Domain::FinancialAudit};
static_assert(std::size(kBusinessDomains) + 1 == rk::kDomainCount);

TEST(Domain, Ranges) {
  std::uint32_t first = 0;
  for (const rk::Domain d : kBusinessDomains) {
    const rk::TypeIdRange r = rk::type_id_range(d);
    EXPECT_EQ(r.first, first) << rk::domain_name(d);
    EXPECT_EQ(r.last, first + 99) << rk::domain_name(d);
    EXPECT_TRUE(r.contains(first));
    EXPECT_TRUE(r.contains(first + 99));
    EXPECT_FALSE(r.contains(first + 100));
    if (first > 0) {
      EXPECT_FALSE(r.contains(first - 1));
    }
    EXPECT_EQ(rk::domain_type_id(d, 0), first);
    EXPECT_EQ(rk::domain_type_id(d, 42), first + 42);
    // Every id of the range maps back to the domain.
    for (std::uint32_t id = r.first; id <= r.last; ++id) {
      rk::Domain out = rk::Domain::Custom;
      ASSERT_TRUE(rk::from_type_id(id, out));
      ASSERT_EQ(out, d) << id;
    }
    first += 100;
  }
  const rk::TypeIdRange c = rk::type_id_range(rk::Domain::Custom);
  EXPECT_EQ(c.first, 10000u);
  EXPECT_EQ(c.last, 0xFFFFFFFFu);
  EXPECT_TRUE(c.contains(0xFFFFFFFFu));
  EXPECT_FALSE(c.contains(9999));
  EXPECT_EQ(rk::domain_type_id(rk::Domain::Custom, 5), 10005u);
}

TEST(Domain, FromTypeIdBoundaries) {
  rk::Domain d = rk::Domain::Custom;
  ASSERT_TRUE(rk::from_type_id(0, d));
  EXPECT_EQ(d, rk::Domain::General);
  ASSERT_TRUE(rk::from_type_id(99, d));
  EXPECT_EQ(d, rk::Domain::General);
  ASSERT_TRUE(rk::from_type_id(100, d));
  EXPECT_EQ(d, rk::Domain::GraphAnalytics);
  ASSERT_TRUE(rk::from_type_id(1999, d));
  EXPECT_EQ(d, rk::Domain::FinancialAudit);
  for (const std::uint32_t unassigned : {2000u, 2001u, 5000u, 9999u}) {
    rk::Domain untouched = rk::Domain::Banking;
    EXPECT_FALSE(rk::from_type_id(unassigned, untouched)) << unassigned;
    EXPECT_EQ(untouched, rk::Domain::Banking) << "output left alone when unassigned";
  }
  ASSERT_TRUE(rk::from_type_id(10000, d));
  EXPECT_EQ(d, rk::Domain::Custom);
  d = rk::Domain::General;
  ASSERT_TRUE(rk::from_type_id(0xFFFFFFFFu, d));
  EXPECT_EQ(d, rk::Domain::Custom);
}

TEST(Domain, Names) {
  EXPECT_STREQ(rk::domain_name(rk::Domain::General), "General");
  EXPECT_STREQ(rk::domain_name(rk::Domain::GraphAnalytics), "GraphAnalytics");
  EXPECT_STREQ(rk::domain_name(rk::Domain::OrderMatching), "OrderMatching");
  EXPECT_STREQ(rk::domain_name(rk::Domain::FraudDetection), "FraudDetection");
  EXPECT_STREQ(rk::domain_name(rk::Domain::FinancialAudit), "FinancialAudit");
  EXPECT_STREQ(rk::domain_name(rk::Domain::Custom), "Custom");
  std::set<std::string> names;
  for (std::uint32_t i = 0; i < rk::kDomainCount; ++i) {
    const char* n = rk::domain_name(static_cast<rk::Domain>(i));
    ASSERT_NE(n, nullptr);
    EXPECT_FALSE(std::string(n).empty());
    names.insert(n);
  }
  EXPECT_EQ(names.size(), rk::kDomainCount);
}

static_assert(rk::type_id_range(rk::Domain::Settlement).first == 700);
static_assert(rk::domain_type_id(rk::Domain::Clearing, 3) == 1603);

}  // namespace
