// SQL differential test: seeded random SQL statements run on a strata table and on a native
// SQLite twin declared with the same columns (WITHOUT ROWID, or a rowid table for the rowid
// schemas), in one connection. After every statement the two must agree exactly: rows (in
// order when the query fixes one), each value's type and bytes (REAL to the bit), errors
// (both fail with the same message, modulo the table name, or both succeed), changes(), and
// last_insert_rowid() for rowid tables; after every write the whole tables are compared, the
// strata one read without ORDER BY (it must come back in key order, as the native one does).
//
// The strata table uses tiny memtables and files, so flushes and compactions happen all
// through the run; strata_flush/strata_compact are called now and then, and the connection is
// closed and reopened now and then (both tables must survive it).
//
// Environment:
//   STRATA_EXT=<path of strata.so>  the extension to load (make test sets it); without it the
//                                   tests are skipped.
//   STRATA_SEED=<n>                 the base seed (default: from the clock). Each schema's
//                                   seed is printed on failure with the tail of the history.
//   STRATA_DIFF_OPS=<n>             statements per schema (default 250, a few seconds in all);
//                                   e.g. STRATA_DIFF_OPS=20000 for a long run.
//   STRATA_DIFF_VERBOSE=1           print every statement as it runs.
//   STRATA_RANGE_DELETE_MIN_ROWS=<n>  the smallest DELETE strata turns into a range tombstone
//                                   (sqlite_ext/vtab.h). Unset, each schema runs with 1, 2 or
//                                   3 (from its seed), so that the small tables here take that
//                                   path often.
//
// Legitimate differences, not generated (each is a documented limit or SQLite's own
// virtual-table semantics, not a strata bug):
//   - rowid auto-assignment after the largest rowid 9223372036854775807: SQLite picks a random
//     unused rowid, strata fails with SQLITE_FULL (SPEC: "one more than the largest key").
//     Rowid pools stay below it.
//   - UPDATE OR REPLACE that moves keys onto other rows of the same statement: a native table
//     re-reads each row after earlier replacements, a virtual table gets the new values
//     computed by SQLite's scan up front (SQLite's own vtab UPDATE protocol). Key-moving
//     UPDATEs therefore use every conflict mode but REPLACE.
//   - PRAGMA table_info's pk column for composite keys (the hidden key column); not compared.
//   - sum()/total() of REAL values: rounding depends on the order SQLite adds them in, which
//     the plan may change; sums are taken over INTEGER columns only.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "unit_tests/test_util.h"

