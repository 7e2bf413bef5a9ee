#!/usr/bin/env bash
# Hourglass and its peers side by side, in one command: hourglassd, Redis 7 (GEOSEARCH + one Lua
# script by EVALSHA) and PostgreSQL 15 + PostGIS 3 (one SQL function per order, row locks) get
# the same hourglass-gen stores, stock and orders, on loopback with private ports and temporary
# data directories. Each connections x depth setting runs on each system in turn, from freshly
# loaded stock, with the same load client (hourglass-bench --target hourglass|redis|pg); after
# each run the system's stock must balance (units loaded = units left + units reserved, the
# reserved units being those the load client was told about). Prints one table.
#
#   bench/peers/run.sh                   # the peers' shape: hourglass-gen --preset peers
#   bench/peers/run.sh --smoke           # seconds, tiny data (ctest)
# Options: --data DIR (generated with --radius-km), --settings "1x1 8x1 50x1 8x32",
#   --systems "hourglass redis pg", --orders N (per run; default every order once),
#   --threads N (client I/O threads, 1), --port-base N (ports N..N+2; default free ones),
#   --out DIR (keep the JSON reports and table.md there), --bin DIR (default build/bin).
# Exit status: 0 every run clean and balanced; 1 otherwise; 2 bad usage or missing software.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin

command="bench/peers/run.sh${*:+ $*}"
smoke=0 data="" settings="" systems="hourglass redis pg" orders=0 threads=1 port_base=""
out="" bin="$repo/build/bin"
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1; shift ;;
    --data) data=$2; shift 2 ;;
    --settings) settings=$2; shift 2 ;;
    --systems) systems=$2; shift 2 ;;
    --orders) orders=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --port-base) port_base=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "peers: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$settings" ] || { [ $smoke = 1 ] && settings="1x1 4x8" || settings="1x1 8x1 50x1 8x32"; }

need() { command -v "$1" >/dev/null || [ -x "$1" ] || { echo "peers: $1 not found; $2" >&2; exit 2; }; }
for b in hourglass-gen hourglass-bench hourglassd; do need "$bin/$b" "build first (./setup.sh)"; done
need python3 "install python3"
case " $systems " in *" redis "*) need redis-server "install redis-server (setup.sh does)"; need redis-cli "install redis-tools" ;; esac
case " $systems " in *" pg "*)
  need "$PGBIN/postgres" "install postgresql-15 (setup.sh does)"
  need psql "install postgresql-client-15"
  [ -f /usr/share/postgresql/15/extension/postgis.control ] ||
    { echo "peers: PostGIS missing; install postgresql-15-postgis-3 (setup.sh does)" >&2; exit 2; } ;;
esac

