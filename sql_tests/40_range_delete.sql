-- DELETE of key ranges (SPEC §2 "Writing"). SQLite deletes from a virtual
-- table in two passes: it scans, then calls xUpdate once per row. When the
-- scan was a key range (or full) scan and every row it returned is deleted,
-- and there were at least 32 of them, strata replaces the point deletes with
-- one range tombstone (docs/vtab.md, "Range deletes").
--
-- Every DELETE runs on a strata table and on its native twin (a rowid table
-- for a rowid table, WITHOUT ROWID otherwise); `rows|N|differ|0` compares
-- them. `written|N` is how many engine updates the table's commits took since
-- the previous look (strata_stats' last_sequence): 1 for one range
-- tombstone, N for N point deletes.
CREATE TEMP TABLE mark(tbl TEXT PRIMARY KEY, prev INTEGER, s INTEGER);

-- A rowid table: every bound kind.
CREATE VIRTUAL TABLE t USING strata(k INTEGER PRIMARY KEY, v);
CREATE TABLE n(k INTEGER PRIMARY KEY, v);
INSERT INTO t SELECT value, 'v' || value FROM generate_series(1, 2000);
INSERT INTO n SELECT k, v FROM t;
CREATE TEMP VIEW cmp_t AS SELECT 'rows', (SELECT count(*) FROM t), 'differ', (SELECT count(*) FROM (SELECT k, v FROM t EXCEPT SELECT k, v FROM n)) + (SELECT count(*) FROM (SELECT k, v FROM n EXCEPT SELECT k, v FROM t));
INSERT INTO mark VALUES ('t', 0, 0);
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
EXPLAIN QUERY PLAN DELETE FROM t WHERE k >= 100 AND k < 200;
DELETE FROM t WHERE k >= 100 AND k < 200;
SELECT '>= and <', changes();
DELETE FROM n WHERE k >= 100 AND k < 200;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k > 200 AND k <= 260;
SELECT '> and <=', changes();
DELETE FROM n WHERE k > 200 AND k <= 260;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k BETWEEN 300 AND 340;
SELECT 'BETWEEN', changes();
DELETE FROM n WHERE k BETWEEN 300 AND 340;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k < 40;
SELECT '< only', changes();
DELETE FROM n WHERE k < 40;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k <= 60;
SELECT '<= only', changes();
DELETE FROM n WHERE k <= 60;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k > 1950;
SELECT '> only', changes();
DELETE FROM n WHERE k > 1950;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k >= 1900;
SELECT '>= only', changes();
DELETE FROM n WHERE k >= 1900;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE rowid BETWEEN 500 AND 599;
SELECT 'rowid BETWEEN', changes();
DELETE FROM n WHERE rowid BETWEEN 500 AND 599;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k >= 150 AND k < 350;
SELECT 'a range partly deleted before', changes();
DELETE FROM n WHERE k >= 150 AND k < 350;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k > 400 AND k <= 420;
SELECT 'fewer than 32 rows: point deletes', changes();
DELETE FROM n WHERE k > 400 AND k <= 420;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k > 5000;
SELECT 'no rows', changes();
DELETE FROM n WHERE k > 5000;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k > 800 AND k < 700;
SELECT 'bounds in the wrong order', changes();
DELETE FROM n WHERE k > 800 AND k < 700;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k > NULL;
SELECT 'NULL bound', changes();
DELETE FROM n WHERE k > NULL;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k > 600.5 AND k < '1';
SELECT 'bounds of other types: REAL and TEXT', changes();
DELETE FROM n WHERE k > 600.5 AND k < '1';
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;

-- Not every row of the scan is deleted: point deletes, still correct.
DELETE FROM t WHERE k >= 1000 AND k < 1100 AND v LIKE '%5';
SELECT 'another column''s term', changes();
DELETE FROM n WHERE k >= 1000 AND k < 1100 AND v LIKE '%5';
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k >= 1000 AND k < 1100 AND length(v) > 0;
SELECT 'a term SQLite checks that every row passes: the range is still all deleted', changes();
DELETE FROM n WHERE k >= 1000 AND k < 1100 AND length(v) > 0;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k >= 1100 AND k < 1200 AND k % 3 = 0;
SELECT 'a term on the key SQLite checks', changes();
DELETE FROM n WHERE k >= 1100 AND k < 1200 AND k % 3 = 0;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k >= 1200 ORDER BY k LIMIT 40;
SELECT 'ORDER BY and LIMIT (a subquery with the LIMIT pushed down)', changes();
DELETE FROM n WHERE k >= 1200 ORDER BY k LIMIT 40;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k < 1500 ORDER BY k DESC LIMIT 40;
SELECT 'ORDER BY DESC and LIMIT', changes();
DELETE FROM n WHERE k < 1500 ORDER BY k DESC LIMIT 40;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k IN (SELECT k FROM t WHERE k >= 1300 AND k < 1400 ORDER BY k DESC);
SELECT 'IN over a DESC scan of the same table: two cursors', changes();
DELETE FROM n WHERE k IN (SELECT k FROM n WHERE k >= 1300 AND k < 1400 ORDER BY k DESC);
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE k >= (SELECT max(k) - 100 FROM t WHERE k < 1600) AND k < 1600;
SELECT 'a bound read from the same table: two cursors', changes();
DELETE FROM n WHERE k >= (SELECT max(k) - 100 FROM n WHERE k < 1600) AND k < 1600;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t WHERE (k >= 1600 AND k < 1650) OR (k >= 1700 AND k < 1750);
SELECT 'OR of two ranges', changes();
DELETE FROM n WHERE (k >= 1600 AND k < 1650) OR (k >= 1700 AND k < 1750);
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
DELETE FROM t;
SELECT 'no WHERE: the whole table', changes();
DELETE FROM n;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;

-- A composite key: equality on the first column, a range on the second.
CREATE VIRTUAL TABLE c USING strata(a TEXT, b INTEGER, v, PRIMARY KEY (a, b));
CREATE TABLE cn(a TEXT, b INTEGER, v, PRIMARY KEY (a, b)) WITHOUT ROWID;
INSERT INTO c SELECT x.value, s.value, x.value || s.value FROM generate_series(0, 99) s, (SELECT 'w' AS value UNION ALL SELECT 'x' UNION ALL SELECT 'y' UNION ALL SELECT 'z') x;
INSERT INTO cn SELECT a, b, v FROM c;
CREATE TEMP VIEW cmp_c AS SELECT 'rows', (SELECT count(*) FROM c), 'differ', (SELECT count(*) FROM (SELECT a, b, v FROM c EXCEPT SELECT a, b, v FROM cn)) + (SELECT count(*) FROM (SELECT a, b, v FROM cn EXCEPT SELECT a, b, v FROM c));
INSERT INTO mark VALUES ('c', 0, 0);
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 'c' RETURNING 'written', s - prev;
EXPLAIN QUERY PLAN DELETE FROM c WHERE a = 'x' AND b >= 10 AND b < 60;
DELETE FROM c WHERE a = 'x' AND b >= 10 AND b < 60;
SELECT 'a = and b >= and <', changes();
DELETE FROM cn WHERE a = 'x' AND b >= 10 AND b < 60;
SELECT 'native', changes();
SELECT * FROM cmp_c;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 'c' RETURNING 'written', s - prev;
DELETE FROM c WHERE a = 'w' AND b <= 40;
SELECT 'a = and b <=', changes();
DELETE FROM cn WHERE a = 'w' AND b <= 40;
SELECT 'native', changes();
SELECT * FROM cmp_c;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 'c' RETURNING 'written', s - prev;
DELETE FROM c WHERE a = 'w' AND b > 60;
SELECT 'a = and b >', changes();
DELETE FROM cn WHERE a = 'w' AND b > 60;
SELECT 'native', changes();
SELECT * FROM cmp_c;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 'c' RETURNING 'written', s - prev;
DELETE FROM c WHERE a = 'x' AND b < 5;
SELECT 'a = and b <, fewer than 32 rows', changes();
DELETE FROM cn WHERE a = 'x' AND b < 5;
SELECT 'native', changes();
SELECT * FROM cmp_c;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 'c' RETURNING 'written', s - prev;
DELETE FROM c WHERE a = 'y';
SELECT 'a = only', changes();
DELETE FROM cn WHERE a = 'y';
SELECT 'native', changes();
SELECT * FROM cmp_c;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 'c' RETURNING 'written', s - prev;
DELETE FROM c WHERE a > 'y';
SELECT 'a > only', changes();
DELETE FROM cn WHERE a > 'y';
SELECT 'native', changes();
SELECT * FROM cmp_c;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 'c' RETURNING 'written', s - prev;
DELETE FROM c WHERE b < 50;
SELECT 'b only: a full scan SQLite filters', changes();
DELETE FROM cn WHERE b < 50;
SELECT 'native', changes();
SELECT * FROM cmp_c;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 'c' RETURNING 'written', s - prev;

-- A TEXT key: ranges, and LIKE and GLOB prefixes (SQLite re-checks the pattern).
CREATE VIRTUAL TABLE s USING strata(k TEXT PRIMARY KEY, v);
CREATE TABLE sn(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO s SELECT printf('k%04d', value), value FROM generate_series(0, 999);
INSERT INTO sn SELECT k, v FROM s;
CREATE TEMP VIEW cmp_s AS SELECT 'rows', (SELECT count(*) FROM s), 'differ', (SELECT count(*) FROM (SELECT k, v FROM s EXCEPT SELECT k, v FROM sn)) + (SELECT count(*) FROM (SELECT k, v FROM sn EXCEPT SELECT k, v FROM s));
INSERT INTO mark VALUES ('s', 0, 0);
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 's' RETURNING 'written', s - prev;
DELETE FROM s WHERE k >= 'k0100' AND k < 'k0200';
SELECT 'text >= and <', changes();
DELETE FROM sn WHERE k >= 'k0100' AND k < 'k0200';
SELECT 'native', changes();
SELECT * FROM cmp_s;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 's' RETURNING 'written', s - prev;
DELETE FROM s WHERE k LIKE 'k02%';
SELECT 'case-insensitive LIKE prefix: a wider range than the rows that match', changes();
DELETE FROM sn WHERE k LIKE 'k02%';
SELECT 'native', changes();
SELECT * FROM cmp_s;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 's' RETURNING 'written', s - prev;
DELETE FROM s WHERE k GLOB 'k03[0-4]*';
SELECT 'GLOB prefix, some rows match', changes();
DELETE FROM sn WHERE k GLOB 'k03[0-4]*';
SELECT 'native', changes();
SELECT * FROM cmp_s;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 's' RETURNING 'written', s - prev;
DELETE FROM s WHERE k GLOB 'k04*';
SELECT 'GLOB prefix, every row matches', changes();
DELETE FROM sn WHERE k GLOB 'k04*';
SELECT 'native', changes();
SELECT * FROM cmp_s;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 's' RETURNING 'written', s - prev;
PRAGMA case_sensitive_like = ON;
DELETE FROM s WHERE k LIKE 'k05%';
SELECT 'case-sensitive LIKE prefix, every row matches', changes();
DELETE FROM sn WHERE k LIKE 'k05%';
SELECT 'native', changes();
SELECT * FROM cmp_s;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 's' RETURNING 'written', s - prev;
PRAGMA case_sensitive_like = OFF;

-- Transactions: a transaction reads its range deletes back, ROLLBACK drops them.
INSERT INTO t SELECT value, 'v' || value FROM generate_series(1, 2000);
INSERT INTO n SELECT k, v FROM t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
BEGIN;
DELETE FROM t WHERE k >= 100 AND k < 300;
SELECT 'in a transaction', changes();
DELETE FROM n WHERE k >= 100 AND k < 300;
SELECT 'native', changes();
SELECT * FROM cmp_t;
SELECT 'read back', count(*), min(k), max(k) FROM t WHERE k >= 50 AND k < 350;
SELECT 'point reads', (SELECT count(*) FROM t WHERE k = 99), (SELECT count(*) FROM t WHERE k = 100), (SELECT count(*) FROM t WHERE k = 299), (SELECT count(*) FROM t WHERE k = 300);
INSERT INTO t VALUES (150, 'back in the range');
INSERT INTO n VALUES (150, 'back in the range');
SELECT * FROM t WHERE k >= 99 AND k <= 300;
SELECT * FROM t WHERE k = 150;
COMMIT;
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
SELECT * FROM t WHERE k >= 99 AND k <= 300;
BEGIN;
DELETE FROM t WHERE k >= 400 AND k < 600;
SELECT 'rolled back', changes();
DELETE FROM n WHERE k >= 400 AND k < 600;
SELECT 'native', changes();
SELECT * FROM cmp_t;
ROLLBACK;
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
SELECT 'after rollback', count(*) FROM t WHERE k >= 400 AND k < 600;

-- Savepoints: ROLLBACK TO undoes a range delete, and only its own.
BEGIN;
SAVEPOINT a;
DELETE FROM t WHERE k >= 400 AND k < 500;
SELECT 'in savepoint a', changes();
DELETE FROM n WHERE k >= 400 AND k < 500;
SELECT 'native', changes();
SELECT * FROM cmp_t;
SAVEPOINT b;
DELETE FROM t WHERE k >= 500 AND k < 600;
SELECT 'in savepoint b', changes();
DELETE FROM n WHERE k >= 500 AND k < 600;
SELECT 'native', changes();
SELECT * FROM cmp_t;
ROLLBACK TO b;
SELECT * FROM cmp_t;
SELECT 'after ROLLBACK TO b', count(*) FROM t WHERE k >= 400 AND k < 600;
DELETE FROM t WHERE k >= 550 AND k < 650;
SELECT 'again in savepoint b', changes();
DELETE FROM n WHERE k >= 550 AND k < 650;
SELECT 'native', changes();
SELECT * FROM cmp_t;
RELEASE b;
ROLLBACK TO a;
SELECT * FROM cmp_t;
SELECT 'after ROLLBACK TO a', count(*) FROM t WHERE k >= 400 AND k < 650;
DELETE FROM t WHERE k >= 700 AND k < 800;
SELECT 'a new range after ROLLBACK TO a', changes();
DELETE FROM n WHERE k >= 700 AND k < 800;
SELECT 'native', changes();
SELECT * FROM cmp_t;
RELEASE a;
COMMIT;
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;

-- Writes before the range delete in the same transaction stay, before it.
BEGIN;
INSERT INTO t SELECT value, 'w' || value FROM generate_series(3001, 3200);
INSERT INTO n SELECT value, 'w' || value FROM generate_series(3001, 3200);
DELETE FROM t WHERE k >= 1000 AND k < 1100;
SELECT 'after 200 inserts', changes();
DELETE FROM n WHERE k >= 1000 AND k < 1100;
SELECT 'native', changes();
SELECT * FROM cmp_t;
COMMIT;
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;

-- A DELETE that deletes only some of the rows it scanned, in a transaction: its
-- point deletes are read back by a scan, a point read and an INSERT's conflict check.
BEGIN;
DELETE FROM t WHERE k >= 1400 AND k < 1500 AND k % 2 = 0;
SELECT 'every other row', changes();
DELETE FROM n WHERE k >= 1400 AND k < 1500 AND k % 2 = 0;
SELECT 'native', changes();
SELECT * FROM cmp_t;
SELECT 'scan', count(*), min(k), max(k) FROM t WHERE k >= 1400 AND k < 1500;
DELETE FROM t WHERE k >= 1500 AND k < 1600 AND k % 2 = 0;
DELETE FROM n WHERE k >= 1500 AND k < 1600 AND k % 2 = 0;
SELECT 'point read', count(*) FROM t WHERE k = 1500;
DELETE FROM t WHERE k >= 1600 AND k < 1700 AND k % 2 = 0;
DELETE FROM n WHERE k >= 1600 AND k < 1700 AND k % 2 = 0;
INSERT INTO t VALUES (1600, 'again');
INSERT INTO n VALUES (1600, 'again');
COMMIT;
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
-- A DELETE that fails leaves nothing of itself: an error while SQLite scans
-- (abs() of the smallest integer overflows), and a writer on another
-- connection that makes the first delete, after the scan, SQLITE_BUSY. (Once
-- the first delete has the store's write token, no later one can fail.)
BEGIN;
DELETE FROM t WHERE k = 1;
DELETE FROM n WHERE k = 1;
DELETE FROM t WHERE k >= 1100 AND k < 1300 AND abs(CASE WHEN k = 1250 THEN -9223372036854775807 - 1 ELSE 1 END);
DELETE FROM n WHERE k >= 1100 AND k < 1300 AND abs(CASE WHEN k = 1250 THEN -9223372036854775807 - 1 ELSE 1 END);
SELECT * FROM cmp_t;
SELECT 'after the failed DELETE', count(*) FROM t WHERE k >= 1100 AND k < 1300;
COMMIT;
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
.connection 1
.open other.db
.load @EXT@
CREATE VIRTUAL TABLE t2 USING strata(k INTEGER PRIMARY KEY, v, path = 'test.db-t.strata');
BEGIN;
INSERT INTO t2 VALUES (5000, 'the other connection writes');
.connection 0
DELETE FROM t WHERE k >= 1100 AND k < 1300;
SELECT 'after the busy DELETE', count(*) FROM t WHERE k >= 1100 AND k < 1300;
.connection 1
ROLLBACK;
.connection 0
.connection close 1
DELETE FROM t WHERE k >= 1100 AND k < 1300;
SELECT 'the same DELETE again', changes();
DELETE FROM n WHERE k >= 1100 AND k < 1300;
SELECT 'native', changes();
SELECT * FROM cmp_t;
UPDATE mark SET prev = s, s = json_extract(strata_stats(tbl), '$.last_sequence') WHERE tbl = 't' RETURNING 'written', s - prev;
-- strata_stats counts the DELETEs that became a range tombstone (rolled back ones too).
SELECT 'range_deletes', json_extract(strata_stats('t'), '$.range_deletes');

-- On disk: a large range delete is one range tombstone in its table file, a
-- small one point tombstones. (Each flush also holds 1000 new rows, so that
-- the tombstones are too few to make a compaction start.) Reopened, the store
-- has lost neither.
CREATE VIRTUAL TABLE r USING strata(k INTEGER PRIMARY KEY, v);
INSERT INTO r SELECT value, randomblob(50) FROM generate_series(1, 1000);
SELECT strata_flush('r');
DELETE FROM r WHERE k > 100 AND k <= 600;
INSERT INTO r SELECT value, randomblob(50) FROM generate_series(2001, 3000);
SELECT strata_flush('r');
DELETE FROM r WHERE k > 900 AND k <= 910;
INSERT INTO r SELECT value, randomblob(50) FROM generate_series(3001, 4000);
SELECT strata_flush('r');
SELECT level, entries, deletions, range_deletions FROM strata_files('r') ORDER BY file;
.open test.db
.load @EXT@
SELECT count(*), sum(k) FROM r;
SELECT strata_compact('r');
SELECT count(*), sum(k) FROM r;
SELECT level, entries, deletions, range_deletions FROM strata_levels('r') WHERE files > 0;
SELECT strata_verify('r');
