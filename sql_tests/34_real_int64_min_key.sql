-- A REAL -9223372036854775808.0 (-2^63) in an INTEGER key column reads back as a REAL. INTEGER
-- affinity turns an integral REAL into an INTEGER except at the int64 extremes, so a native
-- table keeps this one REAL; the key encoding makes it the same key as the INTEGER
-- -9223372036854775808, and the row records that it was REAL.
-- Each line: what, the strata table's answer, the native WITHOUT ROWID table's answer.
CREATE VIRTUAL TABLE m USING strata(a TEXT, b INTEGER, PRIMARY KEY (a, b));
CREATE TABLE nm(a TEXT, b INTEGER, PRIMARY KEY (a, b)) WITHOUT ROWID;
INSERT INTO m VALUES ('x', -9223372036854775807 - 1);
INSERT INTO nm VALUES ('x', -9223372036854775807 - 1);
SELECT 'composite, INTEGER', (SELECT typeof(b) || ' ' || b FROM m), (SELECT typeof(b) || ' ' || b FROM nm);
-- b - 1 overflows into the REAL -2^63 - 1, which is -2^63 as a double.
UPDATE m SET b = b - 1;
UPDATE nm SET b = b - 1;
SELECT 'composite, b - 1', (SELECT typeof(b) || ' ' || b FROM m), (SELECT typeof(b) || ' ' || b FROM nm);
-- The INTEGER and the REAL are one key.
INSERT INTO m VALUES ('x', -9223372036854775807 - 1);
INSERT INTO nm VALUES ('x', -9223372036854775807 - 1);
SELECT 'found by the INTEGER', (SELECT typeof(b) FROM m WHERE a = 'x' AND b = -9223372036854775807 - 1),
                               (SELECT typeof(b) FROM nm WHERE a = 'x' AND b = -9223372036854775807 - 1);
INSERT OR REPLACE INTO m VALUES ('x', -9223372036854775807 - 1);
INSERT OR REPLACE INTO nm VALUES ('x', -9223372036854775807 - 1);
SELECT 'replaced by the INTEGER', (SELECT typeof(b) FROM m), (SELECT typeof(b) FROM nm);
INSERT OR REPLACE INTO m VALUES ('x', -9223372036854775808.0);
INSERT OR REPLACE INTO nm VALUES ('x', -9223372036854775808.0);
SELECT 'replaced by the REAL', (SELECT typeof(b) FROM m), (SELECT typeof(b) FROM nm);
-- Other integral REALs become INTEGERs; 2^63 is beyond int64 and stays REAL.
INSERT INTO m VALUES ('y', -9223372036854774784.0), ('z', 9223372036854775808.0);
INSERT INTO nm VALUES ('y', -9223372036854774784.0), ('z', 9223372036854775808.0);
SELECT 'all rows', (SELECT group_concat(a || ' ' || typeof(b) || ' ' || b, ', ') FROM m),
                   (SELECT group_concat(a || ' ' || typeof(b) || ' ' || b, ', ') FROM nm);
--
-- Single-column keys: INTEGER (INT), and NUMERIC which keeps -2^63 REAL alike.
CREATE VIRTUAL TABLE i USING strata(k INT PRIMARY KEY, v);
CREATE TABLE ni(k INT PRIMARY KEY, v) WITHOUT ROWID;
CREATE VIRTUAL TABLE n USING strata(k NUMERIC PRIMARY KEY, v);
CREATE TABLE nn(k NUMERIC PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO i VALUES (-9223372036854775808.0, 'real'), (-9223372036854775807, 'int');
INSERT INTO ni VALUES (-9223372036854775808.0, 'real'), (-9223372036854775807, 'int');
INSERT INTO n VALUES (-9223372036854775808.0, 'real'), ('-9223372036854775807', 'int');
INSERT INTO nn VALUES (-9223372036854775808.0, 'real'), ('-9223372036854775807', 'int');
SELECT 'INT key', (SELECT group_concat(v || ' ' || typeof(k), ', ') FROM i),
                  (SELECT group_concat(v || ' ' || typeof(k), ', ') FROM ni);
SELECT 'NUMERIC key', (SELECT group_concat(v || ' ' || typeof(k), ', ') FROM n),
                      (SELECT group_concat(v || ' ' || typeof(k), ', ') FROM nn);
-- An INTEGER PRIMARY KEY is the rowid: the REAL is refused, as in a native rowid table.
CREATE VIRTUAL TABLE p USING strata(id INTEGER PRIMARY KEY, v);
CREATE TABLE np(id INTEGER PRIMARY KEY, v);
INSERT INTO p VALUES (-9223372036854775808.0, 'real');
INSERT INTO np VALUES (-9223372036854775808.0, 'real');
--
-- After a flush, a compaction and reopening the database.
SELECT strata_flush('m'), strata_compact('i');
.open test.db
.load @EXT@
SELECT 'reopened', (SELECT group_concat(a || ' ' || typeof(b), ', ') FROM m),
                   (SELECT group_concat(a || ' ' || typeof(b), ', ') FROM nm);
SELECT 'reopened INT key', (SELECT group_concat(v || ' ' || typeof(k), ', ') FROM i),
                           (SELECT group_concat(v || ' ' || typeof(k), ', ') FROM ni);