tmp=$(mktemp -d /tmp/hourglass-peers.XXXXXX)
pgroot=""
hg_pid="" redis_pid=""
cleanup() {
  [ -n "$hg_pid" ] && kill -KILL "$hg_pid" 2>/dev/null || true
  [ -n "$redis_pid" ] && kill -TERM "$redis_pid" 2>/dev/null || true
  if [ -n "$pgroot" ] && [ -f "$pgroot/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$pgroot/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp" ${pgroot:+"$pgroot"}
}
trap cleanup EXIT
# Killed (a ctest timeout, Ctrl-C): still stop the servers, whose daemons outlive this shell.
trap 'exit 130' INT TERM HUP
# PostgreSQL refuses to run as root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
if [ -n "$port_base" ]; then
  hg_port=$port_base redis_port=$((port_base + 1)) pg_port=$((port_base + 2))
else
  hg_port=$(free_port) redis_port=$(free_port) pg_port=$(free_port)
fi
results=${out:-$tmp/results}
mkdir -p "$results"
log() { echo "peers: $*" >&2; }
load_now() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- data -------------------------------------------------------------------------------
if [ -z "$data" ]; then
  data=$tmp/data
  if [ $smoke = 1 ]; then
    gen_args=(--seed 7 --stores 200 --cities 20 --skus 2000 --per-store 200 --orders 3000
              --max-qty 8 --radius-km 3-8)
  else
    gen_args=(--preset peers --seed 42)
  fi
  log "hourglass-gen ${gen_args[*]}"
  "$bin/hourglass-gen" "${gen_args[@]}" --cities-csv "$repo/configs/data/cn_cities.csv" \
    --out "$data" >&2
fi
head -1 "$data/stores.csv" | grep -q ',radius_km$' ||
  { echo "peers: $data/stores.csv has no radius_km column (hourglass-gen --radius-km)" >&2; exit 2; }
units_loaded=$(awk -F, 'NR > 1 { s += $3 } END { printf "%d", s }' "$data/stock.csv")
stock_rows=$(($(wc -l < "$data/stock.csv") - 1))
search_km=$(awk -F, 'NR > 1 && $NF > m { m = $NF } END { print m }' "$data/stores.csv")
total_orders=$(wc -l < "$data/orders.ndjson")
[ "$orders" -gt 0 ] || orders=$total_orders
log "$(($(wc -l < "$data/stores.csv") - 1)) stores, $stock_rows stock rows, $units_loaded units, $total_orders orders; $orders per run; search ${search_km} km"

# ---- servers ----------------------------------------------------------------------------
redis() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
psql_peer() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

case " $systems " in *" redis "*)
  mkdir -p "$tmp/redis"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$tmp/redis" --logfile "$tmp/redis/redis.log" >/dev/null &
  redis_pid=$!
  for _ in $(seq 100); do redis ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis ping >/dev/null || { echo "peers: redis-server did not start" >&2; exit 1; }
  log "converting the data to RESP for redis-cli --pipe"
  awk -f "$here/redis/load.awk" "$data/stores.csv" "$data/stock.csv" > "$tmp/redis/load.resp" ;;
esac

