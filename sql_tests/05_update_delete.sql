-- UPDATE of other columns, UPDATE that changes the key (with the conflict
-- check), DELETE with WHERE clauses.
CREATE VIRTUAL TABLE t USING strata;
INSERT INTO t SELECT value, 'v' || value FROM generate_series(1, 20);
UPDATE t SET value = 'changed' WHERE key = 5;
UPDATE t SET value = value || '!' WHERE key > 17;
SELECT * FROM t WHERE key = 5 OR key > 16;
UPDATE t SET key = 100 WHERE key = 1;
SELECT * FROM t WHERE key IN (1, 100);
UPDATE t SET key = 2 WHERE key = 3;
SELECT * FROM t WHERE key IN (2, 3);
UPDATE OR REPLACE t SET key = 2 WHERE key = 3;
SELECT * FROM t WHERE key IN (2, 3);
-- Every key shifted at once: the scan sees the rows as they were.
UPDATE t SET key = key + 1000;
SELECT count(*), min(key), max(key) FROM t;
DELETE FROM t WHERE key BETWEEN 1004 AND 1010;
SELECT count(*) FROM t;
DELETE FROM t WHERE value LIKE '%!';
SELECT key FROM t;
DELETE FROM t;
SELECT count(*) FROM t;
