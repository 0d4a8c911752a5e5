// sql_crash_test: the SQL-level crash test (SPEC.md §4, issue 5).
//
// A child process runs random transactions on a strata table through SQLite
// and reports each one to the parent over a pipe: "pending N" (with the
// rows the transaction leaves behind) before COMMIT, "committed N" after.
// The parent kills it with SIGKILL at a random moment, reopens the database
// itself and checks that the table holds exactly the committed
// transactions, with the pending one entirely present or entirely absent;
// then the next child continues on the same database. Every row carries the
// number of the transaction that last wrote it (`txn`) and a value derived
// from (txn, key), so a torn or stale row is seen as such.
//
// Promises checked per sync level (SPEC.md §2 "Writing"): at `normal` and
// `full` every acknowledged commit survives a process kill; at `off` the
// WAL may buffer in the process, so only a prefix of the committed
// transactions is promised (the count of lost acknowledged commits is
// reported; as implemented, `off` appends the WAL through an mmap window
// like the other levels, so a process kill has lost none). Every level: no
// partial transaction, nothing that was not written, every reopen
// succeeds, strata_verify() passes, and the last checkpoint taken by the
// child holds the committed state of its moment.
//
// The child's workload (table t(k INTEGER PRIMARY KEY, born, txn, v) with
// memtable_size = '64KiB', so flushes and compactions run all the time):
// BEGIN/COMMIT transactions (also SAVEPOINT ... RELEASE as the outer
// transaction) of multi-row INSERT in every conflict mode, REPLACE, range
// and IN-list UPDATE and DELETE, key-changing UPDATE, auto-assigned rowids,
// nested savepoints with ROLLBACK TO, ROLLBACKs; autocommit statements;
// strata_flush/strata_compact/strata_checkpoint inside and outside
// transactions. It checks each statement's result code, changes() and
// last_insert_rowid(), and reads (aggregates, DESC ranges, IN lists)
// against its own model, including its uncommitted writes.
//
// Child-to-parent lines on the pipe: "R" ready; "P N k:born:txn k:- ..."
// before transaction N commits, with the final state of every key it
// touched; "C N" once COMMIT returned; "B op"/"E op" around admin calls;
// "K path" after a checkpoint; "F message" on a failed check. A line cut by
// the kill is ignored (the commit it announced had not started).
//
// Build (from the repository root, after `make` has built build/strata.so):
//   g++ -std=c++20 -O2 -g -Wall -Wextra -pthread -o build/sql_crash_test
//       tools/crashtest/sql_crash_test.cc -lsqlite3            (one command line)
// Run:
//   build/sql_crash_test --ext=build/strata.so --iterations=20            # all sync levels
//   build/sql_crash_test --ext=build/strata.so --sync=full --iterations=400 --seed=7
// Flags: --iterations=N (kills per sync level), --seed=S, --dir=D (work
// directory; default a fresh one in /tmp, removed on success),
// --sync=off|normal|full|all (or a comma list), --ext=path, --max-delay-ms=M
// (kills land 0..M ms after the child is ready, default 50; one in ten
// lands while it is still opening the store), --verbose.
// The program links only SQLite: the engine arrives through the extension.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// ---- The expected state ---------------------------------------------------

// Keys are drawn from this range (auto-assigned rowids may go above it).
constexpr int64_t kMinKey = -300;
constexpr int64_t kMaxKey = 2700;
// Transaction numbers of child i start at i * kTxnStride + 1, so a number is
// never reused, not even one a rolled-back transaction held.
constexpr int64_t kTxnStride = 1000000;
constexpr const char* kMarkerFile = "sql_crash_test.marker";
// A hung reopen or child start must fail the run, not stall `make test`.
constexpr unsigned kIterationTimeoutSeconds = 120;

struct Row {
  int64_t born;  // transaction that inserted the row (UPDATE keeps it)
  int64_t txn;   // transaction that last wrote it
  bool operator==(const Row& o) const { return born == o.born && txn == o.txn; }
};
using Model = std::map<int64_t, Row>;

// A transaction's effect: the final state of every key it touched.
struct Change {
  int64_t key;
  std::optional<Row> row;  // empty: deleted
};
using Delta = std::vector<Change>;

void Apply(const Delta& d, Model* m) {
  for (const Change& c : d) {
    if (c.row) {
      (*m)[c.key] = *c.row;
    } else {
      m->erase(c.key);
    }
  }
}

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The `v` column of a row written by transaction `txn` at `key`: readable
// ids first, then 0-200 bytes of filler that depend on both.
std::string ExpectedValue(int64_t txn, int64_t key) {
  uint64_t h = Mix(Mix(static_cast<uint64_t>(txn)) ^ static_cast<uint64_t>(key));
  std::string s = "k" + std::to_string(key) + "t" + std::to_string(txn) + ":";
  const size_t filler = h % 201;
  for (size_t i = 0; i < filler; i++) {
    if (i % 8 == 0) h = Mix(h);
    s.push_back(static_cast<char>('a' + ((h >> (i % 8 * 8)) & 0xff) % 26));
  }
  return s;
}

// SQL function expv(txn, key): ExpectedValue, so statements can write it.
void ExpvFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const std::string v = ExpectedValue(sqlite3_value_int64(argv[0]), sqlite3_value_int64(argv[1]));
  sqlite3_result_text(ctx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

std::string RowString(const std::optional<Row>& r) {
  if (!r) return "absent";
  return "born " + std::to_string(r->born) + " txn " + std::to_string(r->txn);
}

// Up to `limit` keys where `actual` and `expected` differ, described.
std::string DescribeDiff(const Model& actual, const Model& expected, int limit) {
  std::string out;
  int shown = 0;
  int total = 0;
  auto a = actual.begin();
  auto e = expected.begin();
  while (a != actual.end() || e != expected.end()) {
    int64_t key;
    std::optional<Row> ra, re;
    if (e == expected.end() || (a != actual.end() && a->first < e->first)) {
      key = a->first;
      ra = a->second;
      ++a;
    } else if (a == actual.end() || e->first < a->first) {
      key = e->first;
      re = e->second;
      ++e;
    } else {
      key = a->first;
      ra = a->second;
      re = e->second;
      ++a;
      ++e;
    }
    if (ra == re) continue;
    total++;
    if (shown++ < limit) {
      out += "    key " + std::to_string(key) + ": found " + RowString(ra) + ", expected " +
             RowString(re) + "\n";
    }
  }
  if (total > limit) out += "    ... " + std::to_string(total - limit) + " more\n";
  return out;
}

// ---- SQLite helpers ----------------------------------------------------------

// Opens `path` with the extension loaded and expv() registered.
sqlite3* OpenDatabase(const std::string& path, const std::string& ext, std::string* err) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    *err = "cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 0);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
  char* msg = nullptr;
  rc = sqlite3_load_extension(db, ext.c_str(), nullptr, &msg);
  if (rc != SQLITE_OK) {
    *err = "cannot load " + ext + ": " + (msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
    return nullptr;
  }
  rc = sqlite3_create_function(db, "expv", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                               ExpvFunction, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    *err = std::string("cannot register expv: ") + sqlite3_errmsg(db);
    sqlite3_close(db);
    return nullptr;
  }
  return db;
}

// Runs `sql` and collects every row as integers (rows may be null).
// Returns SQLITE_OK or the primary result code of the failing step, with
// SQLite's message in *err.
int Query(sqlite3* db, const std::string& sql, std::vector<std::vector<int64_t>>* rows,
          std::string* err) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    *err = sqlite3_errmsg(db);
    return rc;
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (rows == nullptr) continue;
    std::vector<int64_t> r;
    for (int i = 0; i < sqlite3_column_count(stmt); i++) r.push_back(sqlite3_column_int64(stmt, i));
    rows->push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) *err = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc & 0xff;
}

