-- DROP TABLE removes the store's files, at the default path next to the
-- database and at an explicit `path`; a new table of the same name starts empty.
CREATE VIRTUAL TABLE kv USING strata(memtable_size = '64KiB');
CREATE VIRTUAL TABLE other USING strata(path = 'elsewhere/store');
INSERT INTO kv SELECT value, randomblob(200) FROM generate_series(1, 1000);
SELECT strata_flush('kv');
INSERT INTO other VALUES (1, 2);
.system ls -d test.db*; echo in elsewhere: $(ls elsewhere)
.system ls test.db-kv.strata | sed 's/[0-9][0-9]*/N/' | sort -u
DROP TABLE kv;
.system ls -d test.db*; echo in elsewhere: $(ls elsewhere)
DROP TABLE other;
.system ls -d test.db*; echo in elsewhere: $(ls elsewhere)
SELECT count(*) FROM sqlite_master;
CREATE VIRTUAL TABLE kv USING strata;
SELECT count(*) FROM kv;
.system ls -d test.db*
