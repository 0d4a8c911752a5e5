-- Data survives closing and reopening the database; the store lives next to
-- the database file by default, or at `path`.
CREATE VIRTUAL TABLE kv USING strata;
CREATE VIRTUAL TABLE other USING strata(path = 'elsewhere/store');
INSERT INTO kv VALUES ('a', 1), ('b', 2);
INSERT INTO other VALUES (1, x'cafe');
BEGIN; INSERT INTO kv VALUES ('c', 3); COMMIT;
BEGIN; INSERT INTO kv VALUES ('rolled back', 0); ROLLBACK;
.open test.db
.load @EXT@
SELECT * FROM kv;
SELECT key, hex(value) FROM other;
.system ls -d test.db-kv.strata elsewhere/store
.system ls test.db-kv.strata | grep -v wal | grep -v sst | grep -v MANIFEST
SELECT strata_flush('kv');
.open test.db
.load @EXT@
SELECT * FROM kv;
