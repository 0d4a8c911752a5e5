/* A C program that loads strata into SQLite through the C API.
 *
 * What it shows: enabling extension loading for the C API only
 * (SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION) and loading build/strata.so; the
 * error a bad table option gives; a word count kept in a strata table with
 * prepared statements in one transaction, using the UPDATE-then-INSERT
 * pattern (virtual tables have no UPSERT); a prefix query (GLOB) and a
 * top-N query; a primary-key conflict and its extended error code; two
 * connections on one store (a reader sees committed data only, a second
 * writer gets SQLITE_BUSY); reopening; and DROP TABLE removing the store.
 *
 * Build and run from the repository root, after `make`:
 *
 *   cc -std=c11 -Wall -Wextra -O2 -o /tmp/c_load_extension examples/c_load_extension.c -lsqlite3
 *   /tmp/c_load_extension ./build/strata
 *
 * It works in a temporary directory of its own (removed at the end), checks
 * every result, and exits with status 1 on the first mismatch.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Stops the program when a condition does not hold. */
#define CHECK(cond)                                                     \
  do {                                                                  \
    if (!(cond)) {                                                      \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                          \
    }                                                                   \
  } while (0)

/* Runs SQL that returns no rows; stops on an error. */
static void exec_ok(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "error in \"%s\": %s\n", sql, err);
    exit(1);
  }
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    fprintf(stderr, "cannot prepare \"%s\": %s\n", sql, sqlite3_errmsg(db));
    exit(1);
  }
  return stmt;
}

/* The first column of the first row of a query, as an integer. */
static sqlite3_int64 query_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *stmt = prepare(db, sql);
  CHECK(sqlite3_step(stmt) == SQLITE_ROW);
  sqlite3_int64 v = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return v;
}

/* Opens a database and loads strata into the connection. Every connection
 * that uses a strata table loads the extension first. */
static sqlite3 *open_with_strata(const char *path, const char *extension) {
  sqlite3 *db = NULL;
  if (sqlite3_open(path, &db) != SQLITE_OK) {
    fprintf(stderr, "cannot open %s: %s\n", path, sqlite3_errmsg(db));
    exit(1);
  }
  /* Allows sqlite3_load_extension() but not SQL's load_extension(). */
  CHECK(sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, NULL) == SQLITE_OK);
  char *err = NULL;
  /* NULL entry point: SQLite derives sqlite3_strata_init from the file name,
   * and adds the .so suffix when the path has none. */
  if (sqlite3_load_extension(db, extension, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "cannot load %s: %s\n", extension, err);
    exit(1);
  }
  return db;
}

static const char kText[] =
    "A log structured merge tree buffers writes in memory and writes them out "
    "as sorted files. The files are merged in the background, so random writes "
    "become sequential writes. A read looks in the memory buffer first, then in "
    "the files from the newest to the oldest, and a bloom filter tells it which "
    "files cannot hold the key. The tree trades some read work for cheap writes, "
    "and the merges keep the read work bounded.";

#define MAX_WORDS 256

/* Splits kText into lowercase words. Returns how many. */
static int split_words(char words[][32]) {
  int n = 0;
  const char *p = kText;
  while (*p) {
    while (*p && !isalpha((unsigned char)*p)) p++;
    int len = 0;
    while (isalpha((unsigned char)*p)) {
      if (len < 31) words[n][len++] = (char)tolower((unsigned char)*p);
      p++;
    }
    if (len > 0) words[n++][len] = '\0';
    CHECK(n < MAX_WORDS);
  }
  return n;
}

