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
PIP_PACKAGES=(h5py numpy matplotlib)

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
if [ ${#pip_missing[@]} -gt 0 ]; then
  echo "setup: pip installing ${pip_missing[*]}"
  "$PY" -m pip install --quiet "${pip_missing[@]}" || "$PY" -m pip install --quiet --break-system-packages "${pip_missing[@]}"
fi
echo "setup: done"
