#!/usr/bin/python3
"""strata from Python, with nothing but the standard sqlite3 module.

What it shows: loading the extension into a connection; a typed strata
table; parameterized writes in transactions that commit or roll back;
point and range queries; values that come back exactly as SQLite's own
table returns them (REAL to the bit, BLOBs with NUL bytes, TEXT, NULL);
constraint errors as Python exceptions; strata_stats() as JSON; and the
data still there after the connection is closed and reopened.

Which Python: loading an extension needs a sqlite3 module built with
extension loading enabled. Debian's /usr/bin/python3 has it. Many other
builds (pyenv, python.org installers, some virtualenvs made from them) leave
it out, and then sqlite3.Connection has no enable_load_extension; this
script says so and exits with status 2. `make examples` runs it with
/usr/bin/python3.

Run from the repository root, after `make`:

    /usr/bin/python3 examples/python_sqlite3.py [path/to/build/strata]

It works in a temporary directory of its own and removes it at the end. It
checks what it prints and exits with status 1 on any mismatch.
"""

import json
import math
import os
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_EXTENSION = os.path.join(HERE, os.pardir, "build", "strata")


def expect(actual, expected, what):
    """Prints a result and stops the script if it is not the expected one."""
    if actual != expected:
        print(f"MISMATCH in {what}:\n  expected {expected!r}\n  got      {actual!r}")
        sys.exit(1)
    print(f"ok  {what}: {actual!r}")


def connect(path, extension):
    """Opens a connection with strata loaded. Every connection that uses a
    strata table must load the extension first."""
    con = sqlite3.connect(path)
    con.enable_load_extension(True)
    # A path without the .so suffix: SQLite adds it, and derives the entry
    # point (sqlite3_strata_init) from the file name.
    con.load_extension(extension)
    # Keep SQL from loading further libraries with load_extension().
    con.enable_load_extension(False)
    return con


