-- Options take sizes and booleans; bad ones are refused with a message that
-- names them and says what is valid.
CREATE VIRTUAL TABLE ok1 USING strata(sync = full, memtable_size = '64KiB', block_size = 1024, bloom_bits = 0);
CREATE VIRTUAL TABLE ok2 USING strata(k INTEGER PRIMARY KEY, v, memtable_size = 1048576, readonly = off);
CREATE VIRTUAL TABLE bad1 USING strata(nonsense = 1);
CREATE VIRTUAL TABLE bad2 USING strata(sync = sometimes);
CREATE VIRTUAL TABLE bad3 USING strata(memtable_size = '10KiB');
CREATE VIRTUAL TABLE bad4 USING strata(memtable_size = 'lots');
CREATE VIRTUAL TABLE bad5 USING strata(k TEXT COLLATE NOCASE PRIMARY KEY, v);
CREATE VIRTUAL TABLE bad6 USING strata(a, b, PRIMARY KEY (a, c));
CREATE VIRTUAL TABLE bad7 USING strata(readonly = maybe);
INSERT INTO ok1 VALUES (1, 2);
INSERT INTO ok2 VALUES (1, 2);
SELECT * FROM ok1;
SELECT * FROM ok2;
