-- A first session with strata in the sqlite3 shell (run by `make demo` and `make examples`).
-- The extension is already loaded (.load ./build/strata).
.headers on
.mode box

SELECT strata_version() AS version;

-- A key-value table: columns `key PRIMARY KEY, value`, stored in an LSM tree
-- next to the database file (demo.db-kv.strata/).
CREATE VIRTUAL TABLE kv USING strata;
INSERT INTO kv VALUES ('apple', 3), ('banana', 12), ('cherry', 7), ('date', 1), ('elderberry', 42);

-- A point query: one lookup in the engine.
SELECT value FROM kv WHERE key = 'cherry';
EXPLAIN QUERY PLAN SELECT value FROM kv WHERE key = 'cherry';

-- A range query: a bounded scan in key order.
SELECT key, value FROM kv WHERE key >= 'b' AND key < 'e';

-- ORDER BY key DESC is served by iterating backwards: no sort step.
SELECT key, value FROM kv ORDER BY key DESC;
EXPLAIN QUERY PLAN SELECT key, value FROM kv ORDER BY key DESC;

-- Typed columns, a composite key, and an aggregate.
CREATE VIRTUAL TABLE events USING strata(
  device TEXT, ts INTEGER, reading REAL, PRIMARY KEY (device, ts)
);
INSERT INTO events VALUES ('pump-1', 100, 3.5), ('pump-1', 160, 3.9), ('pump-2', 100, 1.25), ('pump-1', 220, 4.1);
SELECT device, count(*) AS n, avg(reading) AS avg_reading FROM events GROUP BY device;
SELECT ts, reading FROM events WHERE device = 'pump-1' AND ts > 100;

-- Transactions are atomic in the engine.
BEGIN;
UPDATE kv SET value = value + 1 WHERE key = 'apple';
DELETE FROM kv WHERE key = 'date';
COMMIT;
SELECT key, value FROM kv;

-- What the LSM tree looks like after a flush.
SELECT strata_flush('kv') AS flushed;
SELECT level, files, entries FROM strata_levels('kv') WHERE files > 0;
