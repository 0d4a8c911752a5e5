-- Keys up to 1 MiB (1,048,576 bytes of key values, inclusive) and rows up to
-- 64 MiB (67,108,864 bytes of column values, 8 per number) round-trip; one
-- byte more is SQLITE_TOOBIG (18) with the size and the limit, and the
-- statement writes nothing.
CREATE VIRTUAL TABLE t USING strata(k TEXT PRIMARY KEY, v);
CREATE VIRTUAL TABLE b USING strata;
CREATE VIRTUAL TABLE c USING strata(a TEXT, b BLOB, v, PRIMARY KEY (a, b));
INSERT INTO t VALUES (printf('%.*c', 1048576, 'k'), 'exactly 1 MiB');
INSERT INTO t VALUES (printf('%.*c', 1048577, 'k'), 'one byte over');
INSERT INTO b VALUES (zeroblob(1048576), 'exactly 1 MiB');
INSERT INTO b VALUES (zeroblob(1048577), 'one byte over');
INSERT INTO c VALUES ('a', zeroblob(1048575), 'exactly 1 MiB in two columns');
INSERT INTO c VALUES ('ab', zeroblob(1048575), 'one byte over');
SELECT length(k), v FROM t;
SELECT length(key), value FROM b;
SELECT length(a) + length(b), v FROM c;
-- A key made too long by an UPDATE.
UPDATE t SET k = k || 'x';
SELECT length(k), v FROM t;
-- Rows: an integer key (8 bytes) and a value up to 64 MiB - 8.
INSERT INTO b VALUES (1, zeroblob(67108864 - 8));
INSERT INTO b VALUES (2, zeroblob(67108864 - 7));
UPDATE b SET value = value || x'00' WHERE key = 1;
SELECT key, length(value) FROM b WHERE typeof(key) = 'integer';
-- A multi-row statement with one row too big leaves nothing of itself, in a
-- transaction too (whose earlier statements stay).
INSERT INTO t VALUES ('small 1', 1), (printf('%.*c', 1048577, 'k'), 2), ('small 2', 3);
BEGIN;
INSERT INTO t VALUES ('in the transaction', 0);
INSERT INTO t VALUES ('small 1', 1), ('small 2', 2), ('too big', zeroblob(67108864));
COMMIT;
SELECT k, v FROM t WHERE length(k) < 100;
-- The big row survives a flush and a reopen.
SELECT strata_flush('b');
.open test.db
.load @EXT@
SELECT key, length(value), value = zeroblob(67108856) FROM b WHERE key = 1;
SELECT strata_verify('b');
