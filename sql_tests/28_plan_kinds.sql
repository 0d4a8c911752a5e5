-- EXPLAIN QUERY PLAN for each kind of plan xBestIndex makes (see the plan
-- contract in sqlite_ext/vtab.h and docs/vtab.md), each followed by a check
-- that the query returns what the same query on a native twin returns.
CREATE VIRTUAL TABLE t USING strata(k TEXT PRIMARY KEY, v INTEGER);
CREATE TABLE nt(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
CREATE VIRTUAL TABLE u USING strata(key PRIMARY KEY, value);
CREATE TABLE nu(key PRIMARY KEY, value) WITHOUT ROWID;
CREATE VIRTUAL TABLE e USING strata(device TEXT, ts INTEGER, payload, PRIMARY KEY (device, ts));
CREATE TABLE ne(device TEXT, ts INTEGER, payload, PRIMARY KEY (device, ts)) WITHOUT ROWID;
CREATE VIRTUAL TABLE r USING strata(id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE nr(id INTEGER PRIMARY KEY, name TEXT);
CREATE VIRTUAL TABLE l USING strata(level TEXT, msg TEXT);
CREATE TABLE nl(level TEXT, msg TEXT);
CREATE TABLE src(k TEXT, w);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
  INSERT INTO t SELECT printf('k%03d', i), i FROM n;
INSERT INTO nt SELECT * FROM t;
INSERT INTO u VALUES (1, 'a'), (2.5, 'b'), ('12', 'c'), ('123', 'd'), ('abc', 'e'), (x'3132', 'f'), (123, 'g');
INSERT INTO nu SELECT * FROM u;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
  INSERT INTO e SELECT 'd' || (i % 4), i, i * 10 FROM n;
INSERT INTO ne SELECT device, ts, payload FROM e;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
  INSERT INTO r SELECT i * 3, 'n' || i FROM n;
INSERT INTO nr SELECT * FROM r;
INSERT INTO l VALUES ('info', 'a'), ('warn', 'b'), ('info', 'c'), ('error', 'd');
INSERT INTO nl SELECT * FROM l;
INSERT INTO src VALUES ('k005', 'x'), ('k150', 'y'), ('zzz', 'z');
.mode list
-- Full scan, and a full scan with a term left to SQLite.
EXPLAIN QUERY PLAN SELECT * FROM t;
EXPLAIN QUERY PLAN SELECT * FROM t WHERE v % 7 = 0;
SELECT (SELECT group_concat(k) FROM t WHERE v % 7 = 0) IS (SELECT group_concat(k) FROM nt WHERE v % 7 = 0);
-- Point get.
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k = 'k010';
SELECT (SELECT v FROM t WHERE k = 'k010') IS (SELECT v FROM nt WHERE k = 'k010');
-- Multi-get, ascending and descending.
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k IN ('k003', 'k001', 'k999');
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k IN ('k003', 'k001', 'k999') ORDER BY k DESC;
SELECT group_concat(v) FROM (SELECT v FROM t WHERE k IN ('k003', 'k001', 'k999', 'k003') ORDER BY k DESC);
-- Ranges: each bound alone, both, BETWEEN, and bounds given in either order.
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k > 'k290';
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k >= 'k290';
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k < 'k010';
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k <= 'k010';
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k < 'k020' AND k > 'k010';
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k BETWEEN 'k010' AND 'k020';
SELECT (SELECT group_concat(v) FROM t WHERE k < 'k020' AND k > 'k010') IS (SELECT group_concat(v) FROM nt WHERE k < 'k020' AND k > 'k010');
SELECT (SELECT group_concat(v) FROM t WHERE k BETWEEN 'k020' AND 'k010') IS (SELECT group_concat(v) FROM nt WHERE k BETWEEN 'k020' AND 'k010');
-- ORDER BY consumed: no sorter, forward and reverse.
EXPLAIN QUERY PLAN SELECT * FROM t ORDER BY k;
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k >= 'k100' ORDER BY k DESC;
EXPLAIN QUERY PLAN SELECT * FROM t ORDER BY v;
-- LIMIT and OFFSET pushed down, and not when a term is left to SQLite.
EXPLAIN QUERY PLAN SELECT * FROM t ORDER BY k DESC LIMIT 3 OFFSET 2;
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k > 'k100' LIMIT 3;
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k > 'k100' AND v % 2 = 0 LIMIT 3;
SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY k DESC LIMIT 3 OFFSET 2);
SELECT group_concat(v) FROM (SELECT v FROM t WHERE k > 'k100' AND v % 2 = 0 LIMIT 3);
-- GLOB and LIKE prefixes on a TEXT key (SQLite re-checks the pattern).
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k GLOB 'k02*';
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k LIKE 'k02%';
PRAGMA case_sensitive_like = 1;
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k LIKE 'k02%';
SELECT (SELECT group_concat(v) FROM t WHERE k LIKE 'k02%') IS (SELECT group_concat(v) FROM nt WHERE k LIKE 'k02%');
PRAGMA case_sensitive_like = 0;
SELECT (SELECT group_concat(v) FROM t WHERE k LIKE 'K02%') IS (SELECT group_concat(v) FROM nt WHERE k LIKE 'K02%');
-- No prefix range on a key without TEXT affinity: 123 GLOB '12*' is true.
EXPLAIN QUERY PLAN SELECT * FROM u WHERE key GLOB '12*';
SELECT group_concat(value) FROM (SELECT value FROM u WHERE key GLOB '12*' ORDER BY key);
SELECT group_concat(value) FROM (SELECT value FROM nu WHERE key GLOB '12*' ORDER BY key);
-- Composite keys: point, multi-get on the last column, equality plus a range,
-- equality plus ORDER BY, and the second column alone (a full scan).
EXPLAIN QUERY PLAN SELECT * FROM e WHERE device = 'd1' AND ts = 5;
EXPLAIN QUERY PLAN SELECT * FROM e WHERE device = 'd1' AND ts IN (1, 5, 9);
EXPLAIN QUERY PLAN SELECT * FROM e WHERE device = 'd1' AND ts > 100 AND ts <= 150;
EXPLAIN QUERY PLAN SELECT * FROM e WHERE device = 'd2' ORDER BY ts DESC LIMIT 2;
EXPLAIN QUERY PLAN SELECT * FROM e WHERE ts = 5;
EXPLAIN QUERY PLAN SELECT * FROM e WHERE device > 'd1' ORDER BY device, ts;
SELECT (SELECT group_concat(payload) FROM e WHERE device = 'd1' AND ts IN (1, 5, 9)) IS (SELECT group_concat(payload) FROM ne WHERE device = 'd1' AND ts IN (1, 5, 9));
SELECT (SELECT group_concat(payload) FROM e WHERE device = 'd1' AND ts > 100 AND ts <= 150) IS (SELECT group_concat(payload) FROM ne WHERE device = 'd1' AND ts > 100 AND ts <= 150);
SELECT group_concat(ts) FROM (SELECT ts FROM e WHERE device = 'd2' ORDER BY ts DESC LIMIT 2);
SELECT (SELECT group_concat(device || ts) FROM e WHERE ts = 5) IS (SELECT group_concat(device || ts) FROM ne WHERE ts = 5);
-- Rowid tables: INTEGER PRIMARY KEY by name and as rowid, implicit rowid.
EXPLAIN QUERY PLAN SELECT * FROM r WHERE id = 30;
EXPLAIN QUERY PLAN SELECT * FROM r WHERE rowid BETWEEN 30 AND 60 ORDER BY id DESC;
EXPLAIN QUERY PLAN SELECT * FROM l WHERE rowid IN (2, 4);
EXPLAIN QUERY PLAN SELECT * FROM l WHERE rowid >= 2 ORDER BY rowid LIMIT 1;
SELECT (SELECT group_concat(name) FROM r WHERE rowid BETWEEN 30 AND 60) IS (SELECT group_concat(name) FROM nr WHERE rowid BETWEEN 30 AND 60);
SELECT group_concat(msg) FROM (SELECT msg FROM l WHERE rowid >= 2 ORDER BY rowid LIMIT 1);
-- A join with a native table: strata is probed by point gets.
EXPLAIN QUERY PLAN SELECT src.w, t.v FROM src JOIN t ON t.k = src.k;
SELECT group_concat(w || v) FROM (SELECT src.w, t.v FROM src JOIN t ON t.k = src.k ORDER BY src.k);
-- A NULL operand yields no rows, with any plan.
SELECT count(*) FROM t WHERE k = NULL;
SELECT count(*) FROM t WHERE k IN (NULL);
SELECT count(*) FROM t WHERE k > NULL;
SELECT count(*) FROM e WHERE device = 'd1' AND ts < NULL;
