#!/usr/bin/env bash
# Builds one libFuzzer target (libFuzzer + AddressSanitizer + UBSan) from the sources it tests and runs it
# over a copy of its seed corpus (tests/fuzz/TARGET/corpus).
#
#   tests/fuzz/run.sh TARGET [SECONDS]      default 30
#
#   scenario   the scenario parser (harness/scenario)                 fuzz_scenario.cpp
#   graph      the SNAP edge-list reader and its streaming scan         fuzz_graph.cpp
#   orders     the orders CSV reader and the reference matcher          fuzz_orders.cpp
#   results    the results-file reader (rk/record/reader.hpp), HDF5     fuzz_results.cpp
#
# By default every run draws a new seed and explores somewhere new. A gate that must give the same
# verdict on the same commit sets RK_FUZZ_SEED (fixed seed) and RK_FUZZ_RUNS (fixed number of inputs);
# SECONDS then only caps the time on a slow machine.
#
# Environment: CXX_FUZZ (default clang++-14, else clang++), RK_FUZZ_OUT (default build/fuzz-TARGET),
# RK_FUZZ_JOBS (parallel fuzzing jobs, default 1); scenario only: YAML_CPP_SRC (a yaml-cpp 0.7 source
# tree to compile in with instrumentation; default: link the system libyaml-cpp, uninstrumented).
# Crashes are written to $RK_FUZZ_OUT/crash-*; the script exits non-zero when one is found. Reproduce one
# with `$RK_FUZZ_OUT/fuzz_TARGET CRASH_FILE`.
set -euo pipefail

target=${1:?usage: tests/fuzz/run.sh scenario|graph|orders|results [SECONDS]}
seconds=${2:-30}
fuzz=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$fuzz/../.." && pwd)
here=$fuzz/$target
out=${RK_FUZZ_OUT:-$root/build/fuzz-$target}
jobs=${RK_FUZZ_JOBS:-1}
cxx=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++)}
[[ -f "$here/fuzz_$target.cpp" ]] || { echo "unknown fuzz target '$target'" >&2; exit 2; }

flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -pthread)
libs=()
max_len=16384
case "$target" in
  scenario)
    flags+=(-I"$root/harness/scenario/include")
    sources=("$root"/harness/scenario/src/*.cpp)
    if [[ -n "${YAML_CPP_SRC:-}" ]]; then
      flags+=(-I"$YAML_CPP_SRC/include")
      sources+=("$YAML_CPP_SRC"/src/*.cpp)
    else
      libs+=(-lyaml-cpp)
    fi
    ;;
  graph)
    flags+=(-I"$root/workloads/pagerank/include" -I"$root/workloads/common/include" -I"$root/kernels/core/include")
    sources=("$root/workloads/pagerank/src/graph.cpp")
    max_len=4096
    ;;
  orders)
    flags+=(-I"$root/workloads/order_matching/include" -I"$root/workloads/common/include" -I"$root/kernels/core/include")
    sources=("$root/workloads/order_matching/src/orders.cpp")
    max_len=4096
    ;;
  results)
    # HDF5 itself (a system library) is not instrumented: coverage guides the fuzzer through our reader only.
    hdf5_cflags=$(pkg-config --cflags hdf5 2>/dev/null || echo -I/usr/include/hdf5/serial)
    hdf5_libs=$(pkg-config --libs hdf5 2>/dev/null || echo "-L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5")
    # shellcheck disable=SC2206
    flags+=(-I"$root/harness/record/include" -I"$root/harness/record/src" $hdf5_cflags)
    sources=("$root"/harness/record/src/*.cpp)
    # shellcheck disable=SC2206
    libs+=($hdf5_libs)
    max_len=4096
    ;;
esac
sources+=("$here/fuzz_$target.cpp")

# One object per source, through ccache when it is installed, so rebuilds after a fix are quick.
launcher=()
if command -v ccache >/dev/null; then launcher=(ccache); fi
mkdir -p "$out/obj" "$out/corpus"
echo "building $out/fuzz_$target with $cxx"
objects=()
for src in "${sources[@]}"; do
  obj="$out/obj/$(basename "$(dirname "$src")")_$(basename "$src" .cpp).o"
  "${launcher[@]}" "$cxx" "${flags[@]}" -c "$src" -o "$obj"
  objects+=("$obj")
done
"$cxx" "${flags[@]}" "${objects[@]}" "${libs[@]}" -o "$out/fuzz_$target"

# New inputs go to the copy, so the seed corpus in the repository stays small and reviewed. With a
# fixed seed the copy starts afresh, so that the run does not depend on what earlier runs found.
if [[ -n "${RK_FUZZ_SEED:-}" ]]; then rm -rf "$out/corpus"; mkdir -p "$out/corpus"; fi
cp -n "$here"/corpus/* "$out/corpus/" 2>/dev/null || true
echo "fuzzing for ${seconds}s"
args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1
      -artifact_prefix="$out/")
if [[ -f "$here/$target.dict" ]]; then args+=(-dict="$here/$target.dict"); fi
if [[ -n "${RK_FUZZ_SEED:-}" ]]; then args+=(-seed="$RK_FUZZ_SEED"); fi
if [[ -n "${RK_FUZZ_RUNS:-}" ]]; then args+=(-runs="$RK_FUZZ_RUNS"); fi
if (( jobs > 1 )); then
  # With -jobs libFuzzer writes fuzz-N.log into the working directory.
  cd "$out"
  args+=(-jobs="$jobs" -workers="$jobs")
fi
"$out/fuzz_$target" "$out/corpus" "${args[@]}"
