-- A key term compared under a collation other than BINARY (the key order) is neither a point
-- get nor a range of the keys: strata leaves it to SQLite (and a NOCASE ORDER BY to SQLite's
-- sorter). Each result line: what, the strata table's keys, the native WITHOUT ROWID
-- table's keys (both in BINARY order); then the plans.
CREATE VIRTUAL TABLE s USING strata(k TEXT PRIMARY KEY, v);
CREATE TABLE ns(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO s VALUES ('a', 1), ('A', 2), ('b', 3), ('B', 4), ('ab', 5), ('a ', 6), ('_', 7),
                     ('[', 8), ('z', 9), ('Z', 10), (x'61', 11);
INSERT INTO ns SELECT * FROM s;
SELECT '=',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k = 'a' COLLATE NOCASE ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k = 'a' COLLATE NOCASE ORDER BY k));
SELECT '= (collation on the value)',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE 'a' COLLATE NOCASE = k ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE 'a' COLLATE NOCASE = k ORDER BY k));
SELECT 'IS',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k IS 'b' COLLATE NOCASE ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k IS 'b' COLLATE NOCASE ORDER BY k));
SELECT 'IN',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k COLLATE NOCASE IN ('a', 'b') ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k COLLATE NOCASE IN ('a', 'b') ORDER BY k));
SELECT '>',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k > 'a' COLLATE NOCASE ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k > 'a' COLLATE NOCASE ORDER BY k));
SELECT '>=',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k >= 'b' COLLATE NOCASE ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k >= 'b' COLLATE NOCASE ORDER BY k));
SELECT '<',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k < 'b' COLLATE NOCASE ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k < 'b' COLLATE NOCASE ORDER BY k));
SELECT '<=',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k <= 'a' COLLATE NOCASE ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k <= 'a' COLLATE NOCASE ORDER BY k));
SELECT 'BETWEEN',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k BETWEEN 'A' COLLATE NOCASE AND 'a' ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k BETWEEN 'A' COLLATE NOCASE AND 'a' ORDER BY k));
SELECT '> _',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k > '_' COLLATE NOCASE ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k > '_' COLLATE NOCASE ORDER BY k));
SELECT 'RTRIM =',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k = 'a' COLLATE RTRIM ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k = 'a' COLLATE RTRIM ORDER BY k));
SELECT 'NOCASE = and BINARY >=',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k = 'a' COLLATE NOCASE AND k >= 'a' ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k = 'a' COLLATE NOCASE AND k >= 'a' ORDER BY k));
SELECT 'NOCASE > and BINARY <',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k > 'a' COLLATE NOCASE AND k < 'b' ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k > 'a' COLLATE NOCASE AND k < 'b' ORDER BY k));
SELECT 'BINARY =',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s WHERE k = 'a' COLLATE BINARY ORDER BY k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns WHERE k = 'a' COLLATE BINARY ORDER BY k));
-- Without ORDER BY (strata returns key order by itself).
SELECT '=, no ORDER BY',
  (SELECT group_concat(quote(k), ' ') FROM s WHERE k = 'a' COLLATE NOCASE);
SELECT '= (collation on the value), no ORDER BY',
  (SELECT group_concat(quote(k), ' ') FROM s WHERE 'a' COLLATE NOCASE = k);
SELECT 'IN, no ORDER BY',
  (SELECT group_concat(quote(k), ' ') FROM s WHERE k COLLATE NOCASE IN ('a', 'b'));
SELECT '>, no ORDER BY',
  (SELECT group_concat(quote(k), ' ') FROM s WHERE k > 'a' COLLATE NOCASE);
-- ORDER BY under NOCASE (ties broken by the key itself), ascending and descending.
SELECT 'ORDER BY NOCASE',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s ORDER BY k COLLATE NOCASE, k)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns ORDER BY k COLLATE NOCASE, k));
SELECT 'ORDER BY NOCASE DESC LIMIT 4',
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM s ORDER BY k COLLATE NOCASE DESC, k DESC LIMIT 4)),
  (SELECT group_concat(quote(k), ' ') FROM (SELECT k FROM ns ORDER BY k COLLATE NOCASE DESC, k DESC LIMIT 4));
