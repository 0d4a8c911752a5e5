-- Terms strata does not turn into key bounds are left to SQLite and are never
-- an error: each query returns what it returns on a native twin (1 = same).
CREATE VIRTUAL TABLE t USING strata;
CREATE TABLE n(key PRIMARY KEY, value) WITHOUT ROWID;
CREATE VIRTUAL TABLE s USING strata(k TEXT PRIMARY KEY, v);
CREATE TABLE ns(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO t VALUES (1, 5), (5, 'five'), (-5, 5), (5.5, 10), ('5', 'text'), (x'35', 'blob'), (10, 1), ('a', 'A');
INSERT INTO n SELECT * FROM t;
INSERT INTO s VALUES ('a', 'x'), ('A', 'X'), ('b', 3), ('B', 4), ('ab', 5), ('5', 6), ('abc', 7);
INSERT INTO ns SELECT * FROM s;
.mode list
SELECT 'IS NOT', (SELECT group_concat(quote(key)) FROM t WHERE key IS NOT 5) IS (SELECT group_concat(quote(key)) FROM n WHERE key IS NOT 5);
SELECT '!=', (SELECT group_concat(quote(key)) FROM t WHERE key != 5) IS (SELECT group_concat(quote(key)) FROM n WHERE key != 5);
SELECT '<>', (SELECT group_concat(quote(key)) FROM t WHERE key <> '5') IS (SELECT group_concat(quote(key)) FROM n WHERE key <> '5');
SELECT 'NOT =', (SELECT group_concat(quote(key)) FROM t WHERE NOT key = 5) IS (SELECT group_concat(quote(key)) FROM n WHERE NOT key = 5);
SELECT '+ 0', (SELECT group_concat(quote(key)) FROM t WHERE key + 0 = 5) IS (SELECT group_concat(quote(key)) FROM n WHERE key + 0 = 5);
SELECT 'abs', (SELECT group_concat(quote(key)) FROM t WHERE abs(key) = 5) IS (SELECT group_concat(quote(key)) FROM n WHERE abs(key) = 5);
SELECT 'length', (SELECT group_concat(quote(key)) FROM t WHERE length(key) = 1) IS (SELECT group_concat(quote(key)) FROM n WHERE length(key) = 1);
SELECT 'IS', (SELECT group_concat(quote(key)) FROM t WHERE key IS 5) IS (SELECT group_concat(quote(key)) FROM n WHERE key IS 5);
SELECT 'IS NULL', (SELECT count(*) FROM t WHERE key IS NULL) IS (SELECT count(*) FROM n WHERE key IS NULL);
SELECT 'NOT NULL', (SELECT count(*) FROM t WHERE key IS NOT NULL) IS (SELECT count(*) FROM n WHERE key IS NOT NULL);
SELECT 'OR', (SELECT group_concat(quote(key)) FROM t WHERE key = 1 OR key = 10) IS (SELECT group_concat(quote(key)) FROM n WHERE key = 1 OR key = 10);
SELECT 'CAST', (SELECT group_concat(quote(key)) FROM t WHERE CAST(key AS TEXT) = '5') IS (SELECT group_concat(quote(key)) FROM n WHERE CAST(key AS TEXT) = '5');
SELECT 'columns', (SELECT group_concat(quote(key)) FROM t WHERE key = value) IS (SELECT group_concat(quote(key)) FROM n WHERE key = value);
SELECT 'BETWEEN', (SELECT group_concat(quote(key)) FROM t WHERE key BETWEEN value AND 10) IS (SELECT group_concat(quote(key)) FROM n WHERE key BETWEEN value AND 10);
SELECT 'LIKE', (SELECT group_concat(quote(key)) FROM t WHERE key LIKE '%5') IS (SELECT group_concat(quote(key)) FROM n WHERE key LIKE '%5');
SELECT 'GLOB', (SELECT group_concat(quote(key)) FROM t WHERE key GLOB '*5*') IS (SELECT group_concat(quote(key)) FROM n WHERE key GLOB '*5*');
SELECT 'REGEXP', (SELECT group_concat(quote(key)) FROM t WHERE key REGEXP '^[0-9]$') IS (SELECT group_concat(quote(key)) FROM n WHERE key REGEXP '^[0-9]$');
SELECT 'IN select', (SELECT group_concat(quote(key)) FROM t WHERE key IN (SELECT value FROM t)) IS (SELECT group_concat(quote(key)) FROM n WHERE key IN (SELECT value FROM n));
SELECT 'NOT IN', (SELECT group_concat(quote(key)) FROM t WHERE key NOT IN (1, 5, NULL)) IS (SELECT group_concat(quote(key)) FROM n WHERE key NOT IN (1, 5, NULL));
SELECT 'NOT IN 2', (SELECT group_concat(quote(key)) FROM t WHERE key NOT IN (1, 5)) IS (SELECT group_concat(quote(key)) FROM n WHERE key NOT IN (1, 5));
SELECT 'EXISTS', (SELECT group_concat(quote(key)) FROM t WHERE EXISTS (SELECT 1 FROM n WHERE n.value = t.key)) IS (SELECT group_concat(quote(key)) FROM n AS m WHERE EXISTS (SELECT 1 FROM n WHERE n.value = m.key));
SELECT 'CASE', (SELECT group_concat(quote(key)) FROM t WHERE CASE WHEN typeof(key) = 'integer' THEN key > 1 END) IS (SELECT group_concat(quote(key)) FROM n WHERE CASE WHEN typeof(key) = 'integer' THEN key > 1 END);
SELECT 'coalesce', (SELECT group_concat(quote(key)) FROM t WHERE coalesce(key, 0) = 5) IS (SELECT group_concat(quote(key)) FROM n WHERE coalesce(key, 0) = 5);
SELECT 'row value', (SELECT group_concat(quote(key)) FROM t WHERE (key, value) = (5, 'five')) IS (SELECT group_concat(quote(key)) FROM n WHERE (key, value) = (5, 'five'));
SELECT 'row value >', (SELECT group_concat(quote(key)) FROM t WHERE (key, value) > (5, 'a')) IS (SELECT group_concat(quote(key)) FROM n WHERE (key, value) > (5, 'a'));
-- (Key terms with a COLLATE other than BINARY: see 36_key_collation.sql.)
SELECT 'NOCASE on a non-key column', (SELECT group_concat(quote(k)) FROM s WHERE v = 'x' COLLATE NOCASE) IS (SELECT group_concat(quote(k)) FROM ns WHERE v = 'x' COLLATE NOCASE);
-- The same in UPDATE and DELETE.
UPDATE t SET value = 'changed' WHERE key IS NOT 5 AND abs(key) = 5;
UPDATE n SET value = 'changed' WHERE key IS NOT 5 AND abs(key) = 5;
DELETE FROM t WHERE key + 0 = 10;
DELETE FROM n WHERE key + 0 = 10;
DELETE FROM s WHERE k GLOB 'a*' AND v > 5;
DELETE FROM ns WHERE k GLOB 'a*' AND v > 5;
SELECT 'after writes', (SELECT group_concat(quote(key) || quote(value)) FROM t) IS (SELECT group_concat(quote(key) || quote(value)) FROM n), (SELECT group_concat(k) FROM s) IS (SELECT group_concat(k) FROM ns);
