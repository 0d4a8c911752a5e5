-- DROP TABLE and ALTER TABLE ... RENAME are part of their transaction: rolled back (also to a
-- savepoint), the table is back with all its rows and its store where it was; committed, the
-- store is deleted or moved. Until the commit, strata_pending_ddl shows what will happen;
-- the store directories are listed after each step.
CREATE VIRTUAL TABLE d USING strata;
INSERT INTO d VALUES (1, 'kept?'), (2, 'kept?');
CREATE VIRTUAL TABLE n USING strata;
INSERT INTO n VALUES (1, 'kept?');
SELECT strata_flush('n');
--
-- Rolled back.
BEGIN;
DROP TABLE d;
ALTER TABLE n RENAME TO n2;
SELECT op, tbl, replace(path, rtrim(path, replace(path, '/', '')), ''),
       replace(new_path, rtrim(new_path, replace(new_path, '/', '')), '') FROM strata_pending_ddl;
SELECT 'renamed, in the transaction', count(*) FROM n2;
.system ls -d test.db*
ROLLBACK;
SELECT 'pending after ROLLBACK', count(*) FROM strata_pending_ddl;
SELECT 'drop rolled back', count(*) FROM d;
SELECT 'rename rolled back', count(*) FROM n;
.system ls -d test.db*
--
-- Rolled back to a savepoint, then committed; released into the transaction, then rolled back.
BEGIN;
SAVEPOINT a;
DROP TABLE d;
ALTER TABLE n RENAME TO n2;
ROLLBACK TO a;
COMMIT;
SELECT 'ROLLBACK TO', (SELECT count(*) FROM d), (SELECT count(*) FROM n);
BEGIN;
SAVEPOINT a;
DROP TABLE d;
SAVEPOINT b;
ALTER TABLE n RENAME TO n2;
RELEASE b;
RELEASE a;
SELECT 'after RELEASE', group_concat(op) FROM strata_pending_ddl;
ROLLBACK;
SELECT 'RELEASE, ROLLBACK', (SELECT count(*) FROM d), (SELECT count(*) FROM n);
-- Only the inner savepoint rolls back: the DROP stays, the RENAME goes.
BEGIN;
SAVEPOINT a;
DROP TABLE d;
SAVEPOINT b;
ALTER TABLE n RENAME TO n2;
ROLLBACK TO b;
SELECT 'after ROLLBACK TO b', group_concat(op) FROM strata_pending_ddl;
ROLLBACK;
.system ls -d test.db*
--
-- Committed: the dropped store is deleted, the renamed one moved, rows and all.
BEGIN;
DROP TABLE d;
ALTER TABLE n RENAME TO n2;
COMMIT;
.system ls -d test.db*
SELECT 'renamed, committed', count(*) FROM n2;
--
-- Renamed twice, and back: the store moves once, to the last name.
BEGIN;
ALTER TABLE n2 RENAME TO n3;
ALTER TABLE n3 RENAME TO n4;
SELECT 'twice', count(*) FROM n4;
ROLLBACK;
.system ls -d test.db*
BEGIN;
ALTER TABLE n2 RENAME TO n3;
ALTER TABLE n3 RENAME TO n4;
COMMIT;
.system ls -d test.db*
BEGIN;
ALTER TABLE n4 RENAME TO n5;
ALTER TABLE n5 RENAME TO n4;
COMMIT;
SELECT 'there and back', count(*) FROM n4;
.system ls -d test.db*
--
-- Writes before and after the rename, in the same transaction.
BEGIN;
INSERT INTO n4 VALUES (2, 'before the rename');
ALTER TABLE n4 RENAME TO n;
COMMIT;
BEGIN;
ALTER TABLE n RENAME TO n2;
INSERT INTO n2 VALUES (3, 'after the rename');
COMMIT;
SELECT 'writes', group_concat(key) FROM n2;
BEGIN;
ALTER TABLE n2 RENAME TO n3;
INSERT INTO n3 VALUES (4, 'rolled back');
ROLLBACK;
SELECT 'writes rolled back', group_concat(key) FROM n2;
-- Renamed, then dropped under the new name.
BEGIN;
ALTER TABLE n2 RENAME TO n3;
DROP TABLE n3;
ROLLBACK;
SELECT 'rename and drop rolled back', count(*) FROM n2;
.system ls -d test.db*
--
-- What cannot be made part of the transaction is refused, with a message that names the
-- store, so this part runs in a second process whose output shows the test directory as DIR:
--   - while the transaction is open, no new table may take the store of a dropped table or the
--     old name of a renamed one (it would hold the rows that a rollback brings back);
--   - a store another connection holds cannot move: the rename is refused up front, and if
--     that connection takes hold of the store later in the transaction, COMMIT fails with
--     SQLITE_BUSY (the transaction stays open) until it lets go;
--   - a store dropped while another connection still reads it goes when that one lets go.
-- Autocommit DROP and RENAME take effect at the end of their statement.
.open other.db
.output second.sql
.print ".load @EXT@"
.print "CREATE VIRTUAL TABLE d USING strata;"
.print "INSERT INTO d VALUES (1, 'd');"
.print "BEGIN;"
.print "DROP TABLE d;"
.print "CREATE VIRTUAL TABLE d USING strata;"
.print "ALTER TABLE n2 RENAME TO n3;"
.print "CREATE VIRTUAL TABLE n2 USING strata;"
.print "COMMIT;"
.print "CREATE VIRTUAL TABLE d USING strata;"
.print "SELECT 'new d after the commit', count(*) FROM d;"
.print ".system ls -d test.db*"
.print "DROP TABLE d;"
.print "ALTER TABLE n3 RENAME TO n;"
.print ".system ls -d test.db*"
.print "SELECT 'autocommit rename', count(*) FROM n;"
.print ".connection 1"
.print ".open test.db"
.print ".load @EXT@"
.print "SELECT 'connection 1 reads', count(*) FROM n;"
.print ".connection 0"
.print "ALTER TABLE n RENAME TO n2;"
.print ".connection 1"
.print ".open other.db"
.print ".connection 0"
.print "BEGIN;"
.print "ALTER TABLE n RENAME TO n2;"
.print ".connection 1"
.print ".open test.db"
.print ".load @EXT@"
.print "SELECT 'connection 1 reads', count(*) FROM n;"
.print ".connection 0"
.print "COMMIT;"
.print "SELECT 'still open', count(*) FROM strata_pending_ddl;"
.print ".connection 1"
.print ".open other.db"
.print ".connection 0"
.print "COMMIT;"
.print "SELECT 'committed', count(*) FROM n2;"
.print ".system ls -d test.db*"
.print ".connection 1"
.print ".open test.db"
.print ".load @EXT@"
.print "SELECT 'connection 1 reads', count(*) FROM n2;"
.print ".connection 0"
.print "DROP TABLE n2;"
.print ".system ls -d test.db*"
.print ".connection 1"
.print ".open other.db"
.print ".connection 0"
.print ".system ls -d test.db*"
.output stdout
.system sqlite3 test.db < second.sql 2>&1 | sed "s#$(pwd -P)#DIR#g"
.open test.db
.load @EXT@
--
-- Reopened: the rolled-back DROP's rows are on disk.
CREATE VIRTUAL TABLE r USING strata;
INSERT INTO r VALUES (1, 'r');
BEGIN;
DROP TABLE r;
ROLLBACK;
.open test.db
.load @EXT@
SELECT 'reopened', count(*) FROM r;
--
-- Write, rename, write in one transaction: SQLite connects the renamed table
-- anew, and both objects share the connection's transaction on the store.
CREATE VIRTUAL TABLE w USING strata(k INTEGER PRIMARY KEY, v);
BEGIN;
INSERT INTO w VALUES (1, 'before');
ALTER TABLE w RENAME TO w2;
INSERT INTO w2 VALUES (2, 'after');
COMMIT;
SELECT 'renamed', k, v FROM w2;
