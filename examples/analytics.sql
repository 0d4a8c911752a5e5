-- Analytics over an event log stored in strata: a walk-through.
--
-- What it shows: one day of temperature readings from 200 devices (288,000
-- events) generated with a recursive CTE into a strata table keyed by
-- (device, ts); GROUP BY, window functions and joins with a native SQLite
-- table over it; range queries that use the key order (and one that cannot);
-- and the LSM tree underneath (strata_levels, strata_stats) as the log is
-- loaded, appended to, trimmed and compacted.
--
-- Run it (a few seconds) from the repository root, in an empty directory
-- of your choice for the database:
--
--   sqlite3 -cmd '.load ./build/strata' /tmp/events.db < examples/analytics.sql
--
-- or `make examples`, which runs every example in a fresh directory. The
-- script checks its own answers: each `INSERT INTO checks` below fails on a
-- wrong answer, and `.bail on` then stops the script with a non-zero exit
-- status and the line number of the failed check.
.bail on
.headers on
.mode box

CREATE TEMP TABLE checks(what TEXT, passed INTEGER CHECK (passed IS 1));

-- ---------------------------------------------------------------------------
-- 1. Two tables: devices in SQLite's own B-tree, events in strata
-- ---------------------------------------------------------------------------
-- The device registry is small and rarely written: a native table.
CREATE TABLE devices(device TEXT PRIMARY KEY, site TEXT NOT NULL, model TEXT NOT NULL);
WITH RECURSIVE n(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM n WHERE d < 199)
INSERT INTO devices
SELECT printf('dev-%03d', d), 'site-' || char(65 + d % 4), 'T' || (100 + 100 * (d % 3)) FROM n;
-- SQLite assumes a table it has not analyzed holds about a million rows;
-- ANALYZE tells the planner this one holds 200, which matters for the joins
-- in section 4. (strata tells SQLite its own row count by itself.)
ANALYZE devices;

-- The event log is large and append-mostly: a strata table. The primary key
-- (device, ts) decides the physical order: all events of one device are
-- adjacent and sorted by time, so "device X between t1 and t2" is one
-- bounded range scan. memtable_size is tiny here so that section 6 shows
-- flushes and compactions with a few thousand rows; the default is 64 MiB.
CREATE VIRTUAL TABLE events USING strata(
  device  TEXT,
  ts      INTEGER,          -- unix seconds
  temp    REAL,             -- degrees Celsius
  battery INTEGER,          -- percent
  status  TEXT,             -- 'ok', or 'alarm' at 35 degrees and above
  PRIMARY KEY (device, ts),
  memtable_size = '64KiB'
);

-- ---------------------------------------------------------------------------
-- 2. Generate and load one day: 200 devices x 1440 minutes
-- ---------------------------------------------------------------------------
-- The generator, as a view: event i belongs to device i % 200 and minute
-- i / 200 counted from 2024-03-01 00:00 UTC; 300,000 events make 25 hours.
-- The temperature follows the sun (coolest at 02:00, warmest at 14:00),
-- differs by site, and has some deterministic noise; four devices
-- (dev-007, dev-057, dev-107, dev-157) run 8 degrees hot, and someone
-- leaves a door open next to dev-123 from 15:00 to 15:45. Every device
-- reports once a minute, at its own second (d * 7 % 60).
CREATE TEMP VIEW generated AS
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299999),
reading AS (
  SELECT i / 200 AS minute,
         printf('dev-%03d', i % 200) AS device,
         1709251200 + i / 200 * 60 + i % 200 * 7 % 60 AS ts,
         round(19 + i % 200 % 4 * 1.5
                  + 6 * sin(2 * pi() * (i / 200 - 480) / 1440)
                  + CASE WHEN i % 200 % 50 = 7 THEN 8 ELSE 0 END
                  - CASE WHEN i % 200 = 123 AND i / 200 BETWEEN 900 AND 944 THEN 12 ELSE 0 END
                  + i * 2654435761 % 1000 / 250.0, 2) AS temp,
         100 - i / 200 / 30 - i % 200 % 7 AS battery
  FROM n)