// Reads a whole table of the crash-test schema into *m, checking each row
// (types, order, v derived from txn and key). False with *err on any
// problem.
bool ReadTable(sqlite3* db, const std::string& table, Model* m, std::string* err) {
  m->clear();
  sqlite3_stmt* stmt = nullptr;
  const std::string sql =
      "SELECT k, born, txn, v, typeof(k), typeof(born), typeof(txn), typeof(v) FROM " + table +
      " ORDER BY k";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    *err = std::string("prepare of a full scan failed: ") + sqlite3_errmsg(db);
    return false;
  }
  int rc;
  bool ok = true;
  std::optional<int64_t> prev;
  while (ok && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const int64_t k = sqlite3_column_int64(stmt, 0);
    const Row r{sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2)};
    const char* v = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    const int vlen = sqlite3_column_bytes(stmt, 3);
    std::string types;
    for (int i = 4; i < 8; i++) {
      types += reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      types += i < 7 ? "," : "";
    }
    if (types != "integer,integer,integer,text") {
      *err = "row " + std::to_string(k) + " has column types " + types;
      ok = false;
    } else if (prev && *prev >= k) {
      *err = "full scan out of order: key " + std::to_string(k) + " after " + std::to_string(*prev);
      ok = false;
    } else if (std::string(v, vlen) != ExpectedValue(r.txn, k)) {
      *err = "row " + std::to_string(k) + " (" + RowString(r) + ") has v='" + std::string(v, vlen) +
             "', expected '" + ExpectedValue(r.txn, k) + "'";
      ok = false;
    } else if (r.born > r.txn) {
      *err = "row " + std::to_string(k) + " was born after it was written: " + RowString(r);
      ok = false;
    }
    prev = k;
    (*m)[k] = r;
  }
  if (ok && rc != SQLITE_DONE) {
    *err = std::string("full scan failed: ") + sqlite3_errmsg(db);
    ok = false;
  }
  sqlite3_finalize(stmt);
  if (!ok) return false;
  // count(*) takes another path (no column decoding).
  std::vector<std::vector<int64_t>> rows;
  std::string e;
  if (Query(db, "SELECT count(*) FROM " + table, &rows, &e) != SQLITE_OK) {
    *err = "count(*) failed: " + e;
    return false;
  }
  if (rows[0][0] != static_cast<int64_t>(m->size())) {
    *err = "count(*) = " + std::to_string(rows[0][0]) + " but the scan returned " +
           std::to_string(m->size()) + " rows";
    return false;
  }
  return true;
}

std::string TableColumns() { return "k INTEGER PRIMARY KEY, born INTEGER, txn INTEGER, v TEXT"; }

// ---- The child: random transactions ----------------------------------------

// The child's view of the table inside a transaction: the committed model
// plus the transaction's own writes (`overlay`; empty optional: deleted).
class TxnView {
 public:
  using Overlay = std::map<int64_t, std::optional<Row>>;

  explicit TxnView(const Model* base) : base_(base) {}

  std::optional<Row> Find(int64_t k) const {
    auto o = overlay.find(k);
    if (o != overlay.end()) return o->second;
    auto b = base_->find(k);
    if (b != base_->end()) return b->second;
    return std::nullopt;
  }
  bool Has(int64_t k) const { return Find(k).has_value(); }
  void Put(int64_t k, Row r) { overlay[k] = r; }
  void Erase(int64_t k) { overlay[k] = std::nullopt; }

  // The present rows with lo <= key <= hi, in key order.
  std::vector<std::pair<int64_t, Row>> Range(int64_t lo, int64_t hi) const {
    std::vector<std::pair<int64_t, Row>> out;
    auto b = base_->lower_bound(lo);
    auto o = overlay.lower_bound(lo);
    while (true) {
      const bool b_ok = b != base_->end() && b->first <= hi;
      const bool o_ok = o != overlay.end() && o->first <= hi;
      if (!b_ok && !o_ok) break;
      if (o_ok && (!b_ok || o->first <= b->first)) {
        if (b_ok && b->first == o->first) ++b;
        if (o->second) out.emplace_back(o->first, *o->second);
        ++o;
      } else {
        out.emplace_back(b->first, b->second);
        ++b;
      }
    }
    return out;
  }

  // Largest present key; nullopt when the table is empty.
  std::optional<int64_t> MaxKey() const {
    std::optional<int64_t> best;
    for (auto o = overlay.rbegin(); o != overlay.rend(); ++o) {
      if (o->second) {
        best = o->first;
        break;
      }
    }
    for (auto b = base_->rbegin(); b != base_->rend(); ++b) {
      auto o = overlay.find(b->first);
      if (o != overlay.end() && !o->second) continue;
      if (!best || b->first > *best) best = b->first;
      break;
    }
    return best;
  }

  Delta ToDelta() const {
    Delta d;
    for (const auto& [k, r] : overlay) d.push_back({k, r});
    return d;
  }

  Overlay overlay;

 private:
  const Model* base_;
};

// One planned statement: its SQL and what it must do.
struct Planned {
  std::string sql;
  int rc = SQLITE_OK;            // expected primary result code
  int64_t changes = -1;          // expected sqlite3_changes(), -1: unchecked
  std::optional<int64_t> rowid;  // expected last_insert_rowid()
  std::vector<std::pair<int64_t, std::optional<Row>>> effect;  // applied in order on success
  bool ends_txn = false;  // OR ROLLBACK that conflicts: the transaction is gone
};

class ChildWorkload {
 public:
  ChildWorkload(sqlite3* db, int fd, uint64_t seed, int64_t first_txn, std::string cp_dir)
      : db_(db), fd_(fd), rng_(seed), next_txn_(first_txn), cp_dir_(std::move(cp_dir)) {}

