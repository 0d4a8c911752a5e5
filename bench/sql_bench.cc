// sql_bench: the SQL-level benchmark. The same workloads, through the sqlite3
// C API, on a strata virtual table, on native SQLite tables, on a virtual
// table that stores nothing, and on the bare engine API, in one run.
//
// Targets (each runs alone, one after another, in its own directory under
// --dir, so that no target's background work overlaps another's figures):
//   strata        CREATE VIRTUAL TABLE t USING strata(k BLOB PRIMARY KEY, v BLOB)
//                 (default options: 64 MiB memtable, sync = normal), loaded
//                 from --ext with sqlite3_load_extension
//   noop          a virtual table defined here that stores nothing: xUpdate
//                 returns at once, xFilter finds no row. The ceiling of
//                 SQLite's own call path (parsing, VDBE, randomblob, binds).
//   engine        the bare strata::DB API linked from libstrata.a doing the
//                 same logical work with the engine calls the extension
//                 makes (a WriteBatchWithIndex per transaction, INSERT's
//                 conflict check by GetFromBatchAndDB, DB::Write of the
//                 indexed batch, Get, a new iterator per range query), so
//                 the vtab's own overhead (SQLite plus the extension's
//                 encoding, decoding and glue) shows
//   rowid         CREATE TABLE t(k BLOB PRIMARY KEY, v BLOB)
//   worowid       the same WITHOUT ROWID
//   rowid_256m, worowid_256m   the same with PRAGMA cache_size=-262144
// Native tables use PRAGMA journal_mode=WAL, synchronous=NORMAL.
//
// Workloads (random 16-byte keys, 100-byte values, N = --num):
//   fill_sql      one transaction: INSERT INTO t SELECT randomblob(16),
//                 randomblob(100) FROM a recursive CTE of N rows
//   fill_bind     one transaction of N prepared-statement INSERTs with binds
//   fill_batch    N INSERTs with binds in transactions of --batch rows; the
//                 table it leaves is the one the later workloads use
//   replace       N INSERT OR REPLACE over random existing keys, --batch a
//                 transaction
//   point         SELECT v FROM t WHERE k = ?, random existing keys
//   range         SELECT k, v FROM t WHERE k >= ? ORDER BY k LIMIT 100
//   range_bounded SELECT k, v FROM t WHERE k >= ? AND k < ?, the upper bound
//                 taken from the key model so that exactly 100 rows qualify
//   range_desc    SELECT k, v FROM t WHERE k <= ? ORDER BY k DESC LIMIT 100
//   scan          SELECT count(*), sum(length(v)) FROM t (--scans times)
// Every result is checked against a model of the keys and values the run
// wrote (count(*) after each fill, each point read's value, each range's
// keys and row count, the scan's totals); a mismatch prints CHECK FAILED.
// The noop table is expected to return no rows.
//
// After each write workload the strata and engine targets wait until
// background flushes and compactions settle (untimed, reported as
// "settle"), so the next workload starts from a quiet store.
//
// Build (from the repository root, after `make`):
//   g++ -std=c++20 -O2 -DNDEBUG -g -Wall -Wextra -pthread -Iengine/include -Iengine -I.
//       bench/sql_bench.cc build/libstrata.a -lsqlite3 -o build/sql_bench
// Run:
//   build/sql_bench --ext=build/strata.so --num=1000000 --csv=/tmp/sql_bench.csv
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "strata/db.h"
#include "strata/iterator.h"
#include "strata/options.h"
#include "strata/write_batch.h"
#include "strata/write_batch_with_index.h"
#include "util/random.h"

namespace sqlbench {

namespace fs = std::filesystem;

constexpr int kKeySize = 16;
constexpr int kValueSize = 100;
constexpr int kRangeRows = 100;
constexpr size_t kValueBufferSize = 1 << 20;

// ---- flags ------------------------------------------------------------------

const char* const kAllWorkloads[] = {"fill_sql", "fill_bind",     "fill_batch", "replace", "point",
                                     "range",    "range_bounded", "range_desc", "scan"};
const char* const kAllTargets[] = {"strata",  "noop",       "engine",      "rowid",
                                   "worowid", "rowid_256m", "worowid_256m"};

struct Flags {
  int64_t num = 1000000;
  int64_t reads = -1;          // -1: min(num, 1000000)
  int64_t range_queries = -1;  // -1: reads / 10
  int batch = 1000;
  int scans = 3;
  std::string ext = "build/strata.so";
  std::string dir = "/tmp/sql_bench";
  std::string csv;
  std::vector<std::string> targets;
  std::vector<std::string> workloads;
  uint64_t seed = 301;
  bool settle = true;
  bool read_txn = false;
  std::string perf_ctl;                     // "CTL[,ACK]": perf record --control FIFOs
  std::vector<std::string> perf_workloads;  // profile only these (empty: all)
  std::string command_line;
};

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string JoinList(const char* const* items, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; i++) out += (i > 0 ? "," : "") + std::string(items[i]);
  return out;
}

void PrintUsage() {
  std::printf(
      "usage: sql_bench [--flag=value ...]\n"
      "  --num=N              rows per fill (default 1000000)\n"
      "  --reads=N            point SELECTs (default min(num, 1000000))\n"
      "  --range_queries=N    queries of each range workload (default reads/10)\n"
      "  --batch=N            rows per transaction in fill_batch and replace (default 1000)\n"
      "  --scans=N            full-scan aggregates in the scan workload (default 3)\n"
      "  --ext=PATH           the strata extension (default build/strata.so)\n"
      "  --dir=DIR            each target works in DIR/<target>, wiped first\n"
      "                       (default /tmp/sql_bench)\n"
      "  --targets=a,b,...    default %s\n"
      "  --workloads=a,b,...  default %s\n"
      "  --seed=N             base seed of the key sequences (default 301)\n"
      "  --settle=0|1         wait for strata's background work after writes (default 1)\n"
      "  --read_txn=0|1       run each read workload inside one BEGIN ... COMMIT instead of\n"
      "                       one autocommit statement per query (default 0)\n"
      "  --perf_ctl=CTL[,ACK] write enable/disable to these FIFOs around each timed\n"
      "                       workload, for perf record -D -1 --control=fifo:CTL,ACK\n"
      "  --perf_workloads=a,b only these workloads are profiled (default: all)\n"
      "  --csv=FILE           also write the results as CSV\n",
      JoinList(kAllTargets, std::size(kAllTargets)).c_str(),
      JoinList(kAllWorkloads, std::size(kAllWorkloads)).c_str());
}

bool ParseInt(const std::string& text, int64_t min, int64_t* out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < min) return false;
  *out = v;
  return true;
}

bool Contains(const char* const* items, size_t n, const std::string& s) {
  for (size_t i = 0; i < n; i++) {
    if (s == items[i]) return true;
  }
  return false;
}

// Returns false (after printing why) on a bad command line.
bool ParseFlags(int argc, char** argv, Flags* flags) {
  std::string targets = JoinList(kAllTargets, std::size(kAllTargets));
  std::string workloads = JoinList(kAllWorkloads, std::size(kAllWorkloads));
  for (int i = 0; i < argc; i++) flags->command_line += (i > 0 ? " " : "") + std::string(argv[i]);
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      PrintUsage();
      std::exit(0);
    }
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "sql_bench: bad argument '%s' (want --flag=value)\n", arg.c_str());
      return false;
    }
    std::string name = arg.substr(2, eq - 2);
    std::string value = arg.substr(eq + 1);
    int64_t n = 0;
    bool ok = true;
    if (name == "num") {
      ok = ParseInt(value, 1, &flags->num);
    } else if (name == "reads") {
      ok = ParseInt(value, 0, &flags->reads);
    } else if (name == "range_queries") {
      ok = ParseInt(value, 0, &flags->range_queries);
    } else if (name == "batch") {
      ok = ParseInt(value, 1, &n) && n <= 10000000;
      flags->batch = static_cast<int>(n);
    } else if (name == "scans") {
      ok = ParseInt(value, 1, &n) && n <= 1000;
      flags->scans = static_cast<int>(n);
    } else if (name == "ext") {
      flags->ext = value;
    } else if (name == "dir") {
      ok = !value.empty();
      flags->dir = value;
    } else if (name == "csv") {
      flags->csv = value;
    } else if (name == "targets") {
      targets = value;
    } else if (name == "workloads") {
      workloads = value;
    } else if (name == "seed") {
      ok = ParseInt(value, 0, &n);
      flags->seed = static_cast<uint64_t>(n);
    } else if (name == "settle") {
      ok = ParseInt(value, 0, &n) && n <= 1;
      flags->settle = n == 1;
    } else if (name == "perf_ctl") {
      flags->perf_ctl = value;
    } else if (name == "perf_workloads") {
      flags->perf_workloads = SplitList(value);
    } else if (name == "read_txn") {
      ok = ParseInt(value, 0, &n) && n <= 1;
      flags->read_txn = n == 1;
    } else {
      std::fprintf(stderr, "sql_bench: unknown flag --%s (see --help)\n", name.c_str());
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "sql_bench: bad value for --%s: '%s'\n", name.c_str(), value.c_str());
      return false;
    }
  }
  flags->targets = SplitList(targets);
  flags->workloads = SplitList(workloads);
  for (const std::string& t : flags->targets) {
    if (!Contains(kAllTargets, std::size(kAllTargets), t)) {
      std::fprintf(stderr, "sql_bench: unknown target '%s'; known: %s\n", t.c_str(),
                   JoinList(kAllTargets, std::size(kAllTargets)).c_str());
      return false;
    }
  }
  for (const std::string& w : flags->workloads) {
    if (!Contains(kAllWorkloads, std::size(kAllWorkloads), w)) {
      std::fprintf(stderr, "sql_bench: unknown workload '%s'; known: %s\n", w.c_str(),
                   JoinList(kAllWorkloads, std::size(kAllWorkloads)).c_str());
      return false;
    }
  }
  if (flags->reads < 0) flags->reads = std::min<int64_t>(flags->num, 1000000);
  if (flags->range_queries < 0) flags->range_queries = std::max<int64_t>(1, flags->reads / 10);
  return true;
}

