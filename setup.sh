#!/usr/bin/env bash
# Installs the Debian 12 packages Hourglass builds with (only the missing
# ones; needs root or sudo for that) and builds it in Release mode into build/.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(cmake g++ pkg-config libboost1.81-dev libjemalloc-dev libsimdjson-dev
          libbenchmark-dev libgtest-dev libtomlplusplus-dev libpq-dev postgresql
          redis-server postgresql-15-postgis-3 python3 libcli11-dev libsystemd-dev libssl-dev
          openssl chromium zlib1g-dev)
# The CI's fuzz jobs (tests/ci_hardening.sh) also need clang and libFuzzer; .ci/run asks for them.
if [ "${HOURGLASS_CI_PACKAGES:-0}" = 1 ]; then PACKAGES+=(clang-14 libclang-rt-14-dev); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root (or install sudo) to install packages" >&2; exit 1; }
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
