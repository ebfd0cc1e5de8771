// Golden tests of /workloads: arrays, strings, compound tables, attributes, subgroups and per-iteration
// series, shaped like what PageRank and order matching will store.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "record_test_util.hpp"
#include "rk/record/record.hpp"

namespace rk::record {
namespace {

using test::RawFile;
using test::TempDir;

struct Trade {
  std::uint32_t symbol = 0;
  std::uint64_t symbol_seq = 0;
  std::uint64_t taker_order_id = 0;
  std::uint64_t maker_order_id = 0;
  std::int64_t price = 0;
  std::int64_t quantity = 0;
};

Table<Trade> trade_table() {
  return Table<Trade>{}
      .add("symbol", &Trade::symbol)
      .add("symbol_seq", &Trade::symbol_seq)
      .add("taker_order_id", &Trade::taker_order_id)
      .add("maker_order_id", &Trade::maker_order_id)
      .add("price", &Trade::price)
      .add("quantity", &Trade::quantity);
}

struct Iteration {
  std::uint32_t iteration = 0;
  double residual = 0;
  std::uint64_t elapsed_ns = 0;
  bool converged = false;
  char label[6] = {};
};

TEST(RecordWorkload, ArraysStringsAndAttributes) {
  TempDir dir;
  std::vector<double> ranks(5000);
  std::iota(ranks.begin(), ranks.end(), 0.5);
  const std::vector<std::uint64_t> degrees{3, 1, 4, 1, 5};
  const std::vector<std::int64_t> deltas{-3, 0, 9'000'000'000};
  const std::vector<std::string> symbols{"AAPL", "MSFT", "BRK.A", "日本"};

  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  auto pagerank = file.workload("pagerank");
  pagerank.write_f64("ranks", ranks);
  pagerank.write_u64("out_degree", degrees);
  pagerank.write_i64("deltas", deltas);
  pagerank.write_f32("empty", {});
  pagerank.set_attr("damping", 0.85);
  pagerank.set_attr("vertices", std::uint64_t{5000});
  pagerank.set_attr("iterations", 20);
  pagerank.set_attr("graph", std::string("rmat-12"));
  pagerank.set_attr("verified", true);
  pagerank.set_attr("iterations", 21);  // replaces
  auto orders = file.workload("order_matching");
  orders.write_strings("symbols", symbols);
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  EXPECT_EQ(reader.read_array<double>("/workloads/pagerank/ranks"), ranks);
  EXPECT_EQ(reader.read_array<std::uint64_t>("/workloads/pagerank/out_degree"), degrees);
  EXPECT_EQ(reader.read_array<std::int64_t>("/workloads/pagerank/deltas"), deltas);
  EXPECT_EQ(reader.length("/workloads/pagerank/empty"), 0u);
  EXPECT_DOUBLE_EQ(reader.f64_attr("/workloads/pagerank", "damping"), 0.85);
  EXPECT_EQ(reader.u64_attr("/workloads/pagerank", "vertices"), 5000u);
  EXPECT_EQ(reader.i64_attr("/workloads/pagerank", "iterations"), 21);
  EXPECT_EQ(reader.string_attr("/workloads/pagerank", "graph"), "rmat-12");
  EXPECT_TRUE(reader.bool_attr("/workloads/pagerank", "verified"));
  EXPECT_EQ(reader.read_strings("/workloads/order_matching/symbols"), symbols);

  RawFile raw(dir / "run.h5");
  const auto ranks_type = test::dataset_type(raw.id(), "/workloads/pagerank/ranks");
  EXPECT_EQ(ranks_type.type_class, H5T_FLOAT);
  EXPECT_EQ(ranks_type.size, 8u);
  EXPECT_GT(test::dataset_layout(raw.id(), "/workloads/pagerank/ranks").chunk, 0u);
  EXPECT_EQ(test::dataset_layout(raw.id(), "/workloads/pagerank/out_degree").chunk, 0u);
  EXPECT_TRUE(test::dataset_type(raw.id(), "/workloads/order_matching/symbols").variable_string);
  EXPECT_TRUE(test::dataset_type(raw.id(), "/workloads/pagerank/deltas").is_signed);
  EXPECT_EQ(test::attr_type(raw.id(), "/workloads/pagerank", "iterations").type_class, H5T_INTEGER);
  EXPECT_EQ(test::attr_type(raw.id(), "/workloads/pagerank", "vertices").is_signed, false);
}

TEST(RecordWorkload, CompoundTableOfTrades) {
  TempDir dir;
  std::vector<Trade> trades;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    trades.push_back(Trade{static_cast<std::uint32_t>(i % 7), i, 1000 + i, 2000 + i, -static_cast<std::int64_t>(i) * 5,
                           static_cast<std::int64_t>(i % 13)});
  }
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  auto orders = file.workload("order_matching");
  orders.write_table("trades", trade_table(), std::span<const Trade>(trades));
  orders.set_attr("trades", trades.size());
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  const auto back = reader.read_table("/workloads/order_matching/trades", trade_table());
  ASSERT_EQ(back.size(), trades.size());
  for (std::size_t i = 0; i < trades.size(); ++i) {
    EXPECT_EQ(std::memcmp(&back[i].symbol, &trades[i].symbol, sizeof(std::uint32_t)), 0);
    EXPECT_EQ(back[i].symbol_seq, trades[i].symbol_seq);
    EXPECT_EQ(back[i].taker_order_id, trades[i].taker_order_id);
    EXPECT_EQ(back[i].maker_order_id, trades[i].maker_order_id);
    EXPECT_EQ(back[i].price, trades[i].price);
    EXPECT_EQ(back[i].quantity, trades[i].quantity);
  }
  EXPECT_EQ(reader.u64_attr("/workloads/order_matching", "trades"), 3000u);

  RawFile raw(dir / "run.h5");
  const std::string ds = "/workloads/order_matching/trades";
  EXPECT_EQ(test::compound_fields(raw.id(), ds),
            (std::vector<std::string>{"symbol", "symbol_seq", "taker_order_id", "maker_order_id", "price", "quantity"}));
  EXPECT_EQ(test::member_type(raw.id(), ds, "symbol").size, 4u);
  EXPECT_FALSE(test::member_type(raw.id(), ds, "symbol").is_signed);
  EXPECT_TRUE(test::member_type(raw.id(), ds, "price").is_signed);
  EXPECT_EQ(test::dataset_type(raw.id(), ds).size, 4u + 5 * 8);  // packed, no padding
  EXPECT_GT(test::dataset_layout(raw.id(), ds).chunk, 0u);
}

TEST(RecordWorkload, SeriesSubgroupsAndEscapedNames) {
  TempDir dir;
  WriterOptions options;
  options.row_chunk = 4;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info(), options);
  auto pagerank = file.workload("pagerank");
  const auto table = Table<Iteration>{}
                         .add("iteration", &Iteration::iteration)
                         .add("residual", &Iteration::residual)
                         .add("elapsed_ns", &Iteration::elapsed_ns)
                         .add("converged", &Iteration::converged)
                         .add("label", &Iteration::label);
  auto iterations = pagerank.begin_series("iterations", table);
  auto residuals = pagerank.begin_values<double>("residuals");
  for (std::uint32_t i = 0; i < 10; ++i) {
    Iteration it{i, 1.0 / (i + 1), 1000ull * i, i == 9, {}};
    std::snprintf(it.label, sizeof it.label, "it%u", i);
    iterations.append(it);
    residuals.append(it.residual);
  }
  EXPECT_EQ(iterations.count(), 10u);
  EXPECT_THROW((void)pagerank.begin_values<double>("residuals"), RecordError);
  auto nested = pagerank.group("per device/gpu0");
  nested.write_u32("vertices", std::vector<std::uint32_t>{1, 2});
  nested.set_attr("device", 0);
  EXPECT_THROW(pagerank.write_f64("residuals", std::vector<double>{1.0}), RecordError);  // name taken
  file.finish(Status::complete);