// ---- the model of what a target holds ---------------------------------------

using Key = std::array<uint8_t, kKeySize>;

// The keys and values written by fill_batch and replace, so that every read
// can be checked. Keys are random, distinct, and fixed for the run; values
// are 100-byte windows of one random buffer, identified by their offset.
struct Model {
  std::vector<Key> keys;               // key i, in insertion order
  std::vector<Key> sorted;             // the same keys in byte order
  std::vector<uint32_t> value_offset;  // current value of key i
  std::string values;                  // kValueBufferSize random bytes

  void Init(int64_t n, uint64_t seed) {
    strata::Random rnd(seed);
    keys.resize(n);
    for (Key& k : keys) {
      uint64_t a = rnd.Next64(), b = rnd.Next64();
      std::memcpy(k.data(), &a, 8);
      std::memcpy(k.data() + 8, &b, 8);
    }
    sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    values.resize(kValueBufferSize);
    for (size_t i = 0; i < values.size(); i += 8) {
      uint64_t v = rnd.Next64();
      std::memcpy(&values[i], &v, std::min<size_t>(8, values.size() - i));
    }
    value_offset.resize(n);
    ResetValues();
  }
  bool KeysDistinct() const {
    return std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
  }
  // The values fill_batch writes.
  void ResetValues() {
    for (size_t i = 0; i < value_offset.size(); i++) value_offset[i] = InitialOffset(i);
  }
  static uint32_t InitialOffset(uint64_t i) {
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;
    x ^= x >> 31;
    return static_cast<uint32_t>(x % (kValueBufferSize - kValueSize));
  }
  const char* Value(uint32_t offset) const { return values.data() + offset; }
  // Index in `sorted` of the first key >= probe / > probe.
  size_t LowerBound(const Key& probe) const {
    return std::lower_bound(sorted.begin(), sorted.end(), probe) - sorted.begin();
  }
  size_t UpperBound(const Key& probe) const {
    return std::upper_bound(sorted.begin(), sorted.end(), probe) - sorted.begin();
  }
};

Key RandomKey(strata::Random* rnd) {
  Key k;
  uint64_t a = rnd->Next64(), b = rnd->Next64();
  std::memcpy(k.data(), &a, 8);
  std::memcpy(k.data() + 8, &b, 8);
  return k;
}

// Each workload's random sequence depends only on --seed and its name, so
// every target sees the same keys in the same order.
uint64_t WorkloadSeed(uint64_t seed, const std::string& workload) {
  uint64_t h = 1469598103934665603ull;
  for (char c : workload) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return seed ^ h;
}

// ---- results ----------------------------------------------------------------

struct Result {
  bool ran = false;
  std::string error;  // the workload could not run at all
  std::string check;  // empty: every check passed
  int64_t ops = 0;    // rows written, queries or rows scanned (see Unit)
  int64_t rows = 0;   // rows written or returned
  double seconds = 0;
  double cpu_seconds = 0;      // user + system of the whole process
  double settle_seconds = -1;  // background work after the workload; -1: n/a
  std::string note;
  double OpsPerSec() const { return seconds > 0 ? ops / seconds : 0; }
  double RowsPerSec() const { return seconds > 0 ? rows / seconds : 0; }
  bool Usable() const { return ran && error.empty() && seconds > 0; }
};

const char* Unit(const std::string& workload) {
  if (workload == "point" || workload.rfind("range", 0) == 0) return "queries";
  return "rows";
}

bool IsWrite(const std::string& workload) {
  return workload.rfind("fill", 0) == 0 || workload == "replace";
}

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()), cpu_start_(CpuSeconds()) {}
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  double Cpu() const { return CpuSeconds() - cpu_start_; }
  static double CpuSeconds() {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
  }

 private:
  std::chrono::steady_clock::time_point start_;
  double cpu_start_;
};

// Appends a check failure (the first few only) to result->check.
void Fail(Result* r, const std::string& what) {
  if (r->check.size() < 300) r->check += (r->check.empty() ? "" : "; ") + what;
}

// ---- background work --------------------------------------------------------

// Pulls a number out of flat JSON ("name":123); -1 if absent.
int64_t JsonInt(const std::string& json, const std::string& name) {
  size_t pos = json.find("\"" + name + "\":");
  if (pos == std::string::npos) return -1;
  return std::strtoll(json.c_str() + pos + name.size() + 3, nullptr, 10);
}

std::string JsonString(const std::string& json, const std::string& name) {
  size_t pos = json.find("\"" + name + "\":\"");
  if (pos == std::string::npos) return "";
  pos += name.size() + 4;
  size_t end = json.find('"', pos);
  return end == std::string::npos ? "" : json.substr(pos, end - pos);
}

// What a store reports about its shape: the stats JSON and per level
// (files, bytes). Filled either from the engine's properties or through SQL.
struct StoreShape {
  std::string stats;
  std::vector<std::pair<int64_t, double>> levels;
};

// True when the store needs no flush or compaction under the default
// options (L0 below its trigger of 4 files, L1.. below 256 MiB x 10^(n-1)).
bool ShapeSettled(const StoreShape& s) {
  if (JsonInt(s.stats, "immutable_memtables") > 0) return false;
  if (!s.levels.empty() && s.levels[0].first >= 4) return false;
  double target = 256.0 * 1048576;
  for (size_t level = 1; level + 1 < s.levels.size(); level++) {
    if (s.levels[level].second >= target) return false;
    target *= 10;
  }
  return true;
}

// Waits until the shape is settled and no flush or compaction finished for
// 200 ms. Returns the seconds waited, or -1 (with *error) on failure.
double WaitForSettle(const std::function<bool(StoreShape*)>& read, std::string* error) {
  Stopwatch sw;
  int64_t last = -1;
  int streak = 0;
  while (sw.Seconds() < 1800) {
    StoreShape shape;
    if (!read(&shape)) {
      *error = "cannot read the store's stats";
      return -1;
    }
    const std::string bg = JsonString(shape.stats, "background_error");
    if (!bg.empty()) {
      *error = "background error: " + bg;
      return -1;
    }
    const int64_t progress = JsonInt(shape.stats, "flushes") + JsonInt(shape.stats, "compactions") +
                             JsonInt(shape.stats, "trivial_moves");
    const bool idle = progress == last && ShapeSettled(shape);
    last = progress;
    streak = idle ? streak + 1 : 0;
    if (streak >= 10) return sw.Seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *error = "background work did not settle in 30 minutes";
  return -1;
}

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2)) bytes += it->file_size(ec2);
  }
  return bytes;
}

// ---- the no-op virtual table ------------------------------------------------
//
// Declared exactly as strata declares `strata(k BLOB PRIMARY KEY, v BLOB)`
// (WITHOUT ROWID, constraint support on), planning like strata (key
// equality unique, key bounds and ORDER BY consumed, LIMIT pushed down), so
// SQLite runs the same call path; every callback does nothing.

