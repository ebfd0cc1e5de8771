#!/usr/bin/env bash
# The main job: build the `ringkernel` executable (Release) and run a scenario on it — by default
# scenarios/ping_pong.yaml on the CPU backend. Extra arguments go to `ringkernel run`.
#   scripts/run.sh                                   # default scenario
#   scripts/run.sh scenarios/pipeline.yaml --set iterations=50000
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS" --target ringkernel
scenario=scenarios/ping_pong.yaml
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then scenario=$1; shift; fi
exec build/release/harness/cli/ringkernel run "$scenario" "$@"
