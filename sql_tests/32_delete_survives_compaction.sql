-- Regression: a compaction dropped a tombstone but kept the older value it
-- deletes when that value was the smallest key of a file in the level below,
-- so the deleted row came back (manual strata_compact here; automatic L0->L1
-- compactions did it too). Version::GetOverlappingInputs compared internal
-- keys, so that file was not taken as an input; it compares user keys now.
CREATE VIRTUAL TABLE c USING strata;
INSERT INTO c VALUES (1, 'one'), (2, 'two');
SELECT strata_compact('c');
DELETE FROM c WHERE key = 1;
SELECT 'before', group_concat(key) FROM c;
SELECT strata_compact('c');
SELECT 'after', group_concat(key) FROM c;
DELETE FROM c WHERE key = 2;
SELECT strata_compact('c');
SELECT 'after both', count(*) FROM c;
