-- ALTER TABLE ... RENAME loses nothing: a store at its default path moves to
-- the new name's default path, a store with an explicit path stays there.
CREATE VIRTUAL TABLE kv USING strata(memtable_size = '64KiB');
CREATE VIRTUAL TABLE fixed USING strata(path = 'stores/fixed');
INSERT INTO kv SELECT value, 'v' || value FROM generate_series(1, 2000);
SELECT strata_flush('kv');
INSERT INTO kv VALUES (5000, 'in the memtable');
INSERT INTO fixed VALUES ('a', 1), ('b', 2);
ALTER TABLE kv RENAME TO renamed;
ALTER TABLE fixed RENAME TO moved;
.system ls -d test.db* stores/*
SELECT count(*), min(key), max(key) FROM renamed;
SELECT value FROM renamed WHERE key = 5000;
SELECT * FROM moved;
SELECT * FROM kv;
-- Writes and the SQL functions follow the new names.
INSERT INTO renamed VALUES (5001, 'after the rename');
SELECT strata_verify('renamed');
SELECT strata_flush('kv');
-- Still there after reopening.
.open test.db
.load @EXT@
SELECT count(*), max(key) FROM renamed;
SELECT * FROM moved;
-- Renamed inside a transaction that commits.
BEGIN;
ALTER TABLE renamed RENAME TO again;
INSERT INTO again VALUES (5002, 'in the renaming transaction');
COMMIT;
.system ls -d test.db*
SELECT count(*), max(key) FROM again;
