# stores.csv (store_id,lat,lon,city,radius_km) and stock.csv (store_id,sku,on_hand), as written
# by hourglass-gen --radius-km, to RESP commands for `redis-cli --pipe`: GEOADD stores:geo,
# HSET stores:radius_km, and HSET stock:<store> with up to 128 fields each (stock.csv is
# grouped by store; short batches keep awk's string building linear).
#   awk -f load.awk stores.csv stock.csv | redis-cli -p PORT --pipe
function bulk(s) { return "$" length(s) "\r\n" s "\r\n" }
function flush_stock() {
  if (n > 0) printf "*%d\r\n%s%s%s", 2 + 2 * n, bulk("HSET"), bulk("stock:" cur), pairs
  n = 0; pairs = ""
}
BEGIN { FS = "," }
FNR == 1 { next }
FILENAME ~ /stores\.csv$/ {
  # the city field may hold commas; radius_km is the last field
  printf "*5\r\n%s%s%s%s%s", bulk("GEOADD"), bulk("stores:geo"), bulk($3), bulk($2), bulk($1)
  printf "*4\r\n%s%s%s%s", bulk("HSET"), bulk("stores:radius_km"), bulk($1), bulk($NF)
  next
}
{
  if ($1 != cur || n == 128) { flush_stock(); cur = $1 }
  pairs = pairs bulk($2) bulk($3)
  n++
}
END { flush_stock() }