def main():
    extension = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_EXTENSION)
    if not hasattr(sqlite3.Connection, "enable_load_extension"):
        print(
            f"{sys.executable}: this Python's sqlite3 module was built without extension\n"
            "loading (Connection.enable_load_extension is missing), so it cannot load strata.\n"
            "Run this script with Debian's /usr/bin/python3 instead.",
            file=sys.stderr,
        )
        return 2

    with tempfile.TemporaryDirectory(prefix="strata-python-") as tmp:
        path = os.path.join(tmp, "app.db")
        con = connect(path, extension)
        print(con.execute("SELECT strata_version()").fetchone()[0])
        print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}")

        # A table with an INTEGER PRIMARY KEY: the id is the engine's key,
        # and the store lives next to the database file (app.db-users.strata/).
        con.execute(
            "CREATE VIRTUAL TABLE users USING strata("
            "  id INTEGER PRIMARY KEY, name TEXT, email TEXT, score REAL, avatar BLOB)"
        )
        expect(os.path.isdir(path + "-users.strata"), True, "store directory beside app.db")

        # One transaction: the module opens it before the first INSERT, and
        # `with con:` commits it (or rolls it back if the block raises).
        with con:
            con.executemany(
                "INSERT INTO users(id, name, email, score) VALUES (?, ?, ?, ?)",
                ((i, f"user{i}", f"user{i}@example.com", i / 8) for i in range(1, 1001)),
            )
            # No id: one more than the largest, as in a native rowid table.
            cur = con.execute("INSERT INTO users(name) VALUES ('newcomer')")
            expect(cur.lastrowid, 1001, "id given to a row inserted without one")
        expect(con.execute("SELECT count(*) FROM users").fetchone()[0], 1001, "rows after commit")

        # A point query (one engine lookup) and a range query (one bounded
        # scan, iterated backwards for ORDER BY id DESC).
        expect(
            con.execute("SELECT name, score FROM users WHERE id = ?", (500,)).fetchone(),
            ("user500", 62.5),
            "point query",
        )
        expect(
            con.execute(
                "SELECT id FROM users WHERE id BETWEEN ? AND ? ORDER BY id DESC", (995, 1001)
            ).fetchall(),
            [(1001,), (1000,), (999,), (998,), (997,), (996,), (995,)],
            "range query, newest first",
        )
        plan = con.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM users WHERE id BETWEEN ? AND ? ORDER BY id DESC",
            (995, 1001),
        ).fetchone()[3]
        expect(plan, "SCAN users VIRTUAL TABLE INDEX 255:strata: range id>=? AND id<=? DESC",
               "its plan")

        # Values come back exactly as from a native table with the same
        # declaration: the same Python types and the same bits.
        tricky = [
            (2001, "Zoë 🙂", None, 0.1 + 0.2, bytes(range(256))),
            (2002, "nul\x00inside", "x@y", -0.0, b"\x00\x00"),
            (2003, 12345, 678, 1e308, b""),  # TEXT affinity makes 12345 '12345'
            (2004, None, None, math.pi, None),
        ]
        con.execute(
            "CREATE TABLE users_native("
            "  id INTEGER PRIMARY KEY, name TEXT, email TEXT, score REAL, avatar BLOB)"
        )
        with con:
            con.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?)", tricky)
            con.executemany("INSERT INTO users_native VALUES (?, ?, ?, ?, ?)", tricky)
        query = ("SELECT id, name, typeof(name), email, score, typeof(score), avatar FROM {} "
                 "WHERE id > 2000 ORDER BY id")
        strata_rows = con.execute(query.format("users")).fetchall()
        native_rows = con.execute(query.format("users_native")).fetchall()
        expect(strata_rows == native_rows, True, "round-trip identical to a native table")
        expect(strata_rows[0][4], 0.30000000000000004, "0.1 + 0.2 to the bit")
        # SQLite writes a REAL without a fraction as an integer, so -0.0 comes
        # back as 0.0 from its own table; strata does exactly the same.
        expect((strata_rows[1][4], math.copysign(1, strata_rows[1][4])), (0.0, 1.0),
               "-0.0 as SQLite keeps it")
        expect(strata_rows[0][6] == bytes(range(256)), True, "a BLOB holding every byte value")
        expect(strata_rows[2][1:3], ("12345", "text"), "TEXT affinity, as SQLite applies it")

        # Constraint errors are sqlite3 exceptions with SQLite's own messages,
        # and a failed statement leaves nothing of itself.
        try:
            with con:
                con.execute("INSERT INTO users(id, name) VALUES (1, 'duplicate')")
            expect("no error", "IntegrityError", "inserting an existing id")
        except sqlite3.IntegrityError as e:
            expect(str(e), "UNIQUE constraint failed: users.id", "inserting an existing id")

        # A transaction that fails halfway is rolled back as a whole.
        class Abandon(Exception):
            pass

        try:
            with con:
                con.execute("UPDATE users SET score = score * 2 WHERE id <= 500")
                con.execute("DELETE FROM users WHERE id > 500 AND id <= 1000")
                raise Abandon()
        except Abandon:
            pass
        expect(
            con.execute("SELECT count(*), sum(score) FROM users WHERE id <= 1000").fetchone(),
            (1000, sum(i / 8 for i in range(1, 1001))),
            "nothing of the rolled-back transaction",
        )

        # UPDATE and DELETE that commit; the newest-first scan sees them.
        with con:
            con.execute("UPDATE users SET email = NULL WHERE id % 100 = 0")
            con.execute("DELETE FROM users WHERE id BETWEEN 900 AND 999")
        expect(
            con.execute("SELECT count(*), count(email) FROM users WHERE id <= 1000").fetchone(),
            (900, 891),
            "rows and emails after UPDATE and DELETE",
        )

        # The engine's counters, as JSON.
        con.execute("SELECT strata_flush('users')")
        stats = json.loads(con.execute("SELECT strata_stats('users')").fetchone()[0])
        print("strata_stats: " + ", ".join(
            f"{k}={stats[k]}" for k in ("last_sequence", "flushes", "table_files",
                                        "files_per_level", "user_bytes_written")))
        expect(stats["background_error"], "", "no background error")
        expect(stats["table_files"] >= 1, True, "the flush wrote a table file")
        con.close()

        # A new connection finds everything; it loads the extension first.
        con = connect(path, extension)
        expect(con.execute("SELECT count(*) FROM users").fetchone()[0], 905,
               "rows after reopening")
        expect(con.execute("SELECT name FROM users WHERE id = 2001").fetchone()[0], "Zoë 🙂",
               "a row after reopening")
        expect(con.execute("SELECT strata_verify('users')").fetchone()[0], "ok", "strata_verify")
        con.close()
    print("python_sqlite3.py: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