namespace strata {
namespace {

constexpr int64_t kRowidSentinel = -77777;
constexpr const char* kStrataName = "strata_t";
constexpr const char* kNativeName = "native_t";

bool EnvFlag(const char* name) {
  const char* v = getenv(name);
  return v != nullptr && *v != '\0' && strcmp(v, "0") != 0;
}

// ---- results --------------------------------------------------------------

// One value as SQLite returned it: its type and exact bytes (int64 and double bits in
// native byte order; TEXT and BLOB as stored).
struct Cell {
  int type = SQLITE_NULL;
  std::string bytes;
  bool operator==(const Cell&) const = default;
  bool operator<(const Cell& o) const { return type != o.type ? type < o.type : bytes < o.bytes; }
};

std::string Printable(const std::string& s) {
  std::string r;
  const size_t shown = std::min<size_t>(s.size(), 48);
  for (size_t i = 0; i < shown; i++) {
    const unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch >= 32 && ch < 127 && ch != '\\') {
      r.push_back(static_cast<char>(ch));
    } else {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\x%02x", ch);
      r += buf;
    }
  }
  if (shown < s.size()) r += "...(" + std::to_string(s.size()) + " bytes)";
  return r;
}

std::string Show(const Cell& c) {
  switch (c.type) {
    case SQLITE_INTEGER: {
      int64_t v;
      memcpy(&v, c.bytes.data(), 8);
      return std::to_string(v);
    }
    case SQLITE_FLOAT: {
      double d;
      uint64_t bits;
      memcpy(&d, c.bytes.data(), 8);
      memcpy(&bits, c.bytes.data(), 8);
      char buf[64];
      snprintf(buf, sizeof(buf), "%.17g(r:%016" PRIx64 ")", d, bits);
      return buf;
    }
    case SQLITE_TEXT:
      return "'" + Printable(c.bytes) + "'";
    case SQLITE_BLOB:
      return "x[" + Printable(c.bytes) + "]";
    default:
      return "NULL";
  }
}

using Row = std::vector<Cell>;

struct Outcome {
  int rc = SQLITE_OK;  // primary result code
  int extended_rc = SQLITE_OK;
  std::string error;  // with the table's name replaced by @T
  std::vector<Row> rows;
  int64_t changes = 0;
  int64_t last_rowid = 0;
};

// Rows [from, from + max_rows), with their indexes.
std::string ShowRows(const std::vector<Row>& rows, size_t from = 0, size_t max_rows = 12) {
  std::string r;
  if (from > 0) r += "    ... " + std::to_string(from) + " rows before\n";
  for (size_t i = from; i < rows.size() && i < from + max_rows; i++) {
    r += "    " + std::to_string(i) + ": (";
    for (size_t j = 0; j < rows[i].size(); j++) r += (j ? ", " : "") + Show(rows[i][j]);
    r += ")\n";
  }
  if (rows.size() > from + max_rows) {
    r += "    ... " + std::to_string(rows.size()) + " rows in all\n";
  }
  return r;
}

// The outcome, its rows shown from a little before `first_difference`.
std::string ShowOutcome(const Outcome& o, size_t first_difference = 0) {
  std::string r = "rc=" + std::to_string(o.rc) + "/" + std::to_string(o.extended_rc);
  if (o.rc != SQLITE_OK) r += " error=\"" + o.error + "\"";
  r += " changes=" + std::to_string(o.changes) + " last_rowid=" + std::to_string(o.last_rowid) +
       " rows=" + std::to_string(o.rows.size()) + "\n" +
       ShowRows(o.rows, first_difference > 2 ? first_difference - 2 : 0);
  return r;
}

size_t FirstDifference(const std::vector<Row>& a, const std::vector<Row>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) i++;
  return i;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

// Runs one statement (a single SQL statement) and records everything it did.
Outcome RunSql(sqlite3* db, const std::string& sql, const std::string& table_name) {
  Outcome o;
  sqlite3_set_last_insert_rowid(db, kRowidSentinel);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc == SQLITE_OK && stmt != nullptr) {
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row row(sqlite3_column_count(stmt));
      for (size_t i = 0; i < row.size(); i++) {
        Cell& c = row[i];
        c.type = sqlite3_column_type(stmt, static_cast<int>(i));
        switch (c.type) {
          case SQLITE_INTEGER: {
            const int64_t v = sqlite3_column_int64(stmt, static_cast<int>(i));
            c.bytes.assign(reinterpret_cast<const char*>(&v), 8);
            break;
          }
          case SQLITE_FLOAT: {
            const double d = sqlite3_column_double(stmt, static_cast<int>(i));
            c.bytes.assign(reinterpret_cast<const char*>(&d), 8);
            break;
          }
          case SQLITE_TEXT: {
            const unsigned char* p = sqlite3_column_text(stmt, static_cast<int>(i));
            c.bytes.assign(reinterpret_cast<const char*>(p),
                           sqlite3_column_bytes(stmt, static_cast<int>(i)));
            break;
          }
          case SQLITE_BLOB: {
            const void* p = sqlite3_column_blob(stmt, static_cast<int>(i));
            const int n = sqlite3_column_bytes(stmt, static_cast<int>(i));
            c.bytes.assign(p ? static_cast<const char*>(p) : "", n);
            break;
          }
          default:
            break;
        }
      }
      o.rows.push_back(std::move(row));
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  o.rc = rc & 0xff;
  if (rc != SQLITE_OK) {
    o.extended_rc = sqlite3_extended_errcode(db);
    o.error = ReplaceAll(sqlite3_errmsg(db), table_name, "@T");
  }
  sqlite3_finalize(stmt);
  o.changes = sqlite3_changes64(db);
  o.last_rowid = sqlite3_last_insert_rowid(db);
  return o;
}

// ---- schemas ----------------------------------------------------------------

enum class Dom { kAny, kInt, kReal, kText, kBlob };

struct ColSpec {
  std::string name;
  Dom dom;
  bool not_null = false;
};

struct SchemaSpec {
  std::string label;
  std::string decl;  // the column definitions, the same for both tables
  bool rowid_table;  // the native twin is a rowid table (implicit rowid or INTEGER PRIMARY KEY)
  bool implicit_rowid;
  std::vector<ColSpec> cols;
  std::vector<std::string> key;                    // key columns in key order
  std::vector<std::vector<std::string>> key_pool;  // literals for each key column
  std::vector<std::string> key_shifts;             // SET clauses that move rows to other keys
  std::vector<std::string> patterns;               // GLOB / LIKE patterns for the first key
  std::string aux_decl;                            // the native side table `aux`
  std::vector<std::string> aux_cols;               // its columns, matching `cols` in order
};

std::vector<std::string> TextKeyPool() {
  std::vector<std::string> pool;
  for (int i = 0; i < 20; i++) {
    char buf[16];
    snprintf(buf, sizeof(buf), "'k%02d'", i);
    pool.push_back(buf);
  }
  for (const char* s : {"'k1'", "'k10'", "''", "'10'", "'9'", "10", "9.5", "'1e3'", "1e3",
                        "'a'||char(0)||'b'", "'a'", "'a'||char(0)", "'K'||hex(zeroblob(700))",
                        "'K'||hex(zeroblob(2500))", "'k05 '", "'é'"}) {
    pool.push_back(s);
  }
  return pool;
}

std::vector<SchemaSpec> Schemas() {
  std::vector<SchemaSpec> v;
  {
    SchemaSpec s;
    s.label = "TypedTextKey";
    s.decl = "k TEXT PRIMARY KEY, a INTEGER, b REAL, c TEXT, d BLOB";
    s.rowid_table = false;
    s.implicit_rowid = false;
    s.cols = {{"k", Dom::kText},
              {"a", Dom::kInt},
              {"b", Dom::kReal},
              {"c", Dom::kText},
              {"d", Dom::kBlob}};
    s.key = {"k"};
    s.key_pool = {TextKeyPool()};
    s.key_shifts = {"k = k || 'x'",
                    "k = substr(k, 2)",
                    "k = k + 1",
                    "k = upper(k)",
                    "k = printf('k%02d', (CAST(substr(k, 2) AS INTEGER) + 1) % 20)",
                    "k = printf('k%02d', (CAST(substr(k, 2) AS INTEGER) + 19) % 20)"};
    s.patterns = {"k1*", "k*", "k0?", "1*", "*", "K*", "a*", "k[01]*"};
    s.aux_decl = "k TEXT, a INTEGER, b REAL, c TEXT, d BLOB, n INTEGER";
    s.aux_cols = {"k", "a", "b", "c", "d"};
    v.push_back(s);
  }
  {
    SchemaSpec s;
    s.label = "UntypedKey";
    s.decl = "key PRIMARY KEY, value";
    s.rowid_table = false;
    s.implicit_rowid = false;
    s.cols = {{"key", Dom::kAny}, {"value", Dom::kAny}};
    s.key = {"key"};
    std::vector<std::string> pool;
    for (int i = -3; i <= 12; i++) pool.push_back(std::to_string(i));
    for (const char* x : {"1.5",
                          "2.0",
                          "-0.0",
                          "0.0",
                          "-2.5",
                          "9223372036854775807",
                          "(-9223372036854775807-1)",
                          "9007199254740993",
                          "9007199254740992",
                          "9007199254740992.0",
                          "1e308",
                          "-1e308",
                          "1e999",
                          "'a'",
                          "'b'",
                          "'10'",
                          "'2'",
                          "''",
                          "'a'||char(0)||'b'",
                          "x''",
                          "x'00'",
                          "x'0a'",
                          "x'6b31'",
                          "'L'||hex(zeroblob(1000))",
                          "zeroblob(1500)"}) {
      pool.push_back(x);
    }
    s.key_pool = {pool};
    s.key_shifts = {"key = key + 1",   "key = key - 1",           "key = -key",
                    "key = key || ''", "key = CAST(key AS REAL)", "key = key * 2"};
    s.patterns = {"1*", "a*", "*", "-*", "b?"};
    s.aux_decl = "key, value, n INTEGER";
    s.aux_cols = {"key", "value"};
    v.push_back(s);
  }
  {
    SchemaSpec s;
    s.label = "CompositeKey";
    s.decl = "a TEXT, b INTEGER, c, PRIMARY KEY (a, b)";
    s.rowid_table = false;
    s.implicit_rowid = false;
    s.cols = {{"a", Dom::kText}, {"b", Dom::kInt}, {"c", Dom::kAny}};
    s.key = {"a", "b"};
    s.key_pool = {{"'x'", "'y'", "'z'", "''", "'xy'", "5", "'5'", "'x'||char(0)",
                   "'Y'||hex(zeroblob(300))", "x'78'"},
                  {"0", "1", "2", "3", "4", "5", "6", "-1", "1.5", "'3'", "'q'", "2.0",
                   "9223372036854775807", "(-9223372036854775807-1)", "''", "x'01'"}};
    s.key_shifts = {"b = b + 1", "b = b - 1", "a = a || 'x'", "b = -b", "a = 'x'", "a = b, b = 1"};
    s.patterns = {"x*", "y*", "*", "5*", "x?"};
    s.aux_decl = "a TEXT, b INTEGER, c, n INTEGER";
    s.aux_cols = {"a", "b", "c"};
    v.push_back(s);
  }
  {
    SchemaSpec s;
    s.label = "ImplicitRowid";
    s.decl = "x, y";
    s.rowid_table = true;
    s.implicit_rowid = true;
    s.cols = {{"x", Dom::kAny}, {"y", Dom::kAny}};
    s.key = {"rowid"};
    std::vector<std::string> pool;
    for (int i = -2; i <= 30; i++) pool.push_back(std::to_string(i));
    for (const char* x : {"'7'", "2.0", "'12'", "NULL", "NULL", "NULL", "(-9223372036854775807-1)",
                          "9007199254740993", "100000"}) {
      pool.push_back(x);
    }
    s.key_pool = {pool};
    s.key_shifts = {"rowid = rowid + 1", "rowid = rowid - 1", "rowid = -rowid",
                    "rowid = rowid * 2"};
    s.aux_decl = "r INTEGER, x, y, n INTEGER";
    s.aux_cols = {"r", "x", "y"};
    v.push_back(s);
  }
  {
    SchemaSpec s;
    s.label = "IntegerPrimaryKey";
    s.decl = "id INTEGER PRIMARY KEY, v";
    s.rowid_table = true;
    s.implicit_rowid = false;
    s.cols = {{"id", Dom::kInt}, {"v", Dom::kAny}};
    s.key = {"id"};
    std::vector<std::string> pool;
    for (int i = -2; i <= 30; i++) pool.push_back(std::to_string(i));
    for (const char* x : {"'7'", "2.0", "2.5", "'abc'", "NULL", "NULL", "NULL",
                          "(-9223372036854775807-1)", "9007199254740993", "' 8'", "x'31'"}) {
      pool.push_back(x);
    }
    s.key_pool = {pool};
    s.key_shifts = {"id = id + 1", "id = id - 1", "id = -id", "id = id * 2"};
    s.aux_decl = "id INTEGER, v, n INTEGER";
    s.aux_cols = {"id", "v"};
    v.push_back(s);
  }
  {
    SchemaSpec s;
    s.label = "NumericKeyNotNull";
    s.decl = "k NUMERIC PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL, note";
    s.rowid_table = false;
    s.implicit_rowid = false;
    s.cols = {{"k", Dom::kAny},
              {"name", Dom::kText, true},
              {"qty", Dom::kInt, true},
              {"note", Dom::kAny}};
    s.key = {"k"};
    std::vector<std::string> pool;
    for (int i = 0; i <= 12; i++) pool.push_back(std::to_string(i));
    for (const char* x :
         {"'1'", "'1.0'", "1.0", "'1e3'", "1000", "2.5", "'2.5'", "'abc'", "x'31'", "' 7'", "'7 '",
          "-0.0", "'0x10'", "'-3'", "1e999", "'9223372036854775808'", "9.0000000000000001"}) {
      pool.push_back(x);
    }
    s.key_pool = {pool};
    s.key_shifts = {"k = k + 1", "k = k || '0'", "k = k * 1.0", "k = -k", "k = k / 2"};
    s.patterns = {"1*", "a*", "*", "2.*"};
    s.aux_decl = "k NUMERIC, name TEXT, qty INTEGER, note, n INTEGER";
    s.aux_cols = {"k", "name", "qty", "note"};
    v.push_back(s);
  }
  return v;
}

// ---- the generator --------------------------------------------------------

struct Stmt {
  enum Kind {
    kCompare,     // run on both tables, compare
    kControl,     // transaction control: run once, affects both
    kStrataOnly,  // strata_flush / strata_compact
    kReopen,      // close and reopen the connection
  };
  Kind kind = kCompare;
  std::string sql;  // with @T for the table under test
  bool ordered = false;
  bool writes = false;
};

class Generator {
 public:
  Generator(const SchemaSpec& spec, uint64_t seed) : spec_(spec), rng_(seed) {}

