-- Every SQLite type round-trips as key and as value, with its type, exactly
-- as a native WITHOUT ROWID table with the same declaration returns it.
CREATE VIRTUAL TABLE s USING strata;
CREATE TABLE n(key PRIMARY KEY, value) WITHOUT ROWID;
CREATE TEMP TABLE input(k, v);
INSERT INTO input VALUES
  (1, 'one'), (-1, -1.5), (0, 0.0), (9223372036854775807, x''), (-9223372036854775808, ''),
  (1.5, NULL), (-0.25, 1e308), (1e300, -1e-300), (-1e300, 4.9e-324),
  ('text', 'a' || char(0) || 'b'), ('', x'00'), ('a' || char(0) || 'b', 'nul inside'),
  (x'', 'empty blob key'), (x'00', 1), (x'ff00ff', 2.0), ('ü€😀', 'utf8');
INSERT INTO s SELECT k, v FROM input;
INSERT INTO n SELECT k, v FROM input;
SELECT 'rows', (SELECT count(*) FROM s), (SELECT count(*) FROM n);
-- Identical rows: same values, same types, same bytes.
SELECT 'missing', count(*) FROM (
  SELECT key, typeof(key), quote(key), value, typeof(value), quote(value) FROM n
  EXCEPT
  SELECT key, typeof(key), quote(key), value, typeof(value), quote(value) FROM s);
SELECT 'extra', count(*) FROM (
  SELECT key, typeof(key), quote(key), value, typeof(value), quote(value) FROM s
  EXCEPT
  SELECT key, typeof(key), quote(key), value, typeof(value), quote(value) FROM n);
SELECT typeof(key), quote(key), typeof(value), quote(value), length(value) FROM s;