struct NoopVtab {
  sqlite3_vtab base;
};
struct NoopCursor {
  sqlite3_vtab_cursor base;
};

int NoopConnect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char** err) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("noop: %s", sqlite3_errmsg(db));
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  auto* vt = new NoopVtab;
  std::memset(&vt->base, 0, sizeof(vt->base));
  *out = &vt->base;
  return SQLITE_OK;
}

int NoopDisconnect(sqlite3_vtab* vtab) {
  delete reinterpret_cast<NoopVtab*>(vtab);
  return SQLITE_OK;
}

int NoopBestIndex(sqlite3_vtab*, sqlite3_index_info* info) {
  int argv_index = 0;
  bool eq = false, all_used = true;
  double cost = 1e6;
  for (int i = 0; i < info->nConstraint; i++) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn != 0) continue;
    if (c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
      eq = true;
    } else if (c.op != SQLITE_INDEX_CONSTRAINT_GE && c.op != SQLITE_INDEX_CONSTRAINT_GT &&
               c.op != SQLITE_INDEX_CONSTRAINT_LE && c.op != SQLITE_INDEX_CONSTRAINT_LT) {
      continue;
    }
    info->aConstraintUsage[i].argvIndex = ++argv_index;
    info->aConstraintUsage[i].omit = 1;
    cost = eq ? 1 : 100;
  }
  for (int i = 0; i < info->nConstraint; i++) {
    const auto& c = info->aConstraint[i];
    if (c.op != SQLITE_INDEX_CONSTRAINT_LIMIT && c.op != SQLITE_INDEX_CONSTRAINT_OFFSET &&
        !info->aConstraintUsage[i].omit) {
      all_used = false;
    }
  }
  if (eq) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == 0) info->orderByConsumed = 1;
  if (all_used && (info->nOrderBy == 0 || info->orderByConsumed)) {
    for (int i = 0; i < info->nConstraint; i++) {
      const auto& c = info->aConstraint[i];
      if (c.usable && c.op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
        info->aConstraintUsage[i].argvIndex = ++argv_index;
        info->aConstraintUsage[i].omit = 1;
      }
    }
  }
  info->estimatedCost = cost;
  info->estimatedRows = eq ? 1 : 100;
  return SQLITE_OK;
}

int NoopOpen(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new NoopCursor;
  std::memset(&c->base, 0, sizeof(c->base));
  *out = &c->base;
  return SQLITE_OK;
}
int NoopClose(sqlite3_vtab_cursor* cursor) {
  delete reinterpret_cast<NoopCursor*>(cursor);
  return SQLITE_OK;
}
int NoopFilter(sqlite3_vtab_cursor*, int, const char*, int, sqlite3_value**) { return SQLITE_OK; }
int NoopNext(sqlite3_vtab_cursor*) { return SQLITE_OK; }
int NoopEof(sqlite3_vtab_cursor*) { return 1; }
int NoopColumn(sqlite3_vtab_cursor*, sqlite3_context* ctx, int) {
  sqlite3_result_null(ctx);
  return SQLITE_OK;
}
int NoopRowid(sqlite3_vtab_cursor*, sqlite3_int64* rowid) {
  *rowid = 0;
  return SQLITE_OK;
}
int NoopUpdate(sqlite3_vtab*, int, sqlite3_value**, sqlite3_int64*) { return SQLITE_OK; }
int NoopTxn(sqlite3_vtab*) { return SQLITE_OK; }
int NoopSavepoint(sqlite3_vtab*, int) { return SQLITE_OK; }
int NoopRename(sqlite3_vtab*, const char*) { return SQLITE_OK; }

const sqlite3_module kNoopModule = {
    /* iVersion      */ 2,
    /* xCreate       */ NoopConnect,
    /* xConnect      */ NoopConnect,
    /* xBestIndex    */ NoopBestIndex,
    /* xDisconnect   */ NoopDisconnect,
    /* xDestroy      */ NoopDisconnect,
    /* xOpen         */ NoopOpen,
    /* xClose        */ NoopClose,
    /* xFilter       */ NoopFilter,
    /* xNext         */ NoopNext,
    /* xEof          */ NoopEof,
    /* xColumn       */ NoopColumn,
    /* xRowid        */ NoopRowid,
    /* xUpdate       */ NoopUpdate,
    /* xBegin        */ NoopTxn,
    /* xSync         */ NoopTxn,
    /* xCommit       */ NoopTxn,
    /* xRollback     */ NoopTxn,
    /* xFindFunction */ nullptr,
    /* xRename       */ NoopRename,
    /* xSavepoint    */ NoopSavepoint,
    /* xRelease      */ NoopSavepoint,
    /* xRollbackTo   */ NoopSavepoint,
    /* xShadowName   */ nullptr,
#if SQLITE_VERSION_NUMBER >= 3044000
    /* xIntegrity    */ nullptr,
#endif
};

// ---- targets ----------------------------------------------------------------

// One thing the workloads run against. Reset() leaves an empty table (or
// store) in a freshly wiped directory; every other call is one workload.
class Target {
 public:
  Target(std::string name, std::string dir) : name_(std::move(name)), dir_(std::move(dir)) {}
  virtual ~Target() = default;
  const std::string& name() const { return name_; }
  const std::string& dir() const { return dir_; }
  // False for the no-op table: reads return nothing, counts are 0.
  virtual bool StoresRows() const { return true; }
  virtual std::string Describe() const = 0;
  virtual bool Reset(std::string* error) = 0;
  virtual void Close() = 0;
  // Number of rows and sum of value lengths, untimed (for checks).
  virtual bool Count(int64_t* rows, int64_t* bytes, std::string* error) = 0;
  // Waits for background work; -1 if the target has none.
  virtual double Settle(std::string* error) = 0;
  // A line about the target's storage after writes (space, amplification).
  virtual std::string SpaceReport() { return "space " + Mib(DirectoryBytes(dir_)); }

  // The workloads. Each fills in ops, rows, and check failures; the caller
  // times the call.
  virtual void FillSql(int64_t n, Result* r) = 0;
  virtual void FillKeys(const Model& m, int64_t batch, bool replace, uint64_t seed, Result* r) = 0;
  virtual void Point(const Model& m, int64_t queries, uint64_t seed, Result* r) = 0;
  // kind: 0 ascending with LIMIT, 1 bounded [probe, upper), 2 descending.
  virtual void Range(const Model& m, int kind, int64_t queries, uint64_t seed, Result* r) = 0;
  virtual void Scan(int scans, Result* r) = 0;

  static std::string Mib(uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f MiB", bytes / 1048576.0);
    return buf;
  }

 protected:
  bool WipeDir(std::string* error) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (ec) {
      *error = "cannot remove " + dir_ + ": " + ec.message();
      return false;
    }
    fs::create_directories(dir_, ec);
    if (ec) {
      *error = "cannot create " + dir_ + ": " + ec.message();
      return false;
    }
    return true;
  }

  const std::string name_;
  const std::string dir_;
};

// A prepared statement, finalized on destruction.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }
  bool Prepare(sqlite3* db, const std::string& sql, std::string* error) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      *error = "prepare '" + sql + "': " + sqlite3_errmsg(db);
      return false;
    }
    return true;
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

enum class SqlKind { kStrata, kNoop, kRowid, kWithoutRowid };

class SqlTarget : public Target {
 public:
  SqlTarget(std::string name, std::string dir, SqlKind kind, bool big_cache, std::string ext,
            bool read_txn)
      : Target(std::move(name), std::move(dir)),
        kind_(kind),
        big_cache_(big_cache),
        read_txn_(read_txn),
        ext_(std::move(ext)) {}
  ~SqlTarget() override { Close(); }

  bool StoresRows() const override { return kind_ != SqlKind::kNoop; }

  std::string Describe() const override {
    std::string d = CreateSql();
    if (kind_ == SqlKind::kRowid || kind_ == SqlKind::kWithoutRowid) {
      d += big_cache_ ? "; cache_size=-262144 (256 MiB)" : "; default page cache";
    }
    return d + "; journal_mode=WAL, synchronous=NORMAL";
  }

