-- Flush, compaction and the level summary through SQL.
CREATE VIRTUAL TABLE t USING strata(memtable_size = '64KiB');
INSERT INTO t SELECT value, randomblob(100) FROM generate_series(1, 3000);
SELECT strata_flush('t');
SELECT sum(files) > 0, sum(entries) >= 3000 FROM strata_levels('t');
SELECT strata_compact('t');
SELECT count(*) FROM strata_levels('t') WHERE level = 0 AND files > 0;
SELECT json_extract(strata_stats('t'), '$.flushes') > 0, json_extract(strata_stats('t'), '$.compactions') > 0;
SELECT strata_verify('t');
SELECT count(*), min(key), max(key) FROM t;
SELECT strata_flush('nosuchtable');
SELECT strata_version() LIKE 'strata %';
