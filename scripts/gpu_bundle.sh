#!/usr/bin/env bash
# Builds the `gpu` preset HERE (Release, sm_90, CUDA on, cudart static, no MPI) and bundles what the lent
# GPU machine needs into one ignored folder (default build/gpu-bundle), since that machine has none of our
# Debian libraries (GPU-MACHINE.md):
#   bin/        ringkernel, the gpu-labelled test binaries, the device checks (stripped copies)
#   lib/        every shared library they load per `ldd`, except the system ones (glibc, the driver) and
#               NCCL (the image's nvidia-nccl-cu13 wheel provides libnccl.so.2; gpu_acceptance.sh finds it)
#   lib-compat/ libstdc++ and libgcc_s, used only when the image lacks them (gpu_acceptance.sh decides)
#   ctest/CTestTestfile.cmake.in  the gpu-labelled tests with @BUNDLE@/@REPO@ for the paths, so that
#               `ctest -L gpu` runs there from the bundle
#   ptxas.txt, ptxas.md, ptxas.json  registers/stack/spills per kernel (ptx_check.py resources)
#   MANIFEST    commit, date, toolchain, files and sizes
# Usage: scripts/gpu_bundle.sh [BUNDLE_DIR]     (JOBS=N for the build's parallelism; default 2)
# Then: the device tool's run with carry ["build/gpu-bundle"] and `scripts/gpu_acceptance.sh` (see there).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bundle=${1:-build/gpu-bundle}
build=build/gpu
limit_mib=48
export CCACHE_BASEDIR=$repo CCACHE_NOHASHDIR=true

echo "== configure (preset gpu)"
cmake --preset gpu >/dev/null
available=$(cmake --build --preset gpu --target help | sed -n 's/^\([A-Za-z0-9_.+-]*\): .*/\1/p')
has_target() { grep -qx "$1" <<<"$available"; }
targets=()
for t in ringkernel rk_device_check rk_nccl_check rk_cuda_gpu_tests rk_gate_entries_ptx; do
  if has_target "$t"; then targets+=("$t"); else echo "note: no target $t in this tree"; fi
done
echo "== build: ${targets[*]}"
cmake --build --preset gpu -j"${JOBS:-2}" --target "${targets[@]}"

rm -rf "$bundle"
mkdir -p "$bundle"/{bin,lib,lib-compat,ctest}

# The gpu-labelled tests as ctest sees them after the build (gtest-discovered ones included).
ctest --test-dir "$build" -L gpu --show-only=json-v1 >"$bundle/ctest/tests.json"
python3 - "$bundle" "$repo" "$build" <<'PY'
import json, os, shutil, sys
bundle, repo, build = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
tests = json.load(open(os.path.join(bundle, "ctest/tests.json")))["tests"]
lines, exes = [], set()
def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
for t in tests:
    cmd = t.get("command") or []
    if not cmd or not os.path.isfile(cmd[0]):
        print(f"note: test {t['name']} skipped: its binary {cmd[:1]} was not built")
        continue
    exe = cmd[0]
    if not exe.startswith(build):
        print(f"note: test {t['name']} skipped: its command {exe} is not a binary of {build}")
        continue
    exes.add(exe)
    args = [a.replace(build, "@BUNDLE@/build").replace(repo, "@REPO@") for a in cmd[1:]]
    lines.append(f"add_test({q(t['name'])} {q('@BUNDLE@/bin/' + os.path.basename(exe))} {' '.join(q(a) for a in args)})")
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    keep = []
    if "LABELS" in props: keep.append(f"LABELS {q(';'.join(props['LABELS']))}")
    if "SKIP_RETURN_CODE" in props: keep.append(f"SKIP_RETURN_CODE {props['SKIP_RETURN_CODE']}")
    if "TIMEOUT" in props: keep.append(f"TIMEOUT {props['TIMEOUT']}")
    if "WILL_FAIL" in props and props["WILL_FAIL"]: keep.append("WILL_FAIL ON")
    keep.append("WORKING_DIRECTORY \"@REPO@\"")
    lines.append(f"set_tests_properties({q(t['name'])} PROPERTIES {' '.join(keep)})")