  bool Reset(std::string* error) override {
    Close();
    if (!WipeDir(error)) return false;
    const std::string file = dir_ + "/bench.db";
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) {
      *error = "open " + file + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory");
      return false;
    }
    if (kind_ == SqlKind::kStrata) {
      sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
      char* err = nullptr;
      if (sqlite3_load_extension(db_, ext_.c_str(), nullptr, &err) != SQLITE_OK) {
        *error = "load_extension(" + ext_ + "): " + (err ? err : "?");
        sqlite3_free(err);
        return false;
      }
    } else if (kind_ == SqlKind::kNoop) {
      if (sqlite3_create_module_v2(db_, "noop", &kNoopModule, nullptr, nullptr) != SQLITE_OK) {
        *error = std::string("create_module: ") + sqlite3_errmsg(db_);
        return false;
      }
    }
    std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
    if (big_cache_) pragmas += " PRAGMA cache_size=-262144;";
    return Exec(pragmas, error) && Exec(CreateSql(), error);
  }

  void Close() override {
    if (db_ != nullptr) {
      sqlite3_close_v2(db_);
      db_ = nullptr;
    }
  }

  bool Count(int64_t* rows, int64_t* bytes, std::string* error) override {
    Stmt s;
    if (!s.Prepare(db_, "SELECT count(*), sum(length(v)) FROM t", error)) return false;
    if (sqlite3_step(s.get()) != SQLITE_ROW) {
      *error = std::string("count: ") + sqlite3_errmsg(db_);
      return false;
    }
    *rows = sqlite3_column_int64(s.get(), 0);
    *bytes = sqlite3_column_int64(s.get(), 1);
    return true;
  }

  double Settle(std::string* error) override {
    if (kind_ != SqlKind::kStrata) return -1;
    return WaitForSettle([this](StoreShape* shape) { return ReadShape(shape); }, error);
  }

  std::string SpaceReport() override {
    std::string out = Target::SpaceReport();
    StoreShape shape;
    if (kind_ == SqlKind::kStrata && ReadShape(&shape)) {
      char buf[160];
      std::snprintf(buf, sizeof(buf), "; strata: live tables %s, files per level %s, WA %.2f",
                    Mib(JsonInt(shape.stats, "live_table_bytes")).c_str(),
                    JsonString(shape.stats, "files_per_level").c_str(),
                    JsonDouble(shape.stats, "write_amplification"));
      out += buf;
    }
    return out;
  }

  void FillSql(int64_t n, Result* r) override {
    std::string error;
    const std::string sql =
        "INSERT INTO t SELECT randomblob(16), randomblob(100) FROM (WITH RECURSIVE c(i) AS "
        "(SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<" +
        std::to_string(n) + ") SELECT i FROM c)";
    if (!Exec("BEGIN", &error) || !Exec(sql, &error) || !Exec("COMMIT", &error)) {
      r->error = error;
      return;
    }
    r->ops = r->rows = n;
  }

  void FillKeys(const Model& m, int64_t batch, bool replace, uint64_t seed, Result* r) override {
    std::string error;
    Stmt ins;
    if (!ins.Prepare(
            db_,
            std::string(replace ? "INSERT OR REPLACE" : "INSERT") + " INTO t(k, v) VALUES (?, ?)",
            &error)) {
      r->error = error;
      return;
    }
    strata::Random rnd(seed);
    const int64_t n = static_cast<int64_t>(m.keys.size());
    int64_t in_txn = 0;
    for (int64_t i = 0; i < n; i++) {
      if (in_txn == 0 && !Exec("BEGIN", &error)) break;
      size_t k = replace ? rnd.Uniform(n) : i;
      const uint32_t off = replace
                               ? static_cast<uint32_t>(rnd.Uniform(kValueBufferSize - kValueSize))
                               : Model::InitialOffset(i);
      sqlite3_bind_blob(ins.get(), 1, m.keys[k].data(), kKeySize, SQLITE_STATIC);
      sqlite3_bind_blob(ins.get(), 2, m.Value(off), kValueSize, SQLITE_STATIC);
      if (sqlite3_step(ins.get()) != SQLITE_DONE) {
        error = std::string("insert: ") + sqlite3_errmsg(db_);
        break;
      }
      sqlite3_reset(ins.get());
      if (++in_txn == batch || i + 1 == n) {
        if (!Exec("COMMIT", &error)) break;
        in_txn = 0;
      }
    }
    if (!error.empty()) {
      r->error = error;
      Exec("ROLLBACK", &error);
      return;
    }
    r->ops = r->rows = n;
  }

  void Point(const Model& m, int64_t queries, uint64_t seed, Result* r) override {
    Stmt q;
    if (!q.Prepare(db_, "SELECT v FROM t WHERE k = ?", &r->error)) return;
    ReadTxn txn(this);
    strata::Random rnd(seed);
    const int64_t n = static_cast<int64_t>(m.keys.size());
    const int expect = StoresRows() ? 1 : 0;
    int64_t found = 0, wrong = 0;
    for (int64_t i = 0; i < queries; i++) {
      const size_t k = rnd.Uniform(n);
      sqlite3_bind_blob(q.get(), 1, m.keys[k].data(), kKeySize, SQLITE_STATIC);
      int rows = 0, rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        rows++;
        const void* v = sqlite3_column_blob(q.get(), 0);
        if (sqlite3_column_bytes(q.get(), 0) != kValueSize ||
            std::memcmp(v, m.Value(m.value_offset[k]), kValueSize) != 0) {
          wrong++;
        }
      }
      if (rc != SQLITE_DONE) {
        r->error = std::string("point select: ") + sqlite3_errmsg(db_);
        return;
      }
      sqlite3_reset(q.get());
      found += rows;
      if (rows != expect)
        Fail(r, "key " + std::to_string(k) + ": " + std::to_string(rows) + " rows");
    }
    if (wrong > 0) Fail(r, std::to_string(wrong) + " wrong values");
    r->ops = queries;
    r->rows = found;
  }

  void Range(const Model& m, int kind, int64_t queries, uint64_t seed, Result* r) override {
    static const char* const kSql[] = {
        "SELECT k, v FROM t WHERE k >= ? ORDER BY k LIMIT 100",
        "SELECT k, v FROM t WHERE k >= ? AND k < ?",
        "SELECT k, v FROM t WHERE k <= ? ORDER BY k DESC LIMIT 100",
    };
    Stmt q;
    if (!q.Prepare(db_, kSql[kind], &r->error)) return;
    ReadTxn txn(this);
    strata::Random rnd(seed);
    const size_t n = m.sorted.size();
    static const uint8_t kTop[kKeySize + 1] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                               0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    int64_t total = 0, bad_keys = 0, bad_values = 0;
    for (int64_t i = 0; i < queries; i++) {
      const Key probe = RandomKey(&rnd);
      sqlite3_bind_blob(q.get(), 1, probe.data(), kKeySize, SQLITE_STATIC);
      size_t first;  // index in sorted of the first expected row
      size_t expect;
      if (kind == 2) {
        first = m.UpperBound(probe);
        expect = std::min<size_t>(kRangeRows, first);
      } else {
        first = m.LowerBound(probe);
        expect = std::min<size_t>(kRangeRows, n - first);
      }
      if (kind == 1) {
        if (first + kRangeRows < n) {
          sqlite3_bind_blob(q.get(), 2, m.sorted[first + kRangeRows].data(), kKeySize,
                            SQLITE_STATIC);
        } else {
          sqlite3_bind_blob(q.get(), 2, kTop, sizeof(kTop), SQLITE_STATIC);
        }
      }
      size_t rows = 0;
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        const void* k = sqlite3_column_blob(q.get(), 0);
        const int klen = sqlite3_column_bytes(q.get(), 0);
        sqlite3_column_blob(q.get(), 1);
        if (sqlite3_column_bytes(q.get(), 1) != kValueSize) bad_values++;
        // Ordered plans must give exactly the model's keys in order; the
        // bounded one (no ORDER BY) any order of exactly those keys.
        const size_t want = kind == 2 ? first - 1 - rows : first + rows;
        if (kind == 1) {
          if (klen != kKeySize || std::memcmp(k, probe.data(), kKeySize) < 0 ||
              (first + kRangeRows < n &&
               std::memcmp(k, m.sorted[first + kRangeRows].data(), kKeySize) >= 0)) {
            bad_keys++;
          }
        } else if (rows >= expect || klen != kKeySize ||
                   std::memcmp(k, m.sorted[want].data(), kKeySize) != 0) {
          bad_keys++;
        }
        rows++;
      }
      if (rc != SQLITE_DONE) {
        r->error = std::string("range select: ") + sqlite3_errmsg(db_);
        return;
      }
      sqlite3_reset(q.get());
      total += rows;
      if (rows != (StoresRows() ? expect : 0)) {
        Fail(r, "query " + std::to_string(i) + ": " + std::to_string(rows) + " rows, expected " +
                    std::to_string(StoresRows() ? expect : 0));
      }
    }
    if (bad_keys > 0) Fail(r, std::to_string(bad_keys) + " rows with wrong keys");
    if (bad_values > 0) Fail(r, std::to_string(bad_values) + " rows with wrong value sizes");
    r->ops = queries;
    r->rows = total;
  }

  void Scan(int scans, Result* r) override {
    Stmt q;
    if (!q.Prepare(db_, "SELECT count(*), sum(length(v)) FROM t", &r->error)) return;
    scan_rows_.clear();
    scan_bytes_.clear();
    ReadTxn txn(this);
    for (int i = 0; i < scans; i++) {
      if (sqlite3_step(q.get()) != SQLITE_ROW) {
        r->error = std::string("scan: ") + sqlite3_errmsg(db_);
        return;
      }
      const int64_t rows = sqlite3_column_int64(q.get(), 0);
      const int64_t bytes = sqlite3_column_int64(q.get(), 1);
      sqlite3_reset(q.get());
      r->rows += rows;
      r->ops += rows;
      scan_rows_.push_back(rows);
      scan_bytes_.push_back(bytes);
    }
  }

  // What the scans saw (checked by the caller against the model).
  std::vector<int64_t> scan_rows_, scan_bytes_;

 private:
  std::string CreateSql() const {
    switch (kind_) {
      case SqlKind::kStrata:
        return "CREATE VIRTUAL TABLE t USING strata(k BLOB PRIMARY KEY, v BLOB)";
      case SqlKind::kNoop:
        return "CREATE VIRTUAL TABLE t USING noop(k BLOB PRIMARY KEY, v BLOB)";
      case SqlKind::kRowid:
        return "CREATE TABLE t(k BLOB PRIMARY KEY, v BLOB)";
      case SqlKind::kWithoutRowid:
        return "CREATE TABLE t(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID";
    }
    return "";
  }

  bool Exec(const std::string& sql, std::string* error) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      *error = sql.substr(0, 60) + ": " + (err ? err : "?");
      sqlite3_free(err);
      return false;
    }
    return true;
  }

  static double JsonDouble(const std::string& json, const std::string& name) {
    size_t pos = json.find("\"" + name + "\":");
    if (pos == std::string::npos) return -1;
    return std::strtod(json.c_str() + pos + name.size() + 3, nullptr);
  }

  bool ReadShape(StoreShape* shape) {
    std::string error;
    Stmt s;
    if (!s.Prepare(db_, "SELECT strata_stats('t')", &error) ||
        sqlite3_step(s.get()) != SQLITE_ROW) {
      return false;
    }
    const unsigned char* text = sqlite3_column_text(s.get(), 0);
    shape->stats = text ? reinterpret_cast<const char*>(text) : "";
    Stmt l;
    if (!l.Prepare(db_, "SELECT level, files, bytes FROM strata_levels('t') ORDER BY level",
                   &error)) {
      return false;
    }
    while (sqlite3_step(l.get()) == SQLITE_ROW) {
      shape->levels.emplace_back(sqlite3_column_int64(l.get(), 1),
                                 sqlite3_column_double(l.get(), 2));
    }
    return true;
  }

  // Brackets a read workload in BEGIN ... COMMIT when read_txn_ is set.
  class ReadTxn {
   public:
    explicit ReadTxn(SqlTarget* t) : t_(t->read_txn_ ? t : nullptr) {
      std::string error;
      if (t_ != nullptr) t_->Exec("BEGIN", &error);
    }
    ~ReadTxn() {
      std::string error;
      if (t_ != nullptr) t_->Exec("COMMIT", &error);
    }

   private:
    SqlTarget* t_;
  };

  const SqlKind kind_;
  const bool big_cache_;
  const bool read_txn_;
  const std::string ext_;
  sqlite3* db_ = nullptr;
};