SELECT minute, device, ts, temp, battery, CASE WHEN temp >= 35 THEN 'alarm' ELSE 'ok' END AS status
FROM reading;

-- Load the first day, 200 devices x 1440 minutes. The INSERT is one
-- transaction whose keys land in an empty table: a bulk load. strata writes
-- it straight into a table file at the bottom level of the tree, skipping
-- the write-ahead log and the memtable.
INSERT INTO events SELECT device, ts, temp, battery, status FROM generated WHERE minute < 1440;

.print
.print == The LSM tree after the load: one file at the bottom level (L6)
SELECT level, files, entries, bytes FROM strata_levels('events') WHERE files > 0;
SELECT json_extract(strata_stats('events'), '$.bulk_loads') AS bulk_loads,
       json_extract(strata_stats('events'), '$.wal_bytes_written') AS wal_bytes_written;

INSERT INTO checks SELECT '288000 events', count(*) = 288000 FROM events;
INSERT INTO checks SELECT '1440 events per device', min(n) = 1440 AND max(n) = 1440 AND count(*) = 200
  FROM (SELECT count(*) AS n FROM events GROUP BY device);
INSERT INTO checks SELECT 'bulk loaded into one bottom file',
  (SELECT group_concat(level || ':' || files) FROM strata_levels('events') WHERE files > 0) = '6:1';

-- ---------------------------------------------------------------------------
-- 3. Aggregates and joins with the native table
-- ---------------------------------------------------------------------------
.print
.print == The day at a glance
SELECT count(*) AS events, count(DISTINCT device) AS devices,
       datetime(min(ts), 'unixepoch') AS first, datetime(max(ts), 'unixepoch') AS last,
       round(avg(temp), 2) AS avg_temp, sum(status = 'alarm') AS alarms
FROM events;

-- GROUP BY device follows the key order: strata scans in key order, so
-- SQLite needs no sorter (the plan has no "USE TEMP B-TREE").
.print
.print == Per device, in key order
EXPLAIN QUERY PLAN SELECT device, count(*) FROM events GROUP BY device;
SELECT device, count(*) AS events, min(temp) AS min_temp, max(temp) AS max_temp,
       min(battery) AS battery_left
FROM events GROUP BY device LIMIT 5;

-- A join with the registry: per site and model. strata scans, and SQLite
-- looks each device up in its own index.
.print
.print == Per site and model (join with the native devices table)
SELECT d.site, d.model, count(*) AS events, round(avg(e.temp), 2) AS avg_temp,
       sum(e.status = 'alarm') AS alarms
FROM events e JOIN devices d USING (device)
GROUP BY d.site, d.model ORDER BY d.site, d.model;

.print
.print == Devices that raised alarms
SELECT device, d.site, count(*) AS alarms, max(temp) AS peak,
       time(min(ts), 'unixepoch') AS first_alarm, time(max(ts), 'unixepoch') AS last_alarm
FROM events JOIN devices d USING (device)
WHERE status = 'alarm' GROUP BY device ORDER BY alarms DESC;

INSERT INTO checks SELECT 'alarms only on the hot devices',
  (SELECT group_concat(device) FROM (SELECT DISTINCT device FROM events WHERE status = 'alarm'))
    = 'dev-007,dev-057,dev-107,dev-157';
INSERT INTO checks SELECT 'every event has a registered device',
  (SELECT count(*) FROM events e JOIN devices d USING (device)) = 288000;

-- ---------------------------------------------------------------------------
-- 4. Range queries: using the key order
-- ---------------------------------------------------------------------------
-- Equality on device and a range on ts is one bounded scan over exactly the
-- rows asked for: the plan says "range device=? AND ts>=? AND ts<?".
.print
.print == dev-042 from 12:00 to 12:05 (a bounded range scan)
EXPLAIN QUERY PLAN
SELECT * FROM events WHERE device = 'dev-042' AND ts >= 1709294400 AND ts < 1709294700;
SELECT device, datetime(ts, 'unixepoch') AS time, temp, battery, status
FROM events WHERE device = 'dev-042' AND ts >= 1709294400 AND ts < 1709294700;