  // Loads the committed state, says "R", then runs until killed.
  [[noreturn]] void Run() {
    std::string err;
    if (!ReadTable(db_, "t", &model_, &err)) Fail("initial read: " + err);
    Send("R\n");
    while (true) {
      // Admin calls take tens of milliseconds (they fsync), transactions
      // about one: 1% of actions still spend a good share of the time there.
      const int r = static_cast<int>(Uniform(0, 199));
      if (r < 2) {
        AdminCall();
      } else if (r < 46) {
        Autocommit();
      } else if (r < 48) {
        FullCheck();
      } else {
        Transaction();
      }
    }
  }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool OneIn(int n) { return Uniform(0, n - 1) == 0; }
  int64_t RandomKey() { return Uniform(kMinKey, kMaxKey); }

  void Send(const std::string& msg) {
    const char* p = msg.data();
    size_t left = msg.size();
    while (left > 0) {
      ssize_t n = write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(4);  // the parent is gone
      p += n;
      left -= static_cast<size_t>(n);
    }
  }

  [[noreturn]] void Fail(const std::string& msg) {
    std::string line = msg;
    for (char& c : line) {
      if (c == '\n') c = ' ';
    }
    Send("F " + line + "\n");
    fprintf(stderr, "sql_crash_test child: %s\n", msg.c_str());
    _exit(3);
  }

  void Exec(const std::string& sql) {
    std::string err;
    if (Query(db_, sql, nullptr, &err) != SQLITE_OK) Fail(sql + ": " + err);
  }

  // Distinct keys: a run of neighbours or scattered ones; with
  // `prefer_absent`, mostly keys the view does not hold.
  std::vector<int64_t> PickKeys(const TxnView& view, int max_count, bool prefer_absent) {
    const int n = static_cast<int>(Uniform(1, max_count));
    std::vector<int64_t> keys;
    std::set<int64_t> seen;
    if (OneIn(3)) {
      const int64_t start = RandomKey();
      for (int i = 0; i < n; i++) {
        if (!prefer_absent || !view.Has(start + i)) keys.push_back(start + i);
      }
      if (keys.empty()) keys.push_back(start);
      return keys;
    }
    for (int tries = 0; static_cast<int>(keys.size()) < n && tries < 4 * n; tries++) {
      const int64_t k = RandomKey();
      if (seen.count(k) || (prefer_absent && view.Has(k))) continue;
      seen.insert(k);
      keys.push_back(k);
    }
    if (keys.empty()) keys.push_back(RandomKey());
    return keys;
  }

  void Range(int64_t* lo, int64_t* hi) {
    *lo = RandomKey();
    const int64_t len = OneIn(20) ? Uniform(0, 1500) : Uniform(0, 60);
    *hi = *lo + len;
  }

  static std::string Values(const std::vector<int64_t>& keys, int64_t txn) {
    std::string s;
    for (int64_t k : keys) {
      if (!s.empty()) s += ",";
      s += "(" + std::to_string(k) + "," + std::to_string(txn) + "," + std::to_string(txn) +
           ",expv(" + std::to_string(txn) + "," + std::to_string(k) + "))";
    }
    return s;
  }

  static std::string InList(const std::vector<int64_t>& keys) {
    std::string s;
    for (int64_t k : keys) s += (s.empty() ? "" : ",") + std::to_string(k);
    return s;
  }

  // ---- statements, planned against the view ----

  Planned PlanInsert(const TxnView& view, int64_t txn, bool allow_rollback_mode) {
    Planned p;
    static const char* kModes[] = {
        "INSERT",  "INSERT OR ABORT",   "INSERT OR FAIL", "INSERT OR IGNORE", "INSERT OR REPLACE",
        "REPLACE", "INSERT OR ROLLBACK"};
    const int mode = static_cast<int>(Uniform(0, allow_rollback_mode ? 6 : 5));
    const std::vector<int64_t> keys = PickKeys(view, 20, /*prefer_absent=*/!OneIn(3));
    p.sql = std::string(kModes[mode]) + " INTO t(k, born, txn, v) VALUES " + Values(keys, txn);
    size_t first_conflict = keys.size();
    for (size_t i = 0; i < keys.size(); i++) {
      if (view.Has(keys[i])) {
        first_conflict = i;
        break;
      }
    }
    const Row fresh{txn, txn};
    if (mode == 4 || mode == 5 || first_conflict == keys.size()) {  // REPLACE, or no conflict
      for (int64_t k : keys) p.effect.emplace_back(k, fresh);
      p.changes = static_cast<int64_t>(keys.size());
    } else if (mode == 3) {  // IGNORE
      for (int64_t k : keys) {
        if (!view.Has(k)) p.effect.emplace_back(k, fresh);
      }
      p.changes = static_cast<int64_t>(p.effect.size());
    } else {
      p.rc = SQLITE_CONSTRAINT;
      if (mode == 2) {  // FAIL keeps the rows before the conflict
        for (size_t i = 0; i < first_conflict; i++) p.effect.emplace_back(keys[i], fresh);
      }
      if (mode == 6) p.ends_txn = true;
    }
    return p;
  }

  // INSERT without a key: the rowid is one more than the largest key.
  Planned PlanInsertAutoKey(const TxnView& view, int64_t txn) {
    Planned p;
    const std::string t = std::to_string(txn);
    p.sql = "INSERT INTO t(born, txn, v) VALUES (" + t + "," + t + ",expv(" + t +
            ",(SELECT coalesce(max(k), 0) + 1 FROM t)))";
    const std::optional<int64_t> max = view.MaxKey();
    const int64_t k = max ? *max + 1 : 1;
    p.rowid = k;
    p.changes = 1;
    p.effect.emplace_back(k, Row{txn, txn});
    return p;
  }

  Planned PlanUpdate(const TxnView& view, int64_t txn) {
    Planned p;
    const std::string t = std::to_string(txn);
    std::vector<std::pair<int64_t, Row>> rows;
    if (OneIn(3)) {
      const std::vector<int64_t> keys = PickKeys(view, 10, false);
      p.sql =
          "UPDATE t SET txn = " + t + ", v = expv(" + t + ", k) WHERE k IN (" + InList(keys) + ")";
      for (int64_t k : keys) {
        if (auto r = view.Find(k)) rows.emplace_back(k, *r);
      }
    } else {
      int64_t lo, hi;
      Range(&lo, &hi);
      const bool filter = OneIn(3);
      const int64_t residue = Uniform(0, 2);
      p.sql = "UPDATE t SET txn = " + t + ", v = expv(" + t +
              ", k) WHERE k >= " + std::to_string(lo) + " AND k <= " + std::to_string(hi);
      if (filter) p.sql += " AND txn % 3 = " + std::to_string(residue);
      for (const auto& [k, r] : view.Range(lo, hi)) {
        if (!filter || r.txn % 3 == residue) rows.emplace_back(k, r);
      }
    }
    for (const auto& [k, r] : rows) p.effect.emplace_back(k, Row{r.born, txn});
    p.changes = static_cast<int64_t>(rows.size());
    return p;
  }

