-- Tables without a key get an implicit integer rowid; INTEGER PRIMARY KEY
-- aliases it. Both assign one more than the largest key when none is given.
CREATE VIRTUAL TABLE log USING strata(level TEXT, msg TEXT);
INSERT INTO log VALUES ('info', 'started');
INSERT INTO log VALUES ('warn', 'disk 90%');
INSERT INTO log(rowid, level, msg) VALUES (10, 'info', 'jump');
INSERT INTO log VALUES ('error', 'after jump');
SELECT last_insert_rowid();
SELECT rowid, * FROM log;
SELECT * FROM log WHERE rowid = 2;
CREATE VIRTUAL TABLE users USING strata(id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO users(name) VALUES ('ann'), ('bob');
INSERT INTO users VALUES (7, 'cy');
INSERT INTO users VALUES (NULL, 'dee');
INSERT INTO users VALUES ('9', 'text that is an integer');
SELECT id, typeof(id), rowid, name FROM users;
INSERT INTO users VALUES ('x', 'not an integer');
INSERT INTO users VALUES (2.5, 'not an integer');
INSERT INTO users VALUES (2, 'duplicate');
UPDATE users SET id = 20 WHERE id = 7;
SELECT id, name FROM users WHERE id > 5;
DELETE FROM users WHERE id = 20;
INSERT INTO users(name) VALUES ('next');
SELECT id, name FROM users;