-- The latest readings of one device: strata iterates backwards from the end
-- of the device's range and stops after three rows (ORDER BY and LIMIT are
-- both pushed down).
.print
.print == The last three readings of dev-107 (reverse scan, LIMIT pushed down)
EXPLAIN QUERY PLAN SELECT * FROM events WHERE device = 'dev-107' ORDER BY ts DESC LIMIT 3;
SELECT datetime(ts, 'unixepoch') AS time, temp, status
FROM events WHERE device = 'dev-107' ORDER BY ts DESC LIMIT 3;

-- Exact keys: one sorted, batched multi-get.
.print
.print == Three exact events (multi-get)
EXPLAIN QUERY PLAN SELECT * FROM events WHERE device = 'dev-000' AND ts IN (1709251200, 1709254800, 1709258400);
SELECT device, ts, temp FROM events
WHERE device = 'dev-000' AND ts IN (1709251200, 1709254800, 1709258400);

-- A range on ts alone cannot use the key: ts is the second key column, so
-- every device's events lie between the matching rows. strata scans the
-- whole table and SQLite filters.
.print
.print == 12:00 to 13:00 for all devices: on ts alone a full scan ...
EXPLAIN QUERY PLAN
SELECT count(*) FROM events WHERE ts >= 1709294400 AND ts < 1709298000;
-- ... but driven by the device list, it becomes 200 small range scans, one
-- per device. (This is the plan ANALYZE devices made possible; without it
-- SQLite would think the registry larger than the log and scan the log.)
.print == ... and driven by the device registry, one range scan per device
EXPLAIN QUERY PLAN
SELECT count(*) FROM devices d JOIN events e ON e.device = d.device
WHERE e.ts >= 1709294400 AND e.ts < 1709298000;
SELECT count(*) AS events_12_to_13 FROM devices d JOIN events e ON e.device = d.device
WHERE e.ts >= 1709294400 AND e.ts < 1709298000;

-- (`ts + 0` is no longer the column ts, so strata cannot use it as a bound:
-- SQLite filters a full scan itself, which must find the same rows.)
INSERT INTO checks SELECT 'range scan = filter, one device',
  (SELECT count(*) FROM events WHERE device = 'dev-042' AND ts >= 1709294400 AND ts < 1709294700)
  = (SELECT count(*) FROM events WHERE device = 'dev-042' AND ts + 0 >= 1709294400 AND ts + 0 < 1709294700);
INSERT INTO checks SELECT 'one hour of every device = 12000 events',
  (SELECT count(*) FROM devices d JOIN events e ON e.device = d.device
   WHERE e.ts >= 1709294400 AND e.ts < 1709298000) = 12000
  AND (SELECT count(*) FROM events WHERE ts >= 1709294400 AND ts < 1709298000) = 12000;
INSERT INTO checks SELECT 'reverse scan with LIMIT',
  (SELECT group_concat(ts) FROM (SELECT ts FROM events WHERE device = 'dev-107' ORDER BY ts DESC LIMIT 3))
  = '1709337569,1709337509,1709337449';
INSERT INTO checks SELECT 'multi-get finds all three',
  (SELECT count(*) FROM events WHERE device = 'dev-000' AND ts IN (1709251200, 1709254800, 1709258400)) = 3;

-- ---------------------------------------------------------------------------
-- 5. Window functions
-- ---------------------------------------------------------------------------
-- Hourly averages per device, kept in a native table next to the raw log
-- (rollups are small and read often: a good fit for a B-tree).
CREATE TABLE hourly AS
SELECT device, ts / 3600 * 3600 AS hour, round(avg(temp), 2) AS avg_temp, count(*) AS n
FROM events GROUP BY device, ts / 3600;

-- The largest changes from one hour to the next: LAG over each device's hours.
.print
.print == Largest hour-over-hour changes (LAG)
SELECT device, time(hour, 'unixepoch') AS hour, avg_temp, round(avg_temp - prev, 2) AS change
FROM (SELECT *, lag(avg_temp) OVER (PARTITION BY device ORDER BY hour) AS prev FROM hourly)
WHERE prev IS NOT NULL ORDER BY abs(avg_temp - prev) DESC, device LIMIT 4;

