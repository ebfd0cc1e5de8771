#!/usr/bin/env bash
# Installs everything RingKernel needs on a fresh Debian 12 machine (idempotent: installs only what is
# missing). System packages come from Debian, Python packages from PyPI. Run as root (or with sudo).
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev libboost-dev
  libhdf5-dev hdf5-tools libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libopenmpi-dev openmpi-bin
  clang libclang-rt-14-dev
  python3 python3-pip
)
PIP_PACKAGES=(h5py numpy pandas matplotlib)  # import names = PyPI names; the analysis package needs all four

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present"
fi

PY=${PYTHON:-python3}
pip_missing=()
for p in "${PIP_PACKAGES[@]}"; do
  "$PY" -c "import $p" 2>/dev/null || pip_missing+=("$p")
done
pip_install() {  # Debian's own python3 is "externally managed": pip needs --break-system-packages there
  "$PY" -m pip install --quiet "$@" 2>/dev/null || "$PY" -m pip install --quiet --break-system-packages "$@"
}
if [ ${#pip_missing[@]} -gt 0 ]; then
  echo "setup: pip installing ${pip_missing[*]}"
  pip_install "${pip_missing[@]}"
fi

# The analysis package python/rk_analysis (`import rk_analysis`, command `rk-report`), installed editable so
# it follows this checkout; without it, PYTHONPATH=python works the same (the tests use that).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ! "$PY" -c "import sys, rk_analysis; sys.exit(rk_analysis.__file__ != '$ROOT/python/rk_analysis/__init__.py')" 2>/dev/null; then
  echo "setup: pip installing python/ (rk_analysis, rk-report) editable"
  # Build with the setuptools + wheel already installed (Debian's python3-pip brings both) where they can
  # build editable installs (setuptools >= 64); else pip fetches them from PyPI for the build.
  isolation=()
  if "$PY" -c "import sys, setuptools, wheel; sys.exit(int(setuptools.__version__.split('.')[0]) < 64)" 2>/dev/null; then
    isolation=(--no-build-isolation)
  fi
  # Not fatal: the tests and `PYTHONPATH=python python3 -m rk_analysis.report` need no install.
  pip_install --no-deps "${isolation[@]}" -e "$ROOT/python" ||
    echo "setup: warning: could not install python/ (use PYTHONPATH=$ROOT/python)"
fi
echo "setup: done"
