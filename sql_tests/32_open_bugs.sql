-- Open bugs found by the SQL tests and unit_tests/sql_differential_test.cc.
-- The .expected file shows the CORRECT behaviour (what a native table does),
-- so this test fails until each is fixed. One block per bug.
--
-- 4. A compaction drops a tombstone but keeps the older value it deletes when
--    that value is the smallest key of a file in the level below: the
--    deleted row comes back (manual strata_compact here; automatic L0->L1
--    compactions do it too). Version::GetOverlappingInputs compares internal
--    keys, so that file is not taken as an input.
CREATE VIRTUAL TABLE c USING strata;
INSERT INTO c VALUES (1, 'one'), (2, 'two');
SELECT strata_compact('c');
DELETE FROM c WHERE key = 1;
SELECT 'bug 4 before', group_concat(key) FROM c;
SELECT strata_compact('c');
SELECT 'bug 4 after', group_concat(key) FROM c;
--
-- 6. DROP TABLE and ALTER TABLE ... RENAME inside a transaction that is rolled
--    back: SQLite restores the schema, but xDestroy already deleted the store
--    and xRename already moved it, so the table comes back empty (the renamed
--    store's rows sit orphaned under the new name's directory).
CREATE VIRTUAL TABLE d USING strata;
INSERT INTO d VALUES (1, 'kept?');
CREATE VIRTUAL TABLE n USING strata;
INSERT INTO n VALUES (1, 'kept?');
BEGIN;
DROP TABLE d;
ALTER TABLE n RENAME TO n2;
ROLLBACK;
SELECT 'bug 6 drop', count(*) FROM d;
SELECT 'bug 6 rename', count(*) FROM n;
