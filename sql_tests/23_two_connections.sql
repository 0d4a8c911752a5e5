-- Two connections in one process on the same store share one engine: each
-- sees the other's committed writes at once, one writes at a time (the other
-- gets SQLITE_BUSY), and a reader sees only committed data. The second
-- connection is the shell's `.connection 1`, on the same database file and on
-- another database file whose table names the same `path`.
CREATE VIRTUAL TABLE kv USING strata(path = 'store');
INSERT INTO kv VALUES (1, 'from connection 0');
.connection 1
.open test.db
.load @EXT@
SELECT * FROM kv;
INSERT INTO kv VALUES (2, 'from connection 1, same database');
.open other.db
.load @EXT@
CREATE VIRTUAL TABLE kv2 USING strata(path = 'store');
SELECT * FROM kv2;
INSERT INTO kv2 VALUES (3, 'from connection 1, other database');
.connection 0
SELECT * FROM kv;
BEGIN;
INSERT INTO kv VALUES (4, 'pending in connection 0');
SELECT count(*) FROM kv;
.connection 1
SELECT count(*) FROM kv2;
INSERT INTO kv2 VALUES (5, 'a second writer');
.connection 0
COMMIT;
.connection 1
SELECT count(*) FROM kv2;
INSERT INTO kv2 VALUES (5, 'now it may write');
SELECT strata_flush('kv2');
.connection 0
SELECT * FROM kv;
-- One engine: the flush made through connection 1 shows in connection 0's
-- statistics (nothing else flushed: the memtable is 64 MiB).
SELECT json_extract(strata_stats('kv'), '$.flushes');
.connection close 1
SELECT count(*) FROM kv;
