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

# The optional streams leave the original files alone (stores.csv only gains radius_km), are
# deterministic too, and hold what they promise.
extra=(--radius-km 3-8 --flash-orders 50 --stock-updates 400)
"$gen" "${args[@]}" "${extra[@]}" --out "$tmp/d" >/dev/null
"$gen" "${args[@]}" "${extra[@]}" --out "$tmp/e" >/dev/null
for f in stores.csv stock.csv orders.ndjson flash.ndjson stock_updates.ndjson; do
  cmp "$tmp/d/$f" "$tmp/e/$f"
done
cmp "$tmp/a/stock.csv" "$tmp/d/stock.csv"
cmp "$tmp/a/orders.ndjson" "$tmp/d/orders.ndjson"
cmp <(cut -d, -f1-4 "$tmp/d/stores.csv" | sed 1d) <(sed 1d "$tmp/a/stores.csv")
[ "$(head -1 "$tmp/d/stores.csv")" = "store_id,lat,lon,city,radius_km" ]
awk -F, 'NR > 1 && !($5 >= 3 && $5 <= 8) { bad = 1 } END { exit bad }' "$tmp/d/stores.csv"
[ "$(wc -l < "$tmp/d/flash.ndjson")" -eq 50 ]
[ "$(grep -c '"items":\[{"sku":"SKU-00001","qty":1}\]}$' "$tmp/d/flash.ndjson")" -eq 50 ]
[ "$(wc -l < "$tmp/d/stock_updates.ndjson")" -eq 400 ]
# every POS update names a (store, SKU) row of stock.csv
sed -E 's/.*"store":"([^"]+)","sku":"([^"]+)".*/\1,\2/' "$tmp/d/stock_updates.ndjson" | sort -u \
  > "$tmp/updated"
cut -d, -f1,2 "$tmp/d/stock.csv" | sort > "$tmp/stocked"
[ -z "$(comm -23 "$tmp/updated" "$tmp/stocked")" ]
# more lines per order when asked: 1..20, and some above 5
"$gen" "${args[@]}" --max-items 20 --out "$tmp/f" >/dev/null
awk -F'"sku"' '{ n = NF - 1; if (n < 1 || n > 20) bad = 1; if (n > 5) big++ }
               END { exit bad || big == 0 }' "$tmp/f/orders.ndjson"
HOURGLASS_DEMO_DIR="$tmp/a" "$bench" --benchmark_min_time=0.01 --benchmark_format=json \
  > "$tmp/bench.json"
if grep -q '"error_occurred": true' "$tmp/bench.json"; then
  grep '"error_message"' "$tmp/bench.json" >&2
  exit 1
fi
grep -c '"name": "BM_' "$tmp/bench.json"
echo "1 passed, 0 failed"
