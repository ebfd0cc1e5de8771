#!/usr/bin/env bash
# shellcheck disable=SC2317  # the step functions are run indirectly, as `gpu_acceptance.sh --internal NAME`
# The first-GPU acceptance run: one prepared script for the lent GPU machine (GPU-MACHINE.md). Every step
# runs under `timeout` inside an overall budget; everything lands in $OUT (default ./gpu_out), at most
# five files, since the device tool returns 8 at most:
#   summary.json     every step: name, status, rc, seconds, timeout, key figures; the overall result
#   acceptance.log   the full output of every step
#   device.txt       nvidia-smi -q, ringkernel devices/--version, toolchain, ldd check, NCCL location
#   ptxas.txt        registers/stack/spills per kernel (from the bundle; cuobjdump -res-usage there too)
#   results.tar.gz   the HDF5 results of every run and ctest's JUnit XML
#
# Usage: scripts/gpu_acceptance.sh [--quick] [--dry-run] [--rebuild] [--bundle DIR] [--budget SECONDS]
#   (default)   full run, about 8 minutes at most (budget 460 s): bundle's binaries, or the fallback build
#   --quick     a rerun: smaller iteration counts, budget 180 s, never builds when binaries are present
#   --dry-run   print the steps and what would be skipped; run nothing
#   --rebuild   ignore the bundle and use the fallback build (device-only targets, cmake + nvcc + ninja)
# Binaries come from scripts/gpu_bundle.sh's folder (build/gpu-bundle), carried with the call:
#   device tool run: command "scripts/gpu_acceptance.sh", carry ["build/gpu-bundle"], timeout_s 540
# Without a bundle it builds device-only targets there (no HDF5/yaml-cpp there: no ringkernel binary).
# Exit: 0 every step that ran passed and a GPU was there; 1 a step failed or timed out; 77 no GPU
# (GPU steps report "skipped: no GPU": nothing was verified); 2 bad arguments.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
REPO=${REPO:-$PWD}

