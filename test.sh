#!/usr/bin/env bash
# Installs, builds and runs the whole test suite (unit, integration through
# the real daemon over TCP, generator and benchmark smoke runs).
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 600