  // UPDATE that changes the key: delete and insert, with the conflict check.
  Planned PlanMoveKey(const TxnView& view, int64_t txn) {
    Planned p;
    int64_t from = RandomKey();
    for (int i = 0; i < 8 && !view.Has(from); i++) from = RandomKey();
    const int64_t to = OneIn(10) ? from : RandomKey();
    const bool replace = OneIn(2);
    const std::string t = std::to_string(txn);
    p.sql = std::string("UPDATE ") + (replace ? "OR REPLACE " : "") +
            "t SET k = " + std::to_string(to) + ", txn = " + t + ", v = expv(" + t + "," +
            std::to_string(to) + ") WHERE k = " + std::to_string(from);
    const std::optional<Row> old = view.Find(from);
    if (!old) {
      p.changes = 0;
    } else if (to != from && view.Has(to) && !replace) {
      p.rc = SQLITE_CONSTRAINT;
    } else {
      p.effect.emplace_back(from, std::nullopt);
      p.effect.emplace_back(to, Row{old->born, txn});
      p.changes = 1;
    }
    return p;
  }

  Planned PlanDelete(const TxnView& view) {
    Planned p;
    if (OneIn(3)) {
      const std::vector<int64_t> keys = PickKeys(view, 10, false);
      p.sql = OneIn(2) && keys.size() == 1 ? "DELETE FROM t WHERE k = " + std::to_string(keys[0])
                                           : "DELETE FROM t WHERE k IN (" + InList(keys) + ")";
      for (int64_t k : keys) {
        if (view.Has(k)) p.effect.emplace_back(k, std::nullopt);
      }
    } else {
      int64_t lo, hi;
      Range(&lo, &hi);
      const bool filter = OneIn(4);
      p.sql = "DELETE FROM t WHERE k BETWEEN " + std::to_string(lo) + " AND " + std::to_string(hi);
      if (filter) p.sql += " AND born % 2 = 0";
      for (const auto& [k, r] : view.Range(lo, hi)) {
        if (!filter || r.born % 2 == 0) p.effect.emplace_back(k, std::nullopt);
      }
    }
    p.changes = static_cast<int64_t>(p.effect.size());
    return p;
  }

  Planned PlanStatement(const TxnView& view, int64_t txn, bool allow_rollback_mode) {
    const int r = static_cast<int>(Uniform(0, 99));
    if (r < 40) return PlanInsert(view, txn, allow_rollback_mode);
    if (r < 43) return PlanInsertAutoKey(view, txn);
    if (r < 65) return PlanUpdate(view, txn);
    if (r < 72) return PlanMoveKey(view, txn);
    return PlanDelete(view);
  }

  // Runs a planned statement and checks its outcome; on the expected
  // success (or FAIL's partial success) applies the effect to the view.
  void RunPlanned(const Planned& p, TxnView* view) {
    std::string err;
    const int rc = Query(db_, p.sql, nullptr, &err);
    if (rc != p.rc) {
      Fail(p.sql + ": result " + std::to_string(rc) + " (" + err + "), expected " +
           std::to_string(p.rc));
    }
    if (rc == SQLITE_OK && p.changes >= 0 && sqlite3_changes64(db_) != p.changes) {
      Fail(p.sql + ": changes() = " + std::to_string(sqlite3_changes64(db_)) + ", expected " +
           std::to_string(p.changes));
    }
    if (rc == SQLITE_OK && p.rowid && sqlite3_last_insert_rowid(db_) != *p.rowid) {
      Fail(p.sql + ": last_insert_rowid() = " + std::to_string(sqlite3_last_insert_rowid(db_)) +
           ", expected " + std::to_string(*p.rowid));
    }
    for (const auto& [k, r] : p.effect) {
      if (r) {
        view->Put(k, *r);
      } else {
        view->Erase(k);
      }
    }
  }

  // ---- reads checked against the view ----

  void ReadCheck(const TxnView& view) {
    std::vector<std::vector<int64_t>> rows;
    std::string err;
    const int kind = static_cast<int>(Uniform(0, 2));
    std::string sql;
    std::vector<std::vector<int64_t>> expected;
    if (kind == 0) {
      int64_t lo, hi;
      Range(&lo, &hi);
      sql = "SELECT count(*), coalesce(sum(txn), 0), coalesce(sum(born), 0) FROM t WHERE k >= " +
            std::to_string(lo) + " AND k <= " + std::to_string(hi);
      int64_t n = 0, st = 0, sb = 0;
      for (const auto& [k, r] : view.Range(lo, hi)) {
        n++;
        st += r.txn;
        sb += r.born;
      }
      expected.push_back({n, st, sb});
    } else if (kind == 1) {
      const int64_t hi = RandomKey();
      const int64_t limit = Uniform(1, 12);
      sql = "SELECT k, born, txn FROM t WHERE k <= " + std::to_string(hi) +
            " ORDER BY k DESC LIMIT " + std::to_string(limit);
      auto all = view.Range(INT64_MIN, hi);
      for (auto it = all.rbegin();
           it != all.rend() && static_cast<int64_t>(expected.size()) < limit; ++it) {
        expected.push_back({it->first, it->second.born, it->second.txn});
      }
    } else {
      const std::vector<int64_t> keys = PickKeys(view, 6, false);
      sql = "SELECT k, born, txn, v = expv(txn, k) FROM t WHERE k IN (" + InList(keys) +
            ") ORDER BY k";
      std::set<int64_t> sorted(keys.begin(), keys.end());
      for (int64_t k : sorted) {
        if (auto r = view.Find(k)) expected.push_back({k, r->born, r->txn, 1});
      }
    }
    if (Query(db_, sql, &rows, &err) != SQLITE_OK) Fail(sql + ": " + err);
    if (rows != expected) {
      std::string got, want;
      for (auto& r : rows) got += "[" + InList(r) + "]";
      for (auto& r : expected) want += "[" + InList(r) + "]";
      Fail(sql + ": got " + got + ", expected " + want);
    }
  }

  void FullCheck() {
    Model m;
    std::string err;
    if (!ReadTable(db_, "t", &m, &err)) Fail("full check: " + err);
    if (m != model_) Fail("full check differs from the model:\n" + DescribeDiff(m, model_, 10));
  }

  // ---- admin functions: flush, compaction, checkpoint ----

