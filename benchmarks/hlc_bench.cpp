// HLC micro-benchmarks: the pure timestamp operations and the thread-safe clock (which reads the
// wall clock each call).
#include "bench_util.hpp"
#include "rk/core/hlc.hpp"

namespace {

void Hlc_Tick(benchmark::State& state) {
  rk::HlcTimestamp t(1000, 0, 1);
  std::uint64_t wall = 1000;
  for (auto _ : state) {
    t.tick(wall);
    wall += (t.logical & 7) == 0;  // the wall clock moves now and then
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(Hlc_Tick);

void Hlc_Merge(benchmark::State& state) {
  rk::HlcTimestamp local(1000, 3, 1), remote(1000, 5, 2);
  std::uint64_t wall = 999;
  for (auto _ : state) {
    local.merge(remote, wall);
    remote.physical += 1;
    wall += 1;
    benchmark::DoNotOptimize(local);
  }
}
BENCHMARK(Hlc_Merge);

void Hlc_ClockNow(benchmark::State& state) {
  rk::HlcClock clock(1);
  for (auto _ : state) benchmark::DoNotOptimize(clock.now());
}
BENCHMARK(Hlc_ClockNow);

void Hlc_ClockUpdate(benchmark::State& state) {
  rk::HlcClock clock(1);
  rk::HlcTimestamp remote(rk::wall_clock_ns(), 0, 2);
  for (auto _ : state) {
    remote.logical += 1;
    benchmark::DoNotOptimize(clock.update(remote));
  }
}
BENCHMARK(Hlc_ClockUpdate);

}  // namespace