open(os.path.join(bundle, "ctest/CTestTestfile.cmake.in"), "w").write("\n".join(lines) + "\n")
open(os.path.join(bundle, "ctest/binaries.txt"), "w").write("\n".join(sorted(exes)) + "\n")
print(f"{len(lines) // 2} gpu-labelled tests from {len(exes)} binaries")
PY

# Binaries: ringkernel, the test binaries, the device checks.
bins=("$build/harness/cli/ringkernel")
while IFS= read -r b; do [ -n "$b" ] && bins+=("$b"); done <"$bundle/ctest/binaries.txt"
mapfile -t bins < <(printf '%s\n' "${bins[@]}" | sort -u)
for b in "${bins[@]}"; do
  cp -L "$b" "$bundle/bin/"
  if command -v strip >/dev/null; then strip --strip-unneeded "$bundle/bin/$(basename "$b")"; fi
done

# Shared libraries per ldd. System ones stay behind: glibc and the loader, the CUDA driver (the machine's),
# NCCL (the image's wheel). libstdc++/libgcc_s go to lib-compat, loaded only if the image lacks them.
system_re='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libresolv|libutil|libcuda\.so|libnvidia-|libnccl\.so)'
compat_re='^(libstdc\+\+\.so|libgcc_s\.so)'
for b in "${bins[@]}"; do
  ldd "$b" | awk '/=> \// {print $1, $3}'
done | sort -u | while read -r soname path; do
  if [[ $soname =~ $system_re ]]; then continue; fi
  if [[ $soname =~ $compat_re ]]; then cp -L "$path" "$bundle/lib-compat/$soname"; continue; fi
  cp -L "$path" "$bundle/lib/$soname"
done

# ptxas report for the loop instantiations of this build (the table in benchmarks/README.md).
ptx=$(find "$build/tests/device" -name device_entries.ptx | head -n1 || true)
if [ -n "$ptx" ]; then
  nvcc_dir=$(dirname "$(grep -m1 '^CMAKE_CUDA_COMPILER:' "$build/CMakeCache.txt" | cut -d= -f2)")
  python3 scripts/ptx_check.py resources "$ptx" --ptxas "$nvcc_dir/ptxas" --arch sm_90 --markdown \
    --log "$bundle/ptxas.txt" --json "$bundle/ptxas.json" >"$bundle/ptxas.md"
  python3 scripts/ptx_check.py loop "$ptx" --min-entries 1 --allow-byte-loops '.' >"$bundle/ptx_loop.txt" || true
fi

{
  echo "commit $(git rev-parse HEAD)$(git diff --quiet HEAD -- . ':!build' 2>/dev/null || echo ' (working tree differs)')"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm), $(ldd --version | head -n1)"
  grep -m1 '^CMAKE_CUDA_COMPILER_VERSION\|CMAKE_CUDA_COMPILER:' "$build/CMakeCache.txt" || true
  "$(dirname "$(grep -m1 '^CMAKE_CUDA_COMPILER:' "$build/CMakeCache.txt" | cut -d= -f2)")/nvcc" --version | tail -n2
  echo "preset gpu: Release, sm_90, cudart static, MPI off"
  echo
  (cd "$bundle" && find . -type f ! -name MANIFEST -printf '%10s  %p\n' | sort -k2)
} >"$bundle/MANIFEST"

bytes=$(du -sb "$bundle" | cut -f1)
mib=$(( (bytes + 1048575) / 1048576 ))
echo "== bundle $bundle: $(find "$bundle" -type f | wc -l) files, $bytes bytes (~${mib} MiB; limit ${limit_mib} MiB, the device tool carries 64 MiB with the tree)"
ls -la "$bundle/bin" "$bundle/lib"
if [ "$mib" -gt "$limit_mib" ]; then
  echo "error: the bundle is over ${limit_mib} MiB" >&2
  exit 1
fi
