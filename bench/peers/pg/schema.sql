-- The PostGIS peer's tables. run.sh then COPYs stores.csv into peer_store_csv and the stock
-- rows into peer_stock, and runs pg/indexes.sql.
-- Stores and SKUs are numbered ("S-0042" and "SKU-00042" are 42), as a PostgreSQL user would
-- key them; hourglass-bench --target pg sends the numbers.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
DROP TABLE IF EXISTS peer_stock, peer_stock_loaded, peer_store, peer_store_csv CASCADE;

CREATE TABLE peer_store (
  id        int PRIMARY KEY,
  radius_m  float8 NOT NULL,                   -- the store's own delivery radius
  location  geography(Point, 4326) NOT NULL
);
-- fillfactor 90 leaves room on each page, so taking units off is a HOT update
CREATE TABLE peer_stock (store_id int NOT NULL, sku int NOT NULL, qty int NOT NULL)
  WITH (fillfactor = 90);
-- hourglass-gen's stores.csv as it is
CREATE TABLE peer_store_csv (store_id text, lat float8, lon float8, city text, radius_km float8);