// The bare engine: the same logical work through strata::DB, with the
// options the extension uses by default.
class EngineTarget : public Target {
 public:
  EngineTarget(std::string name, std::string dir) : Target(std::move(name), std::move(dir)) {}
  ~EngineTarget() override { Close(); }

  std::string Describe() const override {
    return "strata::DB " + std::string(strata::LibraryVersion()) +
           ": default Options (64 MiB memtable, shared 32 MiB block cache, 10-bit Bloom), "
           "WriteOptions sync=false (as sync = normal), keys and values stored raw; writes as "
           "the extension makes them: a WriteBatchWithIndex per transaction, INSERT's conflict "
           "check by GetFromBatchAndDB, DB::Write(WriteBatchWithIndex*); reads by Get and a new "
           "iterator per query";
  }

  bool Reset(std::string* error) override {
    Close();
    if (!WipeDir(error)) return false;
    strata::Status s = strata::DB::Open(strata::Options(), dir_ + "/store", &db_);
    if (!s.ok()) {
      *error = "open: " + s.ToString();
      return false;
    }
    return true;
  }

  void Close() override { db_.reset(); }

  bool Count(int64_t* rows, int64_t* bytes, std::string* error) override {
    std::unique_ptr<strata::Iterator> it(db_->NewIterator(strata::ReadOptions()));
    *rows = *bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++*rows;
      *bytes += it->value().size();
    }
    if (!it->status().ok()) {
      *error = "count: " + it->status().ToString();
      return false;
    }
    return true;
  }

  double Settle(std::string* error) override {
    return WaitForSettle([this](StoreShape* shape) { return ReadShape(shape); }, error);
  }

  std::string SpaceReport() override {
    std::string out = Target::SpaceReport();
    StoreShape shape;
    if (ReadShape(&shape)) {
      char buf[160];
      std::snprintf(buf, sizeof(buf), "; live tables %s, files per level %s",
                    Mib(JsonInt(shape.stats, "live_table_bytes")).c_str(),
                    JsonString(shape.stats, "files_per_level").c_str());
      out += buf;
    }
    return out;
  }

  // n random rows in one transaction: what INSERT ... SELECT randomblob()
  // asks of a store.
  void FillSql(int64_t n, Result* r) override {
    strata::Random rnd(0x5eed ^ static_cast<uint64_t>(n));
    std::string values(kValueBufferSize, '\0');
    for (char& c : values) c = static_cast<char>(rnd.Next());
    Key k;
    WriteRows(
        n, n, true,
        [&](int64_t, strata::Slice* key, strata::Slice* value) {
          k = RandomKey(&rnd);
          *key = strata::Slice(reinterpret_cast<const char*>(k.data()), kKeySize);
          *value =
              strata::Slice(values.data() + rnd.Uniform(kValueBufferSize - kValueSize), kValueSize);
        },
        r);
  }

  void FillKeys(const Model& m, int64_t batch_size, bool replace, uint64_t seed,
                Result* r) override {
    strata::Random rnd(seed);
    const int64_t n = static_cast<int64_t>(m.keys.size());
    WriteRows(
        n, batch_size, !replace,
        [&](int64_t i, strata::Slice* key, strata::Slice* value) {
          const size_t k = replace ? rnd.Uniform(n) : i;
          const uint32_t off =
              replace ? static_cast<uint32_t>(rnd.Uniform(kValueBufferSize - kValueSize))
                      : Model::InitialOffset(i);
          *key = strata::Slice(reinterpret_cast<const char*>(m.keys[k].data()), kKeySize);
          *value = strata::Slice(m.Value(off), kValueSize);
        },
        r);
  }

  void Point(const Model& m, int64_t queries, uint64_t seed, Result* r) override {
    strata::Random rnd(seed);
    const int64_t n = static_cast<int64_t>(m.keys.size());
    std::string value;
    int64_t found = 0, wrong = 0;
    const strata::ReadOptions ro;
    for (int64_t i = 0; i < queries; i++) {
      const size_t k = rnd.Uniform(n);
      strata::Status s = db_->Get(
          ro, strata::Slice(reinterpret_cast<const char*>(m.keys[k].data()), kKeySize), &value);
      if (s.ok()) {
        found++;
        if (value.size() != kValueSize ||
            std::memcmp(value.data(), m.Value(m.value_offset[k]), kValueSize) != 0) {
          wrong++;
        }
      } else if (s.IsNotFound()) {
        Fail(r, "key " + std::to_string(k) + " not found");
      } else {
        r->error = "get: " + s.ToString();
        return;
      }
    }
    if (wrong > 0) Fail(r, std::to_string(wrong) + " wrong values");
    r->ops = queries;
    r->rows = found;
  }

  // A new iterator per query, as each SQL statement takes its own snapshot.
  void Range(const Model& m, int kind, int64_t queries, uint64_t seed, Result* r) override {
    strata::Random rnd(seed);
    const size_t n = m.sorted.size();
    int64_t total = 0, bad_keys = 0, bad_values = 0;
    for (int64_t i = 0; i < queries; i++) {
      const Key probe = RandomKey(&rnd);
      const strata::Slice probe_slice(reinterpret_cast<const char*>(probe.data()), kKeySize);
      size_t first, expect;
      if (kind == 2) {
        first = m.UpperBound(probe);
        expect = std::min<size_t>(kRangeRows, first);
      } else {
        first = m.LowerBound(probe);
        expect = std::min<size_t>(kRangeRows, n - first);
      }
      strata::ReadOptions ro;
      strata::Slice upper;
      if (kind == 1 && first + kRangeRows < n) {
        upper = strata::Slice(reinterpret_cast<const char*>(m.sorted[first + kRangeRows].data()),
                              kKeySize);
        ro.iterate_upper_bound = &upper;
      }
      std::unique_ptr<strata::Iterator> it(db_->NewIterator(ro));
      size_t rows = 0;
      if (kind == 2) {
        it->SeekForPrev(probe_slice);
      } else {
        it->Seek(probe_slice);
      }
      for (; it->Valid() && (kind == 1 || rows < kRangeRows); rows++) {
        const strata::Slice k = it->key();
        if (it->value().size() != kValueSize) bad_values++;
        const size_t want = kind == 2 ? first - 1 - rows : first + rows;
        if (rows >= expect || k.size() != kKeySize ||
            std::memcmp(k.data(), m.sorted[want].data(), kKeySize) != 0) {
          bad_keys++;
        }
        if (kind == 2) {
          it->Prev();
        } else {
          it->Next();
        }
      }
      if (!it->status().ok()) {
        r->error = "iterator: " + it->status().ToString();
        return;
      }
      total += rows;
      if (rows != expect) {
        Fail(r, "query " + std::to_string(i) + ": " + std::to_string(rows) + " rows, expected " +
                    std::to_string(expect));
      }
    }
    if (bad_keys > 0) Fail(r, std::to_string(bad_keys) + " rows with wrong keys");
    if (bad_values > 0) Fail(r, std::to_string(bad_values) + " rows with wrong value sizes");
    r->ops = queries;
    r->rows = total;
  }

  void Scan(int scans, Result* r) override {
    scan_rows_.clear();
    scan_bytes_.clear();
    for (int i = 0; i < scans; i++) {
      int64_t rows = 0, bytes = 0;
      std::unique_ptr<strata::Iterator> it(db_->NewIterator(strata::ReadOptions()));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        rows++;
        bytes += it->value().size();
      }
      if (!it->status().ok()) {
        r->error = "scan: " + it->status().ToString();
        return;
      }
      r->rows += rows;
      r->ops += rows;
      scan_rows_.push_back(rows);
      scan_bytes_.push_back(bytes);
    }
  }

  std::vector<int64_t> scan_rows_, scan_bytes_;

 private:
  // Writes n rows (row(i, &key, &value) gives row i) the way the extension
  // does: into a transaction's WriteBatchWithIndex, each key first looked
  // up in the batch and then the store when `check` (INSERT's conflict
  // check; REPLACE reads nothing), committed with DB::Write every
  // batch_size rows.
  template <typename RowFn>
  void WriteRows(int64_t n, int64_t batch_size, bool check, RowFn row, Result* r) {
    const strata::ReadOptions ro;
    std::string scratch;
    strata::Slice key, value;
    auto txn = std::make_unique<strata::WriteBatchWithIndex>();
    for (int64_t i = 0; i < n; i++) {
      row(i, &key, &value);
      if (check) {
        strata::Status s = txn->GetFromBatchAndDB(db_.get(), ro, key, &scratch);
        if (s.ok()) {
          r->error = "row " + std::to_string(i) + ": the key exists";
          return;
        }
        if (!s.IsNotFound()) {
          r->error = "get: " + s.ToString();
          return;
        }
      }
      txn->Put(key, value);
      if (static_cast<int64_t>(txn->Count()) == batch_size || i + 1 == n) {
        strata::Status s = db_->Write(strata::WriteOptions(), txn.get());
        if (!s.ok()) {
          r->error = "write: " + s.ToString();
          return;
        }
        txn = std::make_unique<strata::WriteBatchWithIndex>();
      }
    }
    r->ops = r->rows = n;
  }

  bool ReadShape(StoreShape* shape) {
    if (!db_->GetProperty("strata.stats", &shape->stats)) return false;
    std::string text;
    if (!db_->GetProperty("strata.levels", &text)) return false;
    // A header line, then "level files bytes ..." per level.
    size_t pos = text.find('\n');
    while (pos != std::string::npos && pos + 1 < text.size()) {
      int level = 0;
      long long files = 0;
      unsigned long long bytes = 0;
      if (std::sscanf(text.c_str() + pos + 1, "%d %lld %llu", &level, &files, &bytes) == 3) {
        shape->levels.emplace_back(files, static_cast<double>(bytes));
      }
      pos = text.find('\n', pos + 1);
    }
    return true;
  }

  std::unique_ptr<strata::DB> db_;
};