-- The two warmest devices of each site over the day: RANK within a site.
.print
.print == The two warmest devices of each site (RANK over a join)
SELECT site, r AS rank, device, day_avg
FROM (SELECT d.site, h.device, round(avg(h.avg_temp), 2) AS day_avg,
             rank() OVER (PARTITION BY d.site ORDER BY avg(h.avg_temp) DESC) AS r
      FROM hourly h JOIN devices d USING (device) GROUP BY h.device)
WHERE r <= 2 ORDER BY site, r;

-- A moving average over the last five readings of one device, on a range
-- scan of its afternoon.
.print
.print == dev-007 around its peak: reading and 5-reading moving average
SELECT time(ts, 'unixepoch') AS time, temp,
       round(avg(temp) OVER (ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW), 2) AS avg5
FROM events WHERE device = 'dev-007' AND ts BETWEEN 1709301600 AND 1709302140;

-- Alarm episodes (gaps and islands): a device reports once a minute, so in
-- a run of consecutive alarm readings ts - 60 * row_number() is constant.
.print
.print == Alarm episodes of 30 minutes or more
SELECT device, time(min(ts), 'unixepoch') AS start, time(max(ts), 'unixepoch') AS end,
       count(*) AS minutes, max(temp) AS peak
FROM (SELECT device, ts, temp,
             ts - 60 * row_number() OVER (PARTITION BY device ORDER BY ts) AS island
      FROM events WHERE status = 'alarm')
GROUP BY device, island HAVING count(*) >= 30 ORDER BY device, start;

INSERT INTO checks SELECT 'the open door shows as the largest drop',
  (SELECT device || ' ' || time(hour, 'unixepoch')
   FROM (SELECT *, avg_temp - lag(avg_temp) OVER (PARTITION BY device ORDER BY hour) AS change
         FROM hourly)
   WHERE change IS NOT NULL ORDER BY change LIMIT 1) = 'dev-123 15:00:00';
INSERT INTO checks SELECT 'hourly rollup covers every event',
  (SELECT sum(n) FROM hourly) = 288000 AND (SELECT count(*) FROM hourly) = 200 * 24;
