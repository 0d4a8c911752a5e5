-- A large transaction into an empty key range is a bulk load: written
-- straight into table files (no WAL, no memtable), all or nothing.
CREATE VIRTUAL TABLE t USING strata(k BLOB PRIMARY KEY, v BLOB, memtable_size = '1MiB');
CREATE TABLE n(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;
INSERT INTO n SELECT randomblob(16), randomblob(100) FROM generate_series(1, 50000);
INSERT INTO t SELECT * FROM n;
SELECT 'bulk loads', json_extract(strata_stats('t'), '$.bulk_loads');
SELECT 'same rows', count(*) FROM (SELECT * FROM t EXCEPT SELECT * FROM n);
SELECT count(*) FROM t;
-- A second load into the same range is an ordinary transaction.
INSERT INTO n SELECT randomblob(16), randomblob(100) FROM generate_series(1, 20000);
INSERT OR REPLACE INTO t SELECT * FROM n;
SELECT 'bulk loads', json_extract(strata_stats('t'), '$.bulk_loads');
SELECT 'same rows', count(*) FROM (SELECT * FROM t EXCEPT SELECT * FROM n);
SELECT count(*) FROM t;
-- A failing statement leaves nothing behind.
CREATE VIRTUAL TABLE u USING strata(k INTEGER PRIMARY KEY, v BLOB, memtable_size = '1MiB');
INSERT INTO u SELECT value, randomblob(100) FROM generate_series(1, 30000) UNION ALL SELECT 5, x'00';
SELECT count(*) FROM u;
.open test.db
.load @EXT@
SELECT count(*) FROM t;
SELECT strata_verify('t');