  void AdminCall() {
    const int r = static_cast<int>(Uniform(0, 9));
    if (r < 3) {
      Send("B flush\n");
      Exec("SELECT strata_flush('t')");
      Send("E flush\n");
    } else if (r < 6) {
      Send("B compact\n");
      Exec("SELECT strata_compact('t')");
      Send("E compact\n");
    } else {
      const std::string path =
          cp_dir_ + "/" + std::to_string(next_txn_) + "-" + std::to_string(checkpoints_++);
      Send("B checkpoint\n");
      Exec("SELECT strata_checkpoint('t', '" + path + "')");
      // The checkpoint holds the committed state: the parent's acked model.
      Send("K " + path + "\n");
      Send("E checkpoint\n");
      if (!last_checkpoint_.empty()) {
        std::error_code ec;
        fs::remove_all(last_checkpoint_, ec);
      }
      last_checkpoint_ = path;
    }
  }

  // ---- transactions ----

  void SendPending(int64_t txn, const Delta& d) {
    std::string msg = "P " + std::to_string(txn);
    for (const Change& c : d) {
      msg += " " + std::to_string(c.key) + ":";
      msg += c.row ? std::to_string(c.row->born) + ":" + std::to_string(c.row->txn) : "-";
    }
    Send(msg + "\n");
  }

  void Commit(int64_t txn, const TxnView& view, const std::string& commit_sql) {
    const Delta d = view.ToDelta();
    SendPending(txn, d);
    Exec(commit_sql);
    if (!sqlite3_get_autocommit(db_)) Fail(commit_sql + " left the transaction open");
    Apply(d, &model_);
    Send("C " + std::to_string(txn) + "\n");
  }

  void Autocommit() {
    const int64_t txn = next_txn_++;
    TxnView view(&model_);
    if (OneIn(5)) return ReadCheck(view);
    const Planned p = PlanStatement(view, txn, /*allow_rollback_mode=*/true);
    TxnView after(&model_);
    for (const auto& [k, r] : p.effect) {
      if (r) {
        after.Put(k, *r);
      } else {
        after.Erase(k);
      }
    }
    const Delta d = after.ToDelta();
    if (d.empty()) {  // nothing to commit: a failed or empty statement
      RunPlanned(p, &view);
      return;
    }
    SendPending(txn, d);
    RunPlanned(p, &view);
    Apply(d, &model_);
    Send("C " + std::to_string(txn) + "\n");
  }

  // A SAVEPOINT block inside a transaction; false if a statement ended the
  // whole transaction (INSERT OR ROLLBACK).
  bool SavepointBlock(TxnView* view, int64_t txn, int depth) {
    const std::string name = "sp" + std::to_string(depth);
    Exec("SAVEPOINT " + name);
    const TxnView::Overlay saved = view->overlay;
    const int n = static_cast<int>(Uniform(1, 3));
    for (int i = 0; i < n; i++) {
      if (!Step(view, txn, depth)) return false;
    }
    if (OneIn(2)) {
      Exec("ROLLBACK TO " + name);
      view->overlay = saved;
      if (OneIn(2)) ReadCheck(*view);
    }
    Exec("RELEASE " + name);
    return true;
  }

  // One step of a transaction body; false if the transaction ended.
  bool Step(TxnView* view, int64_t txn, int depth) {
    const int r = static_cast<int>(Uniform(0, 99));
    if (r < 8 && depth < 3) return SavepointBlock(view, txn, depth + 1);
    if (r < 18) {
      ReadCheck(*view);
      return true;
    }
    if (r < 19) {
      AdminCall();
      return true;
    }
    const Planned p = PlanStatement(*view, txn, /*allow_rollback_mode=*/OneIn(10));
    RunPlanned(p, view);
    if (p.ends_txn) {
      if (!sqlite3_get_autocommit(db_)) Fail(p.sql + ": OR ROLLBACK left the transaction open");
      return false;
    }
    if (sqlite3_get_autocommit(db_)) Fail(p.sql + ": the transaction ended by itself");
    return true;
  }

  void Transaction() {
    const int64_t txn = next_txn_++;
    TxnView view(&model_);
    // Either BEGIN ... COMMIT or a savepoint used as the transaction.
    const bool savepoint_txn = OneIn(6);
    static const char* kBegins[] = {"BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED"};
    Exec(savepoint_txn ? "SAVEPOINT outer" : kBegins[Uniform(0, 2)]);
    const int steps = static_cast<int>(Uniform(1, 6));
    for (int i = 0; i < steps; i++) {
      if (!Step(&view, txn, 0)) {
        ReadCheck(TxnView(&model_));  // nothing of it is visible
        return;
      }
    }
    if (OneIn(8)) {
      Exec(savepoint_txn ? "ROLLBACK TO outer" : "ROLLBACK");
      if (savepoint_txn) Exec("RELEASE outer");
      if (!sqlite3_get_autocommit(db_)) Fail("ROLLBACK left the transaction open");
      ReadCheck(TxnView(&model_));
      return;
    }
    if (view.overlay.empty()) {
      Exec(savepoint_txn ? "RELEASE outer" : "COMMIT");
      return;
    }
    Commit(txn, view, savepoint_txn ? "RELEASE outer" : (OneIn(4) ? "END" : "COMMIT"));
  }

  sqlite3* db_;
  int fd_;
  std::mt19937_64 rng_;
  int64_t next_txn_;
  std::string cp_dir_;
  Model model_;  // the committed state
  int checkpoints_ = 0;
  std::string last_checkpoint_;
};

// ---- The parent: kills and checks ---------------------------------------------

struct Flags {
  int iterations = 100;
  uint64_t seed = 0;
  bool seed_given = false;
  std::string dir;
  std::vector<std::string> syncs = {"off", "normal", "full"};
  std::string ext = "build/strata.so";
  bool verbose = false;
  int max_delay_ms = 50;  // kills land 0..max_delay_ms after the child is ready
  // Child mode (internal).
  bool child = false;
  int child_fd = -1;
  int64_t first_txn = 1;
  std::string db_path;
  std::string cp_dir;
};

struct LevelStats {
  int kills = 0;
  int64_t commits = 0;
  int before_ready = 0;
  int pending = 0;
  int pending_present = 0;
  int in_flush = 0, in_compact = 0, in_checkpoint = 0;
  int checkpoints_verified = 0;
  int64_t lost_acked = 0;  // sync=off only
  int kills_with_loss = 0;
  int64_t max_lost = 0;
};

// What the parent learned from one child's messages.
struct ChildReport {
  bool ready = false;
  std::vector<std::pair<int64_t, Delta>> committed;
  std::optional<std::pair<int64_t, Delta>> pending;
  std::string admin_in_progress;
  std::optional<std::pair<std::string, size_t>> checkpoint;  // path, commits before it
  std::vector<std::string> failures;
  std::string protocol_error;
};

