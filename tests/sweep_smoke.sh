#!/usr/bin/env bash
# bench/sweep.sh end to end on the committed sample data, a fraction of a second per point: it
# must write the plot (three client latency curves and the daemon's p99) and the table (closed
# loop + two open-loop rows, each with the daemon's p99 from its /metrics). No figure is judged.
set -euo pipefail
src=$1 bin=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$src/bench/sweep.sh" --data "$src/configs/sample" --duration-s 0.3 --points "0.5 1.0" \
  --bin "$bin" --out "$out" >/dev/null
curves=$(grep -c '<polyline' "$out/sweep.svg")
rows=$(grep -c '^| [0-9c]' "$out/sweep.md")
[ "$curves" -eq 4 ] || { echo "sweep_smoke: $curves curves in sweep.svg, expected 4" >&2; exit 1; }
[ "$rows" -eq 3 ] || { echo "sweep_smoke: $rows rows in sweep.md, expected 3" >&2; exit 1; }
# The daemon's own histogram saw at least every request the client measured in each step (the
# warm-up's too), and each open-loop row shows its p99.
for f in 0.5 1.0; do
  python3 -c '
import json, sys
client, server = (json.load(open(p)) for p in sys.argv[1:])
if not server["p99"] or server["count"] < client["requests"]:
    sys.exit("sweep_smoke: server histogram %s does not cover %d requests" % (server, client["requests"]))
' "$out/open-$f.json" "$out/open-$f.server.json"
done
served=$(grep -c '^| [0-9].*) |$' "$out/sweep.md")
[ "$served" -eq 2 ] || { echo "sweep_smoke: $served rows with a server p99, expected 2" >&2; exit 1; }
echo "1 passed, 0 failed"
