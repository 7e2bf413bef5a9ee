#!/usr/bin/env bash
# hourglass-gen is deterministic and its output feeds the benchmark:
# generate a small set twice, compare byte for byte, then smoke-run the
# micro-benchmarks on it (a few milliseconds each; no timing is judged).
set -euo pipefail
gen=$1 bench=$2 cities=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(--seed 7 --stores 300 --cities 25 --skus 3000 --per-store 300 --orders 2000 --cities-csv "$cities")
"$gen" "${args[@]}" --out "$tmp/a" >/dev/null
"$gen" "${args[@]}" --out "$tmp/b" >/dev/null
for f in stores.csv stock.csv orders.ndjson; do
  cmp "$tmp/a/$f" "$tmp/b/$f"
done
"$gen" --seed 8 "${args[@]:2}" --out "$tmp/c" >/dev/null
if cmp -s "$tmp/a/stock.csv" "$tmp/c/stock.csv"; then
  echo "a different seed gave the same stock" >&2
  exit 1
fi
[ "$(wc -l < "$tmp/a/stores.csv")" -eq 301 ]
[ "$(wc -l < "$tmp/a/orders.ndjson")" -eq 2000 ]
HOURGLASS_DEMO_DIR="$tmp/a" "$bench" --benchmark_min_time=0.01 --benchmark_format=json \
  > "$tmp/bench.json"
if grep -q '"error_occurred": true' "$tmp/bench.json"; then
  grep '"error_message"' "$tmp/bench.json" >&2
  exit 1
fi
grep -c '"name": "BM_' "$tmp/bench.json"
echo "1 passed, 0 failed"