bool ParseDelta(std::istringstream& in, Delta* d) {
  std::string tok;
  while (in >> tok) {
    Change c;
    const size_t a = tok.find(':');
    if (a == std::string::npos) return false;
    c.key = std::stoll(tok.substr(0, a));
    const std::string rest = tok.substr(a + 1);
    if (rest != "-") {
      const size_t b = rest.find(':');
      if (b == std::string::npos) return false;
      c.row = Row{std::stoll(rest.substr(0, b)), std::stoll(rest.substr(b + 1))};
    }
    d->push_back(c);
  }
  return true;
}

void HandleLine(const std::string& line, ChildReport* rep) {
  if (line.empty()) return;
  std::istringstream in(line.substr(1));
  switch (line[0]) {
    case 'R':
      rep->ready = true;
      break;
    case 'P': {
      int64_t n;
      Delta d;
      if (!(in >> n) || !ParseDelta(in, &d)) {
        rep->protocol_error = "bad pending line: " + line.substr(0, 200);
        return;
      }
      if (rep->pending) rep->protocol_error = "two pending transactions";
      rep->pending.emplace(n, std::move(d));
      break;
    }
    case 'C': {
      int64_t n;
      if (!(in >> n) || !rep->pending || rep->pending->first != n) {
        rep->protocol_error = "commit without its pending line: " + line;
        return;
      }
      rep->committed.push_back(std::move(*rep->pending));
      rep->pending.reset();
      break;
    }
    case 'B':
      rep->admin_in_progress = line.substr(2);
      break;
    case 'E':
      rep->admin_in_progress.clear();
      break;
    case 'K':
      rep->checkpoint.emplace(line.substr(2), rep->committed.size());
      break;
    case 'F':
      rep->failures.push_back(line.substr(2));
      break;
    default:
      rep->protocol_error = "unknown line: " + line.substr(0, 200);
  }
}

uint64_t NowMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

class Parent {
 public:
  // `seed` is the level's own, derived from flags.seed.
  Parent(const Flags& flags, std::string sync, std::string dir, uint64_t seed)
      : flags_(flags), sync_(std::move(sync)), dir_(std::move(dir)), rng_(seed), seed_(seed) {}

  // Runs the iterations; false on the first violation (already printed).
  bool Run(LevelStats* stats) {
    db_path_ = dir_ + "/crash.db";
    cp_dir_ = dir_ + "/checkpoints";
    std::error_code ec;
    fs::create_directories(cp_dir_, ec);
    if (ec) return Violation("cannot create " + cp_dir_ + ": " + ec.message());
    if (!CreateTable()) return false;
    for (int i = 1; i <= flags_.iterations; i++) {
      if (!Iteration(i, stats)) return false;
    }
    return true;
  }

 private:
  bool Violation(const std::string& what) {
    fprintf(stderr, "\nFAIL: sync=%s seed=%" PRIu64 " iteration %d: %s\n", sync_.c_str(),
            flags_.seed, iteration_, what.c_str());
    fprintf(stderr, "  work directory kept: %s\n", dir_.c_str());
    fprintf(stderr, "  last kills:\n");
    for (const std::string& s : log_) fprintf(stderr, "    %s\n", s.c_str());
    fprintf(stderr,
            "  rerun: sql_crash_test --ext=%s --sync=%s --seed=%" PRIu64
            " --iterations=%d (kill times vary between runs)\n",
            flags_.ext.c_str(), sync_.c_str(), flags_.seed, flags_.iterations);
    return false;
  }

  bool CreateTable() {
    std::string err;
    sqlite3* db = OpenDatabase(db_path_, flags_.ext, &err);
    if (db == nullptr) return Violation(err);
    const std::string sql = "CREATE VIRTUAL TABLE t USING strata(" + TableColumns() +
                            ", memtable_size = '64KiB', sync = " + sync_ + ")";
    std::vector<std::vector<int64_t>> rows;
    const int rc = Query(db, sql, &rows, &err);
    sqlite3_close(db);
    if (rc != SQLITE_OK) return Violation(sql + ": " + err);
    return true;
  }