case " $systems " in *" pg "*)
  pgroot=$(mktemp -d /tmp/hourglass-peers-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres: "$pgroot"
  as_pg "$PGBIN/initdb" -D "$pgroot/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >/dev/null
  shared_buffers=$([ $smoke = 1 ] && echo 128MB || echo 2GB)
  # Durability like hourglassd's [journal] sync = "batch": WAL on, not flushed per commit.
  cat >> "$pgroot/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pgroot'
shared_buffers = $shared_buffers
synchronous_commit = off
max_wal_size = 16GB
checkpoint_timeout = 30min
jit = off
random_page_cost = 1.1
max_connections = 200
EOF
  as_pg "$PGBIN/pg_ctl" -D "$pgroot/data" -l "$pgroot/postgres.log" -w start >/dev/null
  log "loading PostgreSQL"
  psql_peer -f "$here/pg/schema.sql" >/dev/null
  psql_peer -c "COPY peer_store_csv FROM STDIN WITH (FORMAT csv, HEADER true)" \
    < "$data/stores.csv" >/dev/null
  sed -E '1d; s/^[^,]*-0*([0-9]+),[^,]*-0*([0-9]+),/\1,\2,/' "$data/stock.csv" |
    psql_peer -c "COPY peer_stock FROM STDIN WITH (FORMAT csv)" >/dev/null
  psql_peer -f "$here/pg/indexes.sql" >/dev/null
  psql_peer -f "$here/pg/route_reserve.sql" >/dev/null ;;
esac

# ---- one run per (setting, system) --------------------------------------------------------
status=0
balances=$results/conservation.txt
: > "$balances"
# CPU seconds of a server process and its children, the exited ones included (PostgreSQL's
# backends): utime + stime + cutime + cstime of each, from /proc.
tree_cpu_s() {
  local pids
  pids="$1 $(pgrep -P "$1" | tr '\n' ' ')"
  for p in $pids; do cat "/proc/$p/stat" 2>/dev/null || true; done |
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { printf "%.2f", t / hz }'
}
json_int() { sed -n "s/^  \"$1\": \([0-9][0-9]*\),\{0,1\}\$/\1/p" "$2"; }

# balance NAME RUN LEFT: units loaded must equal units left + units the client saw reserved.
balance() {
  local name=$1 run=$2 left=$3 negative=$4 reserved
  reserved=$(json_int units_reserved "$results/$run.json")
  if [ $((left + reserved)) -eq "$units_loaded" ] && [ "$negative" = 0 ]; then
    echo "$run: $name loaded $units_loaded = left $left + reserved $reserved; balanced" >> "$balances"
  else
    echo "$run: $name loaded $units_loaded != left $left + reserved $reserved (negative rows $negative); NOT BALANCED" >> "$balances"
    status=1
  fi
}

bench() {  # run server-pid bench-args...
  local run=$1 server=$2
  shift 2
  local rc=0 cpu0 children0
  cpu0=$(tree_cpu_s "$server")
  children0=$(pgrep -cP "$server" || true)
  "$bin/hourglass-bench" --workload reserve --orders "$data/orders.ndjson" --one-pass \
    --requests "$orders" --warmup-s 0 --connections "$conns" --depth "$depth" \
    --threads "$client_threads" --json "$results/$run.json" "$@" > "$results/$run.txt" || rc=$?
  if [ $rc -ne 0 ]; then
    log "$run: hourglass-bench exited $rc"; sed 's/^/  /' "$results/$run.txt" >&2; status=1
  fi
  # A backend that exits while it is being counted is missed both live and in its parent's
  # cutime (seen once: PostgreSQL at 17 us an order instead of ~700): count once the
  # connections' processes are gone and reaped (at most 5 s).
  for _ in $(seq 50); do
    [ "$(pgrep -cP "$server" || true)" -le "$children0" ] && break
    sleep 0.1
  done
  echo "$cpu0 $(tree_cpu_s "$server")" | awk '{ printf "%.2f\n", $2 - $1 }' > "$results/$run.server_cpu_s"
}

run_hourglass() {
  local run=$1 dir=$tmp/hg-$1
  mkdir -p "$dir"
  cat > "$dir/hourglass.toml" <<EOF
# The peers' semantics: every store has the same prep time, so ETA order is distance order; the
# promise (60 min) covers any store within its own radius (10 + 8 km x 1.3 / 20 km/h = 41 min);
# no split, no transfer (those are request options); holds outlive the run.
[server]
listen = "127.0.0.1:$hg_port"
io_threads = 2
[data]
stores = "$data/stores.csv"
stock = "$data/stock.csv"
dir = "$dir/var"
[rules]
promise_min = 60
speed_kmh = 20.0
detour = 1.3
prep_min = 10.0
reservation_ttl_s = 604800
[journal]
sync = "batch"
snapshot_every_records = 1000000000000
EOF
  : > "$dir/daemon.out"
  "$bin/hourglassd" --config "$dir/hourglass.toml" > "$dir/daemon.out" 2> "$dir/daemon.err" &
  hg_pid=$!
  for _ in $(seq 600); do
    grep -q "^hourglassd: listening on " "$dir/daemon.out" && break
    kill -0 "$hg_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "^hourglassd: listening on " "$dir/daemon.out" ||
    { log "hourglassd did not start"; cat "$dir/daemon.err" >&2; exit 1; }
  bench "$run" "$hg_pid" --port "$hg_port"
  if python3 "$here/check_hourglass.py" --port "$hg_port" --stock "$data/stock.csv" \
       --client-units "$(json_int units_reserved "$results/$run.json")" > "$dir/check.txt"; then
    echo "$run: $(cat "$dir/check.txt")" >> "$balances"
  else
    echo "$run: $(cat "$dir/check.txt")" >> "$balances"
    status=1
  fi
  kill -TERM "$hg_pid"
  wait "$hg_pid" || { log "hourglassd exited $? after SIGTERM"; status=1; }
  hg_pid=""
  rm -rf "$dir/var"
}

run_redis() {
  local run=$1 total sha
  redis flushall >/dev/null
  redis --pipe < "$tmp/redis/load.resp" > /dev/null
  sha=$(redis script load "$(cat "$here/redis/route_reserve.lua")")
  total=$(redis eval "$(cat "$here/redis/stock_total.lua")" 0 | head -1)
  [ "$total" = "$units_loaded" ] || { log "redis holds $total units after loading, not $units_loaded"; status=1; }
  bench "$run" "$redis_pid" --target redis --port "$redis_port" --redis-sha "$sha" --search-km "$search_km"
  local t
  mapfile -t t < <(redis eval "$(cat "$here/redis/stock_total.lua")" 0)
  balance redis "$run" "${t[0]}" "${t[1]}"
}

run_pg() {
  local run=$1 t
  psql_peer -f "$here/pg/reset.sql" >/dev/null
  IFS='|' read -r -a t < <(psql_peer -f "$here/pg/stock_total.sql")
  [ "${t[0]}" = "$units_loaded" ] || { log "PostgreSQL holds ${t[0]} units after reset, not $units_loaded"; status=1; }
  bench "$run" "$(head -1 "$pgroot/data/postmaster.pid")" --target pg --search-km "$search_km" \
    --pg "host=127.0.0.1 port=$pg_port user=postgres dbname=postgres sslmode=disable"
  IFS='|' read -r -a t < <(psql_peer -f "$here/pg/stock_total.sql")
  balance pg "$run" "${t[0]}" "${t[1]}"
}

client_threads=$threads
{
  echo "$(nproc) cores, $(free -g | awk '/^Mem/ { print $2 }') GiB"
  case " $systems " in *" redis "*) redis-server --version | cut -d' ' -f1-3 ;; esac
  case " $systems " in *" pg "*)
    psql_peer -c "SELECT split_part(version(), ' ', 1) || ' ' || split_part(version(), ' ', 2) || ', PostGIS ' || postgis_lib_version()" ;;
  esac
  echo "load average before: $(load_now)"
} > "$results/machine.txt"
for setting in $settings; do
  conns=${setting%x*} depth=${setting#*x}
  [ "$client_threads" -le "$conns" ] || client_threads=$conns
  for system in $systems; do
    log "$system, $conns connections x depth $depth (load average $(load_now))"
    "run_$system" "${system}_${setting}"
  done
  client_threads=$threads
done
echo "load average after: $(load_now)" >> "$results/machine.txt"

# One connection, one request at a time: every system sees the orders in the same sequence, so
# with the same rules they must reserve the same orders. (Redis measures on a sphere 0.03 %
# larger and stores 52-bit geohashes, so a store right at its radius may differ at full size.)
agree=""
for system in $systems; do
  [ -f "$results/${system}_1x1.json" ] || continue
  agree+="$system $(json_int reserved "$results/${system}_1x1.json") "
done
if [ -n "$agree" ]; then
  echo "orders reserved at 1 x 1: $agree" >> "$balances"
  if [ $smoke = 1 ] && [ "$(echo "$agree" | awk '{ for (i = 2; i <= NF; i += 2) print $i }' | sort -u | wc -l)" != 1 ]; then
    echo "peers: the systems reserved different orders at 1 x 1: $agree" >> "$balances"
    status=1
  fi
fi

python3 "$here/report.py" --results "$results" --settings "$settings" --systems "$systems" \
  --orders "$orders" --stock-rows "$stock_rows" --units "$units_loaded" \
  --command "$command" | tee "$results/table.md"
cat "$balances"
[ $status = 0 ] && echo "peers: every run clean and balanced" || echo "peers: FAILED (see above)"
exit $status