  int Uniform(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  bool OneIn(int n) { return Uniform(n) == 0; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(static_cast<int>(v.size()))];
  }

  std::string Value(Dom dom) {
    static const std::vector<std::string> kInts = {"0",
                                                   "1",
                                                   "-1",
                                                   "7",
                                                   "42",
                                                   "9223372036854775807",
                                                   "(-9223372036854775807-1)",
                                                   "9007199254740993",
                                                   "-9007199254740993",
                                                   "123456789012"};
    static const std::vector<std::string> kReals = {"1.5",
                                                    "-0.0",
                                                    "0.0",
                                                    "2.0",
                                                    "1e308",
                                                    "-1e308",
                                                    "1e999",
                                                    "-1e999",
                                                    "0.1",
                                                    "4.9e-324",
                                                    "9007199254740992.0",
                                                    "123456789.125",
                                                    "-2.5"};
    static const std::vector<std::string> kTexts = {"''",
                                                    "'a'",
                                                    "'hello'",
                                                    "'10'",
                                                    "'1e3'",
                                                    "' 5'",
                                                    "'0x10'",
                                                    "'-0'",
                                                    "'2.0'",
                                                    "'9223372036854775808'",
                                                    "'a'||char(0)||'b'",
                                                    "char(0)",
                                                    "'L'||hex(zeroblob(1500))",
                                                    "'é€'",
                                                    "'12.50'",
                                                    "'-7'"};
    static const std::vector<std::string> kBlobs = {
        "x''", "x'00'", "x'0001ff'", "x'6b31'", "zeroblob(2000)", "CAST('abc' AS BLOB)", "x'3132'"};
    if (OneIn(12)) return "NULL";
    if (dom == Dom::kAny || OneIn(3)) dom = static_cast<Dom>(1 + Uniform(4));
    switch (dom) {
      case Dom::kInt:
        return Pick(kInts);
      case Dom::kReal:
        return Pick(kReals);
      case Dom::kText:
        return Pick(kTexts);
      case Dom::kBlob:
        return Pick(kBlobs);
      case Dom::kAny:
        break;
    }
    return "NULL";
  }

