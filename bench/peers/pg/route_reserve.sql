-- The PostGIS peer's whole order path: one call, one transaction.
--   SELECT * FROM hourglass_route_reserve(lat, lon, skus int[], qtys int[], search_km)
-- Stores within search_km, nearest first (KNN over the GiST index); the first one whose own
-- delivery radius reaches the order and that has every line gets the lines taken off. The
-- stock probe reads without locks; the chosen store's rows are then locked in SKU order (so two
-- orders at one store cannot deadlock) and checked again, since another order may have taken
-- the units meanwhile — then the next store is tried. Returns one row, or none.
CREATE OR REPLACE FUNCTION hourglass_route_reserve(p_lat float8, p_lon float8, p_skus int[],
                                                   p_qtys int[], p_search_km float8)
RETURNS TABLE (store_id int, distance_m float8)
LANGUAGE plpgsql AS $$
DECLARE
  here   geography := ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4326)::geography;
  lines  int := cardinality(p_skus);
  near   record;
  locked int;
BEGIN
  FOR near IN
    SELECT s.id, s.radius_m, s.location <-> here AS d
      FROM peer_store s
     WHERE ST_DWithin(s.location, here, p_search_km * 1000, false)
     ORDER BY s.location <-> here
  LOOP
    CONTINUE WHEN near.d > near.radius_m;
    CONTINUE WHEN (SELECT count(*)
                     FROM peer_stock st
                     JOIN unnest(p_skus, p_qtys) AS w(sku, qty) ON st.sku = w.sku
                    WHERE st.store_id = near.id AND st.qty >= w.qty) < lines;
    SELECT count(*) INTO locked
      FROM (SELECT 1
              FROM peer_stock st
              JOIN unnest(p_skus, p_qtys) AS w(sku, qty) ON st.sku = w.sku
             WHERE st.store_id = near.id AND st.qty >= w.qty
             ORDER BY st.sku
               FOR UPDATE OF st) AS rows_locked;
    CONTINUE WHEN locked < lines;
    UPDATE peer_stock st SET qty = st.qty - w.qty
      FROM unnest(p_skus, p_qtys) AS w(sku, qty)
     WHERE st.store_id = near.id AND st.sku = w.sku;
    store_id := near.id;
    distance_m := near.d;
    RETURN NEXT;
    RETURN;
  END LOOP;
END
$$;