int main(int argc, char **argv) {
  const char *extension = argc > 1 ? argv[1] : "./build/strata";
  const char *tmp = getenv("TMPDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/strata-c-example-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
  CHECK(mkdtemp(dir) != NULL);
  char path[4200];
  snprintf(path, sizeof path, "%s/words.db", dir);

  sqlite3 *db = open_with_strata(path, extension);
  printf("%s\n", (const char *)sqlite3_libversion());
  {
    sqlite3_stmt *stmt = prepare(db, "SELECT strata_version()");
    CHECK(sqlite3_step(stmt) == SQLITE_ROW);
    printf("%s\n", sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
  }

  /* A mistyped option fails CREATE with a message that lists the valid ones. */
  char *err = NULL;
  int rc = sqlite3_exec(db, "CREATE VIRTUAL TABLE bad USING strata(memtable_sz = '1MiB')", NULL,
                        NULL, &err);
  printf("bad option: rc=%d, %s\n", rc, err);
  CHECK(rc == SQLITE_ERROR && strstr(err, "unknown option memtable_sz") != NULL);
  sqlite3_free(err);

  /* A TEXT primary key: words are kept in BINARY (memcmp) order. */
  exec_ok(db, "CREATE VIRTUAL TABLE words USING strata(word TEXT PRIMARY KEY, n INTEGER NOT NULL)");

  /* Count the words in one transaction. There is no UPSERT on a virtual
   * table: UPDATE, and INSERT when the UPDATE changed nothing. */
  static char words[MAX_WORDS][32];
  const int nwords = split_words(words);
  sqlite3_stmt *bump = prepare(db, "UPDATE words SET n = n + 1 WHERE word = ?1");
  sqlite3_stmt *add = prepare(db, "INSERT INTO words(word, n) VALUES (?1, 1)");
  exec_ok(db, "BEGIN");
  for (int i = 0; i < nwords; i++) {
    sqlite3_bind_text(bump, 1, words[i], -1, SQLITE_STATIC);
    CHECK(sqlite3_step(bump) == SQLITE_DONE);
    sqlite3_reset(bump);
    if (sqlite3_changes(db) == 0) {
      sqlite3_bind_text(add, 1, words[i], -1, SQLITE_STATIC);
      CHECK(sqlite3_step(add) == SQLITE_DONE);
      sqlite3_reset(add);
    }
  }
  exec_ok(db, "COMMIT");
  sqlite3_finalize(bump);
  sqlite3_finalize(add);

  /* The same counts, the slow way, to check the table against. */
  int distinct = 0, the = 0, tree = 0;
  for (int i = 0; i < nwords; i++) {
    int seen = 0;
    for (int j = 0; j < i && !seen; j++) seen = strcmp(words[i], words[j]) == 0;
    distinct += !seen;
    the += strcmp(words[i], "the") == 0;
    tree += strcmp(words[i], "tree") == 0;
  }
  printf("%d words, %d distinct, 'the' %d times\n", nwords, distinct, the);
  CHECK(query_int(db, "SELECT sum(n) FROM words") == nwords);
  CHECK(query_int(db, "SELECT count(*) FROM words") == distinct);
  CHECK(query_int(db, "SELECT n FROM words WHERE word = 'the'") == the);

  /* Top words: a full scan, then SQLite sorts by n. */
  printf("most frequent:");
  sqlite3_stmt *top = prepare(db, "SELECT word, n FROM words ORDER BY n DESC, word LIMIT 4");
  while (sqlite3_step(top) == SQLITE_ROW) {
    printf(" %s=%d", sqlite3_column_text(top, 0), sqlite3_column_int(top, 1));
  }
  sqlite3_finalize(top);
  printf("\n");

  /* A prefix: GLOB on a TEXT key is a bounded range scan, in key order. */
  sqlite3_stmt *plan = prepare(db, "EXPLAIN QUERY PLAN SELECT word FROM words WHERE word GLOB 'th*'");
  CHECK(sqlite3_step(plan) == SQLITE_ROW);
  printf("plan: %s\n", sqlite3_column_text(plan, 3));
  CHECK(strstr((const char *)sqlite3_column_text(plan, 3), "range word>=? AND word<?") != NULL);
  sqlite3_finalize(plan);
  char got[256] = "";
  sqlite3_stmt *prefix = prepare(db, "SELECT word FROM words WHERE word GLOB 'th*'");
  while (sqlite3_step(prefix) == SQLITE_ROW) {
    strcat(got, (const char *)sqlite3_column_text(prefix, 0));
    strcat(got, " ");
  }
  sqlite3_finalize(prefix);
  printf("words starting with th: %s\n", got);
  CHECK(strcmp(got, "the them then ") == 0);

  /* An existing key: SQLite's own error and extended code. */
  rc = sqlite3_exec(db, "INSERT INTO words VALUES ('tree', 1)", NULL, NULL, NULL);
  printf("duplicate key: %s (extended code %d)\n", sqlite3_errmsg(db), sqlite3_extended_errcode(db));
  CHECK(rc == SQLITE_CONSTRAINT);
  CHECK(sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_PRIMARYKEY);
  CHECK(strcmp(sqlite3_errmsg(db), "UNIQUE constraint failed: words.word") == 0);

  /* A second connection shares the open store. While the first holds a
   * write transaction, the second reads only committed data and cannot
   * write; after COMMIT it sees the change and may write. (Both connections
   * use the same database file, whose own lock answers first: "database is
   * locked". Connections on different database files whose tables name the
   * same store `path` meet strata's one-writer rule instead, with a message
   * saying that the table is being written by another connection.) */
  sqlite3 *other = open_with_strata(path, extension);
  exec_ok(db, "BEGIN");
  exec_ok(db, "UPDATE words SET n = 100 WHERE word = 'tree'");
  CHECK(query_int(db, "SELECT n FROM words WHERE word = 'tree'") == 100);
  CHECK(query_int(other, "SELECT n FROM words WHERE word = 'tree'") == tree);
  rc = sqlite3_exec(other, "INSERT INTO words VALUES ('lsm', 1)", NULL, NULL, NULL);
  printf("second writer: rc=%d, %s\n", rc, sqlite3_errmsg(other));
  CHECK(rc == SQLITE_BUSY);
  exec_ok(db, "COMMIT");
  CHECK(query_int(other, "SELECT n FROM words WHERE word = 'tree'") == 100);
  exec_ok(other, "INSERT INTO words VALUES ('lsm', 1)");
  sqlite3_close(other);
  CHECK(sqlite3_close(db) == SQLITE_OK);

  /* Reopen: everything committed is there. */
  db = open_with_strata(path, extension);
  CHECK(query_int(db, "SELECT count(*) FROM words") == distinct + 1);
  CHECK(query_int(db, "SELECT sum(n) FROM words") == nwords - tree + 100 + 1);

  /* DROP TABLE removes the store directory (words.db-words.strata/). */
  char store[4300];
  snprintf(store, sizeof store, "%s-words.strata", path);
  struct stat st;
  CHECK(stat(store, &st) == 0 && S_ISDIR(st.st_mode));
  exec_ok(db, "DROP TABLE words");
  CHECK(stat(store, &st) != 0);
  CHECK(sqlite3_close(db) == SQLITE_OK);

  CHECK(unlink(path) == 0);
  CHECK(rmdir(dir) == 0);
  printf("c_load_extension: all checks passed\n");
  return 0;
}
