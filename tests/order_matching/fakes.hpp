// Test doubles for the harness side of a workload run: Params, RunControl, ResultSink, and a launcher
// that plans the order-matching topology the way harness/runtime/src/plan.cpp does (kernel ids in
// scenario order, routes as data).
#pragma once

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

#include "rk/cpu/runtime.hpp"
#include "rk/workloads/declared_params.hpp"
#include "rk/workloads/order_matching/workloads.hpp"

namespace omtest {

using namespace rk;
using namespace rk::workloads;

/// The order-matching workload's parameters from strings, read against its declaration; errors are InputError.
inline MapParams om_params() { return MapParams::of(order_matching::workloads().front(), false); }
/// Its generator mapping, to assign to `gen`.
inline std::unique_ptr<MapParams> om_generator() {
  return std::make_unique<MapParams>(order_matching::workloads().front().generator_params, "workload.generator");
}

class FakeControl final : public RunControl {
 public:
  std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now();
  bool stop_requested() const override { return false; }
  void progress(std::uint64_t, std::uint64_t) override {}
  std::uint64_t now_ns() const override {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - origin).count());
  }
};

class FakeSink final : public ResultSink {
 public:
  std::map<std::string, std::vector<std::uint64_t>> latencies;
  std::map<std::string, std::size_t> tables;  // name -> rows
  std::map<std::string, std::vector<std::string>> strings;
  std::map<std::string, std::vector<std::int64_t>> i64;
  std::map<std::string, double> attrs_f;
  std::map<std::string, std::int64_t> attrs_i;
  std::uint64_t throughput_messages = 0;
  void latency(const std::string& p, std::span<const std::uint64_t> s) override { latencies[p].assign(s.begin(), s.end()); }
  void throughput(const std::string&, std::uint64_t, std::uint64_t m, std::uint64_t) override { throughput_messages += m; }
  void event(const std::string&, const std::string&, const std::string&, const std::string&) override {}
  void write_f64(const std::string&, std::span<const double>) override {}
  void write_u64(const std::string&, std::span<const std::uint64_t>) override {}
  void write_i64(const std::string& n, std::span<const std::int64_t> v) override { i64[n].assign(v.begin(), v.end()); }
  void write_strings(const std::string& n, const std::vector<std::string>& v) override { strings[n] = v; }
  void write_table(const std::string& n, const std::vector<Column>&, std::size_t, const void*, std::size_t c) override {
    tables[n] = c;
  }
  void attr(const std::string& n, double v) override { attrs_f[n] = v; }
  void attr(const std::string& n, std::int64_t v) override { attrs_i[n] = v; }
  void attr(const std::string&, const std::string&) override {}
};

/// Launch gateway (id 0), `books` books (ids 1..books, book i on device i % devices) and the reporter,
/// with the parameters the harness would give them; returns the topology the workload sees.
inline Topology launch_topology(cpu::CpuRuntime& rt, std::uint32_t books, std::uint32_t devices, std::uint32_t capacity = 4096) {
  Topology topo;
  const auto reporter = static_cast<KernelId>(books + 1);
  auto add = [&](const std::string& name, const std::string& type, KernelId id, int device, std::vector<KernelId> outs,
                 RouteRule rule, bool from_host, bool to_host) {
    KernelInfo k;
    k.name = name;
    k.type = type;
    k.id = id;
    k.device = device;
    k.outputs = outs;
    k.rule = rule;
    k.input_from_host = from_host;
    k.outputs_to_host = to_host;
    topo.kernels.push_back(k);
    LaunchOptions o;
    o.kernel_type = type;
    o.input_capacity = capacity;
    o.output_capacity = std::max<std::uint32_t>(capacity, 1024);
    o.requested_id = id;
    o.device = device;
    o.params.set_routes({outs, rule, to_host});
    rt.launch(name, Dim3{}, Dim3{}, o);
  };
  std::vector<KernelId> book_ids;
  for (std::uint32_t i = 0; i < books; ++i) book_ids.push_back(static_cast<KernelId>(i + 1));
  add("gateway", "om_gateway", 0, 0, book_ids, RouteRule::Hash, true, false);
  for (std::uint32_t i = 0; i < books; ++i)
    add("book[" + std::to_string(i) + "]", "om_book", book_ids[i], static_cast<int>(i % devices), {reporter}, RouteRule::Direct, false, false);
  add("reporter", "om_reporter", reporter, static_cast<int>(devices - 1), {}, RouteRule::Direct, false, true);
  for (const auto& k : topo.kernels) rt.activate(k.name);
  return topo;
}

struct RunOutcome {
  Verification v;
  FakeSink sink;
};

/// Configure, run, verify and write one order_matching run on a fresh CpuRuntime.
inline RunOutcome run_workload(MapParams& params, std::uint32_t devices, std::uint32_t books = 8,
                               std::uint32_t workers = 1) {
  cpu::CpuRuntime rt({.devices = devices, .workers = workers});
  auto r = rt.registrar();
  order_matching::register_kernel_types(r);
  const Topology topo = launch_topology(rt, books, devices);
  auto w = order_matching::workloads().front().create();
  RunLimits limits;
  limits.seed = 7;
  limits.latency_probes.push_back({"order_to_fill", "host", "host"});
  w->configure(params, topo, limits);
  RunOutcome out;
  FakeControl ctl;
  w->run(rt, ctl, out.sink);
  out.v = w->verify();
  w->write_results(out.sink);
  rt.shutdown();
  return out;
}

}  // namespace omtest