INSERT INTO checks SELECT 'five readings in each moving window',
  (SELECT min(c) FROM (SELECT count(*) OVER (ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS c
                       FROM events WHERE device = 'dev-007' AND ts >= 1709301600 LIMIT 10 OFFSET 4)) = 5;

-- ---------------------------------------------------------------------------
-- 6. The log keeps growing: memtable, flushes, compaction, deletes
-- ---------------------------------------------------------------------------
-- The next hour arrives in six batches of ten minutes. These keys fall
-- between existing ones (every device already has rows), so they go the
-- ordinary way: write-ahead log, memtable, and at 64 KiB a flush to a new
-- level-0 file; four level-0 files start a compaction in the background.
.print
.print == Appending the next hour in six transactions
CREATE TEMP TABLE incoming AS SELECT * FROM generated WHERE minute >= 1440;
INSERT INTO events SELECT device, ts, temp, battery, status FROM incoming WHERE minute BETWEEN 1440 AND 1449;
INSERT INTO events SELECT device, ts, temp, battery, status FROM incoming WHERE minute BETWEEN 1450 AND 1459;
INSERT INTO events SELECT device, ts, temp, battery, status FROM incoming WHERE minute BETWEEN 1460 AND 1469;
-- After three batches the newest rows are in the memtable; older ones are in
-- full (immutable) memtables waiting for a background flush, or already in
-- level-0 files: how far the flushes got depends on timing.
.print -- after three batches:
SELECT json_extract(s, '$.memtable_entries') AS memtable_entries,
       json_extract(s, '$.immutable_memtables') AS immutable_memtables,
       json_extract(s, '$.files_per_level') AS files_per_level
FROM (SELECT strata_stats('events') AS s);
INSERT INTO events SELECT device, ts, temp, battery, status FROM incoming WHERE minute BETWEEN 1470 AND 1479;
INSERT INTO events SELECT device, ts, temp, battery, status FROM incoming WHERE minute BETWEEN 1480 AND 1489;
INSERT INTO events SELECT device, ts, temp, battery, status FROM incoming WHERE minute BETWEEN 1490 AND 1499;
.print -- after six batches and a flush of what the memtable still holds:
SELECT strata_flush('events') AS flush;
SELECT level, files, entries, deletions, bytes FROM strata_levels('events') WHERE files > 0;

-- Retention and corrections: drop the first six hours of the day, and a
-- device that was decommissioned. Each deleted row becomes a tombstone,
-- which hides the old row until a compaction drops both. (The IN list turns
-- "ts < 06:00" into one range scan per device, as in section 4.)
.print
.print == Deleting the first six hours and one device: tombstones
DELETE FROM events WHERE device IN (SELECT device FROM devices) AND ts < 1709272800;
DELETE FROM events WHERE device = 'dev-199';
SELECT strata_flush('events') AS flush;
SELECT level, files, entries, deletions, bytes FROM strata_levels('events') WHERE files > 0;
INSERT INTO checks SELECT 'tombstones hide the deleted rows', count(*) = 199 * (1500 - 360) FROM events;

-- A full manual compaction merges everything into the bottom level, drops
-- the tombstones with the rows they delete, and leaves the live data only.
.print
.print == After strata_compact: one level, no tombstones
SELECT strata_compact('events') AS compact;
SELECT level, files, entries, deletions, bytes FROM strata_levels('events') WHERE files > 0;
SELECT json_extract(s, '$.flushes') AS flushes, json_extract(s, '$.compactions') AS compactions,
       json_extract(s, '$.bulk_loads') AS bulk_loads,
       json_extract(s, '$.user_bytes_written') AS user_bytes,
       json_extract(s, '$.write_amplification') AS write_amp
FROM (SELECT strata_stats('events') AS s);
SELECT strata_verify('events') AS verify;

INSERT INTO checks SELECT 'rows after appends and deletes', count(*) = 199 * (1500 - 360) FROM events;
INSERT INTO checks SELECT 'first event at 06:00', min(ts) >= 1709272800 FROM events;
INSERT INTO checks SELECT 'dev-199 is gone',
  NOT EXISTS (SELECT 1 FROM events WHERE device = 'dev-199');
INSERT INTO checks SELECT 'compaction left one level and no tombstones',
  count(*) = 1 AND sum(deletions) = 0 AND sum(entries) = 199 * (1500 - 360)
  FROM strata_levels('events') WHERE files > 0;
INSERT INTO checks SELECT 'flushed and compacted',
  json_extract(strata_stats('events'), '$.flushes') >= 2
  AND json_extract(strata_stats('events'), '$.compactions') >= 1;

-- ---------------------------------------------------------------------------
-- 7. Cross-check against SQLite's own table
-- ---------------------------------------------------------------------------
-- The same rows in a native WITHOUT ROWID table must give the same answers.
CREATE TABLE events_native(device TEXT, ts INTEGER, temp REAL, battery INTEGER, status TEXT,
                           PRIMARY KEY (device, ts)) WITHOUT ROWID;
INSERT INTO events_native SELECT * FROM events;
INSERT INTO checks SELECT 'same rows as a native table',
  NOT EXISTS (SELECT * FROM events EXCEPT SELECT * FROM events_native)
  AND NOT EXISTS (SELECT * FROM events_native EXCEPT SELECT * FROM events);
INSERT INTO checks SELECT 'same order as a native table',
  (SELECT group_concat(device || ts) FROM (SELECT device, ts FROM events WHERE ts % 97 = 0))
  = (SELECT group_concat(device || ts) FROM (SELECT device, ts FROM events_native WHERE ts % 97 = 0));
INSERT INTO checks SELECT 'same aggregates as a native table',
  (SELECT group_concat(x) FROM (SELECT device || ':' || count(*) || ':' || sum(temp) AS x
                                FROM events GROUP BY device))
  = (SELECT group_concat(x) FROM (SELECT device || ':' || count(*) || ':' || sum(temp) AS x
                                  FROM events_native GROUP BY device));

.print
.print == Checks
SELECT count(*) AS checks_passed FROM checks;