  std::string KeyValue(size_t k) {
    std::string v = OneIn(25) ? Value(Dom::kAny) : Pick(spec_.key_pool[k]);
    // The largest rowid makes the next one random in SQLite (see the top comment).
    if (spec_.rowid_table && v == "9223372036854775807") v = "9223372036854774000";
    return v;
  }

  std::string KeyShift() { return Pick(spec_.key_shifts); }

  const ColSpec* NonKeyColumn() {
    std::vector<const ColSpec*> cols;
    for (const ColSpec& c : spec_.cols) {
      if (std::find(spec_.key.begin(), spec_.key.end(), c.name) == spec_.key.end()) {
        cols.push_back(&c);
      }
    }
    return cols.empty() ? nullptr : Pick(cols);
  }

  std::string KeyName(size_t k) {
    // An INTEGER PRIMARY KEY is also reachable as rowid.
    if (spec_.rowid_table && !spec_.implicit_rowid && OneIn(4)) return "rowid";
    return spec_.key[k];
  }

  std::string KeyList(const char* dir) {
    std::string r;
    for (size_t k = 0; k < spec_.key.size(); k++) r += (k ? ", " : "") + spec_.key[k] + dir;
    return r;
  }

  // Every column, and the rowid of rowid tables.
  std::string AllColumns() { return spec_.rowid_table ? "rowid, *" : "*"; }

  // The constraint on one key column (after equality on the ones before it).
  std::string KeyTerm(size_t k) {
    const std::string name = KeyName(k);
    static const char* kOps[] = {">", ">=", "<", "<="};
    switch (Uniform(16)) {
      case 0:
      case 1:
        return name + " = " + KeyValue(k);
      case 2: {
        std::string list = KeyValue(k);
        const int n = Uniform(5);
        for (int i = 0; i < n; i++) list += ", " + (OneIn(6) ? std::string("NULL") : KeyValue(k));
        if (OneIn(3)) list += ", " + list;  // duplicates
        return name + " IN (" + list + ")";
      }
      case 3:
      case 4:
        return name + " " + kOps[Uniform(4)] + " " + KeyValue(k);
      case 5:
      case 6: {
        std::string lo = name + " " + kOps[Uniform(2)] + " " + KeyValue(k);
        std::string hi = name + " " + kOps[2 + Uniform(2)] + " " + KeyValue(k);
        return OneIn(2) ? lo + " AND " + hi : hi + " AND " + lo;
      }
      case 7:
        return name + " BETWEEN " + KeyValue(k) + " AND " + KeyValue(k);
      case 8: {
        if (spec_.patterns.empty()) return name + " >= " + KeyValue(k);
        std::string pattern = Pick(spec_.patterns);
        if (OneIn(2)) return name + " GLOB '" + pattern + "'";
        for (char& ch : pattern) {
          if (ch == '*') ch = '%';
          if (ch == '?') ch = '_';
        }
        if (OneIn(3) && !pattern.empty()) pattern[0] = static_cast<char>(toupper(pattern[0]));
        return name + " LIKE '" + pattern + "'";
      }
      case 9: {
        static const char* kNullTerms[] = {
            " = NULL",  " > NULL",      " IN (NULL)",         " <= NULL",
            " IS NULL", " IS NOT NULL", " BETWEEN NULL AND 5"};
        return name + kNullTerms[Uniform(7)];
      }
      case 10:
        return name + " IS NOT " + KeyValue(k);
      case 11:
        return name + " IS " + KeyValue(k);
      case 12: {
        const std::string v = KeyValue(k);
        switch (Uniform(5)) {
          case 0:
            return name + " + 0 = " + v;
          case 1:
            return "abs(" + name + ") = " + v;
          case 2:
            return "NOT (" + name + " = " + v + ")";
          case 3:
            return name + " != " + v;
          default:
            return "(" + name + " = " + v + " OR " + name + " = " + KeyValue(k) + ")";
        }
      }
      case 14: {
        // A collation other than BINARY, the key order: on either side, or in an IN.
        const std::string coll = OneIn(3) ? " COLLATE RTRIM" : " COLLATE NOCASE";
        static const char* kCollOps[] = {" = ", " > ", " >= ", " < ", " <= ", " IS "};
        if (OneIn(4)) return name + coll + " IN (" + KeyValue(k) + ", " + KeyValue(k) + ")";
        if (OneIn(4)) return KeyValue(k) + coll + kCollOps[Uniform(6)] + name;
        return name + kCollOps[Uniform(6)] + KeyValue(k) + coll;
      }
      case 13:
        return name + " IN (SELECT " + spec_.aux_cols[AuxKeyIndex(k)] +
               " FROM aux WHERE n % 3 = " + std::to_string(Uniform(3)) + ")";
      default:
        return name + " = (SELECT max(" + spec_.aux_cols[AuxKeyIndex(k)] + ") FROM aux)";
    }
  }

  size_t AuxKeyIndex(size_t k) {
    if (spec_.implicit_rowid) return 0;
    for (size_t i = 0; i < spec_.cols.size(); i++) {
      if (spec_.cols[i].name == spec_.key[k]) return i;
    }
    return 0;
  }

  std::string NonKeyTerm() {
    const ColSpec* c = NonKeyColumn();
    if (c == nullptr) return "1";
    static const char* kOps[] = {"=", ">", "<", ">=", "<=", "!="};
    switch (Uniform(6)) {
      case 0:
        return c->name + " IS NULL";
      case 1:
        return c->name + " IS NOT NULL";
      case 2:
        return "typeof(" + c->name + ") = '" +
               Pick(std::vector<std::string>{"integer", "real", "text", "blob", "null"}) + "'";
      default:
        return c->name + " " + kOps[Uniform(6)] + " " + Value(c->dom);
    }
  }

  // A WHERE clause (with the leading " WHERE "), or "".
  std::string Where() {
    const int r = Uniform(100);
    if (r < 6) return "";
    std::string w;
    if (r < 75) {
      // Equality on a prefix of the key, then a term on the next key column.
      const size_t nkey = spec_.key.size();
      size_t eq = nkey > 1 ? Uniform(static_cast<int>(nkey) + 1) : 0;
      for (size_t k = 0; k < eq && k < nkey; k++) {
        w += (k ? " AND " : "") + KeyName(k) + " = " + KeyValue(k);
      }
      if (eq < nkey) w += (w.empty() ? "" : " AND ") + KeyTerm(eq);
      if (nkey > 1 && eq == 0 && OneIn(4)) w += " AND " + KeyTerm(1);  // the second alone
      if (OneIn(4)) w += " AND " + NonKeyTerm();
    } else if (r < 95) {
      w = NonKeyTerm();
      if (OneIn(3)) w += (OneIn(2) ? " AND " : " OR ") + NonKeyTerm();
    } else {
      w = KeyTerm(0) + " OR " + NonKeyTerm();
    }
    return " WHERE " + w;
  }

