-- After the COPYs: stores with their GiST index, the stock key, the pristine copy each run
-- starts from (pg/reset.sql), statistics.
INSERT INTO peer_store
SELECT substring(store_id FROM '[0-9]+$')::int, radius_km * 1000,
       ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography
  FROM peer_store_csv;
DROP TABLE peer_store_csv;
CREATE INDEX peer_store_location ON peer_store USING gist (location);
ALTER TABLE peer_stock ADD PRIMARY KEY (store_id, sku);
CREATE TABLE peer_stock_loaded AS SELECT * FROM peer_stock;
ALTER TABLE peer_stock_loaded ADD PRIMARY KEY (store_id, sku);
VACUUM (ANALYZE) peer_store;
VACUUM (ANALYZE) peer_stock;
VACUUM (ANALYZE) peer_stock_loaded;
CHECKPOINT;
