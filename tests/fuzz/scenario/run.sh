#!/usr/bin/env bash
# Builds the scenario parser fuzzer (libFuzzer + AddressSanitizer + UBSan) from the sources of
# rk_scenario and runs it over a copy of the seed corpus.
#
#   tests/fuzz/scenario/run.sh [SECONDS]      default 30
#
# By default every run draws a new seed and explores somewhere new. A gate that must give the same
# verdict on the same commit sets RK_FUZZ_SEED (fixed seed) and RK_FUZZ_RUNS (fixed number of
# inputs); SECONDS then only caps the time on a slow machine.
#
# Environment: CXX_FUZZ (default clang++-14, else clang++), YAML_CPP_SRC (a yaml-cpp 0.7 source
# tree to compile in with instrumentation; default: link the system libyaml-cpp, uninstrumented),
# RK_FUZZ_OUT (default build/fuzz-scenario), RK_FUZZ_JOBS (parallel fuzzing jobs, default 1).
# Crashes are written to $RK_FUZZ_OUT/crash-*; the script exits non-zero when one is found.
set -euo pipefail

seconds=${1:-30}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${RK_FUZZ_OUT:-$root/build/fuzz-scenario}
jobs=${RK_FUZZ_JOBS:-1}
cxx=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++)}

mkdir -p "$out/corpus"
flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I"$root/harness/scenario/include")
sources=("$root"/harness/scenario/src/*.cpp "$here/fuzz_scenario.cpp")
if [[ -n "${YAML_CPP_SRC:-}" ]]; then
  flags+=(-I"$YAML_CPP_SRC/include")
  sources+=("$YAML_CPP_SRC"/src/*.cpp)
  libs=()
else
  libs=(-lyaml-cpp)
fi

# One object per source, through ccache when it is installed, so rebuilds after a fix are quick.
launcher=()
if command -v ccache >/dev/null; then launcher=(ccache); fi
mkdir -p "$out/obj"
echo "building $out/fuzz_scenario with $cxx"
objects=()
for src in "${sources[@]}"; do
  obj="$out/obj/$(basename "$(dirname "$src")")_$(basename "$src" .cpp).o"
  "${launcher[@]}" "$cxx" "${flags[@]}" -c "$src" -o "$obj"
  objects+=("$obj")
done
"$cxx" "${flags[@]}" "${objects[@]}" "${libs[@]}" -o "$out/fuzz_scenario"

# New inputs go to the copy, so the seed corpus in the repository stays small and reviewed. With a
# fixed seed the copy starts afresh, so that the run does not depend on what earlier runs found.
if [[ -n "${RK_FUZZ_SEED:-}" ]]; then rm -rf "$out/corpus"; mkdir -p "$out/corpus"; fi
cp -n "$here"/corpus/* "$out/corpus/" 2>/dev/null || true
echo "fuzzing for ${seconds}s"
args=(-dict="$here/scenario.dict" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
      -max_len=16384 -print_final_stats=1 -artifact_prefix="$out/")
if [[ -n "${RK_FUZZ_SEED:-}" ]]; then args+=(-seed="$RK_FUZZ_SEED"); fi
if [[ -n "${RK_FUZZ_RUNS:-}" ]]; then args+=(-runs="$RK_FUZZ_RUNS"); fi
if (( jobs > 1 )); then
  # With -jobs libFuzzer writes fuzz-N.log into the working directory.
  cd "$out"
  args+=(-jobs="$jobs" -workers="$jobs")
fi
"$out/fuzz_scenario" "$out/corpus" "${args[@]}"