  std::string Conflict() {
    static const char* kModes[] = {"",         "",          "OR IGNORE ",  "OR REPLACE ",
                                   "OR FAIL ", "OR ABORT ", "OR ROLLBACK "};
    return kModes[Uniform(7)];
  }

  // One row's values for the columns of `cols` (names).
  std::string RowValues(const std::vector<std::string>& names) {
    std::string r = "(";
    for (size_t i = 0; i < names.size(); i++) {
      r += i ? ", " : "";
      const auto key = std::find(spec_.key.begin(), spec_.key.end(), names[i]);
      if (key != spec_.key.end()) {
        r += OneIn(30) ? "NULL" : KeyValue(key - spec_.key.begin());
      } else {
        Dom dom = Dom::kAny;
        for (const ColSpec& c : spec_.cols) {
          if (c.name == names[i]) dom = c.dom;
        }
        r += Value(dom);
      }
    }
    return r + ")";
  }

  Stmt Insert() {
    Stmt s;
    s.writes = true;
    std::vector<std::string> names;
    for (const ColSpec& c : spec_.cols) names.push_back(c.name);
    if (spec_.implicit_rowid && !OneIn(3)) names.insert(names.begin(), "rowid");
    bool list = spec_.implicit_rowid;
    if (OneIn(5) && names.size() > 1) {
      // A column subset: the rest are NULL (or a NOT NULL failure).
      names.erase(names.begin() + 1 + Uniform(static_cast<int>(names.size()) - 1));
      list = true;
    }
    std::string verb = OneIn(12) ? "REPLACE INTO" : "INSERT " + Conflict() + "INTO";
    std::string cols;
    if (list) {
      cols = "(";
      for (size_t i = 0; i < names.size(); i++) cols += (i ? ", " : "") + names[i];
      cols += ")";
    }
    const int r = Uniform(10);
    if (r < 7) {
      std::string values = RowValues(names);
      const int extra = r < 4 ? 0 : 1 + Uniform(5);
      for (int i = 0; i < extra; i++) values += ", " + RowValues(names);
      s.sql = verb + " @T" + cols + " VALUES " + values;
    } else if (r < 9) {
      // From the native side table (duplicate keys in it fail midway).
      std::vector<std::string> src;
      for (size_t i = 0; i < names.size(); i++) {
        if (names[i] == "rowid") {
          src.push_back("r");
        } else {
          for (size_t j = 0; j < spec_.cols.size(); j++) {
            if (spec_.cols[j].name == names[i])
              src.push_back(spec_.aux_cols[j + (spec_.implicit_rowid ? 1 : 0)]);
          }
        }
      }
      std::string sel;
      for (size_t i = 0; i < src.size(); i++) sel += (i ? ", " : "") + src[i];
      s.sql = verb + " @T" + cols + " SELECT " + sel + " FROM aux WHERE n % " +
              std::to_string(2 + Uniform(5)) + " = " + std::to_string(Uniform(2)) +
              (OneIn(2) ? " ORDER BY n" : "");
    } else {
      // From the table itself, with keys moved (SQLite reads it all first).
      std::vector<std::string> exprs;
      for (const std::string& name : names) {
        const bool is_key = std::find(spec_.key.begin(), spec_.key.end(), name) != spec_.key.end();
        if (is_key && (spec_.key.size() == 1 || OneIn(2))) {
          if (name == "rowid" || spec_.rowid_table) {
            exprs.push_back(name + " + " + std::to_string(1 + Uniform(40)));
          } else {
            exprs.push_back(name + " || '" + std::string(1, static_cast<char>('m' + Uniform(3))) +
                            "'");
          }
        } else {
          exprs.push_back(name);
        }
      }
      std::string sel;
      for (size_t i = 0; i < exprs.size(); i++) sel += (i ? ", " : "") + exprs[i];
      s.sql = verb + " @T" + cols + " SELECT " + sel + " FROM @T" + Where();
    }
    return s;
  }

  Stmt Update() {
    Stmt s;
    s.writes = true;
    std::string sets;
    bool moves_key = false;
    if (!spec_.key_shifts.empty() && OneIn(3)) {
      sets = KeyShift();
      moves_key = true;
    }
    const int n = moves_key ? Uniform(2) : 1 + Uniform(2);
    for (int i = 0; i < n; i++) {
      const ColSpec* c = NonKeyColumn();
      if (c == nullptr) break;
      std::string expr;
      switch (Uniform(4)) {
        case 0:
          expr = c->dom == Dom::kInt    ? c->name + " + 1"
                 : c->dom == Dom::kText ? c->name + " || 'z'"
                                        : "quote(" + c->name + ")";
          break;
        case 1: {
          const ColSpec* other = NonKeyColumn();
          expr = other->name;
          break;
        }
        default:
          expr = Value(c->dom);
      }
      if (sets.find(c->name + " =") != std::string::npos) continue;
      sets += (sets.empty() ? "" : ", ") + c->name + " = " + expr;
    }
    if (sets.empty()) sets = spec_.key_shifts.empty() ? "rowid = rowid" : KeyShift();
    std::string conflict = Conflict();
    // See the top comment: UPDATE OR REPLACE moving keys follows vtab semantics.
    if (moves_key && conflict == "OR REPLACE ") conflict = "OR IGNORE ";
    s.sql = "UPDATE " + conflict + "@T SET " + sets + Where();
    return s;
  }

  Stmt Delete() {
    if (OneIn(2)) return RangeDelete();
    Stmt s;
    s.writes = true;
    std::string w = Where();
    if (w.empty() && !OneIn(4)) w = Where();  // deleting everything, now and then
    s.sql = "DELETE FROM @T" + w;
    return s;
  }

