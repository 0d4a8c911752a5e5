-- INSERT on an existing key follows SQLite's conflict rules and messages.
CREATE VIRTUAL TABLE t USING strata;
INSERT INTO t VALUES (1, 'a'), (2, 'b');
INSERT INTO t VALUES (1, 'dup');
SELECT * FROM t;
INSERT OR IGNORE INTO t VALUES (1, 'ignored'), (3, 'c');
SELECT * FROM t;
INSERT OR REPLACE INTO t VALUES (1, 'replaced');
REPLACE INTO t VALUES (2, 'replaced too');
SELECT * FROM t;
-- ABORT (the default) undoes the whole statement, earlier rows included.
INSERT INTO t VALUES (10, 'x'), (11, 'y'), (1, 'conflict'), (12, 'z');
SELECT count(*) FROM t;
-- FAIL keeps the rows before the failing one.
INSERT OR FAIL INTO t VALUES (20, 'x'), (21, 'y'), (1, 'conflict'), (22, 'z');
SELECT key FROM t WHERE key >= 20;
-- Inside a transaction ROLLBACK undoes the transaction.
BEGIN;
INSERT INTO t VALUES (30, 'in txn');
INSERT OR ROLLBACK INTO t VALUES (1, 'conflict');
SELECT count(*) FROM t WHERE key = 30;
-- A NULL key is refused.
INSERT INTO t VALUES (NULL, 'no key');
SELECT changes();
INSERT INTO t VALUES (40, 'a'), (41, 'b');
SELECT changes(), total_changes() > 0;