  pid_t Spawn(int iteration, int* read_fd) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    // Everything the child needs is built before fork: after it, only
    // async-signal-safe calls until exec.
    std::vector<std::string> args = {
        "/proc/self/exe",
        "--child",
        "--child-fd=" + std::to_string(fds[1]),
        "--db=" + db_path_,
        "--checkpoint-dir=" + cp_dir_,
        "--ext=" + flags_.ext,
        "--seed=" + std::to_string(Mix(seed_ ^ Mix(static_cast<uint64_t>(iteration)))),
        "--first-txn=" + std::to_string(iteration * kTxnStride + 1)};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent_pid = getpid();
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent_pid) _exit(5);
      fcntl(fds[1], F_SETFD, 0);  // the write end survives exec
      execv(argv[0], argv.data());
      _exit(6);
    }
    close(fds[1]);
    if (pid < 0) {
      close(fds[0]);
      return -1;
    }
    *read_fd = fds[0];
    return pid;
  }

  // Reads what the child sends until `deadline` (or until it is ready, when
  // `until_ready`), or to EOF when deadline is 0. False on EOF.
  bool Pump(int fd, uint64_t deadline, bool until_ready, std::string* buf, ChildReport* rep) {
    while (true) {
      int timeout = -1;
      if (deadline != 0) {
        const uint64_t now = NowMicros();
        if (now >= deadline) return true;
        timeout = static_cast<int>((deadline - now + 999) / 1000);
      }
      if (until_ready && rep->ready) return true;
      pollfd p{fd, POLLIN, 0};
      const int r = poll(&p, 1, timeout);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) continue;  // deadline check at the top
      char chunk[65536];
      const ssize_t n = read(fd, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf->append(chunk, static_cast<size_t>(n));
      size_t start = 0, nl;
      while ((nl = buf->find('\n', start)) != std::string::npos) {
        HandleLine(buf->substr(start, nl - start), rep);
        start = nl + 1;
      }
      buf->erase(0, start);  // an incomplete line waits for more (or is dropped at the kill)
    }
  }

  bool Iteration(int i, LevelStats* stats) {
    iteration_ = i;
    alarm(kIterationTimeoutSeconds);
    int fd = -1;
    const pid_t pid = Spawn(i, &fd);
    if (pid < 0) return Violation(std::string("cannot start a child: ") + strerror(errno));
    ChildReport rep;
    std::string buf;
    // One kill in ten lands while the child opens the store (recovery).
    const bool early = std::uniform_int_distribution<int>(0, 9)(rng_) == 0;
    const uint64_t start = NowMicros();
    bool alive = true;
    if (!early) {
      alive = Pump(fd, start + 60 * 1000000ull, /*until_ready=*/true, &buf, &rep);
      if (alive && !rep.ready) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        close(fd);
        return Violation("the child did not open the database within 60 s");
      }
    }
    const uint64_t max_delay_us = static_cast<uint64_t>(flags_.max_delay_ms) * 1000;
    const uint64_t delay = std::uniform_int_distribution<uint64_t>(
        0, early ? max_delay_us * 3 / 5 : max_delay_us)(rng_);
    if (alive) alive = Pump(fd, NowMicros() + delay, false, &buf, &rep);
    kill(pid, SIGKILL);
    Pump(fd, 0, false, &buf, &rep);  // to EOF: the rest of what it wrote
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    std::string how;
    if (!rep.admin_in_progress.empty()) how = " during " + rep.admin_in_progress;
    if (rep.pending) how += " with txn " + std::to_string(rep.pending->first) + " pending";
    if (!rep.ready) how += " before the child was ready";
    log_.push_back("kill " + std::to_string(i) + " after " + std::to_string(delay / 1000) +
                   " ms: " + std::to_string(rep.committed.size()) + " commits" + how);
    if (log_.size() > 20) log_.pop_front();

    if (!rep.failures.empty()) return Violation("the child found: " + rep.failures[0]);
    if (!rep.protocol_error.empty()) return Violation("protocol: " + rep.protocol_error);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
      return Violation("the child ended by itself (status " + std::to_string(status) + ")");
    }

    stats->kills++;
    stats->commits += static_cast<int64_t>(rep.committed.size());
    if (!rep.ready) stats->before_ready++;
    if (rep.pending) stats->pending++;
    if (rep.admin_in_progress == "flush") stats->in_flush++;
    if (rep.admin_in_progress == "compact") stats->in_compact++;
    if (rep.admin_in_progress == "checkpoint") stats->in_checkpoint++;

    if (!Verify(rep, stats)) return false;
    alarm(0);
    if (flags_.verbose) printf("  [%s] %s\n", sync_.c_str(), log_.back().c_str());
    return true;
  }

  bool Verify(const ChildReport& rep, LevelStats* stats) {
    std::string err;
    sqlite3* db = OpenDatabase(db_path_, flags_.ext, &err);
    if (db == nullptr) return Violation("reopen: " + err);
    Model actual;
    const bool read_ok = ReadTable(db, "t", &actual, &err);
    std::vector<std::vector<int64_t>> rows;
    std::string verr;
    const int vrc = read_ok ? Query(db, "SELECT strata_verify('t')", &rows, &verr) : SQLITE_OK;
    sqlite3_close(db);
    if (!read_ok) return Violation("reading the reopened table: " + err);
    if (vrc != SQLITE_OK) return Violation("strata_verify: " + verr);

    Model acked = base_;
    for (const auto& [n, d] : rep.committed) Apply(d, &acked);
    bool ok = actual == acked;
    if (!ok && rep.pending) {
      Model with_pending = acked;
      Apply(rep.pending->second, &with_pending);
      ok = actual == with_pending;
      if (ok) stats->pending_present++;
    }
    if (!ok) {
      // Which prefix of the committed transactions does the table hold?
      std::optional<size_t> prefix;
      Model m = base_;
      if (actual == m) prefix = 0;
      for (size_t j = 0; j < rep.committed.size(); j++) {
        Apply(rep.committed[j].second, &m);
        if (actual == m) prefix = j + 1;
      }
      if (sync_ == "off" && prefix) {
        const int64_t lost = static_cast<int64_t>(rep.committed.size() - *prefix);
        stats->lost_acked += lost;
        stats->kills_with_loss++;
        stats->max_lost = std::max(stats->max_lost, lost);
        ok = true;
      } else {
        std::string what = "the reopened table is not the committed state (" +
                           std::to_string(rep.committed.size()) + " commits acknowledged" +
                           (rep.pending ? ", txn " + std::to_string(rep.pending->first) + " pending"
                                        : std::string()) +
                           ")";
        if (prefix) {
          what += "; it equals the state after the first " + std::to_string(*prefix) +
                  " of them: acknowledged commits were lost";
        } else {
          what += "; it matches no prefix of the committed transactions";
        }
        what += "\n  differences from the acknowledged state:\n" + DescribeDiff(actual, acked, 20);
        return Violation(what);
      }
    }
    // The checkpoint holds the commits acknowledged before it was taken.
    std::optional<Model> cp_expected;
    if (rep.checkpoint) {
      Model m = base_;
      for (size_t j = 0; j < rep.checkpoint->second; j++) Apply(rep.committed[j].second, &m);
      cp_expected = std::move(m);
    }
    base_ = actual;
    if (cp_expected && !VerifyCheckpoint(rep.checkpoint->first, *cp_expected)) return false;
    if (cp_expected) stats->checkpoints_verified++;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(cp_dir_, ec)) fs::remove_all(entry.path(), ec);
    return true;
  }

  // Opens the checkpoint as a store of its own and compares it.
  bool VerifyCheckpoint(const std::string& path, const Model& expected) {
    std::string err;
    sqlite3* db = OpenDatabase(":memory:", flags_.ext, &err);
    if (db == nullptr) return Violation("checkpoint: " + err);
    const std::string sql =
        "CREATE VIRTUAL TABLE cp USING strata(" + TableColumns() + ", path = '" + path + "')";
    Model actual;
    bool ok = Query(db, sql, nullptr, &err) == SQLITE_OK;
    if (ok) ok = ReadTable(db, "cp", &actual, &err);
    if (ok && Query(db, "SELECT strata_verify('cp')", nullptr, &err) != SQLITE_OK) {
      err = "strata_verify: " + err;
      ok = false;
    }
    sqlite3_close(db);
    if (!ok) return Violation("checkpoint " + path + ": " + err);
    if (actual != expected) {
      return Violation("checkpoint " + path +
                       " does not hold the committed state of its moment:\n" +
                       DescribeDiff(actual, expected, 20));
    }
    return true;
  }

  const Flags& flags_;
  std::string sync_;
  std::string dir_;
  std::mt19937_64 rng_;
  uint64_t seed_;
  std::string db_path_;
  std::string cp_dir_;
  Model base_;  // the verified state the next child starts from
  int iteration_ = 0;
  std::deque<std::string> log_;
};