  // A DELETE of a key range, the kind strata may turn into one range tombstone: equality on
  // a prefix of the key, then bounds of every kind (or none) on the next column; now and
  // then a term on another column or ORDER BY ... LIMIT, so that not every row the scan
  // returns is deleted.
  Stmt RangeDelete() {
    Stmt s;
    s.writes = true;
    const size_t nkey = spec_.key.size();
    const size_t eq = nkey > 1 ? Uniform(static_cast<int>(nkey)) : 0;
    std::string w;
    for (size_t k = 0; k < eq; k++) w += (k ? " AND " : "") + KeyName(k) + " = " + KeyValue(k);
    const std::string name = KeyName(eq);
    std::string range;
    switch (Uniform(8)) {
      case 0:
        range = name + " >= " + KeyValue(eq) + " AND " + name + " < " + KeyValue(eq);
        break;
      case 1:
        range = name + " > " + KeyValue(eq) + " AND " + name + " <= " + KeyValue(eq);
        break;
      case 2:
        range = name + " BETWEEN " + KeyValue(eq) + " AND " + KeyValue(eq);
        break;
      case 3:
        range = name + (OneIn(2) ? " < " : " <= ") + KeyValue(eq);
        break;
      case 4:
        range = name + (OneIn(2) ? " > " : " >= ") + KeyValue(eq);
        break;
      case 5:
        range = name + " IS NOT NULL";  // every key: a full or prefix scan
        break;
      default:
        break;  // the equality prefix alone, or the whole table
    }
    if (!range.empty()) w += (w.empty() ? "" : " AND ") + range;
    if (OneIn(6)) w += (w.empty() ? "" : " AND ") + NonKeyTerm();
    if (w.empty() && !OneIn(4)) w = name + " >= " + KeyValue(eq);
    std::string tail;
    if (OneIn(8)) {
      tail =
          " ORDER BY " + KeyList(OneIn(2) ? " DESC" : "") + " LIMIT " + std::to_string(Uniform(10));
    }
    s.sql = "DELETE FROM @T" + (w.empty() ? "" : " WHERE " + w) + tail;
    return s;
  }

  Stmt Select() {
    Stmt s;
    const int r = Uniform(20);
    std::string key0 = spec_.key[0];
    if (r < 11) {
      std::string order;
      switch (Uniform(6)) {
        case 0:
          break;
        case 5:
          // Not the key order: ties broken by the key itself. (Not on a rowid, where a native
          // table ignores the collation and reads in rowid order while SQLite sorts what
          // strata returns: a statement that fails midway would differ in the rows it
          // returned first.)
          if (spec_.rowid_table) break;
          order =
              " ORDER BY " + key0 + " COLLATE NOCASE" + (OneIn(2) ? " DESC, " : ", ") + KeyList("");
          s.ordered = true;
          break;
        case 1:
          order = " ORDER BY " + KeyList("");
          s.ordered = true;
          break;
        case 2:
          order = " ORDER BY " + KeyList(" DESC");
          s.ordered = true;
          break;
        case 3: {
          const ColSpec* c = NonKeyColumn();
          if (c != nullptr) {
            order = " ORDER BY " + c->name + (OneIn(2) ? " DESC, " : ", ") + KeyList("");
            s.ordered = true;
          }
          break;
        }
        default:
          order = " ORDER BY " + KeyList(" ASC");
          s.ordered = true;
      }
      std::string limit;
      if (s.ordered && OneIn(3)) {
        limit = " LIMIT " + std::to_string(Uniform(8) - 1);
        if (OneIn(2)) limit += " OFFSET " + std::to_string(Uniform(6) - 1);
      }
      s.sql = "SELECT " + AllColumns() + " FROM @T" + Where() + order + limit;
    } else if (r < 14) {
      std::string sum;
      for (const ColSpec& c : spec_.cols) {
        if (c.dom == Dom::kInt &&
            std::find(spec_.key.begin(), spec_.key.end(), c.name) == spec_.key.end()) {
          sum = ", sum(CASE typeof(" + c.name + ") WHEN 'integer' THEN " + c.name + " % 1000 END)";
        }
      }
      s.sql = "SELECT count(*), min(" + key0 + "), max(" + key0 + "), count(" +
              spec_.cols.back().name + ")" + sum + " FROM @T" + Where();
      s.ordered = true;
    } else if (r < 16) {
      s.sql = "SELECT typeof(" + key0 + "), count(*) FROM @T" + Where() + " GROUP BY 1";
    } else if (r < 18) {
      const std::string dir = OneIn(2) ? " DESC" : "";
      s.sql = "SELECT group_concat(quote(" + key0 + "), ',') FROM (SELECT " + key0 + " FROM @T" +
              Where() + " ORDER BY " + KeyList(dir.c_str()) + ")";
      s.ordered = true;
    } else {
      // A join with the native side table.
      const std::string aux_key = spec_.aux_cols[AuxKeyIndex(0)];
      const std::string t_key = spec_.implicit_rowid ? "@T.rowid" : "@T." + key0;
      switch (Uniform(3)) {
        case 0:
          s.sql = "SELECT " + t_key + ", aux.n FROM @T JOIN aux ON " + t_key + " = aux." + aux_key;
          break;
        case 1:
          s.sql = "SELECT aux.n, " + t_key + " FROM aux LEFT JOIN @T ON " + t_key + " = aux." +
                  aux_key + " WHERE aux.n < 20";
          break;
        default:
          s.sql = "SELECT count(*) FROM @T, aux WHERE " + t_key + " >= aux." + aux_key +
                  " AND aux.n < 5";
          s.ordered = true;
      }
    }
    return s;
  }

  // Transaction control, kept mostly valid by tracking the state.
  Stmt Control(bool in_txn, std::vector<std::string>* savepoints) {
    Stmt s;
    s.kind = Stmt::kControl;
    const int r = Uniform(10);
    if (!in_txn) {
      if (r < 6) {
        s.sql = Pick(std::vector<std::string>{"BEGIN", "BEGIN DEFERRED", "BEGIN IMMEDIATE"});
      } else {
        const std::string name = "sp" + std::to_string(savepoints->size());
        s.sql = "SAVEPOINT " + name;
      }
      return s;
    }
    if (r < 3) {
      s.sql = "SAVEPOINT sp" + std::to_string(savepoints->size());
    } else if (r < 5 && !savepoints->empty()) {
      s.sql = "ROLLBACK TO " + Pick(*savepoints);
    } else if (r < 6 && !savepoints->empty()) {
      s.sql = "RELEASE " + Pick(*savepoints);
    } else if (r < 8) {
      s.sql = OneIn(2) ? "COMMIT" : "END";
    } else {
      s.sql = "ROLLBACK";
    }
    return s;
  }

  Stmt Next(bool in_txn, std::vector<std::string>* savepoints) {
    const int r = Uniform(100);
    if (r < 24) return Insert();
    if (r < 36) return Update();
    if (r < 44) return Delete();
    if (r < 84) return Select();
    if (r < 92) return Control(in_txn, savepoints);
    if (r < 97) {
      Stmt s;
      s.kind = Stmt::kStrataOnly;
      s.sql = OneIn(3) ? "SELECT strata_compact('@T')" : "SELECT strata_flush('@T')";
      return s;
    }
    Stmt s;
    s.kind = in_txn ? Stmt::kStrataOnly : Stmt::kReopen;
    s.sql = in_txn ? "SELECT strata_flush('@T')" : "-- reopen";
    return s;
  }

