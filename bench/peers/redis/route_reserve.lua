-- The Redis peer's whole order path, run atomically by EVALSHA:
--   EVALSHA <sha> 0 <lat> <lon> <search_km> <sku1> <qty1> [<sku2> <qty2> ...]
-- Stores within search_km of the order, nearest first (GEOSEARCH ... ASC); the first one
-- whose own delivery radius reaches the order and whose stock hash has every line gets each
-- line taken off with HINCRBY. Answers {store, distance_km}, or nil when no store can.
-- Keys: stores:geo (GEO set of store ids), stores:radius_km (hash id -> km), stock:<id>
-- (hash sku -> units). Stock keys are derived here, so this suits a single Redis, not a cluster.
local lat, lon, search_km = ARGV[1], ARGV[2], ARGV[3]
local skus, wanted = {}, {}
for i = 4, #ARGV, 2 do
  skus[#skus + 1] = ARGV[i]
  wanted[#wanted + 1] = tonumber(ARGV[i + 1])
end

local near = redis.call('GEOSEARCH', 'stores:geo', 'FROMLONLAT', lon, lat,
                        'BYRADIUS', search_km, 'km', 'ASC', 'WITHDIST')
if #near == 0 then return nil end
local ids = {}
for i, store in ipairs(near) do ids[i] = store[1] end
local reach = redis.call('HMGET', 'stores:radius_km', unpack(ids))

for i, store in ipairs(near) do
  if tonumber(store[2]) <= tonumber(reach[i]) then
    local key = 'stock:' .. store[1]
    local have = redis.call('HMGET', key, unpack(skus))
    local complete = true
    for j = 1, #skus do
      if not have[j] or tonumber(have[j]) < wanted[j] then
        complete = false
        break
      end
    end
    if complete then
      for j = 1, #skus do redis.call('HINCRBY', key, skus[j], -wanted[j]) end
      return {store[1], store[2]}
    end
  end
end
return nil
