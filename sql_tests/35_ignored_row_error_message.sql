-- Under OR IGNORE, SQLite skips a row whose xUpdate reports a constraint error and goes on;
-- an error it raises itself later in the same statement (here: datatype mismatch for a rowid
-- that is not an integer) must carry its own message, not the ignored row's "UNIQUE
-- constraint failed" or "NOT NULL constraint failed". Strata lines first, native second.
CREATE VIRTUAL TABLE r USING strata(x NOT NULL);
CREATE TABLE nr(x NOT NULL);
INSERT INTO r(rowid, x) VALUES (1, 'a'), (2, 'b');
INSERT INTO nr(rowid, x) VALUES (1, 'a'), (2, 'b');
-- An ignored conflict, then the mismatch.
INSERT OR IGNORE INTO r(rowid, x) VALUES (1, 'dup'), ('abc', 'bad');
INSERT OR IGNORE INTO nr(rowid, x) VALUES (1, 'dup'), ('abc', 'bad');
-- An ignored NOT NULL violation, then the mismatch.
INSERT OR IGNORE INTO r(rowid, x) VALUES (3, NULL), ('abc', 'bad');
INSERT OR IGNORE INTO nr(rowid, x) VALUES (3, NULL), ('abc', 'bad');
-- UPDATE OR IGNORE: row 1 moves onto row 2 (ignored), row 2 onto a text rowid.
UPDATE OR IGNORE r SET rowid = iif(rowid = 1, 2, 'abc');
UPDATE OR IGNORE nr SET rowid = iif(rowid = 1, 2, 'abc');
-- Ignored rows alone: no error, and the other rows go in.
INSERT OR IGNORE INTO r(rowid, x) VALUES (1, 'dup'), (3, NULL), (4, 'd');
INSERT OR IGNORE INTO nr(rowid, x) VALUES (1, 'dup'), (3, NULL), (4, 'd');
SELECT 'after', (SELECT group_concat(rowid || x) FROM r), (SELECT group_concat(rowid || x) FROM nr);
-- Other conflict modes still report the constraint.
INSERT OR ABORT INTO r(rowid, x) VALUES (1, 'dup'), ('abc', 'bad');
INSERT OR ABORT INTO nr(rowid, x) VALUES (1, 'dup'), ('abc', 'bad');
INSERT OR FAIL INTO r(rowid, x) VALUES (5, NULL);
INSERT OR FAIL INTO nr(rowid, x) VALUES (5, NULL);
INSERT OR REPLACE INTO r(rowid, x) VALUES (5, NULL);
INSERT OR REPLACE INTO nr(rowid, x) VALUES (5, NULL);
--
-- A WITHOUT ROWID key: the ignored conflict leaves no message behind for the statement's
-- next error, here one strata raises (a key over the 1 MiB limit).
CREATE VIRTUAL TABLE k USING strata(k TEXT PRIMARY KEY, v);
INSERT INTO k VALUES ('a', 1);
INSERT OR IGNORE INTO k VALUES ('a', 2), (zeroblob(1048577), 3);
SELECT 'k', (SELECT group_concat(k || v) FROM k);
