// Order matching end to end on the CPU backend: generated orders through gateway → 8 books → reporter,
// verified against the reference; prints orders/s and order-to-fill p50/p99 (nearest rank, as the workload).
// Usage: rk_order_matching_bench [orders=1000000] [devices=2] [workers=0 (hw / devices)] [burst=64] [window=8] [symbols=64]
#include <cstdio>
#include <cstdlib>

#include "fakes.hpp"
#include "rk/workloads/stats.hpp"

using namespace omtest;

int main(int argc, char** argv) {
  auto arg = [&](int i, const char* d) { return std::string(argc > i ? argv[i] : d); };
  MapParams p = om_params();
  p.gen = om_generator();
  p.gen->values["orders"] = arg(1, "1000000");
  const auto devices = static_cast<std::uint32_t>(std::stoul(arg(2, "2")));
  const auto workers = static_cast<std::uint32_t>(std::stoul(arg(3, "0")));
  p.values["burst"] = arg(4, "64");
  p.values["window"] = arg(5, "8");
  p.values["symbols"] = arg(6, "64");
  const RunOutcome out = run_workload(p, devices, 8, workers);
  const auto& lat = out.sink.latencies.at("order_to_fill");
  std::printf("orders %lld  devices %u  trades %zu  rejects %zu  verification %s\n",
              static_cast<long long>(out.sink.attrs_i.at("orders")), devices, out.sink.tables.at("trades"),
              out.sink.tables.at("rejects"), out.v.ok ? "passed" : "FAILED");
  for (const auto& f : out.v.failures) std::printf("  check failed: %s\n", f.c_str());
  std::printf("orders/s %.0f  (elapsed %.3f s)\n", out.sink.attrs_f.at("orders_per_second"),
              static_cast<double>(out.sink.attrs_i.at("elapsed_ns")) * 1e-9);
  std::printf("order_to_fill samples %zu  p50 %llu ns  p99 %llu ns\n", lat.size(),
              static_cast<unsigned long long>(percentile(lat, 0.50)), static_cast<unsigned long long>(percentile(lat, 0.99)));
  return out.v.ok ? 0 : 1;
}
