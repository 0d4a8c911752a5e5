-- The readonly option opens a store read-only: reads work, writes fail with
-- SQLITE_READONLY and leave the store as it was. A read-only directory does
-- the same (checked only when not running as root, for whom chmod does not
-- stop writes; that part prints nothing unless something is wrong). Errors
-- name the store's absolute path, so those statements run in a second
-- sqlite3 process whose output shows the test directory as DIR.
CREATE VIRTUAL TABLE kv USING strata(memtable_size = '64KiB');
INSERT INTO kv SELECT value, 'v' || value FROM generate_series(1, 3000);
INSERT INTO kv VALUES ('last', 'still in the WAL');
CREATE VIRTUAL TABLE ro USING strata(path = 'test.db-kv.strata', readonly = 1);
-- Closing this connection lets the store go; the other process opens ro first.
.open test.db
.load @EXT@
.system for s in "SELECT count(*), max(key) FROM ro;" "SELECT value FROM ro WHERE key = 'last';" "SELECT count(*) FROM ro WHERE key BETWEEN 100 AND 199;" "INSERT INTO ro VALUES (0, 'zero');" "UPDATE ro SET value = 'x' WHERE key = 1;" "DELETE FROM ro WHERE key = 1;" "REPLACE INTO ro VALUES (1, 'x');" "BEGIN TRANSACTION;" "INSERT INTO ro VALUES (0, 'zero');" "SELECT count(*) FROM ro;" "COMMIT TRANSACTION;" "SELECT strata_verify('ro');" "SELECT strata_flush('ro');" "SELECT strata_compact('ro');" "SELECT value FROM kv WHERE key = 2;" "INSERT INTO kv VALUES (0, 'zero');" "SELECT count(*) FROM kv;" "CREATE VIRTUAL TABLE absent USING strata(path = 'no/such/store', readonly = 1);" ; do echo '"$s"' ; done | sqlite3 -cmd ".load @EXT@" test.db 2>&1 | sed "s#$(pwd -P)#DIR#g"
-- (The last statement above: readonly = 1 never creates a store.)
.system ls -d no 2>&1 | sed 's/.*cannot access.*/no directory was created/'
-- Writable again without the option.
INSERT INTO kv VALUES (0, 'zero');
SELECT count(*) FROM kv;
-- A read-only directory (not as root).
SELECT writefile('check.sh', 'if [ "$(id -u)" != 0 ]; then
  chmod a-w test.db-kv.strata
  echo "SELECT count(*) FROM kv; INSERT INTO kv VALUES (-1, 1);" | sqlite3 -cmd ".load $1" test.db > dir.out 2>&1
  chmod u+w test.db-kv.strata
  grep -q "^3002$" dir.out && grep -q "read-only.*(8)$" dir.out || cat dir.out
fi
') > 0;
.open test.db
.load @EXT@
.system sh check.sh @EXT@
SELECT count(*) FROM kv;