  ResultsReader reader(dir / "run.h5");
  const auto back = reader.read_table("/workloads/pagerank/iterations", table);
  ASSERT_EQ(back.size(), 10u);
  EXPECT_EQ(back[3].iteration, 3u);
  EXPECT_DOUBLE_EQ(back[3].residual, 0.25);
  EXPECT_EQ(back[3].elapsed_ns, 3000u);
  EXPECT_TRUE(back[9].converged);
  EXPECT_FALSE(back[8].converged);
  EXPECT_STREQ(back[7].label, "it7");
  EXPECT_EQ(reader.read_array<double>("/workloads/pagerank/residuals").size(), 10u);
  EXPECT_EQ(reader.read_array<std::uint32_t>("/workloads/pagerank/per device%2Fgpu0/vertices"),
            (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(reader.i64_attr("/workloads/pagerank/per device%2Fgpu0", "device"), 0);

  RawFile raw(dir / "run.h5");
  const auto label = test::member_type(raw.id(), "/workloads/pagerank/iterations", "label");
  EXPECT_EQ(label.type_class, H5T_STRING);
  EXPECT_EQ(label.size, 6u);
  EXPECT_EQ(test::member_type(raw.id(), "/workloads/pagerank/iterations", "converged").type_class, H5T_ENUM);
}

TEST(RecordWorkload, TableColumnOutsideRowIsRejected) {
  Table<Trade> table;
  EXPECT_THROW(table.add("bad", sizeof(Trade) - 4, ScalarType::u64, 8), RecordError);
}

}  // namespace
}  // namespace rk::record