std::unique_ptr<Target> NewTarget(const std::string& name, const Flags& flags) {
  const std::string dir = flags.dir + "/" + name;
  if (name == "strata") {
    return std::make_unique<SqlTarget>(name, dir, SqlKind::kStrata, false, flags.ext,
                                       flags.read_txn);
  }
  if (name == "noop")
    return std::make_unique<SqlTarget>(name, dir, SqlKind::kNoop, false, "", flags.read_txn);
  if (name == "engine") return std::make_unique<EngineTarget>(name, dir);
  const bool big = name.size() > 5 && name.compare(name.size() - 5, 5, "_256m") == 0;
  const SqlKind kind = name.rfind("rowid", 0) == 0 ? SqlKind::kRowid : SqlKind::kWithoutRowid;
  return std::make_unique<SqlTarget>(name, dir, kind, big, "", flags.read_txn);
}

// ---- running ----------------------------------------------------------------

// Turns a waiting `perf record -D -1 --control=fifo:CTL,ACK` on and off, so
// that a profile holds only the timed part of the workloads.
class PerfControl {
 public:
  explicit PerfControl(const std::string& spec) {
    if (spec.empty()) return;
    const size_t comma = spec.find(',');
    ctl_ = std::fopen(spec.substr(0, comma).c_str(), "w");
    if (comma != std::string::npos) ack_ = std::fopen(spec.substr(comma + 1).c_str(), "r");
    if (ctl_ == nullptr) std::fprintf(stderr, "sql_bench: cannot open %s\n", spec.c_str());
  }
  PerfControl(const PerfControl&) = delete;
  PerfControl& operator=(const PerfControl&) = delete;
  ~PerfControl() {
    if (ctl_ != nullptr) std::fclose(ctl_);
    if (ack_ != nullptr) std::fclose(ack_);
  }
  void Enable() { Send("enable\n"); }
  void Disable() { Send("disable\n"); }

 private:
  void Send(const char* command) {
    if (ctl_ == nullptr) return;
    std::fputs(command, ctl_);
    std::fflush(ctl_);
    char buf[16];
    if (ack_ != nullptr && std::fgets(buf, sizeof(buf), ack_) == nullptr) clearerr(ack_);
  }
  std::FILE* ctl_ = nullptr;
  std::FILE* ack_ = nullptr;
};

struct Report {
  // results[target][workload]
  std::map<std::string, std::map<std::string, Result>> results;
};

std::string WithCommas(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f", v);
  std::string digits = buf, out;
  int n = 0;
  for (size_t i = digits.size(); i-- > 0;) {
    out.insert(out.begin(), digits[i]);
    if (++n % 3 == 0 && i > 0 && digits[i - 1] != '-') out.insert(out.begin(), ',');
  }
  return out;
}

void PrintResultLine(const std::string& target, const std::string& workload, const Result& r) {
  if (!r.error.empty()) {
    std::printf("%-14s %-13s ERROR: %s\n", workload.c_str(), target.c_str(), r.error.c_str());
    std::fflush(stdout);
    return;
  }
  char settle[32] = "";
  if (r.settle_seconds >= 0)
    std::snprintf(settle, sizeof(settle), "settle %6.2f s", r.settle_seconds);
  const std::string unit = std::string(Unit(workload)) + "/s";
  std::printf("%-14s %-13s %12s %-9s %10s rows/s %8.3f s cpu %7.2f s %-15s %s%s%s\n",
              workload.c_str(), target.c_str(), WithCommas(r.OpsPerSec()).c_str(), unit.c_str(),
              WithCommas(r.RowsPerSec()).c_str(), r.seconds, r.cpu_seconds, settle,
              r.check.empty() ? "ok" : "CHECK FAILED: ", r.check.c_str(),
              r.note.empty() ? "" : ("  (" + r.note + ")").c_str());
  std::fflush(stdout);
}

