// Fuzz target: the SQL surface. The input bytes are read as a sequence of statements from a
// small grammar (INSERT / REPLACE / UPDATE / DELETE with conflict modes, SELECTs with key
// and non-key constraints, ORDER BY, LIMIT, aggregates, transactions and savepoints,
// strata_flush, closing and reopening the connection) run on a strata table and on a native
// twin declared with the same columns (WITHOUT ROWID, or a rowid table for the rowid
// schemas), in one SQLite connection. The extension is linked into the target and registered
// with sqlite3_auto_extension, so libFuzzer sees the coverage of the extension and the engine.
//
// Input (FuzzedDataProvider): a schema (one of kSchemas), table options (block size, bloom
// bits), then statements until the input runs out (at most kMaxStatements).
// Checks (abort on violation, printing the statements so far):
//   - no crash, no sanitizer report, no hang;
//   - after every statement the two tables agree exactly: result code, error message (with
//     the table name replaced), rows (in order when the statement fixes one, else as
//     multisets), each value's type and bytes (REAL to the bit), and for writes changes()
//     and, on rowid tables, last_insert_rowid();
//   - after every write, control statement and reopen, the whole tables agree, the strata one
//     read without ORDER BY (it must come back in key order);
//   - strata_flush succeeds; at the end strata_verify says 'ok'; closing succeeds.
// Not generated (legitimate differences, as in unit_tests/sql_differential_test.cc): rowids
// near 2^63 - 1 (SQLite then picks a random one), sums of REALs, OR ROLLBACK inside a
// transaction, and UPDATEs that move keys with OR REPLACE, OR FAIL or OR IGNORE: which rows
// move before a conflict depends on the order SQLite visits them, and the plans differ (a
// native table turns `key = a OR key = b` into a sorted IN list, a virtual table gets a
// MULTI-INDEX OR in written order; and SQLite's own vtab UPDATE protocol for REPLACE). Such
// UPDATEs use ABORT (and ROLLBACK outside a transaction), which undo the whole statement.
// Set STRATA_FUZZ_VERBOSE=1 to print every statement.
#include <fuzzer/FuzzedDataProvider.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"

extern "C" int sqlite3_strata_init(sqlite3* db, char** err, const sqlite3_api_routines* api);

