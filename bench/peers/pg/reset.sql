-- Back to the loaded stock before a run: rewrite only the rows a run changed.
UPDATE peer_stock s SET qty = l.qty
  FROM peer_stock_loaded l
 WHERE l.store_id = s.store_id AND l.sku = s.sku AND s.qty <> l.qty;
VACUUM (ANALYZE) peer_stock;
CHECKPOINT;
