-- CREATE on a directory that already holds a store opens it; the recorded
-- schema must match, or the error says how it differs. The messages name the
-- store's absolute path, so the statements run in a second sqlite3 process
-- whose output has the test directory masked as DIR.
CREATE VIRTUAL TABLE a USING strata(k TEXT PRIMARY KEY, v INTEGER, path = 'shared');
INSERT INTO a VALUES ('x', 1), ('y', 2);
-- The same declaration over the same directory: the same data, one engine.
CREATE VIRTUAL TABLE b USING strata(k TEXT PRIMARY KEY, v INTEGER, path = 'shared');
SELECT * FROM b;
-- Options may differ: they are not part of the schema.
CREATE VIRTUAL TABLE d USING strata(k TEXT PRIMARY KEY, v INTEGER, path = 'shared', memtable_size = '1MiB');
SELECT count(*) FROM d;
-- Close this connection (the store is released), then try other schemas.
.open test.db
.load @EXT@
SELECT writefile('nested.sql', '
SELECT ''the store is open in the process:'', count(*) FROM a;
CREATE VIRTUAL TABLE c1 USING strata(k TEXT PRIMARY KEY, v TEXT, path = ''shared'');
CREATE VIRTUAL TABLE c2 USING strata(k TEXT PRIMARY KEY, w INTEGER, path = ''shared'');
CREATE VIRTUAL TABLE c3 USING strata(k TEXT PRIMARY KEY, v INTEGER, extra, path = ''shared'');
CREATE VIRTUAL TABLE c4 USING strata(k INTEGER PRIMARY KEY, v INTEGER, path = ''shared'');
CREATE VIRTUAL TABLE c5 USING strata(k TEXT, v INTEGER, path = ''shared'');
CREATE VIRTUAL TABLE c6 USING strata(k TEXT PRIMARY KEY, v INTEGER NOT NULL, path = ''shared'');
CREATE VIRTUAL TABLE c7 USING strata(path = ''shared'');
CREATE VIRTUAL TABLE c8 USING strata(v INTEGER, k TEXT PRIMARY KEY, path = ''shared'');
CREATE VIRTUAL TABLE c9 USING strata(k TEXT PRIMARY KEY, v INTEGER COLLATE NOCASE, path = ''shared'');
.open test.db
.load @EXT@
SELECT ''the store is closed: its SCHEMA file is checked'';
CREATE VIRTUAL TABLE c10 USING strata(k TEXT PRIMARY KEY, v REAL, path = ''shared'');
CREATE VIRTUAL TABLE c11 USING strata(k BLOB PRIMARY KEY, v INTEGER, path = ''shared'');
') > 0;
.system sqlite3 -cmd ".load @EXT@" test.db < nested.sql 2>&1 | sed "s#$(pwd -P)#DIR#g"
SELECT name FROM sqlite_master ORDER BY name;
SELECT * FROM a;
