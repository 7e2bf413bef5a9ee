#!/usr/bin/env bash
# bench/sweep.sh end to end on the committed sample data, a fraction of a second per point: it
# must write the plot (three latency curves) and the table (closed loop + two open-loop rows).
# No figure is judged.
set -euo pipefail
src=$1 bin=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$src/bench/sweep.sh" --data "$src/configs/sample" --duration-s 0.3 --points "0.5 1.0" \
  --bin "$bin" --out "$out" >/dev/null
curves=$(grep -c '<polyline' "$out/sweep.svg")
rows=$(grep -c '^| [0-9c]' "$out/sweep.md")
[ "$curves" -eq 3 ] || { echo "sweep_smoke: $curves curves in sweep.svg, expected 3" >&2; exit 1; }
[ "$rows" -eq 3 ] || { echo "sweep_smoke: $rows rows in sweep.md, expected 3" >&2; exit 1; }
echo "1 passed, 0 failed"