// Checks a target's row count (and value bytes) against what it should hold.
void CheckCount(Target* t, int64_t rows, Result* r) {
  int64_t n = 0, bytes = 0;
  std::string error;
  if (!t->Count(&n, &bytes, &error)) {
    Fail(r, error);
    return;
  }
  const int64_t want = t->StoresRows() ? rows : 0;
  if (n != want || bytes != want * kValueSize) {
    Fail(r, "count(*) " + std::to_string(n) + " and " + std::to_string(bytes) +
                " value bytes, expected " + std::to_string(want) + " and " +
                std::to_string(want * kValueSize));
  }
}

void RunTarget(const Flags& flags, Model* model, Target* t, PerfControl* perf, Report* report) {
  std::string error;
  auto& results = report->results[t->name()];
  bool loaded = false;  // holds the model's keys (fill_batch or an untimed load)
  bool opened = false;
  for (const std::string& w : flags.workloads) {
    Result& r = results[w];
    r.ran = true;
    const uint64_t seed = WorkloadSeed(flags.seed, w);
    const bool fill = w.rfind("fill", 0) == 0;
    if (fill || !opened) {
      if (!t->Reset(&error)) {
        r.error = "reset: " + error;
        PrintResultLine(t->name(), w, r);
        return;
      }
      opened = true;
      loaded = false;
    }
    if (!fill && !loaded) {
      // A read or replace without a preceding fill_batch: load untimed.
      Result load;
      model->ResetValues();
      t->FillKeys(*model, flags.batch, false, WorkloadSeed(flags.seed, "fill_batch"), &load);
      if (!load.error.empty()) {
        r.error = "untimed load: " + load.error;
        PrintResultLine(t->name(), w, r);
        return;
      }
      if (flags.settle) t->Settle(&error);
      loaded = true;
      r.note = "table loaded untimed first";
    }
    if (w == "fill_batch") model->ResetValues();
    const bool profile = flags.perf_workloads.empty() ||
                         std::find(flags.perf_workloads.begin(), flags.perf_workloads.end(), w) !=
                             flags.perf_workloads.end();
    if (profile) perf->Enable();
    Stopwatch sw;
    if (w == "fill_sql") {
      t->FillSql(flags.num, &r);
    } else if (w == "fill_bind" || w == "fill_batch") {
      t->FillKeys(*model, w == "fill_bind" ? flags.num : flags.batch, false, seed, &r);
    } else if (w == "replace") {
      t->FillKeys(*model, flags.batch, true, seed, &r);
    } else if (w == "point") {
      t->Point(*model, flags.reads, seed, &r);
    } else if (w == "range" || w == "range_bounded" || w == "range_desc") {
      const int kind = w == "range" ? 0 : w == "range_bounded" ? 1 : 2;
      t->Range(*model, kind, flags.range_queries, seed, &r);
    } else if (w == "scan") {
      t->Scan(flags.scans, &r);
    }
    r.seconds = sw.Seconds();
    r.cpu_seconds = sw.Cpu();
    if (profile) perf->Disable();
    if (r.error.empty()) {
      if (w == "replace") {
        // The model follows the same sequence of replacements.
        strata::Random rnd(seed);
        const int64_t n = static_cast<int64_t>(model->keys.size());
        for (int64_t i = 0; i < n; i++) {
          size_t k = rnd.Uniform(n);
          model->value_offset[k] =
              static_cast<uint32_t>(rnd.Uniform(kValueBufferSize - kValueSize));
        }
      }
      if (IsWrite(w)) {
        if (flags.settle) {
          error.clear();
          r.settle_seconds = t->Settle(&error);
          if (!error.empty()) Fail(&r, "settle: " + error);
        }
        CheckCount(t, flags.num, &r);
      }
      if (w == "scan") {
        const int64_t want = t->StoresRows() ? flags.num : 0;
        auto* sql = dynamic_cast<SqlTarget*>(t);
        auto* eng = dynamic_cast<EngineTarget*>(t);
        const auto& rows = sql ? sql->scan_rows_ : eng->scan_rows_;
        const auto& bytes = sql ? sql->scan_bytes_ : eng->scan_bytes_;
        for (size_t i = 0; i < rows.size(); i++) {
          if (rows[i] != want || bytes[i] != want * kValueSize) {
            Fail(&r, "scan saw " + std::to_string(rows[i]) + " rows, " + std::to_string(bytes[i]) +
                         " bytes; expected " + std::to_string(want));
          }
        }
      }
    }
    if (w == "fill_batch") loaded = r.error.empty();
    PrintResultLine(t->name(), w, r);
  }
  std::printf("%-14s %-13s %s\n", "(after)", t->name().c_str(), t->SpaceReport().c_str());
  t->Close();
}

// ---- report -----------------------------------------------------------------

