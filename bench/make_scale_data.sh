#!/usr/bin/env bash
# Writes the data sets for the micro-benchmarks' scaling curve over store
# counts: DIR/stores-1000, stores-10000 and stores-100000, each from
# hourglass-gen with the demo's shape (480 cities, 20,000 SKUs) and 1,000 SKUs
# stocked per store, so the largest holds 10^8 stock rows (about 2 GB of CSV).
#   bench/make_scale_data.sh DIR [counts...]
#   HOURGLASS_SCALE_DIR=DIR build/bin/hourglass-microbench --benchmark_filter=Stores
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/make_scale_data.sh DIR [store counts...]}
shift
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 10000 100000)
for n in "${counts[@]}"; do
  [ -f "$out/stores-$n/orders.ndjson" ] && continue
  build/bin/hourglass-gen --seed 42 --stores "$n" --per-store 1000 --orders 20000 \
    --out "$out/stores-$n" >/dev/null
  echo "$out/stores-$n: $(($(wc -l < "$out/stores-$n/stock.csv") - 1)) stock rows"
done
