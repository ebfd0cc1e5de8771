#!/usr/bin/env bash
# The project's test command (README, CI): the normal build with every test, then the
# ThreadSanitizer build of the concurrency suites. Exits non-zero on any failure.
# Tests labelled `gpu` report themselves skipped on machines without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Hash paths relative to the checkout, so a fresh clone (CI) reuses the objects of earlier builds.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

echo "== build (preset ci)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$JOBS"
echo "== tests (preset ci)"
ctest --preset ci -j "$JOBS"

# Fuzz gates: short runs with a fixed seed and a fixed number of inputs (crashes fail the build). The
# gate is reproducible: the same commit gives the same verdict. Exploring with fresh seeds is done by hand
# (tests/fuzz/run.sh TARGET SECONDS) and what it finds joins the target's seed corpus.
mkdir -p build
fuzz_gate() {  # TARGET RUNS MAX_SECONDS
  local target=$1 runs=$2 seconds=$3 log=build/fuzz-$1.log
  echo "== fuzz $target (seed ${RK_FUZZ_SEED:-20261125}, $runs inputs)"
  if ! RK_FUZZ_SEED=${RK_FUZZ_SEED:-20261125} RK_FUZZ_RUNS=$runs bash tests/fuzz/run.sh "$target" "$seconds" > "$log" 2>&1; then
    tail -60 "$log"
    echo "fuzzing $target found a problem (full log: $log)"
    exit 1
  fi
  grep -E "^Done|stat::number_of_executed_units|stat::new_units_added" "$log"
}
# The scenario parser (RK_FUZZ_RUNS overrides its count, as before).
fuzz_gate scenario "${RK_FUZZ_RUNS:-150000}" "${RK_FUZZ_SECONDS:-60}"
# The data-file readers and the results reader (together about a minute on 2 cores, builds included).
fuzz_gate graph 200000 30
fuzz_gate orders 150000 30
fuzz_gate results 4000 40

if [ "${RK_SKIP_TSAN:-0}" != "1" ]; then
  echo "== ThreadSanitizer build of the concurrency suites (preset tsan)"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$JOBS" --target rk_concurrency_tests
  echo "== ThreadSanitizer tests (label concurrency)"
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --preset tsan -j 1
fi
