-- Conservation check: {units left in every store's stock hash, fields below zero, fields}.
-- EVAL "$(cat stock_total.lua)" 0   (reads every stock:<id> named in stores:radius_km)
local units, negative, fields = 0, 0, 0
for _, id in ipairs(redis.call('HKEYS', 'stores:radius_km')) do
  for _, v in ipairs(redis.call('HVALS', 'stock:' .. id)) do
    local q = tonumber(v)
    units = units + q
    fields = fields + 1
    if q < 0 then negative = negative + 1 end
  end
end
return {units, negative, fields}
