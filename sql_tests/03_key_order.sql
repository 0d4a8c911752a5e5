-- Keys come back in SQLite's BINARY order (numbers by value across INTEGER
-- and REAL, then TEXT, then BLOB), with and without ORDER BY, both ways.
CREATE VIRTUAL TABLE s USING strata;
CREATE TABLE n(key PRIMARY KEY, value) WITHOUT ROWID;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300)
INSERT INTO n SELECT CASE i % 6
    WHEN 0 THEN i * 7919 % 1000 - 500
    WHEN 1 THEN (i * 7919 % 1000 - 500) / 7.0
    WHEN 2 THEN printf('%x', i * 2654435761 % 100000)
    WHEN 3 THEN randomblob(1 + i % 5)
    WHEN 4 THEN (i * 7919 % 1000) * 1e15
    ELSE char(65 + i % 26, 97 + i % 7) END, i FROM c WHERE 1 ON CONFLICT DO NOTHING;
INSERT INTO n VALUES (9223372036854775807, 'max'), (-9223372036854775808, 'min'),
  (9223372036854775807.0 * 2, 'big real'), (-1e19, 'small real'), (0.5, 'half');
INSERT INTO s SELECT * FROM n;
SELECT 'count', (SELECT count(*) FROM s) = (SELECT count(*) FROM n);
-- Scan order without ORDER BY equals the native ORDER BY key.
SELECT 'asc', group_concat(quote(key), ',') = (SELECT group_concat(quote(key), ',') FROM (SELECT key FROM n ORDER BY key))
  FROM (SELECT key FROM s);
SELECT 'desc', group_concat(quote(key), ',') = (SELECT group_concat(quote(key), ',') FROM (SELECT key FROM n ORDER BY key DESC))
  FROM (SELECT key FROM s ORDER BY key DESC);
-- Ranges across types agree with native results.
SELECT 'gt0', (SELECT group_concat(quote(key)) FROM s WHERE key > 0) = (SELECT group_concat(quote(key)) FROM (SELECT key FROM n WHERE key > 0 ORDER BY key));
SELECT 'lt_text', (SELECT group_concat(quote(key)) FROM s WHERE key < 'B') = (SELECT group_concat(quote(key)) FROM (SELECT key FROM n WHERE key < 'B' ORDER BY key));
SELECT 'between', (SELECT group_concat(quote(key)) FROM s WHERE key BETWEEN -10 AND 10.5) = (SELECT group_concat(quote(key)) FROM (SELECT key FROM n WHERE key BETWEEN -10 AND 10.5 ORDER BY key));
SELECT 'blobs', (SELECT count(*) FROM s WHERE key >= x'') = (SELECT count(*) FROM n WHERE key >= x'');
SELECT key, value FROM s WHERE key IN (9223372036854775807, -9223372036854775808, 0.5, -1e19) ORDER BY key;
