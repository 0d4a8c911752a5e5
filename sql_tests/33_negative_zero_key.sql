-- A -0.0 key reads back with its sign wherever a native table keeps it. The key encoding
-- makes -0.0 and 0 the same key (SQLite compares them equal), so the row records the sign.
-- Each line: what, the strata table's answer, the native WITHOUT ROWID table's answer.
-- sign(x) is 'minus' for -0.0 (atan2(-0.0, -1) is -pi), 'plus' for 0.0 and 0.
--
-- Single-column keys of every affinity: BLOB (no type) keeps -0.0; REAL stores it as the
-- integer 0 and reads back 0.0; INTEGER and NUMERIC make it the integer 0; TEXT, '0.0'.
CREATE VIRTUAL TABLE b USING strata(k PRIMARY KEY, v);
CREATE TABLE nb(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE VIRTUAL TABLE r USING strata(k REAL PRIMARY KEY, v);
CREATE TABLE nr(k REAL PRIMARY KEY, v) WITHOUT ROWID;
CREATE VIRTUAL TABLE i USING strata(k INT PRIMARY KEY, v);
CREATE TABLE ni(k INT PRIMARY KEY, v) WITHOUT ROWID;
CREATE VIRTUAL TABLE n USING strata(k NUMERIC PRIMARY KEY, v);
CREATE TABLE nn(k NUMERIC PRIMARY KEY, v) WITHOUT ROWID;
CREATE VIRTUAL TABLE t USING strata(k TEXT PRIMARY KEY, v);
CREATE TABLE nt(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO b VALUES (-0.0, 'b'); INSERT INTO nb VALUES (-0.0, 'b');
INSERT INTO r VALUES (-0.0, 'r'); INSERT INTO nr VALUES (-0.0, 'r');
INSERT INTO i VALUES (-0.0, 'i'); INSERT INTO ni VALUES (-0.0, 'i');
INSERT INTO n VALUES (-0.0, 'n'); INSERT INTO nn VALUES (-0.0, 'n');
INSERT INTO t VALUES (-0.0, 't'); INSERT INTO nt VALUES (-0.0, 't');
SELECT 'no type', (SELECT typeof(k) || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM b),
                  (SELECT typeof(k) || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM nb);
SELECT 'REAL', (SELECT typeof(k) || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM r),
               (SELECT typeof(k) || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM nr);
SELECT 'INT', (SELECT typeof(k) || ' ' || k FROM i), (SELECT typeof(k) || ' ' || k FROM ni);
SELECT 'NUMERIC', (SELECT typeof(k) || ' ' || k FROM n), (SELECT typeof(k) || ' ' || k FROM nn);
SELECT 'TEXT', (SELECT typeof(k) || ' ' || k FROM t), (SELECT typeof(k) || ' ' || k FROM nt);
--
-- -0.0 and 0 are one key: a conflict, and OR REPLACE takes the new value's type and sign.
INSERT INTO b VALUES (0, 'dup');
INSERT INTO nb VALUES (0, 'dup');
INSERT INTO b VALUES (0.0, 'dup');
SELECT 'found by = 0', (SELECT v || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM b WHERE k = 0),
                       (SELECT v || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM nb WHERE k = 0);
SELECT 'found by IN', (SELECT group_concat(v) FROM b WHERE k IN (0, 1)),
                      (SELECT group_concat(v) FROM nb WHERE k IN (0, 1));
SELECT 'found by range', (SELECT group_concat(v) FROM b WHERE k >= -0.0 AND k <= 0),
                         (SELECT group_concat(v) FROM nb WHERE k >= -0.0 AND k <= 0);
UPDATE b SET v = 'updated' WHERE k = 0;
UPDATE nb SET v = 'updated' WHERE k = 0;
SELECT 'after UPDATE of v', (SELECT v || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM b),
                            (SELECT v || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM nb);
INSERT OR REPLACE INTO b VALUES (0, 'replaced');
INSERT OR REPLACE INTO nb VALUES (0, 'replaced');
SELECT 'after REPLACE by 0', (SELECT typeof(k) || ' ' || v FROM b), (SELECT typeof(k) || ' ' || v FROM nb);
UPDATE b SET k = k * -1.0;
UPDATE nb SET k = k * -1.0;
SELECT 'UPDATE k = k * -1.0', (SELECT typeof(k) || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM b),
                          (SELECT typeof(k) || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM nb);
UPDATE b SET k = 0.0;
UPDATE nb SET k = 0.0;
SELECT 'UPDATE k = 0.0', (SELECT typeof(k) || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM b),
                         (SELECT typeof(k) || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM nb);
UPDATE b SET k = -0.0;
UPDATE nb SET k = -0.0;
--
-- Composite keys: per column, as the column's affinity says.
CREATE VIRTUAL TABLE c USING strata(a, b REAL, c, PRIMARY KEY (a, b, c));
CREATE TABLE nc(a, b REAL, c, PRIMARY KEY (a, b, c)) WITHOUT ROWID;
INSERT INTO c VALUES (-0.0, -0.0, 0.0), (1, -0.0, -0.0);
INSERT INTO nc VALUES (-0.0, -0.0, 0.0), (1, -0.0, -0.0);
SELECT 'composite', (SELECT group_concat(typeof(a) || iif(atan2(a, -1) < 0, '-', '+') || ' ' ||
                                         typeof(b) || iif(atan2(b, -1) < 0, '-', '+') || ' ' ||
                                         typeof(c) || iif(atan2(c, -1) < 0, '-', '+'), ', ') FROM c),
                    (SELECT group_concat(typeof(a) || iif(atan2(a, -1) < 0, '-', '+') || ' ' ||
                                         typeof(b) || iif(atan2(b, -1) < 0, '-', '+') || ' ' ||
                                         typeof(c) || iif(atan2(c, -1) < 0, '-', '+'), ', ') FROM nc);
--
-- More than 64 key columns: the masks are as wide as the key (columns 0, 63, 64 and 69
-- hold 1.0 or -0.0, the others 1).
CREATE VIRTUAL TABLE w USING strata(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13,
  c14, c15, c16, c17, c18, c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29, c30, c31,
  c32, c33, c34, c35, c36, c37, c38, c39, c40, c41, c42, c43, c44, c45, c46, c47, c48, c49,
  c50, c51, c52, c53, c54, c55, c56, c57, c58, c59, c60, c61, c62, c63, c64, c65, c66, c67,
  c68, c69, PRIMARY KEY (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15,
  c16, c17, c18, c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29, c30, c31, c32, c33,
  c34, c35, c36, c37, c38, c39, c40, c41, c42, c43, c44, c45, c46, c47, c48, c49, c50, c51,
  c52, c53, c54, c55, c56, c57, c58, c59, c60, c61, c62, c63, c64, c65, c66, c67, c68, c69));
CREATE TABLE nw(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17,
  c18, c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29, c30, c31, c32, c33, c34, c35,
  c36, c37, c38, c39, c40, c41, c42, c43, c44, c45, c46, c47, c48, c49, c50, c51, c52, c53,
  c54, c55, c56, c57, c58, c59, c60, c61, c62, c63, c64, c65, c66, c67, c68, c69, PRIMARY KEY
  (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19,
  c20, c21, c22, c23, c24, c25, c26, c27, c28, c29, c30, c31, c32, c33, c34, c35, c36, c37,
  c38, c39, c40, c41, c42, c43, c44, c45, c46, c47, c48, c49, c50, c51, c52, c53, c54, c55,
  c56, c57, c58, c59, c60, c61, c62, c63, c64, c65, c66, c67, c68, c69)) WITHOUT ROWID;
INSERT INTO w VALUES (1.0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, -0.0, 1.0, 1, 1, 1, 1, -0.0);
INSERT INTO nw VALUES (1.0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, -0.0, 1.0, 1, 1, 1, 1, -0.0);
SELECT 'wide key, columns 0 1 62 63 64 65 69',
  (SELECT typeof(c0) || iif(atan2(c0, -1) < 0, '-', '') || ' ' ||
         typeof(c1) || iif(atan2(c1, -1) < 0, '-', '') || ' ' ||
         typeof(c62) || iif(atan2(c62, -1) < 0, '-', '') || ' ' ||
         typeof(c63) || iif(atan2(c63, -1) < 0, '-', '') || ' ' ||
         typeof(c64) || iif(atan2(c64, -1) < 0, '-', '') || ' ' ||
         typeof(c65) || iif(atan2(c65, -1) < 0, '-', '') || ' ' ||
         typeof(c69) || iif(atan2(c69, -1) < 0, '-', '')
   FROM w),
  (SELECT typeof(c0) || iif(atan2(c0, -1) < 0, '-', '') || ' ' ||
         typeof(c1) || iif(atan2(c1, -1) < 0, '-', '') || ' ' ||
         typeof(c62) || iif(atan2(c62, -1) < 0, '-', '') || ' ' ||
         typeof(c63) || iif(atan2(c63, -1) < 0, '-', '') || ' ' ||
         typeof(c64) || iif(atan2(c64, -1) < 0, '-', '') || ' ' ||
         typeof(c65) || iif(atan2(c65, -1) < 0, '-', '') || ' ' ||
         typeof(c69) || iif(atan2(c69, -1) < 0, '-', '')
   FROM nw);
--
-- The sign survives a flush, a compaction and reopening the database.
SELECT strata_flush('b'), strata_compact('c');
.open test.db
.load @EXT@
SELECT 'reopened', (SELECT typeof(k) || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM b),
                   (SELECT typeof(k) || ' ' || iif(atan2(k, -1) < 0, 'minus', 'plus') FROM nb);
SELECT 'reopened composite',
  (SELECT group_concat(iif(atan2(a, -1) < 0, '-', '+') || iif(atan2(c, -1) < 0, '-', '+')) FROM c),
  (SELECT group_concat(iif(atan2(a, -1) < 0, '-', '+') || iif(atan2(c, -1) < 0, '-', '+')) FROM nc);
