-- strata_checkpoint makes a consistent copy of a store that opens as a store
-- of its own (CREATE VIRTUAL TABLE ... USING strata(path = copy)); it returns
-- the copy's absolute path (shown relative to the test directory here).
CREATE VIRTUAL TABLE t USING strata(k TEXT PRIMARY KEY, v INTEGER, memtable_size = '64KiB');
INSERT INTO t SELECT printf('k%05d', value), value FROM generate_series(1, 5000);
SELECT strata_flush('t');
UPDATE t SET v = -v WHERE v % 100 = 0;
DELETE FROM t WHERE v BETWEEN 1000 AND 1999;
INSERT INTO t VALUES ('unflushed', 42);
SELECT replace(strata_checkpoint('t', 'backup'), (SELECT replace(file, '/test.db', '') FROM pragma_database_list WHERE name = 'main'), '.');
.system ls backup | sed 's/[0-9][0-9]*/N/' | sort -u
-- Writes after the checkpoint do not reach the copy.
INSERT INTO t VALUES ('after', 1);
CREATE VIRTUAL TABLE c USING strata(k TEXT PRIMARY KEY, v INTEGER, path = 'backup');
SELECT count(*), sum(v), min(k), max(k) FROM t;
SELECT count(*), sum(v), min(k), max(k) FROM c;
SELECT (SELECT group_concat(k || v) FROM t WHERE k <> 'after') IS (SELECT group_concat(k || v) FROM c);
SELECT strata_verify('c');
-- The copy is a store like any other: writable, independent of the original.
DELETE FROM c WHERE k < 'k00500';
INSERT INTO c VALUES ('only in the copy', 0);
SELECT count(*) FROM c;
SELECT count(*) FROM t WHERE k = 'only in the copy';
-- A checkpoint of the copy, inside a transaction (committed data only).
BEGIN;
INSERT INTO c VALUES ('pending', 0);
SELECT strata_checkpoint('c', 'backup2') LIKE '%/backup2';
COMMIT;
CREATE VIRTUAL TABLE c2 USING strata(k TEXT PRIMARY KEY, v INTEGER, path = 'backup2');
SELECT count(*), sum(k = 'pending') FROM c2;
-- The target must not exist already (another process, to mask the path).
.open test.db
.load @EXT@
.system sqlite3 -cmd ".load @EXT@" test.db "SELECT strata_checkpoint('t', 'backup')" 2>&1 | sed "s#$(pwd -P)#DIR#g"
