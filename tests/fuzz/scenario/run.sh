#!/usr/bin/env bash
# Builds and runs the scenario parser fuzzer: tests/fuzz/run.sh scenario [SECONDS] (see there for the
# environment: RK_FUZZ_SEED, RK_FUZZ_RUNS, YAML_CPP_SRC, CXX_FUZZ, RK_FUZZ_OUT, RK_FUZZ_JOBS).
exec "$(dirname "${BASH_SOURCE[0]}")/../run.sh" scenario "$@"