void OnWatchdog(int) {
  static const char kMsg[] = "\nFAIL: sql_crash_test: an iteration took over 120 s (hang?)\n";
  if (write(2, kMsg, sizeof(kMsg) - 1) < 0) {
    // Nothing better to do: we are exiting anyway.
  }
  _exit(1);
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto value = [&](const char* name, std::string* out) {
      const std::string prefix = std::string(name) + "=";
      if (a.compare(0, prefix.size(), prefix) == 0) {
        *out = a.substr(prefix.size());
        return true;
      }
      if (a == name && i + 1 < argc) {
        *out = argv[++i];
        return true;
      }
      return false;
    };
    std::string v;
    if (a == "--child") {
      f->child = true;
    } else if (a == "--verbose") {
      f->verbose = true;
    } else if (value("--iterations", &v)) {
      f->iterations = std::atoi(v.c_str());
    } else if (value("--max-delay-ms", &v)) {
      f->max_delay_ms = std::atoi(v.c_str());
    } else if (value("--seed", &v)) {
      f->seed = std::strtoull(v.c_str(), nullptr, 10);
      f->seed_given = true;
    } else if (value("--dir", &v)) {
      f->dir = v;
    } else if (value("--ext", &v)) {
      f->ext = v;
    } else if (value("--sync", &v)) {
      f->syncs.clear();
      if (v == "all") v = "off,normal,full";
      std::stringstream ss(v);
      std::string level;
      while (std::getline(ss, level, ',')) {
        if (level != "off" && level != "normal" && level != "full") {
          fprintf(stderr, "--sync: '%s' is not off, normal, full or all\n", level.c_str());
          return false;
        }
        f->syncs.push_back(level);
      }
    } else if (value("--child-fd", &v)) {
      f->child_fd = std::atoi(v.c_str());
    } else if (value("--first-txn", &v)) {
      f->first_txn = std::strtoll(v.c_str(), nullptr, 10);
    } else if (value("--db", &v)) {
      f->db_path = v;
    } else if (value("--checkpoint-dir", &v)) {
      f->cp_dir = v;
    } else {
      fprintf(stderr,
              "unknown argument %s\nusage: sql_crash_test [--ext=build/strata.so] "
              "[--iterations=N] [--seed=S] [--dir=D] [--sync=off|normal|full|all] "
              "[--max-delay-ms=50] [--verbose]\n",
              a.c_str());
      return false;
    }
  }
  if (!f->child && (f->iterations <= 0 || f->max_delay_ms < 0)) {
    fprintf(stderr, "--iterations must be positive and --max-delay-ms not negative\n");
    return false;
  }
  return true;
}

int ChildMain(const Flags& f) {
  signal(SIGPIPE, SIG_IGN);
  std::string err;
  sqlite3* db = OpenDatabase(f.db_path, f.ext, &err);
  if (db == nullptr) {
    const std::string line = "F open: " + err + "\n";
    if (write(f.child_fd, line.data(), line.size()) < 0) {
      // The parent is gone; nothing more to say.
    }
    return 3;
  }
  ChildWorkload(db, f.child_fd, f.seed, f.first_txn, f.cp_dir).Run();
}

// The work directory of one sync level: fresh, or one an earlier run of
// this program left (it holds the marker file), which is emptied.
bool PrepareLevelDir(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::exists(dir + "/" + kMarkerFile, ec)) {
      fprintf(stderr, "%s exists and was not made by sql_crash_test; refusing to use it\n",
              dir.c_str());
      return false;
    }
    fs::remove_all(dir, ec);
  }
  fs::create_directories(dir, ec);
  if (ec) {
    fprintf(stderr, "cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
    return false;
  }
  FILE* marker = fopen((dir + "/" + kMarkerFile).c_str(), "w");
  if (marker == nullptr) return false;
  fclose(marker);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  if (flags.child) return ChildMain(flags);

  if (!flags.seed_given) {
    flags.seed = static_cast<uint64_t>(std::random_device{}()) << 32 ^
                 static_cast<uint64_t>(time(nullptr)) ^ static_cast<uint64_t>(getpid());
  }
  std::error_code ec;
  flags.ext = fs::absolute(flags.ext, ec).string();
  if (!fs::exists(flags.ext, ec)) {
    fprintf(stderr, "no extension at %s (build it with make, or pass --ext)\n", flags.ext.c_str());
    return 2;
  }
  bool temporary_dir = false;
  if (flags.dir.empty()) {
    char tmpl[] = "/tmp/sql_crash_test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      perror("mkdtemp");
      return 2;
    }
    flags.dir = tmpl;
    temporary_dir = true;
  }
  flags.dir = fs::absolute(flags.dir, ec).string();
  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, OnWatchdog);
  // sqlite3_close() of the last connection that loaded an extension
  // dlcloses it, while strata's process-wide thread pool still has threads
  // in its code (they crash when they next run). One connection held open
  // for the whole run keeps strata.so loaded.
  std::string err;
  static sqlite3* pin = OpenDatabase(":memory:", flags.ext, &err);  // static: never closed
  if (pin == nullptr) {
    fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  printf("sql_crash_test: seed=%" PRIu64 " iterations=%d per sync level, dir=%s, ext=%s\n",
         flags.seed, flags.iterations, flags.dir.c_str(), flags.ext.c_str());
  fflush(stdout);

  bool ok = true;
  for (const std::string& sync : flags.syncs) {
    const std::string dir = flags.dir + "/" + sync;
    if (!PrepareLevelDir(dir)) return 2;
    LevelStats st;
    const uint64_t start = NowMicros();
    // Each level gets its own stream, so --sync=full alone repeats what the
    // full level of an "all" run did (kill times aside).
    uint64_t level_seed = flags.seed;
    for (char c : sync) level_seed = Mix(level_seed ^ static_cast<uint8_t>(c));
    Parent parent(flags, sync, dir, level_seed);
    const bool level_ok = parent.Run(&st);
    const double secs = static_cast<double>(NowMicros() - start) / 1e6;
    printf("sync=%-6s %s: %d kills in %.1f s, %" PRId64
           " commits acknowledged; kills before the child was ready %d, with a commit pending %d "
           "(present after reopen %d), during flush %d, compaction %d, checkpoint %d; "
           "checkpoints verified %d; acknowledged commits lost %" PRId64
           " (in %d kills, at most %" PRId64 " at once)\n",
           sync.c_str(), level_ok ? "ok" : "FAILED", st.kills, secs, st.commits, st.before_ready,
           st.pending, st.pending_present, st.in_flush, st.in_compact, st.in_checkpoint,
           st.checkpoints_verified, st.lost_acked, st.kills_with_loss, st.max_lost);
    fflush(stdout);
    if (!level_ok) {
      ok = false;
      break;
    }
  }
  if (ok && temporary_dir) fs::remove_all(flags.dir, ec);
  if (!ok) fprintf(stderr, "sql_crash_test: FAILED (seed=%" PRIu64 ")\n", flags.seed);
  return ok ? 0 : 1;
}
