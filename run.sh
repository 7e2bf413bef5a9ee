#!/usr/bin/env bash
# Installs, builds, creates the demo data set (4,000 stores in 480 Chinese
# cities, 20,000 SKUs), starts hourglassd on 127.0.0.1:7878 and sends it a
# few sample orders. The daemon keeps running until Ctrl-C.
#   ./run.sh          serve until Ctrl-C
#   ./run.sh --once   stop after the samples (for scripts)
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh

if [ ! -f demo/orders.ndjson ]; then
  build/bin/hourglass-gen --seed 42 --out demo
fi

build/bin/hourglassd --config configs/hourglass.toml > var-hourglassd.out &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon; rm -f var-hourglassd.out' EXIT
trap 'exit 0' INT TERM
for _ in $(seq 1 600); do
  grep -q "listening on" var-hourglassd.out 2>/dev/null && break
  kill -0 $daemon 2>/dev/null || { echo "hourglassd failed to start" >&2; exit 1; }
  sleep 0.1
done
listen=$(sed -n 's/^hourglassd: listening on //p' var-hourglassd.out)
port=${listen##*:}
echo "hourglassd is listening on $listen"

# Sample requests over a plain TCP connection, one JSON object per line.
samples=$(head -n 4 demo/orders.ndjson)
reserve=$(head -n 5 demo/orders.ndjson | tail -n 1 | sed 's/}$/,"reserve":true}/')
order=$(sed -n 's/.*"order":"\([^"]*\)".*/\1/p' <<<"$reserve")
first_sku=$(sed -n 's/.*"items":\[{"sku":"\([^"]*\)".*/\1/p' <<<"$reserve")
exec 3<>"/dev/tcp/127.0.0.1/$port"
while IFS= read -r line; do
  echo ">> $line"
  printf '%s\n' "$line" >&3
  IFS= read -r answer <&3
  echo "<< $answer"
  echo
done <<EOF_SAMPLES
{"op":"ping"}
$samples
$reserve
{"op":"commit","order":"$order"}
{"op":"commit","order":"$order"}
{"op":"route","lat":31.2304,"lon":121.4737,"items":[{"sku":"$first_sku","qty":1000}]}
{"op":"route","lat":95,"lon":121.4737,"items":[{"sku":"$first_sku","qty":1}]}
EOF_SAMPLES
exec 3<&-

if [ "${1:-}" = "--once" ]; then
  exit 0
fi
echo "hourglassd keeps serving on $listen; press Ctrl-C to stop it."
wait $daemon
