-- Conservation check: units left, rows below zero, rows.
SELECT coalesce(sum(qty), 0) AS units, count(*) FILTER (WHERE qty < 0) AS negative, count(*) AS rows
  FROM peer_stock;