std::string ReadFileText(const char* path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string CpuModel() {
  std::string text = ReadFileText("/proc/cpuinfo");
  size_t pos = text.find("model name");
  if (pos == std::string::npos) return "unknown";
  size_t colon = text.find(':', pos), eol = text.find('\n', pos);
  if (colon == std::string::npos || colon > eol) return "unknown";
  return text.substr(colon + 2, eol - colon - 2);
}

std::string FirstLine(const char* path) {
  std::string text = ReadFileText(path);
  return text.substr(0, text.find('\n'));
}

std::string MemTotal() {
  std::string text = ReadFileText("/proc/meminfo");
  unsigned long long kb = 0;
  size_t pos = text.find("MemTotal:");
  if (pos == std::string::npos || std::sscanf(text.c_str() + pos, "MemTotal: %llu", &kb) != 1) {
    return "unknown";
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f GiB", kb / 1048576.0);
  return buf;
}

// strata_version() through a throwaway in-memory connection.
std::string ExtensionVersion(const std::string& ext) {
  sqlite3* db = nullptr;
  std::string v = "(extension did not load)";
  if (sqlite3_open(":memory:", &db) == SQLITE_OK) {
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_load_extension(db, ext.c_str(), nullptr, nullptr) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT strata_version()", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return v;
}

void PrintHeader(const Flags& flags, const std::vector<std::unique_ptr<Target>>& targets) {
  char date[64];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
  struct utsname uts;
  std::string kernel = uname(&uts) == 0 ? std::string(uts.sysname) + " " + uts.release : "?";
  std::printf(
      "sql_bench: strata through SQLite vs native tables, a no-op vtab and the bare engine\n");
  std::printf("Date:       %s\n", date);
  std::printf("Command:    %s\n", flags.command_line.c_str());
  std::printf("CPU:        %ld x %s\n", sysconf(_SC_NPROCESSORS_ONLN), CpuModel().c_str());
  std::printf("Memory:     %s; kernel %s\n", MemTotal().c_str(), kernel.c_str());
  std::printf("Load:       %s (load average at start)\n", FirstLine("/proc/loadavg").c_str());
  std::printf("SQLite:     %s (%s)\n", sqlite3_libversion(), sqlite3_sourceid());
  std::printf("Extension:  %s: %s\n", flags.ext.c_str(), ExtensionVersion(flags.ext).c_str());
#ifdef NDEBUG
  std::printf("Build:      optimized (NDEBUG)\n");
#else
  std::printf("Build:      WARNING: assertions enabled (no NDEBUG); figures are not comparable\n");
#endif
  std::printf("Directory:  %s/<target> (file system of %s)\n", flags.dir.c_str(),
              flags.dir.c_str());
  std::printf("Rows:       %" PRId64 " random %d-byte keys, %d-byte values (%.1f MB)\n", flags.num,
              kKeySize, kValueSize, flags.num * double(kKeySize + kValueSize) / 1048576.0);
  std::printf("Reads:      %" PRId64 " point SELECTs; %" PRId64
              " queries per range workload (%d rows each); %d scans\n",
              flags.reads, flags.range_queries, kRangeRows, flags.scans);
  std::printf("Batches:    fill_batch and replace commit every %d rows; seed %" PRIu64 "\n",
              flags.batch, flags.seed);
  std::printf("Reads run:  %s\n", flags.read_txn ? "each workload inside one BEGIN ... COMMIT"
                                                 : "one autocommit statement per query");
  std::printf("Targets:\n");
  for (const auto& t : targets) {
    std::printf("  %-13s %s\n", t->name().c_str(), t->Describe().c_str());
  }
  std::printf(
      "Figures:    ops/s where an op is a row for writes and scans, a query for point and range\n"
      "            reads; cpu = process CPU (all threads) during the workload; settle = untimed\n"
      "            wait for background flush/compaction after a write workload\n\n");
  std::fflush(stdout);
}

const Result* Find(const Report& report, const std::string& target, const std::string& w) {
  auto t = report.results.find(target);
  if (t == report.results.end()) return nullptr;
  auto r = t->second.find(w);
  if (r == t->second.end() || !r->second.Usable()) return nullptr;
  return &r->second;
}

// strata's ops/s over the other's; 0 if either is missing.
double Ratio(const Report& report, const std::string& w, const std::string& other) {
  const Result* s = Find(report, "strata", w);
  const Result* o = Find(report, other, w);
  if (s == nullptr || o == nullptr || o->OpsPerSec() <= 0) return 0;
  return s->OpsPerSec() / o->OpsPerSec();
}

std::string RatioText(double ratio) {
  if (ratio <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", ratio);
  return buf;
}

// vtab overhead: strata's time over the bare engine's, minus 1.
double Overhead(const Report& report, const std::string& w) {
  const double r = Ratio(report, w, "engine");
  return r > 0 ? 1 / r - 1 : -1e9;
}

void PrintSummary(const Flags& flags, const Report& report) {
  std::printf("\n== Summary: ops/s (rows/s for writes and scans, queries/s for reads)\n");
  std::printf("%-14s", "workload");
  for (const std::string& t : flags.targets) std::printf(" %13s", t.c_str());
  std::printf("\n");
  for (const std::string& w : flags.workloads) {
    std::printf("%-14s", w.c_str());
    for (const std::string& t : flags.targets) {
      const Result* r = Find(report, t, w);
      std::string cell = r ? WithCommas(r->OpsPerSec()) : "-";
      if (r && !r->check.empty()) cell += "!";
      std::printf(" %13s", cell.c_str());
    }
    std::printf("\n");
  }
  std::printf("(! = a check failed; see above)\n");

  std::printf("\n== strata's ratio to each target (ops/s over ops/s; > 1: strata is faster)\n");
  std::printf("%-14s", "workload");
  for (const std::string& t : flags.targets) {
    if (t != "strata") std::printf(" %13s", ("vs " + t).c_str());
  }
  std::printf("\n");
  for (const std::string& w : flags.workloads) {
    std::printf("%-14s", w.c_str());
    for (const std::string& t : flags.targets) {
      if (t != "strata") std::printf(" %13s", RatioText(Ratio(report, w, t)).c_str());
    }
    std::printf("\n");
  }

  std::printf(
      "\n== vtab overhead = strata vtab time / bare engine time - 1; of which SQLite's own call\n"
      "   path = noop time / engine time; the extension's own = (strata - noop) / engine - 1\n");
  std::printf("%-14s %12s %12s %12s\n", "workload", "overhead", "sqlite", "extension");
  for (const std::string& w : flags.workloads) {
    const Result* s = Find(report, "strata", w);
    const Result* e = Find(report, "engine", w);
    const Result* n = Find(report, "noop", w);
    if (s == nullptr || e == nullptr) continue;
    char a[32], b[32] = "-", c[32] = "-";
    std::snprintf(a, sizeof(a), "%+.0f%%", (s->seconds / e->seconds - 1) * 100);
    if (n != nullptr) {
      std::snprintf(b, sizeof(b), "%.0f%%", n->seconds / e->seconds * 100);
      std::snprintf(c, sizeof(c), "%+.0f%%", ((s->seconds - n->seconds) / e->seconds - 1) * 100);
    }
    std::printf("%-14s %12s %12s %12s\n", w.c_str(), a, b, c);
  }

  // The aims of issue 4, where this run measured them.
  std::printf("\n== Issue 4 aims (met / MISSED, from this run)\n");
  auto aim = [&](const std::string& what, double value, double goal, bool at_most) {
    if (value <= 0 && !at_most) return;
    if (value < -1e8) return;
    const bool met = at_most ? value <= goal : value >= goal;
    std::printf("  %-58s %8.2f (aim %s %.2f)  %s\n", what.c_str(), value,
                at_most ? "<=" : ">=", goal, met ? "met" : "MISSED");
  };
  const char* const natives[] = {"rowid", "worowid"};
  aim("fill_sql: strata / noop ceiling (within 4x)", Ratio(report, "fill_sql", "noop"), 0.25,
      false);
  for (const char* nat : natives) {
    aim(std::string("fill_sql: strata / ") + nat, Ratio(report, "fill_sql", nat), 7, false);
  }
  for (const char* nat : natives) {
    aim(std::string("fill_batch: strata / ") + nat, Ratio(report, "fill_batch", nat), 10, false);
  }
  if (flags.num >= 5000000) {
    for (const char* w : {"fill_sql", "fill_bind"}) {
      for (const char* nat : natives) {
        aim(std::string(w) + " (5M): strata / " + nat, Ratio(report, w, nat), 4, false);
        aim(std::string(w) + " (5M): strata / " + nat + "_256m",
            Ratio(report, w, std::string(nat) + "_256m"), 1.3, false);
      }
    }
  }
  for (const char* w : {"point", "range", "range_bounded", "range_desc", "scan"}) {
    for (const char* nat : natives) {
      aim(std::string(w) + ": strata / " + nat, Ratio(report, w, nat), 1.0, false);
    }
  }
  for (const std::string& w : flags.workloads) {
    aim(w + ": vtab overhead over bare engine", Overhead(report, w), 0.25, true);
  }
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

bool WriteCsv(const Flags& flags, const Report& report) {
  std::FILE* f = std::fopen(flags.csv.c_str(), "w");
  if (f == nullptr) return false;
  std::fprintf(f,
               "num,target,workload,unit,ops,seconds,ops_per_sec,rows,rows_per_sec,cpu_seconds,"
               "settle_seconds,strata_ratio,check,error\n");
  for (const std::string& t : flags.targets) {
    for (const std::string& w : flags.workloads) {
      auto ti = report.results.find(t);
      if (ti == report.results.end()) continue;
      auto ri = ti->second.find(w);
      if (ri == ti->second.end() || !ri->second.ran) continue;
      const Result& r = ri->second;
      std::fprintf(
          f, "%" PRId64 ",%s,%s,%s,%" PRId64 ",%.6f,%.1f,%" PRId64 ",%.1f,%.3f,%.3f,%.4f,%s,%s\n",
          flags.num, t.c_str(), w.c_str(), Unit(w), r.ops, r.seconds, r.OpsPerSec(), r.rows,
          r.RowsPerSec(), r.cpu_seconds, r.settle_seconds,
          t == "strata" ? 1.0 : Ratio(report, w, t),
          CsvField(r.check.empty() ? "ok" : r.check).c_str(), CsvField(r.error).c_str());
    }
  }
  return std::fclose(f) == 0;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  std::vector<std::unique_ptr<Target>> targets;
  for (const std::string& name : flags.targets) targets.push_back(NewTarget(name, flags));
  PrintHeader(flags, targets);

  Model model;
  model.Init(flags.num, flags.seed);
  if (!model.KeysDistinct()) {
    std::fprintf(stderr, "sql_bench: the key generator repeated a key; change --seed\n");
    return 1;
  }
  Report report;
  PerfControl perf(flags.perf_ctl);
  for (auto& t : targets) {
    RunTarget(flags, &model, t.get(), &perf, &report);
    std::error_code ec;
    fs::remove_all(t->dir(), ec);  // the next target gets the disk to itself
  }
  PrintSummary(flags, report);
  if (!flags.csv.empty()) {
    if (!WriteCsv(flags, report)) {
      std::fprintf(stderr, "sql_bench: cannot write %s\n", flags.csv.c_str());
      return 1;
    }
    std::printf("\nCSV written to %s\n", flags.csv.c_str());
  }
  for (const auto& [t, rs] : report.results) {
    for (const auto& [w, r] : rs) {
      if (!r.error.empty() || !r.check.empty()) return 1;
    }
  }
  return 0;
}

}  // namespace sqlbench

int main(int argc, char** argv) { return sqlbench::Main(argc, argv); }
