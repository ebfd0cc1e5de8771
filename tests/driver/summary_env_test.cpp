// The pieces of issue 14's machine-readable summary and environment that need no run: reading a summary
// figure's number and unit, and the oversubscription rule (results/SCHEMA.md, /environment).
#include <algorithm>
#include <limits>

#include <gtest/gtest.h>

#include "rk/record/json.hpp"
#include "summary.hpp"
#include "system_info.hpp"

namespace rk::harness {
namespace {

TEST(SummaryFigure, NumberAndUnit) {
  auto f = parse_figure("494 ns");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->value, 494);
  EXPECT_EQ(f->unit, "ns");
  f = parse_figure("1.93x");
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(f->value, 1.93);
  EXPECT_EQ(f->unit, "x");
  f = parse_figure("200000");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->value, 200000);
  EXPECT_EQ(f->unit, "");
  f = parse_figure("256 ns  (mean of 64 lines' p50s, 206 ns to 351 ns; all pooled 239 ns)");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->value, 256);
  EXPECT_EQ(f->unit, "ns");
  EXPECT_EQ(f->note, "mean of 64 lines' p50s, 206 ns to 351 ns; all pooled 239 ns");
  f = parse_figure("1000 (generated)");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->unit, "");
  f = parse_figure("0.123 M msg/s");
  EXPECT_FALSE(f);  // a unit with a space is not one unit: reported as text only
  EXPECT_FALSE(parse_figure("2 / 4"));
  EXPECT_FALSE(parse_figure("1.65x to 2.10x, median 2.04x (20 blocks)"));
  EXPECT_FALSE(parse_figure("whole-run ones from a histogram"));
  EXPECT_FALSE(parse_figure(""));
}

TEST(Oversubscription, Rule) {
  EXPECT_EQ(oversubscription(0.5, 1.9, 2, 2, 2), "");
  EXPECT_EQ(oversubscription(2.0, 2.0, 2, 2, 2), "");  // at the CPU count, not above
  EXPECT_EQ(oversubscription(-1, -1, 2, 2, 2), "");     // unknown load never counts
  EXPECT_NE(oversubscription(2.5, 0.1, 2, 1, 2).find("load average 2.50 at the start"), std::string::npos);
  EXPECT_NE(oversubscription(0.1, 4.0, 2, 1, 2).find("at the end"), std::string::npos);
  EXPECT_NE(oversubscription(0.1, 0.1, 16, 3, 2).find("3 busy threads"), std::string::npos);
  const std::string all = oversubscription(3, 3, 2, 3, 2);
  EXPECT_EQ(std::count(all.begin(), all.end(), ';'), 2) << all;
}

TEST(Json, StringsAndNumbers) {
  EXPECT_EQ(record::json_string("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(record::json_number(3), "3");
  EXPECT_EQ(record::json_number(0.1), "0.1");
  EXPECT_EQ(record::json_number(std::numeric_limits<double>::infinity()), "null");
}

}  // namespace
}  // namespace rk::harness