  // Rows for the side table.
  std::vector<std::string> AuxRows(int n) {
    std::vector<std::string> rows;
    std::vector<std::string> names;
    if (spec_.implicit_rowid) names.push_back("rowid");
    for (const ColSpec& c : spec_.cols) names.push_back(c.name);
    for (int i = 0; i < n; i++) {
      std::string r = RowValues(names);
      r.insert(r.size() - 1, ", " + std::to_string(i));
      rows.push_back(r);
    }
    return rows;
  }

 private:
  const SchemaSpec& spec_;
  std::mt19937_64 rng_;
};

// ---- the test -----------------------------------------------------------------

class SqlDifferentialTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    const char* ext = getenv("STRATA_EXT");
    if (ext == nullptr || *ext == '\0') GTEST_SKIP() << "STRATA_EXT is not set";
    ext_ = ext;
  }
  void TearDown() override {
    if (db_ != nullptr) sqlite3_close(db_);
    if (log_ != nullptr) fclose(log_);
    if (set_min_rows_) unsetenv("STRATA_RANGE_DELETE_MIN_ROWS");
  }

  bool Open() {
    if (sqlite3_open(db_path_.c_str(), &db_) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << db_path_ << ": " << sqlite3_errmsg(db_);
      return false;
    }
    sqlite3_enable_load_extension(db_, 1);
    char* err = nullptr;
    if (sqlite3_load_extension(db_, ext_.c_str(), nullptr, &err) != SQLITE_OK) {
      ADD_FAILURE() << "cannot load " << ext_ << ": " << (err ? err : "?");
      sqlite3_free(err);
      return false;
    }
    return true;
  }

  void Close() {
    ASSERT_EQ(SQLITE_OK, sqlite3_close(db_)) << sqlite3_errmsg(db_);
    db_ = nullptr;
  }

  // Runs one statement, and writes it to the replay log.
  Outcome Do(const std::string& sql, const std::string& table_name) {
    if (log_ != nullptr) fprintf(log_, "%s;\n", sql.c_str());
    return RunSql(db_, sql, table_name);
  }

  // Runs a setup statement that must succeed.
  void Must(const std::string& sql) {
    if (log_ != nullptr) fprintf(log_, "%s;\n", sql.c_str());
    char* err = nullptr;
    ASSERT_EQ(SQLITE_OK, sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err))
        << sql << ": " << (err ? err : "");
  }

  std::string History() const {
    std::string r = "last statements (strata side):\n";
    for (const std::string& h : history_) r += "  " + h + "\n";
    return r;
  }

  std::string db_path_;
  std::string ext_;
  sqlite3* db_ = nullptr;
  FILE* log_ = nullptr;        // STRATA_DIFF_LOG: every statement, replayable in the sqlite3 shell
  bool set_min_rows_ = false;  // this test set STRATA_RANGE_DELETE_MIN_ROWS
  std::deque<std::string> history_;
};

