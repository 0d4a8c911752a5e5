-- Open bugs found by the SQL tests and unit_tests/sql_differential_test.cc.
-- The .expected file shows the CORRECT behaviour (what a native table does),
-- so this test fails until each is fixed. One block per bug. (Bugs 1, 2, 3, 5
-- and 6 are fixed; their regression tests are sql_tests/33 to 37.)
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
