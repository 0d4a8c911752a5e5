-- `k = a OR k = b` on the key is one sorted multi-get, as `k IN (a, b)` is:
-- rows come in key order and an UPDATE that moves them applies them in that
-- order, as on a native table (which turns the OR into an IN on its primary
-- key). Regression: the IN plan was costed above two point gets, so SQLite
-- ran a MULTI-INDEX OR in the order the terms were written, and UPDATE OR
-- IGNORE kept a different one of two rows competing for one new key.
CREATE VIRTUAL TABLE t USING strata(k TEXT PRIMARY KEY, v);
CREATE TABLE n(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3), ('x1', 4), ('y1', 5);
INSERT INTO n SELECT * FROM t;
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k = 'c' OR k = 'a';
SELECT 'or', group_concat(k) FROM (SELECT k FROM t WHERE k = 'c' OR k = 'a' OR k = 'b');
SELECT 'or native', group_concat(k) FROM (SELECT k FROM n WHERE k = 'c' OR k = 'a' OR k = 'b');
-- Both rows map to 'z1'; the first in key order takes it, the other is ignored.
UPDATE OR IGNORE t SET k = 'z' || substr(k, 2) WHERE k = 'y1' OR k = 'x1';
UPDATE OR IGNORE n SET k = 'z' || substr(k, 2) WHERE k = 'y1' OR k = 'x1';
SELECT 'after', group_concat(k || '=' || v) FROM t;
SELECT 'after native', group_concat(k || '=' || v) FROM n;
