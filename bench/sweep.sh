#!/usr/bin/env bash
# Latency against throughput: starts hourglassd on a generated data set, finds the closed-loop
# maximum (8 connections x 32 pipelined), then runs the open loop at 10 %, 20 %, ... 100 % of
# it (latency from each request's intended send time, so no coordinated omission) and draws
# p50 / p99 / p99.9 against the achieved rate into sweep.svg, with a table in sweep.md. The
# daemon's own latency for each step (read to answer written) comes from its /metrics histogram,
# scraped before and after the step (bench/server_latency.py).
#
#   bench/sweep.sh --data DIR [--workload quote|reserve|mixed] [--sync always|batch|none]
#                  [--points "0.1 0.2 ..."] [--duration-s S] [--stock-updates FILE --stock-rate R]
#                  [--out DIR] [--bin DIR]
# DIR holds stores.csv, stock.csv, orders.ndjson (hourglass-gen; for reserving workloads give
# it --max-qty 100000 so stock does not run out during the sweep).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
data="" workload=quote sync=batch points="0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0" duration=5
out="" bin="$repo/build/bin" feed=()
command="bench/sweep.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case $1 in
    --data) data=$(cd "$2" && pwd); shift 2 ;;
    --workload) workload=$2; shift 2 ;;
    --sync) sync=$2; shift 2 ;;
    --points) points=$2; shift 2 ;;
    --duration-s) duration=$2; shift 2 ;;
    --stock-updates) feed+=(--stock-updates "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
    --stock-rate) feed+=(--stock-rate "$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "sweep: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$data" ] || { echo "sweep: --data DIR is required (see --help)" >&2; exit 2; }
[ -n "$out" ] || out=$(mktemp -d /tmp/hourglass-sweep.XXXXXX)
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ "$out" != / ] || { echo "sweep: --out must not be /" >&2; exit 2; }

printf '%s\n' "[server]" 'listen = "127.0.0.1:0"' "io_threads = 2" "[data]" \
  "stores = \"$data/stores.csv\"" "stock = \"$data/stock.csv\"" "dir = \"$out/var\"" \
  "[journal]" "sync = \"$sync\"" "[admin]" 'listen = "127.0.0.1:0"' > "$out/hourglass.toml"
rm -rf "${out:?}/var"
: > "$out/daemon.out"
"$bin/hourglassd" --config "$out/hourglass.toml" > "$out/daemon.out" 2> "$out/daemon.err" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null && wait $pid 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 1200); do
  port=$(sed -n 's/^hourglassd: listening on .*:\([0-9][0-9]*\)$/\1/p' "$out/daemon.out")
  [ -n "$port" ] && break
  kill -0 $pid 2>/dev/null || { cat "$out/daemon.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "sweep: hourglassd did not start" >&2; exit 1; }
admin=$(sed -n 's/^hourglassd: admin listening on [^:]*:\([0-9][0-9]*\).*$/\1/p' "$out/daemon.out")
[ -n "$admin" ] || { echo "sweep: no admin listener line in $out/daemon.out" >&2; exit 1; }
scrape() { curl -sf "http://127.0.0.1:$admin/metrics" > "$1"; }

bench() {  # json_file args...
  local json=$1
  shift
  "$bin/hourglass-bench" --port "$port" --orders "$data/orders.ndjson" --workload "$workload" \
    --duration-s "$duration" --warmup-s 1 --json "$json" "${feed[@]}" "$@" > "${json%.json}.txt" ||
    echo "sweep: a run had errors: see ${json%.json}.txt" >&2
}
bench "$out/closed.json" --connections 8 --depth 32
max=$(sed -n 's/^  "throughput_rps": \([0-9.]*\),$/\1/p' "$out/closed.json")
echo "closed loop 8 x 32: $max req/s"
for f in $points; do
  rate=$(awk -v m="$max" -v f="$f" 'BEGIN { printf "%.0f", m * f }')
  scrape "$out/open-$f.metrics-before"
  bench "$out/open-$f.json" --connections 8 --threads 2 --rate "$rate"
  scrape "$out/open-$f.metrics-after"
  # Every workload's orders are route requests (with reserve or not): one histogram.
  python3 "$here/server_latency.py" --op route "$out/open-$f.metrics-before" \
    "$out/open-$f.metrics-after" > "$out/open-$f.server.json"
  echo "open loop at $f x max = $rate req/s: $(grep -E '^  latency' "$out/open-$f.txt")"
done
python3 "$here/plot_sweep.py" --title "$command" --out "$out/sweep.svg" --table "$out/sweep.md" \
  "$out/closed.json" "$out"/open-*.json
echo "sweep: $out/sweep.svg, $out/sweep.md"
