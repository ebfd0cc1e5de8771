// Internal: a fork-join team for the graph code (parsing, generation, partitioning). An exception in a
// worker thread (std::bad_alloc from a vector sized by the graph, say) would end the process through
// std::terminate; here every thread's exception is captured and the first one (lowest t) is rethrown
// to the caller once all threads have been joined, so it reaches the run's error path.
#pragma once

#include <exception>
#include <thread>
#include <vector>

namespace rk::workloads::pagerank::detail {

/// Runs f(t) for t in 0..n-1, on n threads (the calling thread takes t = 0). When a thread cannot be
/// started, the t it would have run is not run and the failure is rethrown like any other.
template <class F>
void parallel(unsigned n, F&& f) {
  if (n == 0) return;
  std::vector<std::exception_ptr> errors(n);
  auto guarded = [&f, &errors](unsigned t) noexcept {
    try {
      f(t);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> team;
  try {
    team.reserve(n - 1);
    for (unsigned t = 1; t < n; ++t) team.emplace_back(guarded, t);
  } catch (...) {
    errors[0] = std::current_exception();  // the team is short: run nothing more, rethrow after the join
  }
  if (!errors[0]) guarded(0u);
  for (auto& th : team) th.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace rk::workloads::pagerank::detail
