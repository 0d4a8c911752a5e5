-- A second process cannot open a store this process holds: SQLITE_BUSY with
-- "... is locked by process N" (N, this sqlite3's pid, is shown as PARENT;
-- the test directory as DIR). The store is unharmed, and once this process
-- lets it go the other process opens it.
CREATE VIRTUAL TABLE kv USING strata;
INSERT INTO kv VALUES (1, 'one'), (2, 'two');
.system sqlite3 -cmd ".load @EXT@" test.db "SELECT * FROM kv" "INSERT INTO kv VALUES (3, 'three')" 2>&1 | sed "s#$(pwd -P)#DIR#g;s/process $PPID /process PARENT /"
.system sqlite3 -cmd ".load @EXT@" test.db "SELECT * FROM kv" >/dev/null 2>&1; echo exit status $?
SELECT * FROM kv;
SELECT strata_verify('kv');
-- Another database file, the same store through `path`: the same refusal.
.system sqlite3 -cmd ".load @EXT@" other.db "CREATE VIRTUAL TABLE t USING strata(path = 'test.db-kv.strata')" 2>&1 | sed "s#$(pwd -P)#DIR#g;s/process $PPID /process PARENT /"
-- Closing the connection releases the store.
.open test.db
.load @EXT@
.system sqlite3 -cmd ".load @EXT@" test.db "INSERT INTO kv VALUES (3, 'from the other process')" "SELECT * FROM kv" 2>&1
SELECT * FROM kv;