# --- steps that are functions, run as `gpu_acceptance.sh --internal NAME` under timeout -----------------
# (their inputs come through the environment: REPO BIN BUNDLE FALLBACK NCCL_DIR LIBPATH WORK)
with_libs() { LD_LIBRARY_PATH=$LIBPATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$@"; }
device_facts() {
  echo "### date"; date -u
  echo "### uname"; uname -a
  echo "### cpu"; grep -m1 'model name' /proc/cpuinfo; nproc
  echo "### memory"; free -g 2>/dev/null || head -n3 /proc/meminfo
  echo "### glibc"; ldd --version 2>&1 | head -n1
  echo "### nvidia-smi -q"; if command -v nvidia-smi >/dev/null; then nvidia-smi -q; else echo "no nvidia-smi"; fi
  echo "### nvcc"; if command -v nvcc >/dev/null; then nvcc --version; elif [ -x /usr/local/cuda/bin/nvcc ]; then /usr/local/cuda/bin/nvcc --version; else echo "no nvcc"; fi
  echo "### tools"; for t in cmake ninja ctest compute-sanitizer cuobjdump ncu python3; do printf '%-18s %s\n' "$t" "$(command -v "$t" || echo missing)"; done
  echo "### NCCL"; echo "${NCCL_DIR:-libnccl.so.2 not found}"
  echo "### LD_LIBRARY_PATH for our binaries"; echo "$LIBPATH"
  echo "### bundle"; if [ "$FALLBACK" = 0 ]; then cat "$BUNDLE/MANIFEST"; else echo "none: fallback build"; fi
  echo "### ldd (missing libraries fail this step)"
  local miss=0 b
  for b in "$BIN"/*; do
    [ -x "$b" ] || continue
    echo "-- $b"
    with_libs ldd "$b" 2>&1 | tee "$WORK/ldd.txt"
    if grep -q 'not found' "$WORK/ldd.txt"; then miss=1; echo "MISSING LIBRARIES for $(basename "$b")"; fi
  done
  if [ -x "$BIN/ringkernel" ]; then
    echo "### ringkernel --version"; with_libs "$BIN/ringkernel" --version
    echo "### ringkernel devices"; with_libs "$BIN/ringkernel" devices
  fi
  if [ "$miss" = 0 ]; then echo "ldd: every library found"; else echo "ldd: libraries missing"; fi
  return "$miss"
}
fallback_build() {
  set -e
  local b=$REPO/build/gpu-fallback
  cmake -S "$REPO" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRK_ENABLE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DRK_BUILD_HARNESS=OFF -DRK_BUILD_TESTS=OFF -DRK_BUILD_BENCHMARKS=OFF -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON
  cmake --build "$b" -j"$(nproc)"
  mkdir -p "$b/bin"
  local nvcc
  nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  # The device check needs only kernels/core and kernels/cuda headers (no GoogleTest, no HDF5).
  "$nvcc" -std=c++20 --expt-relaxed-constexpr -O3 -arch=sm_90 -Xptxas=-warn-spills,-Werror -Werror=all-warnings \
    -I"$REPO/kernels/core/include" -I"$REPO/kernels/cuda/include" "$REPO/tests/device/device_check.cu" -o "$b/bin/rk_device_check"
}
ptxas_report() {
  if [ -f "$BUNDLE/ptxas.md" ]; then
    echo "### registers, stack, spills per kernel (ptxas -v, sm_90; built on the CPU machine, bundle)"; cat "$BUNDLE/ptxas.md"
    echo; echo "### raw ptxas -v"; cat "$BUNDLE/ptxas.txt"
  else
    echo "no ptxas report in a bundle"
  fi
  if command -v cuobjdump >/dev/null && [ -x "$BIN/ringkernel" ]; then
    echo "### cuobjdump -res-usage ringkernel (on this machine)"; cuobjdump -res-usage "$BIN/ringkernel"
  fi
}
if [ "${1:-}" = --internal ]; then
  "$2"
  exit $?
fi

MODE=full
DRY=0
REBUILD=0
BUNDLE=build/gpu-bundle
BUDGET=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) MODE=quick ;;
    --dry-run) DRY=1 ;;
    --rebuild) REBUILD=1 ;;
    --bundle) BUNDLE=${2:?--bundle needs a folder}; shift ;;
    --budget) BUDGET=${2:?--budget needs seconds}; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "gpu_acceptance.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$BUDGET" ]; then
  if [ "$MODE" = quick ]; then BUDGET=180; else BUDGET=460; fi
fi
case $BUNDLE in /*) ;; *) BUNDLE=$REPO/$BUNDLE ;; esac

OUT=${OUT:-$REPO/gpu_out}
case $OUT in /*) ;; *) OUT=$REPO/$OUT ;; esac
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rk_accept.XXXXXX")
mkdir -p "$WORK/results" "$WORK/steps"
LOG=$OUT/acceptance.log
SUMMARY=$OUT/summary.json
START=$(date +%s)
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
: >"$LOG"
: >"$WORK/steps.jsonl"
unset RK_CUDA_FAKE  # the fake CUDA layer is never GPU verification

say() { printf '%s\n' "$*" | tee -a "$LOG"; }

json_str() {  # a JSON string literal of $1
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=$(printf '%s' "$s" | tr -d '\000-\010\013-\037' | tr '\t\n' '  ')
  printf '"%s"' "$s"
}

# --- what is there -------------------------------------------------------------------------------------
GPU_NAME=
if command -v nvidia-smi >/dev/null 2>&1; then
  GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n1)
fi
have_gpu() { [ -n "$GPU_NAME" ]; }

BIN=
LIBPATH=
FALLBACK=0
if [ "$REBUILD" = 0 ] && [ -x "$BUNDLE/bin/ringkernel" ]; then
  BIN=$BUNDLE/bin
else
  FALLBACK=1
  BIN=$REPO/build/gpu-fallback/bin
fi

find_nccl() {  # the folder of libnccl.so.2: the image's nvidia-nccl-cu13 wheel, else the loader's cache
  local d
  d=$(python3 - 2>/dev/null <<'PY'
import importlib.util, os
spec = importlib.util.find_spec("nvidia.nccl")
for p in (spec.submodule_search_locations or []) if spec else []:
    if os.path.exists(os.path.join(p, "lib", "libnccl.so.2")):
        print(os.path.join(p, "lib")); break
PY
)
  if [ -z "$d" ]; then
    d=$(ldconfig -p 2>/dev/null | awk '/libnccl\.so\.2 /{print $NF; exit}')
    [ -n "$d" ] && d=$(dirname "$d")
  fi
  printf '%s' "$d"
}
NCCL_DIR=$(find_nccl)

setup_libpath() {  # LD_LIBRARY_PATH for our binaries only (the image's own tools keep theirs)
  LIBPATH=$BUNDLE/lib
  [ -n "$NCCL_DIR" ] && LIBPATH=$LIBPATH:$NCCL_DIR
  if [ "$FALLBACK" = 0 ] && [ -d "$BUNDLE/lib-compat" ]; then
    local missing
    missing=$(for b in "$BIN"/*; do LD_LIBRARY_PATH=$LIBPATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ldd "$b" 2>&1; done |
              grep -E 'libstdc\+\+|libgcc_s' | grep -c 'not found')
    if [ "$missing" -gt 0 ]; then LIBPATH=$LIBPATH:$BUNDLE/lib-compat; fi
  fi
}
setup_libpath

# --- the step runner -----------------------------------------------------------------------------------
FAILED=0
write_summary() {
  local result
  if [ "$DRY" = 1 ]; then result="dry run: nothing executed"
  elif [ "$FAILED" -gt 0 ]; then result="failed: $FAILED step(s) failed or timed out"
  elif ! have_gpu; then result="no GPU: GPU steps skipped, nothing verified on a GPU"
  else result="passed: every step that ran passed"; fi
  {
    printf '{\n  "script": "scripts/gpu_acceptance.sh",\n  "mode": "%s",\n  "started": "%s",\n' "$MODE" "$STARTED"
    printf '  "elapsed_s": %d,\n  "budget_s": %d,\n' "$(( $(date +%s) - START ))" "$BUDGET"
    printf '  "host": %s,\n  "gpu": %s,\n' "$(json_str "$(uname -srm)")" "$(if have_gpu; then json_str "$GPU_NAME"; else echo null; fi)"
    printf '  "binaries": %s,\n  "commit": %s,\n' "$(json_str "$(if [ "$FALLBACK" = 1 ]; then echo "fallback build"; else echo "bundle $BUNDLE"; fi)")" \
      "$(json_str "$(head -n1 "$BUNDLE/MANIFEST" 2>/dev/null || git rev-parse HEAD 2>/dev/null || echo unknown)")"
    printf '  "result": %s,\n  "steps": [\n' "$(json_str "$result")"
    sed '$!s/$/,/' "$WORK/steps.jsonl" | sed 's/^/    /'
    printf '  ]\n}\n'
  } >"$SUMMARY.tmp" && mv "$SUMMARY.tmp" "$SUMMARY"
}

record() {  # name status rc seconds timeout figures-file
  local figs="[]"
  if [ -n "${6:-}" ] && [ -s "$6" ]; then
    figs="[$(while IFS= read -r l; do json_str "$l"; printf ','; done <"$6" | sed 's/,$//')]"
  fi
  printf '{"name": %s, "status": %s, "rc": %s, "seconds": %s, "timeout_s": %s, "figures": %s}\n' \
    "$(json_str "$1")" "$(json_str "$2")" "${3:-null}" "${4:-null}" "${5:-null}" "$figs" >>"$WORK/steps.jsonl"
  write_summary
}

figures() {  # key lines of a step's output (the summary table's figures, verdicts)
  grep -E '^ldd:|^  cuda |verification|round.trip|p50|p99|throughput|msgs/s|messages/s|results +|tests passed|tests failed|ERROR SUMMARY|Device [0-9]|NVIDIA|skipped|passed|FAILED|error' "$1" 2>/dev/null |
    sed 's/^[[:space:]]*//' | head -n 16
}

# step NAME NEEDS TIMEOUT EXPECT -- COMMAND...   NEEDS: gpu|any|ringkernel|gpu+ringkernel; EXPECT: a regex the
# output must hold for a pass ("" for none). Exit 77 is "skipped (exit 77)", never a pass.
step() {
  local name=$1 needs=$2 limit=$3 expect=$4
  shift 5
  local now remaining
  now=$(date +%s)
  remaining=$(( START + BUDGET - now ))
  if [ "$DRY" = 1 ]; then
    local note=""
    case $needs in *gpu*) have_gpu || note=" -> skipped: no GPU" ;; esac
    case $needs in *ringkernel*) [ -x "$BIN/ringkernel" ] || note="$note -> skipped: no ringkernel binary" ;; esac
    say "[dry-run] $name (timeout ${limit}s${expect:+, expects /$expect/})$note: $*"
    record "$name" "dry-run" "" "" "$limit" ""
    return 0
  fi
  case $needs in *gpu*)
    if ! have_gpu; then say "== $name: skipped: no GPU"; record "$name" "skipped: no GPU" "" "" "$limit" ""; return 0; fi ;;
  esac
  case $needs in *ringkernel*)
    if [ ! -x "$BIN/ringkernel" ]; then
      say "== $name: skipped: no ringkernel binary (the fallback build cannot build the harness without HDF5/yaml-cpp)"
      record "$name" "skipped: no ringkernel binary" "" "" "$limit" ""; return 0
    fi ;;
  esac
  if [ "$remaining" -lt 15 ]; then
    say "== $name: skipped: budget spent (${remaining}s left)"; record "$name" "skipped: budget" "" "" "$limit" ""; return 0
  fi
  [ "$limit" -gt $(( remaining - 5 )) ] && limit=$(( remaining - 5 ))
  local out=$WORK/steps/$name.out t0 t1 rc status
  say "== $name (timeout ${limit}s): $*"
  t0=$(date +%s.%N)
  timeout -k 10 "$limit" "$@" >"$out" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  cat "$out" >>"$LOG"
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then status="timeout"
  elif [ "$rc" = 77 ]; then status="skipped (exit 77)"
  elif [ "$rc" != 0 ]; then status="failed"
  elif [ -n "$expect" ] && ! grep -Eq "$expect" "$out"; then status="failed: output lacks /$expect/"
  elif [ -n "${REJECT:-}" ] && grep -Eq "$REJECT" "$out"; then status="failed: output holds /$REJECT/"
  else status="passed"; fi
  case $status in failed*|timeout) FAILED=$(( FAILED + 1 )) ;; esac
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  say "-- $name: $status (rc $rc, ${secs}s)"
  figures "$out" >"$out.fig"
  record "$name" "$status" "$rc" "$secs" "$limit" "$out.fig"
}

