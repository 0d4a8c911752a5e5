-- strata_stats is valid JSON with the fields docs/vtab.md documents, each of
-- the right JSON type, and figures that follow the workload.
CREATE VIRTUAL TABLE t USING strata(memtable_size = '64KiB');
SELECT json_valid(strata_stats('t'));
SELECT key, type FROM json_each(strata_stats('t')) ORDER BY id;
INSERT INTO t SELECT value, randomblob(100) FROM generate_series(1, 3000);
SELECT strata_flush('t');
INSERT INTO t SELECT value, randomblob(100) FROM generate_series(3001, 6000);
SELECT strata_compact('t');
SELECT count(*) FROM t WHERE key % 500 = 0;
SELECT json_valid(strata_stats('t'));
WITH s(j) AS (SELECT strata_stats('t'))
SELECT json_extract(j, '$.table') = 't',
       json_extract(j, '$.path') LIKE '%/test.db-t.strata',
       json_extract(j, '$.last_sequence') = 6000,
       json_extract(j, '$.flushes') >= 2,
       json_extract(j, '$.compactions') >= 1,
       json_extract(j, '$.user_bytes_written') > 600000,
       json_extract(j, '$.wal_bytes_written') >= json_extract(j, '$.user_bytes_written'),
       json_extract(j, '$.bytes_written_flush') > 0,
       json_extract(j, '$.write_amplification') > 0,
       json_extract(j, '$.live_table_bytes') > 600000,
       json_extract(j, '$.table_files') >= 1,
       json_extract(j, '$.files_per_level') LIKE '0,%',
       json_extract(j, '$.block_cache_capacity') > 0,
       json_extract(j, '$.background_error') = ''
FROM s;
-- The same engine figures through schema-qualified names and in a transaction.
BEGIN;
INSERT INTO t VALUES ('pending', 1);
SELECT json_extract(strata_stats('main.t'), '$.last_sequence');
COMMIT;
SELECT json_extract(strata_stats('main.t'), '$.last_sequence');
SELECT strata_stats('nosuch');
