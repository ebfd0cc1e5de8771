// Writes a small results file with every kind of content, for the h5py check (h5py_reads_results.py):
// the file analysts get must read cleanly with h5py, the way results/SCHEMA.md shows.
#include <cstdio>
#include <exception>
#include <numeric>
#include <vector>

#include "rk/record/record.hpp"

namespace {

struct Trade {
  std::uint32_t symbol;
  std::uint64_t symbol_seq;
  std::uint64_t taker_order_id;
  std::uint64_t maker_order_id;
  std::int64_t price;
  std::int64_t quantity;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace rk::record;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT.h5\n", argv[0]);
    return 2;
  }
  try {
    RunInfo info;
    info.scenario_yaml = "name: sample\ndevices: 1\n";
    info.argv = {argv[0], argv[1]};
    info.backend = "cpu";
    info.device_count = 1;
    info.git_revision = "deadbeef";
    info.build_type = "RelWithDebInfo";
    info.versions = {{"ringkernel", "0.1.0"}};
    auto file = ResultsFile::create(argv[1], info);
    file.add_device(DeviceInfo{0, "cpu-sim-0", "cpu-simulated", 1ull << 30, 3'000'000, 0, 2, "", "Test CPU", 0, "host"});

    std::vector<std::uint64_t> samples(1000);
    std::iota(samples.begin(), samples.end(), 1);
    file.latency("round_trip").append(samples);

    auto tp = file.throughput("round_trip");
    tp.append(0, 0, 0);
    tp.append(1'000'000'000, 1000, 64'000);

    auto book = file.telemetry("book[3]");
    for (std::uint64_t i = 0; i < 5; ++i) {
      TelemetryRow row;
      row.t_ns = i * 1'000'000;
      row.messages_processed = i * 100;
      row.is_active = i < 4;
      row.has_terminated = i == 4;
      book.append(row);
    }
    file.events().append(Event{0, {1, 0, 0}, Severity::info, "lifecycle", "book[3]", "Launched -> Active"});
    file.events().append(Event{0, {2, 0, 0}, Severity::warning, "warning", "", "queue 90% full"});

    auto pagerank = file.workload("pagerank");
    pagerank.write_f64("ranks", std::vector<double>{0.25, 0.25, 0.5});
    pagerank.set_attr("damping", 0.85);
    pagerank.set_attr("verified", true);
    auto orders = file.workload("order_matching");
    orders.write_strings("symbols", {"AAPL", "MSFT"});
    const auto table = Table<Trade>{}
                           .add("symbol", &Trade::symbol)
                           .add("symbol_seq", &Trade::symbol_seq)
                           .add("taker_order_id", &Trade::taker_order_id)
                           .add("maker_order_id", &Trade::maker_order_id)
                           .add("price", &Trade::price)
                           .add("quantity", &Trade::quantity);
    const std::vector<Trade> trades{{0, 1, 10, 11, 1500, 3}, {1, 1, 12, 13, -20, 7}};
    orders.write_table("trades", table, std::span<const Trade>(trades));
    file.finish(Status::complete);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
