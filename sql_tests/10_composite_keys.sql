-- PRIMARY KEY (a, b): rows ordered column by column; equality on the
-- leading column plus a range on the next is one bounded scan.
CREATE VIRTUAL TABLE events USING strata(device TEXT, ts INTEGER, payload BLOB, PRIMARY KEY (device, ts));
INSERT INTO events VALUES ('b', 2, x'02'), ('a', 3, x'03'), ('a', 1, x'01'), ('b', 1, x'11'), ('a', 10, x'0a'), ('a', 2, NULL);
SELECT device, ts, hex(payload) FROM events;
SELECT ts FROM events WHERE device = 'a' AND ts > 1 AND ts <= 10;
SELECT ts FROM events WHERE device = 'a' ORDER BY ts DESC;
SELECT device, ts FROM events WHERE device = 'b' AND ts = 2;
EXPLAIN QUERY PLAN SELECT * FROM events WHERE device = 'a' AND ts > 1;
EXPLAIN QUERY PLAN SELECT * FROM events WHERE device = 'a' AND ts = 1;
EXPLAIN QUERY PLAN SELECT * FROM events WHERE device = 'a' ORDER BY ts DESC;
INSERT INTO events VALUES ('a', 1, x'ff');
INSERT INTO events VALUES (NULL, 1, x'ff');
UPDATE events SET ts = 5 WHERE device = 'b' AND ts = 1;
DELETE FROM events WHERE device = 'a' AND ts < 3;
SELECT device, ts FROM events;
