-- Tables of a :memory: or temporary database keep their stores in a directory private to the
-- connection, under the same path at every connect: a table that SQLite connects again (after
-- a ROLLBACK that undid a schema change, or a RENAME) finds its rows. DROP and RENAME are part
-- of their transaction as in a database file. The directory goes when the connection closes.
.open :memory:
.load @EXT@
CREATE VIRTUAL TABLE t USING strata;
INSERT INTO t VALUES (1, 'a'), (2, 'b');
BEGIN;
CREATE TABLE native(x);
ROLLBACK;
SELECT 'after a rolled-back schema change', count(*) FROM t;
BEGIN;
DROP TABLE t;
ROLLBACK;
SELECT 'DROP rolled back', count(*) FROM t;
BEGIN;
ALTER TABLE t RENAME TO t2;
SELECT 'renamed, in the transaction', count(*) FROM t2;
ROLLBACK;
SELECT 'RENAME rolled back', count(*) FROM t;
ALTER TABLE t RENAME TO t2;
INSERT INTO t2 VALUES (3, 'c');
SELECT 'RENAME committed', count(*) FROM t2;
SELECT 'the store follows the name', json_extract(strata_stats('t2'), '$.path') LIKE '%/main-t2.strata';
-- The temp schema of a database file, next to main.
.open test.db
.load @EXT@
CREATE VIRTUAL TABLE main.t USING strata;
CREATE VIRTUAL TABLE temp.t USING strata;
INSERT INTO main.t VALUES (1, 'main');
INSERT INTO temp.t VALUES (1, 'temp'), (2, 'temp');
BEGIN;
DROP TABLE temp.t;
CREATE TABLE native(x);
ROLLBACK;
SELECT 'main and temp', (SELECT count(*) FROM main.t), (SELECT count(*) FROM temp.t);
.output dir.txt
SELECT json_extract(strata_stats('temp.t'), '$.path');
.output stdout
.system d=$(cat dir.txt); test -d ${d%/*} && echo private directory while open
DROP TABLE temp.t;
.system test -d "$(cat dir.txt)" || echo "dropped store removed"
CREATE VIRTUAL TABLE temp.t USING strata;
.open other.db
.system d=$(cat dir.txt); test -e ${d%/*} || echo private directory removed at close