finish() {
  trap - EXIT INT TERM
  write_summary
  if [ "$DRY" = 0 ]; then
    tar -czf "$OUT/results.tar.gz" -C "$WORK" results steps 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap finish EXIT
trap 'say "interrupted"; exit 130' INT TERM

# --- steps ---------------------------------------------------------------------------------------------
say "gpu_acceptance.sh: mode $MODE, budget ${BUDGET}s, OUT=$OUT, GPU: ${GPU_NAME:-none}, binaries: $(if [ "$FALLBACK" = 1 ]; then echo "fallback build ($BIN)"; else echo "bundle ($BUNDLE)"; fi)"

export REPO BIN BUNDLE FALLBACK NCCL_DIR LIBPATH WORK
SELF=$REPO/scripts/gpu_acceptance.sh
step device_facts any 60 "ldd: every library found" -- "$SELF" --internal device_facts
[ "$DRY" = 0 ] && cp "$WORK/steps/device_facts.out" "$OUT/device.txt" 2>/dev/null

if [ "$FALLBACK" = 1 ]; then
  step fallback_build any 300 "" -- "$SELF" --internal fallback_build
else
  say "== fallback_build: skipped: bundle present"; record fallback_build "skipped: bundle present" "" "" "" ""
fi

step ptxas_report any 60 "" -- "$SELF" --internal ptxas_report
[ "$DRY" = 0 ] && cp "$WORK/steps/ptxas_report.out" "$OUT/ptxas.txt" 2>/dev/null

# ctest -L gpu: the bundle's gpu-labelled tests (paths filled in here), or the fallback's device check.
if [ "$FALLBACK" = 0 ] && [ -f "$BUNDLE/ctest/CTestTestfile.cmake.in" ]; then
  mkdir -p "$WORK/ctest"
  sed -e "s|@BUNDLE@/build|$BUNDLE/build|g" -e "s|@BUNDLE@|$BUNDLE|g" -e "s|@REPO@|$REPO|g" \
    "$BUNDLE/ctest/CTestTestfile.cmake.in" >"$WORK/ctest/CTestTestfile.cmake"
  # A test that skips itself (exit 77) on a GPU machine is a failure here, not a pass.
  REJECT='\(Skipped\)|tests did not run' step ctest_gpu gpu 180 "tests passed" -- env LD_LIBRARY_PATH="$LIBPATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    ctest --test-dir "$WORK/ctest" -L gpu --output-on-failure --timeout 120 --output-junit "$WORK/results/ctest_gpu.xml"
else
  step ctest_gpu gpu 120 "" -- "$BIN/rk_device_check"  # exit 77 there is "skipped (exit 77)", not a pass
fi

# The four synthetic scenarios on the GPU, each to "verification passed"; then every scenarios/gpu/*.yaml.
declare -A QUICK_ITERS=([ping_pong]=20000 [pipeline]=20000 [fan_out]=100000 [all_to_all]=1000)
for s in ping_pong pipeline fan_out all_to_all; do
  sets=()
  [ "$MODE" = quick ] && sets=(--set "iterations=${QUICK_ITERS[$s]}")
  step "scenario_$s" gpu+ringkernel 90 "verification +passed" -- \
    env LD_LIBRARY_PATH="$LIBPATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$BIN/ringkernel" run "scenarios/$s.yaml" --backend cuda "${sets[@]}" --output "$WORK/results/$s.h5"
done
shopt -s nullglob
for f in scenarios/gpu/*.yaml; do
  s=$(basename "$f" .yaml)
  step "gpu_scenario_$s" gpu+ringkernel 120 "verification +passed" -- \
    env LD_LIBRARY_PATH="$LIBPATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$BIN/ringkernel" run "$f" --backend cuda --output "$WORK/results/gpu_$s.h5"
done
shopt -u nullglob

# compute-sanitizer on a short ping_pong (memcheck, racecheck) where it exists.
SANITIZER=$(command -v compute-sanitizer || { [ -x /usr/local/cuda/bin/compute-sanitizer ] && echo /usr/local/cuda/bin/compute-sanitizer; } || true)
for tool in memcheck racecheck; do
  if [ -z "$SANITIZER" ] && [ "$DRY" = 0 ] && have_gpu; then
    say "== sanitizer_$tool: skipped: no compute-sanitizer"; record "sanitizer_$tool" "skipped: no compute-sanitizer" "" "" "" ""
    continue
  fi
  iters=500; [ "$tool" = racecheck ] && iters=100
  step "sanitizer_$tool" gpu+ringkernel 90 "ERROR SUMMARY: 0 errors" -- \
    env LD_LIBRARY_PATH="$LIBPATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "${SANITIZER:-compute-sanitizer}" --tool "$tool" --error-exitcode 1 \
    "$BIN/ringkernel" run scenarios/ping_pong.yaml --backend cuda --set "iterations=$iters" \
    --output "$WORK/results/sanitizer_$tool.h5"
done

say "== done in $(( $(date +%s) - START ))s: $(if [ "$FAILED" -gt 0 ]; then echo "$FAILED step(s) failed"; elif ! have_gpu; then echo "no GPU: GPU steps skipped"; else echo "all steps that ran passed"; fi)"
say "   results in $OUT (summary.json, acceptance.log, device.txt, ptxas.txt, results.tar.gz)"
if [ "$DRY" = 1 ]; then exit 0; fi
if [ "$FAILED" -gt 0 ]; then exit 1; fi
have_gpu || exit 77
exit 0
