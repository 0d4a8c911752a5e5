-- The default table: columns key PRIMARY KEY and value.
CREATE VIRTUAL TABLE kv USING strata;
INSERT INTO kv VALUES ('apple', 1), ('banana', 2), ('cherry', 3);
SELECT key, value FROM kv;
SELECT count(*), sum(value) FROM kv;
PRAGMA table_info(kv);
SELECT value FROM kv WHERE key = 'banana';
SELECT value FROM kv WHERE key = 'durian';
