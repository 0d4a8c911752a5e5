-- A full scan reads every block once and leaves the block cache as it was
-- (fill_cache = false: it would only push out blocks other reads come back
-- to); a range scan and a point read put theirs in.
CREATE VIRTUAL TABLE t USING strata(k INTEGER PRIMARY KEY, v BLOB);
INSERT INTO t SELECT value, randomblob(100) FROM generate_series(1, 5000);
SELECT strata_flush('t');
CREATE TEMP TABLE before AS SELECT strata_stats('t') ->> '$.block_cache_bytes' AS b;
SELECT count(*), sum(length(v)) FROM t;
SELECT count(*) FROM t ORDER BY k DESC;
SELECT 'cache unchanged by full scans', (strata_stats('t') ->> '$.block_cache_bytes') = b FROM before;
SELECT count(*) FROM t WHERE k BETWEEN 100 AND 200;
SELECT length(v) FROM t WHERE k = 4000;
SELECT 'cache grew by a range and a point read', (strata_stats('t') ->> '$.block_cache_bytes') > b FROM before;
