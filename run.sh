#!/usr/bin/env bash
# Installs, builds, creates the demo data set (4,000 stores in 480 Chinese
# cities, 20,000 SKUs), starts hourglassd on 127.0.0.1:7878 and sends it a
# few sample orders. The daemon keeps running until Ctrl-C.
#   ./run.sh             serve until Ctrl-C
#   ./run.sh --pg        also run a private PostgreSQL (var/pg, port 5439) and
#                        hourglass-sink-pg streaming every change into it
#   ./run.sh --once      stop after the samples (for scripts); combines with --pg
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh

once=0 pg=0
for arg in "$@"; do
  case "$arg" in
    --once) once=1 ;;
    --pg) pg=1 ;;
    *) echo "usage: ./run.sh [--pg] [--once]" >&2; exit 2 ;;
  esac
done

if [ ! -f demo/orders.ndjson ]; then
  build/bin/hourglass-gen --seed 42 --out demo
fi

mkdir -p var
build/bin/hourglassd --config configs/hourglass.toml > var/hourglassd.out &
daemon=$!
sink=""
pgbin=""
cleanup() {
  [ -n "$sink" ] && kill -TERM "$sink" 2>/dev/null && wait "$sink" || true
  kill -TERM $daemon 2>/dev/null && wait $daemon || true
  if [ -n "$pgbin" ]; then as_pg "$pgbin/pg_ctl" -D "$PWD/var/pg/data" -m fast -w stop >/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM
# PostgreSQL refuses to run as root: as root, its commands run as user postgres.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
for _ in $(seq 1 600); do
  grep -q "^hourglassd: listening on " var/hourglassd.out 2>/dev/null && break
  kill -0 $daemon 2>/dev/null || { echo "hourglassd failed to start" >&2; exit 1; }
  sleep 0.1
done
listen=$(sed -n 's/^hourglassd: listening on //p' var/hourglassd.out)
port=${listen##*:}
echo "hourglassd is listening on $listen"

if [ $pg -eq 1 ]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  mkdir -p var/pg
  [ "$(id -u)" -eq 0 ] && chown postgres var/pg
  if [ ! -f var/pg/data/PG_VERSION ]; then
    as_pg "$pgbin/initdb" -D "$PWD/var/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  as_pg "$pgbin/pg_ctl" -D "$PWD/var/pg/data" -l "$PWD/var/pg/log" -w \
    -o "-p 5439 -k $PWD/var/pg -c listen_addresses=127.0.0.1" start >/dev/null
  pgconn="host=127.0.0.1 port=5439 dbname=postgres user=postgres"
  build/bin/hourglass-sink-pg --daemon "$listen" --pg "$pgconn" --name pg 2> var/sink.log &
  sink=$!
  echo "PostgreSQL on 127.0.0.1:5439 (data in var/pg); hourglass-sink-pg streams into it (log: var/sink.log)"
fi

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

if [ $pg -eq 1 ]; then
  # The sink applies events within a batch interval; wait for it briefly.
  for _ in $(seq 1 50); do
    n=$(psql "$pgconn" -Atc "SELECT count(*) FROM reservations WHERE order_id = '$order'" 2>/dev/null || echo 0)
    [ "$n" != "0" ] && break
    sleep 0.1
  done
  echo "In PostgreSQL (psql \"$pgconn\"):"
  psql "$pgconn" -c "SELECT order_id, store_id, sku, qty, state FROM reservations WHERE order_id = '$order'"
  psql "$pgconn" -c "SELECT type, count(*) FROM reservation_events GROUP BY type ORDER BY type"
fi

if [ $once -eq 1 ]; then
  exit 0
fi
echo "hourglassd keeps serving on $listen; press Ctrl-C to stop it."
wait $daemon