TEST_P(SqlDifferentialTest, MatchesNativeTable) {
  const SchemaSpec spec = Schemas()[GetParam()];
  uint64_t base_seed;
  if (const char* s = getenv("STRATA_SEED")) {
    base_seed = strtoull(s, nullptr, 10);
  } else {
    base_seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count() %
                                      1000000007);
  }
  const uint64_t seed = base_seed * 31 + GetParam();
  int ops = 250;
  if (const char* s = getenv("STRATA_DIFF_OPS")) ops = atoi(s);
  const bool verbose = EnvFlag("STRATA_DIFF_VERBOSE");
  SCOPED_TRACE("schema " + spec.label + ", STRATA_SEED=" + std::to_string(base_seed) +
               " (schema seed " + std::to_string(seed) + ")");

  test::ScratchDir dir("sqldiff-" + spec.label);
  db_path_ = dir.Sub("test.db");
  if (getenv("STRATA_RANGE_DELETE_MIN_ROWS") == nullptr) {
    // Read when the extension loads (Open()).
    setenv("STRATA_RANGE_DELETE_MIN_ROWS", std::to_string(1 + seed % 3).c_str(), 1);
    set_min_rows_ = true;
  }
  const std::string min_rows = getenv("STRATA_RANGE_DELETE_MIN_ROWS");
  SCOPED_TRACE("STRATA_RANGE_DELETE_MIN_ROWS=" + min_rows);
  if (const char* log = getenv("STRATA_DIFF_LOG")) {
    log_ = fopen((std::string(log) + "." + spec.label + ".sql").c_str(), "w");
    if (log_ != nullptr)
      fprintf(log_, "-- run with STRATA_RANGE_DELETE_MIN_ROWS=%s\n", min_rows.c_str());
  }
  ASSERT_TRUE(Open());
  Must(std::string("CREATE VIRTUAL TABLE ") + kStrataName + " USING strata(" + spec.decl +
       ", memtable_size = '64KiB', target_file_size = '64KiB', level1_size = '128KiB', "
       "block_size = 1024)");
  Must(std::string("CREATE TABLE ") + kNativeName + "(" + spec.decl + ")" +
       (spec.rowid_table ? "" : " WITHOUT ROWID"));
  Must("CREATE TABLE aux(" + spec.aux_decl + ")");
  Generator gen(spec, seed);
  {
    std::string aux_cols;
    for (const std::string& c : spec.aux_cols) aux_cols += c + ", ";
    for (const std::string& row : gen.AuxRows(40)) {
      Must("INSERT INTO aux(" + aux_cols + "n) VALUES " + row);
    }
  }

  const std::string order = [&] {
    std::string r;
    for (size_t k = 0; k < spec.key.size(); k++) r += (k ? ", " : "") + spec.key[k];
    return r;
  }();
  const std::string all_cols = spec.rowid_table ? "rowid, *" : "*";
  std::vector<std::string> savepoints;

  auto strata_sql = [&](const std::string& sql) { return ReplaceAll(sql, "@T", kStrataName); };
  auto native_sql = [&](const std::string& sql) { return ReplaceAll(sql, "@T", kNativeName); };
  auto note = [&](const std::string& line) {
    history_.push_back(line);
    if (history_.size() > 40) history_.pop_front();
    if (verbose) fprintf(stderr, "%s\n", line.c_str());
  };
  // Compares the two whole tables: strata without ORDER BY (key order is promised), native
  // in key order.
  auto compare_tables = [&](int op) -> bool {
    Outcome a = Do("SELECT " + all_cols + " FROM " + kStrataName, kStrataName);
    Outcome b =
        Do("SELECT " + all_cols + " FROM " + kNativeName + " ORDER BY " + order, kNativeName);
    if (a.rc == b.rc && a.rows == b.rows) return true;
    const size_t first = FirstDifference(a.rows, b.rows);
    ADD_FAILURE() << "op " << op << ": the tables differ (first at row " << first
                  << ")\nstrata: " << ShowOutcome(a, first) << "native: " << ShowOutcome(b, first)
                  << History();
    return false;
  };

  int compared = 0, errors = 0, reopens = 0;
  // DELETEs strata made into range tombstones (strata_stats counts them per open store).
  int64_t range_tombstones = 0;
  auto count_range_tombstones = [&] {
    Outcome o = RunSql(
        db_,
        std::string("SELECT json_extract(strata_stats('") + kStrataName + "'), '$.range_deletes')",
        kStrataName);
    if (o.rc == SQLITE_OK && !o.rows.empty() && o.rows[0][0].type == SQLITE_INTEGER) {
      int64_t n;
      memcpy(&n, o.rows[0][0].bytes.data(), 8);
      range_tombstones += n;
    }
  };
  for (int op = 0; op < ops; op++) {
    const bool in_txn = sqlite3_get_autocommit(db_) == 0;
    if (!in_txn) savepoints.clear();
    Stmt st = gen.Next(in_txn, &savepoints);
    if (spec.rowid_table && st.writes) {
      // Rowids near 2^63-1 make SQLite pick the next one at random (see the top comment):
      // such rows go first, through the compared path.
      Outcome max = RunSql(
          db_, std::string("SELECT max(rowid) > 9223372036854774807 FROM ") + kNativeName, "");
      if (!max.rows.empty() && max.rows[0][0].type == SQLITE_INTEGER &&
          max.rows[0][0].bytes[0] == 1) {
        st.sql = "DELETE FROM @T WHERE rowid > 9223372036854774807";
        st.ordered = false;
      }
    }

    if (st.kind == Stmt::kReopen) {
      note("-- close and reopen the connection");
      count_range_tombstones();
      Close();
      ASSERT_TRUE(Open());
      if (log_ != nullptr) fprintf(log_, ".open test.db\n.load %s\n", ext_.c_str());
      reopens++;
      if (!compare_tables(op)) return;
      continue;
    }
    if (st.kind == Stmt::kStrataOnly) {
      const std::string sql = strata_sql(st.sql);
      note(sql);
      Outcome o = Do(sql, kStrataName);
      ASSERT_EQ(SQLITE_OK, o.rc) << sql << ": " << o.error << "\n" << History();
      continue;
    }
    if (st.kind == Stmt::kControl) {
      note(st.sql);
      Outcome o = Do(st.sql, "");
      if (o.rc == SQLITE_OK) {
        if (st.sql.rfind("SAVEPOINT ", 0) == 0) savepoints.push_back(st.sql.substr(10));
        if (st.sql.rfind("RELEASE ", 0) == 0) {
          auto it = std::find(savepoints.begin(), savepoints.end(), st.sql.substr(8));
          if (it != savepoints.end()) savepoints.erase(it, savepoints.end());
        }
        if (st.sql.rfind("ROLLBACK TO ", 0) == 0) {
          auto it = std::find(savepoints.begin(), savepoints.end(), st.sql.substr(12));
          if (it != savepoints.end()) savepoints.erase(it + 1, savepoints.end());
        }
      }
      if (!compare_tables(op)) return;
      continue;
    }

    // OR ROLLBACK inside a transaction rolls back both tables' changes when it fails, so the
    // native statement would then run on a different state. Its outcome is taken from a
    // probe (the same statement with OR ABORT, undone at once) before strata runs.
    const bool rollback_mode = in_txn && st.sql.find("OR ROLLBACK") != std::string::npos;
    Outcome probe;
    if (rollback_mode) {
      Must("SAVEPOINT probe");
      probe = Do(native_sql(ReplaceAll(st.sql, "OR ROLLBACK", "OR ABORT")), kNativeName);
      Must("ROLLBACK TO probe");
      Must("RELEASE probe");
    }
    const std::string sql = strata_sql(st.sql);
    note(sql);
    Outcome a = Do(sql, kStrataName);
    Outcome b;
    if (rollback_mode && a.rc != SQLITE_OK && sqlite3_get_autocommit(db_)) {
      b = probe;
      b.changes = a.changes;  // the probe's counts are not the statement's
      b.last_rowid = a.last_rowid;
    } else {
      // Native SQLite opens no statement journal for a statement whose conflict mode is not
      // ABORT, so one that fails midway with an error other than a constraint (datatype
      // mismatch, say) inside a transaction keeps its earlier rows. A virtual table's
      // statement always gets one, and SPEC requires that a failed statement leaves nothing:
      // the native statement's own savepoint undoes such a partial statement.
      Must("SAVEPOINT native_stmt");
      b = Do(native_sql(st.sql), kNativeName);
      if (sqlite3_get_autocommit(db_) == 0) {
        if (b.rc != SQLITE_OK && b.rc != SQLITE_CONSTRAINT) Must("ROLLBACK TO native_stmt");
        Must("RELEASE native_stmt");
      }
    }
    compared++;
    if (a.rc != SQLITE_OK) errors++;
    if (!st.ordered) {
      std::sort(a.rows.begin(), a.rows.end());
      std::sort(b.rows.begin(), b.rows.end());
    }
    bool same = a.rc == b.rc && a.error == b.error && a.rows == b.rows;
    if (st.writes) {
      same = same && a.changes == b.changes;
      if (spec.rowid_table) same = same && a.last_rowid == b.last_rowid;
    }
    if (!same) {
      ADD_FAILURE() << "op " << op << ": results differ for\n  " << st.sql
                    << "\nstrata: " << ShowOutcome(a, FirstDifference(a.rows, b.rows))
                    << "native: " << ShowOutcome(b, FirstDifference(a.rows, b.rows)) << History();
      return;
    }
    if (st.writes && !compare_tables(op)) return;
  }
  if (sqlite3_get_autocommit(db_) == 0) {
    Must("COMMIT");
    if (!compare_tables(ops)) return;
  }
  Must(std::string("SELECT strata_verify('") + kStrataName + "')");
  count_range_tombstones();
  printf("[%s] %d statements compared (%d failed alike), %d reopens, %" PRId64
         " range tombstones, seed %" PRIu64 "\n",
         spec.label.c_str(), compared, errors, reopens, range_tombstones, base_seed);
}

INSTANTIATE_TEST_SUITE_P(Schemas, SqlDifferentialTest, ::testing::Range(0, 6),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return Schemas()[info.param].label;
                         });

}  // namespace
}  // namespace strata
