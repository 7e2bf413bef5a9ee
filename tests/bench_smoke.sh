#!/usr/bin/env bash
# hourglass-bench against the real hourglassd on the committed sample data: every workload runs
# ~2 s and must come back clean (exit 0, requests > 0, no errors); a request the daemon refuses
# must make it exit 1; the daemon must then stop with exit 0 on SIGTERM. No figure is judged.
set -euo pipefail
daemon=$1 bench=$2 src=$3
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "bench_smoke: $*" >&2
  [ -f "$tmp/daemon.err" ] && sed 's/^/  hourglassd: /' "$tmp/daemon.err" >&2
  exit 1
}

# Created before the daemon starts: the background shell opens them later, and the first
# read below would otherwise find no file and end the script (set -e).
: >"$tmp/daemon.out"
: >"$tmp/daemon.err"
# The sample config with the data paths made absolute and [limits] request_deadline_ms off: this
# test is about the load client, and on a shared VM running the suite in parallel one fdatasync
# can stall past the 1 s deadline, which correctly refuses every change meanwhile
# (deadline_exceeded) and would fail the "no errors" check; the deadline has tests of its own.
sed -e "s|^stores = \"sample/|stores = \"$src/configs/sample/|" \
  -e "s|^stock = \"sample/|stock = \"$src/configs/sample/|" \
  -e 's|^request_deadline_ms = .*|request_deadline_ms = 0|' \
  "$src/configs/sample.toml" >"$tmp/hourglass.toml"
grep -q '^request_deadline_ms = 0$' "$tmp/hourglass.toml" || fail "could not turn the deadline off"
"$daemon" --config "$tmp/hourglass.toml" --listen 127.0.0.1:0 --data-dir "$tmp/var" \
  >"$tmp/daemon.out" 2>"$tmp/daemon.err" &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^hourglassd: listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/daemon.out")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "hourglassd exited before listening"
  sleep 0.1
done
[ -n "$port" ] || fail "hourglassd did not print its port within 10 s"

# A top-level number of the report, which hourglass-bench writes one "key": value per line.
json_number() { sed -n "s/^  \"$1\": \([0-9][0-9]*\),\{0,1\}\$/\1/p" "$2"; }

run_bench() {  # workload warmup_s orders_file extra args...
  local workload=$1 warmup=$2 orders=$3
  shift 3
  "$bench" --port "$port" --orders "$orders" --workload "$workload" --connections 4 --depth 8 \
    --warmup-s "$warmup" --json "$tmp/out.json" "$@"
}

# mixed first and without warm-up: the sample stock is small, and once a reserve run holds all
# of it (for the 15-minute TTL) nothing more can be reserved, so commit/release would go unused.
for spec in mixed:0 reserve:0.5 quote:0.5; do
  workload=${spec%%:*}
  rc=0
  run_bench "$workload" "${spec#*:}" "$src/configs/sample/orders.ndjson" --duration-s 2 \
    || rc=$?
  [ "$rc" -eq 0 ] || fail "$workload: hourglass-bench exited $rc"
  requests=$(json_number requests "$tmp/out.json")
  errors=$(json_number errors "$tmp/out.json")
  transport=$(json_number transport_errors "$tmp/out.json")
  [ "${requests:-0}" -gt 0 ] || fail "$workload: no requests in the report"
  [ "$errors" = 0 ] && [ "$transport" = 0 ] ||
    fail "$workload: errors $errors, transport errors $transport"
  if [ "$workload" = mixed ]; then
    commits=$(sed -n 's/.*"requests_by_op": {.*"commit": \([0-9]*\),.*/\1/p' "$tmp/out.json")
    [ "${commits:-0}" -gt 0 ] || fail "mixed: no commit was sent"
  fi
done

# A concurrent stock.set stream (a POS feed): every line answered ok, counted in the report; a
# stock.set the daemon refuses (an unknown store) makes the exit status 1.
sed -n '2,51p' "$src/configs/sample/stock.csv" |
  awk -F, '{printf "{\"op\":\"stock.set\",\"store\":\"%s\",\"sku\":\"%s\",\"on_hand\":%d}\n", $1, $2, $3 + 1}' \
  >"$tmp/updates.ndjson"
run_bench quote 0 "$src/configs/sample/orders.ndjson" --duration-s 1 \
  --stock-updates "$tmp/updates.ndjson" --stock-rate 500 >/dev/null ||
  fail "stock feed: hourglass-bench exited non-zero"
sent=$(sed -n 's/.*"stock_updates": {"sent": \([0-9]*\), "ok": \([0-9]*\), "refused": 0.*/\1=\2/p' "$tmp/out.json")
[ -n "$sent" ] && [ "${sent%%=*}" = "${sent#*=}" ] && [ "${sent%%=*}" -gt 100 ] ||
  fail "stock feed: expected >100 stock.set sent, all ok; report says '$sent'"
echo '{"op":"stock.set","store":"NO-SUCH-STORE","sku":"SKU-00001","on_hand":1}' >"$tmp/bad_updates.ndjson"
rc=0
run_bench quote 0 "$src/configs/sample/orders.ndjson" --duration-s 0.5 \
  --stock-updates "$tmp/bad_updates.ndjson" --stock-rate 100 >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "a refused stock.set: exit $rc, expected 1"

# An order the daemon refuses (qty 0): counted by its code, and the exit status is 1.
echo '{"op":"route","order":"O-1","lat":31.2,"lon":121.4,"items":[{"sku":"SKU-00001","qty":0}]}' \
  >"$tmp/bad.ndjson"
rc=0
run_bench quote 0 "$tmp/bad.ndjson" --requests 20 >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "a refused request: exit $rc, expected 1"
grep -q '"errors_by_code": {"bad_request": 20}' "$tmp/out.json" ||
  fail "a refused request: bad_request not counted 20 times"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "hourglassd exited $rc after SIGTERM"
echo "1 passed, 0 failed"