namespace strata {
namespace fuzz {
namespace {

constexpr int kMaxStatements = 48;
constexpr const char* kStrata = "ts_strata";
constexpr const char* kNative = "ts_native";

bool EnvFlag(const char* name) {
  const char* v = getenv(name);
  return v != nullptr && *v != '\0' && strcmp(v, "0") != 0;
}

// ---- schemas ----

enum class Dom { kAny, kInt, kReal, kText, kBlob };

struct Col {
  const char* name;
  Dom dom;
  bool key;
};

struct SchemaSpec {
  const char* decl;
  bool rowid_table;     // the native twin is a rowid table
  bool implicit_rowid;  // the key is the implicit rowid
  std::vector<Col> cols;
  std::vector<const char*> key;                    // key columns in key order
  std::vector<std::vector<const char*>> key_pool;  // literals for each key column
  std::vector<const char*> shifts;                 // SET clauses that move keys
  std::vector<const char*> patterns;               // GLOB patterns for the first key column
};

const std::vector<SchemaSpec>& Schemas() {
  static const std::vector<SchemaSpec>* schemas = new std::vector<SchemaSpec>{
      {"k TEXT PRIMARY KEY, a INTEGER, b REAL, c BLOB",
       false,
       false,
       {{"k", Dom::kText, true},
        {"a", Dom::kInt, false},
        {"b", Dom::kReal, false},
        {"c", Dom::kBlob, false}},
       {"k"},
       {{"'k0'", "'k1'", "'k2'", "'k10'", "''", "'10'", "'9'", "10", "9.5", "'a'||char(0)||'b'",
         "'a'", "'a'||char(0)", "'K'||hex(zeroblob(900))", "'k1 '", "x'6b31'"}},
       {"k = k || 'x'", "k = substr(k, 2)", "k = k + 1", "k = upper(k)"},
       {"k1*", "k*", "k?", "1*", "*", "a*"}},
      {"key PRIMARY KEY, value",
       false,
       false,
       {{"key", Dom::kAny, true}, {"value", Dom::kAny, false}},
       {"key"},
       {{"0",
         "1",
         "2",
         "3",
         "-1",
         "7",
         "1.5",
         "2.0",
         "0.0",
         "-2.5",
         "9223372036854775807",
         "(-9223372036854775807-1)",
         "9007199254740993",
         "9007199254740992.0",
         "1e308",
         "1e999",
         "-1e999",
         "'a'",
         "'b'",
         "'10'",
         "''",
         "x''",
         "x'00'",
         "x'6b31'",
         "zeroblob(700)"}},
       {"key = key + 1", "key = 0 - key", "key = key || ''", "key = CAST(key AS REAL)",
        "key = key * 2"},
       {"1*", "a*", "*", "b?"}},
      {"a TEXT, b INTEGER, c, PRIMARY KEY (a, b)",
       false,
       false,
       {{"a", Dom::kText, true}, {"b", Dom::kInt, true}, {"c", Dom::kAny, false}},
       {"a", "b"},
       {{"'x'", "'y'", "''", "'xy'", "5", "'x'||char(0)", "x'78'"},
        {"0", "1", "2", "3", "-1", "1.5", "'3'", "'q'", "9223372036854775807",
         "(-9223372036854775807-1)", "x'01'"}},
       {"b = b + 1", "b = b - 1", "a = a || 'x'", "a = 'x'"},
       {"x*", "y*", "*"}},
      {"x, y",
       true,
       true,
       {{"x", Dom::kAny, false}, {"y", Dom::kAny, false}},
       {"rowid"},
       {{"1", "2", "3", "5", "8", "-1", "0", "'7'", "2.0", "NULL", "NULL", "100000",
         "(-9223372036854775807-1)"}},
       {"rowid = rowid + 1", "rowid = rowid - 1", "rowid = 0 - rowid"},
       {}},
      {"id INTEGER PRIMARY KEY, v",
       true,
       false,
       {{"id", Dom::kInt, true}, {"v", Dom::kAny, false}},
       {"id"},
       {{"1", "2", "3", "5", "8", "-1", "0", "'7'", "2.0", "2.5", "'abc'", "NULL", "NULL",
         "9007199254740993"}},
       {"id = id + 1", "id = id - 1", "id = 0 - id"},
       {}},
      {"k NUMERIC PRIMARY KEY, n TEXT NOT NULL, q",
       false,
       false,
       {{"k", Dom::kAny, true}, {"n", Dom::kText, false}, {"q", Dom::kAny, false}},
       {"k"},
       {{"0", "1", "2", "'1'", "'1.0'", "1.0", "'1e3'", "1000", "2.5", "'2.5'", "'abc'", "x'31'",
         "' 7'", "1e999", "'9223372036854775808'"}},
       {"k = k + 1", "k = k || '0'", "k = k / 2"},
       {"1*", "a*", "*"}},
      {"a BLOB, b REAL, c, PRIMARY KEY (b, a)",
       false,
       false,
       {{"a", Dom::kBlob, true}, {"b", Dom::kReal, true}, {"c", Dom::kAny, false}},
       {"b", "a"},
       {{"0.5", "1", "2.0", "-3.25", "1e300", "-1e-300", "4.9e-324", "'1.5'", "x'00'", "NULL"},
        {"x''", "x'00'", "x'0000'", "x'01'", "'t'", "3"}},
       {"b = b * 2", "b = b + 0.5", "a = a || x'00'"},
       {}},
  };
  return *schemas;
}

// ---- results ----

struct Cell {
  int type = SQLITE_NULL;
  std::string bytes;
  bool operator==(const Cell&) const = default;
  bool operator<(const Cell& o) const { return type != o.type ? type < o.type : bytes < o.bytes; }
};
using Row = std::vector<Cell>;

struct Result {
  int rc = SQLITE_OK;
  std::string error;
  std::vector<Row> rows;
  int64_t changes = 0;
  int64_t last_rowid = 0;
};

std::string Show(const Cell& c) {
  char buf[64];
  switch (c.type) {
    case SQLITE_INTEGER: {
      int64_t v;
      memcpy(&v, c.bytes.data(), 8);
      snprintf(buf, sizeof(buf), "%" PRId64, v);
      return buf;
    }
    case SQLITE_FLOAT: {
      double d;
      memcpy(&d, c.bytes.data(), 8);
      snprintf(buf, sizeof(buf), "%.17g(%016" PRIx64 ")", d, std::bit_cast<uint64_t>(d));
      return buf;
    }
    case SQLITE_TEXT:
      return "text:" + Hex(c.bytes, 40);
    case SQLITE_BLOB:
      return "blob:" + Hex(c.bytes, 40);
    default:
      return "NULL";
  }
}

std::string Show(const Result& r) {
  std::string s = "rc=" + std::to_string(r.rc);
  if (r.rc != SQLITE_OK) s += " error=\"" + r.error + "\"";
  s += " changes=" + std::to_string(r.changes) + " last_rowid=" + std::to_string(r.last_rowid) +
       " rows=" + std::to_string(r.rows.size()) + "\n";
  for (size_t i = 0; i < r.rows.size() && i < 12; i++) {
    s += "    (";
    for (size_t j = 0; j < r.rows[i].size(); j++) s += (j ? ", " : "") + Show(r.rows[i][j]);
    s += ")\n";
  }
  return s;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

Result Run(sqlite3* db, const std::string& sql) {
  Result r;
  sqlite3_set_last_insert_rowid(db, -77777);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc == SQLITE_OK && stmt != nullptr) {
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row row(sqlite3_column_count(stmt));
      for (int i = 0; i < static_cast<int>(row.size()); i++) {
        Cell& c = row[i];
        c.type = sqlite3_column_type(stmt, i);
        if (c.type == SQLITE_INTEGER) {
          const int64_t v = sqlite3_column_int64(stmt, i);
          c.bytes.assign(reinterpret_cast<const char*>(&v), 8);
        } else if (c.type == SQLITE_FLOAT) {
          const double d = sqlite3_column_double(stmt, i);
          c.bytes.assign(reinterpret_cast<const char*>(&d), 8);
        } else if (c.type == SQLITE_TEXT || c.type == SQLITE_BLOB) {
          const void* p = c.type == SQLITE_TEXT
                              ? static_cast<const void*>(sqlite3_column_text(stmt, i))
                              : sqlite3_column_blob(stmt, i);
          const int n = sqlite3_column_bytes(stmt, i);
          c.bytes.assign(p != nullptr ? static_cast<const char*>(p) : "", n);
        }
      }
      r.rows.push_back(std::move(row));
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  r.rc = rc & 0xff;
  if (rc != SQLITE_OK) {
    r.error = ReplaceAll(ReplaceAll(sqlite3_errmsg(db), kStrata, "@T"), kNative, "@T");
  }
  sqlite3_finalize(stmt);
  r.changes = sqlite3_changes64(db);
  r.last_rowid = sqlite3_last_insert_rowid(db);
  return r;
}

// ---- the generator and the run ----

class Session {
 public:
  Session(const uint8_t* data, size_t size)
      : in_(data, size), verbose_(EnvFlag("STRATA_FUZZ_VERBOSE")) {}

  void Main() {
    spec_ = &Schemas()[in_.ConsumeIntegralInRange<size_t>(0, Schemas().size() - 1)];
    static int counter = 0;
    dir_ = ScratchDir() + "/sql-" + std::to_string(counter++);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_path_ = dir_ + "/test.db";
    Open();
    static const char* kBlockSizes[] = {"256", "1024", "4096"};
    const std::string options = std::string(
                                    ", memtable_size = '64KiB', target_file_size = '64KiB', "
                                    "level1_size = '128KiB', block_size = ") +
                                kBlockSizes[in_.ConsumeIntegralInRange(0, 2)] +
                                ", bloom_bits = " + (in_.ConsumeBool() ? "10" : "0");
    Must(std::string("CREATE VIRTUAL TABLE ") + kStrata + " USING strata(" + spec_->decl + options +
         ")");
    Must(std::string("CREATE TABLE ") + kNative + "(" + spec_->decl + ")" +
         (spec_->rowid_table ? "" : " WITHOUT ROWID"));
    for (int op = 0; op < kMaxStatements && in_.remaining_bytes() > 0; op++) Step();
    if (sqlite3_get_autocommit(db_) == 0) {
      Must("COMMIT");
      CompareTables();
    }
    Result v = Run(db_, std::string("SELECT strata_verify('") + kStrata + "')");
    Check(v.rc == SQLITE_OK && v.rows.size() == 1 && v.rows[0][0].bytes == "ok",
          "strata_verify: " + Show(v));
    const int rc = sqlite3_close(db_);
    Check(rc == SQLITE_OK, "close: " + std::to_string(rc));
    db_ = nullptr;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  void Check(bool ok, const std::string& what) {
    if (ok) return;
    fprintf(stderr, "statements so far (schema: %s):\n", spec_->decl);
    for (const std::string& s : history_) fprintf(stderr, "  %s;\n", s.c_str());
    fprintf(stderr, "invariant failed: %s\n", what.c_str());
    abort();
  }

  void Open() {
    Check(sqlite3_open(db_path_.c_str(), &db_) == SQLITE_OK, "sqlite3_open");
    sqlite3_busy_timeout(db_, 0);
  }

  void Note(const std::string& sql) {
    history_.push_back(sql);
    if (verbose_) fprintf(stderr, "%s;\n", sql.c_str());
  }

  void Must(const std::string& sql) {
    Note(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    const std::string msg = err != nullptr ? err : "";
    sqlite3_free(err);
    Check(rc == SQLITE_OK, sql + ": " + msg);
  }

  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[in_.ConsumeIntegralInRange<size_t>(0, v.size() - 1)];
  }
  bool OneIn(int n) { return in_.ConsumeIntegralInRange(0, n - 1) == 0; }

  std::string Quoted(const std::string& bytes) {
    std::string hex;
    for (unsigned char ch : bytes) {
      static const char kDigits[] = "0123456789abcdef";
      hex += kDigits[ch >> 4];
      hex += kDigits[ch & 15];
    }
    return "x'" + hex + "'";
  }

  // A literal of the domain (or any, now and then), from pools or the input.
  std::string Value(Dom dom) {
    static const std::vector<const char*> kInts = {"0",
                                                   "1",
                                                   "-1",
                                                   "42",
                                                   "9223372036854775807",
                                                   "(-9223372036854775807-1)",
                                                   "9007199254740993"};
    static const std::vector<const char*> kReals = {"1.5",   "0.0",    "2.0", "1e308",
                                                    "1e999", "-1e999", "0.1", "4.9e-324"};
    static const std::vector<const char*> kTexts = {"''",
                                                    "'a'",
                                                    "'10'",
                                                    "' 5'",
                                                    "'1e3'",
                                                    "char(0)",
                                                    "'a'||char(0)||'b'",
                                                    "'L'||hex(zeroblob(1200))"};
    static const std::vector<const char*> kBlobs = {"x''", "x'00'", "x'0001ff'", "zeroblob(1500)",
                                                    "CAST('abc' AS BLOB)"};
    const int r = in_.ConsumeIntegralInRange(0, 15);
    if (r == 0) return "NULL";
    if (dom == Dom::kAny || r < 3) dom = static_cast<Dom>(in_.ConsumeIntegralInRange(1, 4));
    const bool fresh = r >= 12;
    switch (dom) {
      case Dom::kInt: {
        if (!fresh) return Pick(kInts);
        int64_t v = in_.ConsumeIntegral<int64_t>();
        if (spec_->rowid_table) v /= 4;  // far from the largest rowid
        if (v == INT64_MIN) return "(-9223372036854775807-1)";
        return std::to_string(v);
      }
      case Dom::kReal: {
        if (!fresh) return Pick(kReals);
        const double d = std::bit_cast<double>(in_.ConsumeIntegral<uint64_t>());
        if (std::isnan(d)) return "NULL";
        if (std::isinf(d)) return d > 0 ? "1e999" : "-1e999";
        if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
        char buf[40];
        snprintf(buf, sizeof(buf), "%.17g", d);
        std::string s = buf;
        if (s.find_first_of(".en") == std::string::npos) s += ".0";
        return s;
      }
      case Dom::kText:
        if (!fresh) return Pick(kTexts);
        return "CAST(" + Quoted(in_.ConsumeRandomLengthString(12)) + " AS TEXT)";
      case Dom::kBlob:
        if (!fresh) return Pick(kBlobs);
        return Quoted(in_.ConsumeRandomLengthString(12));
      case Dom::kAny:
        break;
    }
    return "NULL";
  }

  std::string KeyValue(size_t k) {
    if (OneIn(16)) return "-0.0";
    std::string v = OneIn(6) ? Value(KeyDom(k)) : Pick(spec_->key_pool[k]);
    // After the largest rowid SQLite picks a random one (see the top comment).
    if (spec_->rowid_table && v == "9223372036854775807") v = "9223372036854774000";
    return v;
  }

  Dom KeyDom(size_t k) {
    for (const Col& c : spec_->cols) {
      if (spec_->key[k] == std::string(c.name)) return c.dom;
    }
    return Dom::kInt;
  }

  // A SET clause that moves keys.
  std::string KeyShift() { return Pick(spec_->shifts); }

  const Col* NonKey() {
    std::vector<const Col*> cols;
    for (const Col& c : spec_->cols) {
      if (!c.key) cols.push_back(&c);
    }
    return cols.empty() ? nullptr : Pick(cols);
  }

  std::string KeyList(const char* dir) {
    std::string r;
    for (size_t k = 0; k < spec_->key.size(); k++)
      r += (k ? ", " : "") + std::string(spec_->key[k]) + dir;
    return r;
  }

  std::string AllColumns() { return spec_->rowid_table ? "rowid, *" : "*"; }

  std::string KeyTerm(size_t k) {
    const std::string name = spec_->key[k];
    static const char* kOps[] = {">", ">=", "<", "<="};
    switch (in_.ConsumeIntegralInRange(0, 10)) {
      case 0:
      case 1:
        return name + " = " + KeyValue(k);
      case 2: {
        std::string list = KeyValue(k);
        const int n = in_.ConsumeIntegralInRange(0, 4);
        for (int i = 0; i < n; i++) list += ", " + (OneIn(6) ? std::string("NULL") : KeyValue(k));
        return name + " IN (" + list + ")";
      }
      case 3:
      case 4:
        return name + " " + kOps[in_.ConsumeIntegralInRange(0, 3)] + " " + KeyValue(k);
      case 5: {
        const std::string lo =
            name + " " + kOps[in_.ConsumeIntegralInRange(0, 1)] + " " + KeyValue(k);
        const std::string hi =
            name + " " + kOps[in_.ConsumeIntegralInRange(2, 3)] + " " + KeyValue(k);
        return OneIn(2) ? lo + " AND " + hi : hi + " AND " + lo;
      }
      case 6:
        return name + " BETWEEN " + KeyValue(k) + " AND " + KeyValue(k);
      case 7: {
        if (spec_->patterns.empty() || k != 0) return name + " >= " + KeyValue(k);
        std::string p = Pick(spec_->patterns);
        if (OneIn(2)) return name + " GLOB '" + p + "'";
        std::replace(p.begin(), p.end(), '*', '%');
        std::replace(p.begin(), p.end(), '?', '_');
        return name + " LIKE '" + p + "'";
      }
      case 8:
        return name + Pick(std::vector<std::string>{" = NULL", " > NULL", " IS NULL",
                                                    " IS NOT NULL", " IN (NULL)"});
      case 9:
        return name + (OneIn(2) ? " IS NOT " : " != ") + KeyValue(k);
      default:
        return "(" + name + " = " + KeyValue(k) + " OR " + name + " = " + KeyValue(k) + ")";
    }
  }

  std::string NonKeyTerm() {
    const Col* c = NonKey();
    if (c == nullptr) return "1";
    static const char* kOps[] = {"=", ">", "<", ">=", "<=", "!="};
    switch (in_.ConsumeIntegralInRange(0, 4)) {
      case 0:
        return std::string(c->name) + " IS NULL";
      case 1:
        return "typeof(" + std::string(c->name) + ") = '" +
               Pick(std::vector<std::string>{"integer", "real", "text", "blob", "null"}) + "'";
      default:
        return std::string(c->name) + " " + kOps[in_.ConsumeIntegralInRange(0, 5)] + " " +
               Value(c->dom);
    }
  }

  std::string Where() {
    const int r = in_.ConsumeIntegralInRange(0, 19);
    if (r == 0) return "";
    std::string w;
    if (r < 14) {
      const size_t nkey = spec_->key.size();
      const size_t eq = nkey > 1 ? in_.ConsumeIntegralInRange<size_t>(0, nkey) : 0;
      for (size_t k = 0; k < eq; k++)
        w += (k ? " AND " : "") + std::string(spec_->key[k]) + " = " + KeyValue(k);
      if (eq < nkey) w += (w.empty() ? "" : " AND ") + KeyTerm(eq);
      if (OneIn(4)) w += " AND " + NonKeyTerm();
    } else if (r < 18) {
      w = NonKeyTerm();
    } else {
      w = KeyTerm(0) + " OR " + NonKeyTerm();
    }
    return " WHERE " + w;
  }

  std::string Conflict(bool in_txn) {
    static const char* kModes[] = {"",         "",          "OR IGNORE ",  "OR REPLACE ",
                                   "OR FAIL ", "OR ABORT ", "OR ROLLBACK "};
    std::string m = kModes[in_.ConsumeIntegralInRange(0, 6)];
    if (in_txn && m == "OR ROLLBACK ") m = "OR ABORT ";  // see the top comment
    return m;
  }

  std::string RowValues(const std::vector<std::string>& names) {
    std::string r = "(";
    for (size_t i = 0; i < names.size(); i++) {
      r += i ? ", " : "";
      bool done = false;
      for (size_t k = 0; k < spec_->key.size() && !done; k++) {
        if (names[i] == spec_->key[k]) {
          r += OneIn(30) ? "NULL" : KeyValue(k);
          done = true;
        }
      }
      if (done) continue;
      Dom dom = Dom::kAny;
      for (const Col& c : spec_->cols) {
        if (names[i] == c.name) dom = c.dom;
      }
      r += Value(dom);
    }
    return r + ")";
  }

  struct Stmt {
    std::string sql;  // with @T for the table
    bool ordered = false;
    bool writes = false;
  };

  Stmt Insert(bool in_txn) {
    Stmt s;
    s.writes = true;
    std::vector<std::string> names;
    for (const Col& c : spec_->cols) names.push_back(c.name);
    if (spec_->implicit_rowid && !OneIn(3)) names.insert(names.begin(), "rowid");
    bool list = spec_->implicit_rowid;
    if (OneIn(5) && names.size() > 1) {
      names.erase(names.begin() + in_.ConsumeIntegralInRange<size_t>(1, names.size() - 1));
      list = true;
    }
    std::string cols;
    if (list) {
      cols = "(";
      for (size_t i = 0; i < names.size(); i++) cols += (i ? ", " : "") + names[i];
      cols += ")";
    }
    const std::string verb = OneIn(10) ? "REPLACE INTO" : "INSERT " + Conflict(in_txn) + "INTO";
    if (OneIn(6)) {
      // From the table itself, keys moved (SQLite reads it all first).
      std::string sel;
      for (size_t i = 0; i < names.size(); i++) {
        const bool is_key =
            std::find(spec_->key.begin(), spec_->key.end(), names[i]) != spec_->key.end() ||
            names[i] == "rowid";
        std::string e = names[i];
        if (is_key && (spec_->key.size() == 1 || OneIn(2))) {
          e = spec_->rowid_table
                  ? names[i] + " + " + std::to_string(in_.ConsumeIntegralInRange(1, 40))
                  : names[i] + " || 'm'";
        }
        sel += (i ? ", " : "") + e;
      }
      // At most a few rows, so that repeated copies cannot double the table every time.
      s.sql = verb + " @T" + cols + " SELECT " + sel + " FROM @T" + Where() + " ORDER BY " +
              KeyList("") + " LIMIT " + std::to_string(in_.ConsumeIntegralInRange(1, 8));
      return s;
    }
    std::string values = RowValues(names);
    const int extra = in_.ConsumeIntegralInRange(0, 3);
    for (int i = 0; i < extra; i++) values += ", " + RowValues(names);
    s.sql = verb + " @T" + cols + " VALUES " + values;
    return s;
  }

  Stmt Update(bool in_txn) {
    Stmt s;
    s.writes = true;
    std::string sets;
    bool moves = false;
    if (!spec_->shifts.empty() && OneIn(3)) {
      sets = KeyShift();
      moves = true;
    }
    const int n = moves ? in_.ConsumeIntegralInRange(0, 1) : 1;
    for (int i = 0; i < n; i++) {
      const Col* c = NonKey();
      if (c == nullptr || sets.find(std::string(c->name) + " =") != std::string::npos) continue;
      std::string e = OneIn(3) ? "quote(" + std::string(c->name) + ")" : Value(c->dom);
      sets += (sets.empty() ? "" : ", ") + std::string(c->name) + " = " + e;
    }
    if (sets.empty()) {
      sets = KeyShift();
      moves = true;
    }
    std::string conflict = Conflict(in_txn);
    // See the top comment: a key-moving UPDATE that keeps part of its work depends on the
    // order rows are visited in.
    if (moves &&
        (conflict == "OR REPLACE " || conflict == "OR FAIL " || conflict == "OR IGNORE ")) {
      conflict = "OR ABORT ";
    }
    s.sql = "UPDATE " + conflict + "@T SET " + sets + Where();
    return s;
  }

  Stmt Select() {
    Stmt s;
    const std::string key0 = spec_->key[0];
    switch (in_.ConsumeIntegralInRange(0, 5)) {
      case 0:
      case 1:
      case 2: {
        std::string order;
        const int o = in_.ConsumeIntegralInRange(0, 3);
        if (o == 1) order = " ORDER BY " + KeyList("");
        if (o == 2) order = " ORDER BY " + KeyList(" DESC");
        if (o == 3) {
          const Col* c = NonKey();
          if (c != nullptr) order = " ORDER BY " + std::string(c->name) + " DESC, " + KeyList("");
        }
        s.ordered = !order.empty();
        std::string limit;
        if (s.ordered && OneIn(3)) {
          limit = " LIMIT " + std::to_string(in_.ConsumeIntegralInRange(-1, 6));
          if (OneIn(2)) limit += " OFFSET " + std::to_string(in_.ConsumeIntegralInRange(-1, 4));
        }
        s.sql = "SELECT " + AllColumns() + " FROM @T" + Where() + order + limit;
        break;
      }
      case 3:
        s.sql = "SELECT count(*), min(" + key0 + "), max(" + key0 + ") FROM @T" + Where();
        s.ordered = true;
        break;
      case 4:
        s.sql = "SELECT typeof(" + key0 + "), count(*) FROM @T" + Where() + " GROUP BY 1";
        break;
      default:
        s.sql = "SELECT group_concat(quote(" + key0 + "), ',') FROM (SELECT " + key0 + " FROM @T" +
                Where() + " ORDER BY " + KeyList(OneIn(2) ? " DESC" : "") + ")";
        s.ordered = true;
    }
    return s;
  }

  std::string StrataSql(const std::string& sql) { return ReplaceAll(sql, "@T", kStrata); }
  std::string NativeSql(const std::string& sql) { return ReplaceAll(sql, "@T", kNative); }

  void CompareTables() {
    const std::string cols = AllColumns();
    Result a = Run(db_, "SELECT " + cols + " FROM " + kStrata);
    Result b = Run(db_, "SELECT " + cols + " FROM " + kNative + " ORDER BY " + KeyList(""));
    Check(a.rc == SQLITE_OK && b.rc == SQLITE_OK && a.rows == b.rows,
          "the tables differ\nstrata: " + Show(a) + "native: " + Show(b));
  }

  void Control() {
    const bool in_txn = sqlite3_get_autocommit(db_) == 0;
    std::string sql;
    if (!in_txn) {
      sql = OneIn(3) ? "SAVEPOINT sp" + std::to_string(savepoints_.size()) : "BEGIN";
    } else {
      const int r = in_.ConsumeIntegralInRange(0, 9);
      if (r < 3) {
        sql = "SAVEPOINT sp" + std::to_string(savepoints_.size());
      } else if (r < 5 && !savepoints_.empty()) {
        sql = "ROLLBACK TO " + Pick(savepoints_);
      } else if (r < 6 && !savepoints_.empty()) {
        sql = "RELEASE " + Pick(savepoints_);
      } else if (r < 8) {
        sql = "COMMIT";
      } else {
        sql = "ROLLBACK";
      }
    }
    Note(sql);
    const Result r = Run(db_, sql);
    if (r.rc == SQLITE_OK) {
      if (sql.rfind("SAVEPOINT ", 0) == 0) savepoints_.push_back(sql.substr(10));
      if (sql.rfind("RELEASE ", 0) == 0) {
        auto it = std::find(savepoints_.begin(), savepoints_.end(), sql.substr(8));
        if (it != savepoints_.end()) savepoints_.erase(it, savepoints_.end());
      }
      if (sql.rfind("ROLLBACK TO ", 0) == 0) {
        auto it = std::find(savepoints_.begin(), savepoints_.end(), sql.substr(12));
        if (it != savepoints_.end()) savepoints_.erase(it + 1, savepoints_.end());
      }
    }
    if (sqlite3_get_autocommit(db_)) savepoints_.clear();
    CompareTables();
  }

  void Step() {
    const bool in_txn = sqlite3_get_autocommit(db_) == 0;
    const int r = in_.ConsumeIntegralInRange(0, 99);
    Stmt st;
    if (r < 26) {
      st = Insert(in_txn);
    } else if (r < 38) {
      st = Update(in_txn);
    } else if (r < 46) {
      st.sql = "DELETE FROM @T" + Where();
      st.writes = true;
    } else if (r < 80) {
      st = Select();
    } else if (r < 90) {
      Control();
      return;
    } else if (r < 96 || in_txn) {
      const std::string sql =
          StrataSql(OneIn(3) ? "SELECT strata_compact('@T')" : "SELECT strata_flush('@T')");
      Note(sql);
      const Result f = Run(db_, sql);
      Check(f.rc == SQLITE_OK, sql + ": " + f.error);
      return;
    } else {
      Note("-- close and reopen");
      const int rc = sqlite3_close(db_);
      Check(rc == SQLITE_OK, "close: " + std::to_string(rc));
      Open();
      CompareTables();
      return;
    }
    if (spec_->rowid_table && st.writes) {
      // Rowids near 2^63 - 1 make SQLite pick the next one at random: remove such rows first.
      const Result max =
          Run(db_, std::string("SELECT max(rowid) > 9223372036854774807 FROM ") + kNative);
      if (!max.rows.empty() && max.rows[0][0].type == SQLITE_INTEGER &&
          max.rows[0][0].bytes[0] == 1) {
        st.sql = "DELETE FROM @T WHERE rowid > 9223372036854774807";
        st.ordered = false;
      }
    }
    const std::string strata_sql = StrataSql(st.sql);
    Note(strata_sql);
    Result a = Run(db_, strata_sql);
    Result b;
    if (in_txn) {
      // A native statement whose conflict mode is not ABORT has no statement journal: one
      // that fails midway with an error other than a constraint keeps its earlier rows in a
      // transaction. SPEC requires a failed statement to leave nothing; undo it to compare.
      Run(db_, "SAVEPOINT native_stmt");
      b = Run(db_, NativeSql(st.sql));
      if (sqlite3_get_autocommit(db_) == 0) {
        if (b.rc != SQLITE_OK && b.rc != SQLITE_CONSTRAINT) Run(db_, "ROLLBACK TO native_stmt");
        Run(db_, "RELEASE native_stmt");
      }
    } else {
      b = Run(db_, NativeSql(st.sql));
    }
    if (!st.ordered) {
      std::sort(a.rows.begin(), a.rows.end());
      std::sort(b.rows.begin(), b.rows.end());
    }
    bool same = a.rc == b.rc && a.error == b.error && a.rows == b.rows;
    if (st.writes) {
      same = same && a.changes == b.changes;
      if (spec_->rowid_table) same = same && a.last_rowid == b.last_rowid;
    }
    Check(same, "results differ for " + st.sql + "\nstrata: " + Show(a) + "native: " + Show(b));
    if (sqlite3_get_autocommit(db_)) savepoints_.clear();
    if (st.writes) CompareTables();
  }

  FuzzedDataProvider in_;
  const bool verbose_;
  const SchemaSpec* spec_ = nullptr;
  std::string dir_, db_path_;
  sqlite3* db_ = nullptr;
  std::vector<std::string> savepoints_;
  std::vector<std::string> history_;
};

}  // namespace
}  // namespace fuzz
}  // namespace strata

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(&sqlite3_strata_init));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::Session(data, size).Main();
  return 0;
}