--
-- Composite key: equality on the first column under NOCASE, a range on the second.
CREATE VIRTUAL TABLE c USING strata(a TEXT, b TEXT, PRIMARY KEY (a, b));
CREATE TABLE nc(a TEXT, b TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
INSERT INTO c VALUES ('x', 'a'), ('x', 'A'), ('X', 'b'), ('X', 'B'), ('y', 'a');
INSERT INTO nc SELECT * FROM c;
SELECT 'a NOCASE =',
  (SELECT group_concat(a || b, ' ') FROM (SELECT a, b FROM c WHERE a = 'x' COLLATE NOCASE ORDER BY a, b)),
  (SELECT group_concat(a || b, ' ') FROM (SELECT a, b FROM nc WHERE a = 'x' COLLATE NOCASE ORDER BY a, b));
SELECT 'a = , b NOCASE =',
  (SELECT group_concat(a || b, ' ') FROM (SELECT a, b FROM c WHERE a = 'x' AND b = 'a' COLLATE NOCASE ORDER BY a, b)),
  (SELECT group_concat(a || b, ' ') FROM (SELECT a, b FROM nc WHERE a = 'x' AND b = 'a' COLLATE NOCASE ORDER BY a, b));
SELECT 'a = , b NOCASE >',
  (SELECT group_concat(a || b, ' ') FROM (SELECT a, b FROM c WHERE a = 'X' AND b > 'a' COLLATE NOCASE ORDER BY a, b)),
  (SELECT group_concat(a || b, ' ') FROM (SELECT a, b FROM nc WHERE a = 'X' AND b > 'a' COLLATE NOCASE ORDER BY a, b));
SELECT 'a NOCASE = , b >=',
  (SELECT group_concat(a || b, ' ') FROM (SELECT a, b FROM c WHERE a = 'x' COLLATE NOCASE AND b >= 'B' ORDER BY a, b)),
  (SELECT group_concat(a || b, ' ') FROM (SELECT a, b FROM nc WHERE a = 'x' COLLATE NOCASE AND b >= 'B' ORDER BY a, b));
--
-- The plans: no point get or range from a NOCASE or RTRIM term; the BINARY ones are used.
SELECT 'plan: s WHERE k = ''a'' COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k = 'a' COLLATE NOCASE;
SELECT 'plan: s WHERE ''a'' COLLATE NOCASE = k';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE 'a' COLLATE NOCASE = k;
SELECT 'plan: s WHERE k IS ''b'' COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k IS 'b' COLLATE NOCASE;
SELECT 'plan: s WHERE k COLLATE NOCASE IN (''a'', ''b'')';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k COLLATE NOCASE IN ('a', 'b');
SELECT 'plan: s WHERE k > ''a'' COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k > 'a' COLLATE NOCASE;
SELECT 'plan: s WHERE k >= ''b'' COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k >= 'b' COLLATE NOCASE;
SELECT 'plan: s WHERE k < ''b'' COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k < 'b' COLLATE NOCASE;
SELECT 'plan: s WHERE k <= ''a'' COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k <= 'a' COLLATE NOCASE;
SELECT 'plan: s WHERE k BETWEEN ''A'' COLLATE NOCASE AND ''a''';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k BETWEEN 'A' COLLATE NOCASE AND 'a';
SELECT 'plan: s WHERE k > ''_'' COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k > '_' COLLATE NOCASE;
SELECT 'plan: s WHERE k = ''a'' COLLATE RTRIM';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k = 'a' COLLATE RTRIM;
SELECT 'plan: s WHERE k = ''a'' COLLATE NOCASE AND k >= ''a''';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k = 'a' COLLATE NOCASE AND k >= 'a';
SELECT 'plan: s WHERE k > ''a'' COLLATE NOCASE AND k < ''b''';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k > 'a' COLLATE NOCASE AND k < 'b';
SELECT 'plan: s WHERE k = ''a'' COLLATE BINARY';
EXPLAIN QUERY PLAN SELECT * FROM s WHERE k = 'a' COLLATE BINARY;
SELECT 'plan: s ORDER BY k COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM s ORDER BY k COLLATE NOCASE;
SELECT 'plan: s ORDER BY k COLLATE BINARY DESC';
EXPLAIN QUERY PLAN SELECT * FROM s ORDER BY k COLLATE BINARY DESC;
SELECT 'plan: c WHERE a = ''x'' COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM c WHERE a = 'x' COLLATE NOCASE;
SELECT 'plan: c WHERE a = ''x'' AND b = ''a'' COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM c WHERE a = 'x' AND b = 'a' COLLATE NOCASE;
SELECT 'plan: c WHERE a = ''X'' AND b > ''a'' COLLATE NOCASE';
EXPLAIN QUERY PLAN SELECT * FROM c WHERE a = 'X' AND b > 'a' COLLATE NOCASE;
SELECT 'plan: c WHERE a = ''x'' COLLATE NOCASE AND b >= ''B''';
EXPLAIN QUERY PLAN SELECT * FROM c WHERE a = 'x' COLLATE NOCASE AND b >= 'B';
--
-- A case-insensitive LIKE (SQLite's default) gets no range from the NOCASE terms SQLite adds;
-- strata derives one from the pattern itself: every casing of the prefix lies between its
-- upper-case and lower-case forms. Keys in every casing, and with '[' .. '`' (which sort
-- between the two cases) and NULs.
CREATE VIRTUAL TABLE w USING strata(k TEXT PRIMARY KEY, v);
CREATE TABLE nw(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO w VALUES ('k02', 1), ('K02x', 2), ('k02X', 3), ('K0', 4), ('k03', 5), ('kO2', 6),
                     ('k_2', 7), ('k[2', 8), ('K[2', 9), ('[k02', 10), ('a', 11), ('Z', 12),
                     ('k0' || char(0) || 'z', 13), ('K0' || char(0) || 'Y', 14), ('', 15);
INSERT INTO nw SELECT * FROM w;
SELECT 'LIKE k02%', (SELECT group_concat(v) FROM (SELECT v FROM w WHERE k LIKE 'k02%' ORDER BY k)),
                    (SELECT group_concat(v) FROM (SELECT v FROM nw WHERE k LIKE 'k02%' ORDER BY k));
SELECT 'LIKE K0%', (SELECT group_concat(v) FROM (SELECT v FROM w WHERE k LIKE 'K0%' ORDER BY k)),
                   (SELECT group_concat(v) FROM (SELECT v FROM nw WHERE k LIKE 'K0%' ORDER BY k));
SELECT 'LIKE k[%', (SELECT group_concat(v) FROM (SELECT v FROM w WHERE k LIKE 'k[%' ORDER BY k)),
                   (SELECT group_concat(v) FROM (SELECT v FROM nw WHERE k LIKE 'k[%' ORDER BY k));
SELECT 'LIKE K0<NUL>%',
  (SELECT group_concat(v) FROM (SELECT v FROM w WHERE k LIKE 'K0' || char(0) || '%' ORDER BY k)),
  (SELECT group_concat(v) FROM (SELECT v FROM nw WHERE k LIKE 'K0' || char(0) || '%' ORDER BY k));
SELECT 'LIKE k_2', (SELECT group_concat(v) FROM (SELECT v FROM w WHERE k LIKE 'k_2' ORDER BY k)),
                   (SELECT group_concat(v) FROM (SELECT v FROM nw WHERE k LIKE 'k_2' ORDER BY k));
SELECT 'LIKE %', (SELECT count(*) FROM w WHERE k LIKE '%'), (SELECT count(*) FROM nw WHERE k LIKE '%');
-- In the second column of a composite key (escaped form), after an equality.
CREATE VIRTUAL TABLE w2 USING strata(a TEXT, k TEXT, PRIMARY KEY (a, k));
CREATE TABLE nw2(a TEXT, k TEXT, PRIMARY KEY (a, k)) WITHOUT ROWID;
INSERT INTO w2 SELECT 'p', k FROM w;
INSERT INTO w2 SELECT 'q', k FROM w;
INSERT INTO nw2 SELECT * FROM w2;
SELECT 'composite LIKE k02%',
  (SELECT group_concat(a || k) FROM (SELECT a, k FROM w2 WHERE a = 'p' AND k LIKE 'k02%' ORDER BY k)),
  (SELECT group_concat(a || k) FROM (SELECT a, k FROM nw2 WHERE a = 'p' AND k LIKE 'k02%' ORDER BY k));
SELECT 'composite LIKE K0<NUL>%',
  (SELECT group_concat(hex(k)) FROM (SELECT k FROM w2 WHERE a = 'q' AND k LIKE 'K0' || char(0) || '%' ORDER BY k)),
  (SELECT group_concat(hex(k)) FROM (SELECT k FROM nw2 WHERE a = 'q' AND k LIKE 'K0' || char(0) || '%' ORDER BY k));
SELECT 'plan: w WHERE k LIKE ''k02%''';
EXPLAIN QUERY PLAN SELECT * FROM w WHERE k LIKE 'k02%';
PRAGMA case_sensitive_like = 1;
SELECT 'case-sensitive LIKE k02%',
  (SELECT group_concat(v) FROM (SELECT v FROM w WHERE k LIKE 'k02%' ORDER BY k)),
  (SELECT group_concat(v) FROM (SELECT v FROM nw WHERE k LIKE 'k02%' ORDER BY k));
SELECT 'plan: w WHERE k LIKE ''k02%'', case-sensitive';
EXPLAIN QUERY PLAN SELECT * FROM w WHERE k LIKE 'k02%';
SELECT 'case-sensitive LIKE K0<NUL>%',
  (SELECT group_concat(v) FROM (SELECT v FROM w WHERE k LIKE 'K0' || char(0) || '%' ORDER BY k)),
  (SELECT group_concat(v) FROM (SELECT v FROM nw WHERE k LIKE 'K0' || char(0) || '%' ORDER BY k));
SELECT 'GLOB K0<NUL>*',
  (SELECT group_concat(v) FROM (SELECT v FROM w WHERE k GLOB 'K0' || char(0) || '*' ORDER BY k)),
  (SELECT group_concat(v) FROM (SELECT v FROM nw WHERE k GLOB 'K0' || char(0) || '*' ORDER BY k));
