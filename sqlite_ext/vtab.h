// The `strata` virtual table module: the per-connection table object and
// its cursors, shared by vtab.cc (lifecycle, writes, transactions),
// vtab_plan.cc (xBestIndex) and vtab_cursor.cc (reads).
#ifndef STRATA_SQLITE_EXT_VTAB_H_
#define STRATA_SQLITE_EXT_VTAB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sqlite_ext/row_codec.h"
#include "sqlite_ext/schema.h"
#include "sqlite_ext/sql_value.h"
#include "sqlite_ext/sqlite_api.h"
#include "sqlite_ext/store_registry.h"
#include "sqlite_ext/value_convert.h"
#include "strata/db.h"
#include "strata/write_batch_with_index.h"

namespace strata {

// ---- The query plan contract --------------------------------------------
//
// xBestIndex encodes the plan in idxNum; idxStr only describes it in plain
// words for EXPLAIN QUERY PLAN (e.g. "strata: point get (key=?)").
//
//   idxNum bits   meaning
//   0-1           access: 0 full scan, 1 point get, 2 multi-get (IN), 3 range scan
//   2             descending (ORDER BY ... DESC consumed)
//   3             ORDER BY consumed (ascending unless bit 2)
//   4             lower bound given;  5: it is inclusive (>=)
//   6             upper bound given;  7: it is inclusive (<=)
//   8             GLOB prefix;        9: LIKE prefix (SQLite re-checks both)
//   10            LIMIT pushed down; 11: OFFSET pushed down
//   12-17         number of leading key columns constrained by equality
//   18            the last equality column is an IN list (multi-get)
//   19            the equality is on the hidden encoded-key column
//
// xFilter's argv, in this order, holding only what idxNum says is there:
//   the equality values (one per leading key column; an IN list for the
//   last when bit 18), the lower bound, the upper bound, the GLOB/LIKE
//   pattern, the LIMIT, the OFFSET.
namespace plan {
constexpr int kAccessMask = 3;
constexpr int kFullScan = 0;
constexpr int kPointGet = 1;
constexpr int kMultiGet = 2;
constexpr int kRange = 3;
constexpr int kDesc = 1 << 2;
constexpr int kOrdered = 1 << 3;
constexpr int kLower = 1 << 4;
constexpr int kLowerInclusive = 1 << 5;
constexpr int kUpper = 1 << 6;
constexpr int kUpperInclusive = 1 << 7;
constexpr int kGlob = 1 << 8;
constexpr int kLike = 1 << 9;
constexpr int kLimit = 1 << 10;
constexpr int kOffset = 1 << 11;
constexpr int kEqShift = 12;
constexpr int kEqMask = 63 << kEqShift;
constexpr int kInList = 1 << 18;
constexpr int kHiddenKey = 1 << 19;
}  // namespace plan

struct StrataCursor;

// ---- Range deletes (vtab_range_delete.cc) ---------------------------------
//
// SQLite gives a virtual table no "delete this range" call, and it deletes
// from one in two passes: it scans the table to its end, keeping the key of
// every row the WHERE clause accepts, then calls xUpdate(DELETE) once per kept
// key, in ascending key order, with nothing in between. A RangeDeleteRun
// follows that pattern and turns it into one range tombstone:
//
//   scan    a cursor's xFilter starts a key range (or full) scan of [lo, hi)
//           with no LIMIT or OFFSET while it is the table's only open cursor;
//           it returns N rows and reaches the end of the range. N rows were in
//           [lo, hi) as the transaction saw it when the scan began.
//   run     then come DELETEs of strictly ascending keys, all in [lo, hi),
//           with nothing else in between (no other xFilter on the table, no
//           other xUpdate, no savepoint, sync, commit or rollback). Their keys
//           are kept aside, not yet written to the batch.
//   replace at the N-th, N distinct keys in [lo, hi) that SQLite got from that
//           scan are exactly its N rows, so, unless another connection
//           committed to the store since the scan began, deleting them leaves
//           [lo, hi) empty in the transaction's view, exactly as
//           DeleteRange(lo, hi) does: that is what is written. (Only when
//           N >= RangeDeleteMinRows(); fewer stay point deletes.)
//
// Anything else ends the run (BreakRangeDeleteRun), which first writes the
// kept keys to the batch as point Deletes, in their order: the batch ends up
// as if they had been written as they came. Nothing reads or writes the
// batch without ending the run first (every xFilter, xUpdate and transaction
// method does, and ReadKey and MaxRowid check too), so deferring them is
// invisible. The callers' hot paths test one field
// (phase) before calling in here.
struct RangeDeleteRun {
  enum class Phase {
    kNone,
    kScanning,  // cursor is scanning [cursor->lower, cursor->upper)
    kDeleting,  // the scan returned `rows` rows of [lo, hi); `deleted` of them are deleted
  };
  Phase phase = Phase::kNone;
  const StrataCursor* cursor = nullptr;  // kScanning only; compared, never dereferenced
  uint64_t commits = 0;                  // Store::commits when the scan began
  std::string lo, hi;                    // kDeleting: the range, hi exclusive
  uint64_t rows = 0;
  uint64_t deleted = 0;
  // The deleted keys not yet in the batch, each as a 4-byte length and the
  // bytes; the last one at last_key.
  std::string keys;
  size_t last_key = 0;
};

// The smallest run worth a range tombstone: 32, or STRATA_RANGE_DELETE_MIN_ROWS
// (at least 1) as read when the extension was last loaded (StrataModule());
// tests make it small.
uint64_t RangeDeleteMinRows();
void ReadRangeDeleteMinRows();

// A connection's transaction on one store. Every StrataVtab of the
// connection over that store shares it: SQLite connects a table anew within
// a transaction when rolling back a schema change resets the schema (the old
// object stays in the transaction until it ends, and gets its xSync and
// xCommit), and two tables may name one store. Their transaction methods
// all act on this one state and are idempotent.
struct StoreTxn {
  sqlite3* db = nullptr;
  Store* store = nullptr;
  // StrataVtabs using it, plus one (and a reference on the store) while a
  // transaction watch holds it (txn_watch.h): its view outlives table
  // objects that SQLite lets go of within the transaction. Guarded by the
  // table registry's mutex.
  int refs = 0;

  // Pending writes, readable by the connection's own statements. Null when
  // none.
  std::unique_ptr<WriteBatchWithIndex> batch;
  bool holds_writer = false;  // the store's write token (owner: this object)
  bool written = false;       // xSync wrote batch to the engine
  // Writes that reads must merge over the engine's state.
  bool HasPendingWrites() const { return batch != nullptr && batch->Count() > 0 && !written; }
  int savepoints = 0;  // depth of SQLite savepoints mirrored on batch
  // Largest rowid in the table as seen by this transaction (rowid tables),
  // valid while holds_writer; recomputed after deletes.
  int64_t max_rowid = 0;
  bool max_rowid_known = false;

  // The transaction's view of the store before it writes (see ReadSnapshot).
  // read_mark: Store::commits when the transaction first read the store or
  // began a statement that writes it, whichever came first; a write finding
  // it changed is refused (SQLITE_BUSY_SNAPSHOT): the transaction read a
  // state that is no longer the latest. snapshot: the one reads use, in a
  // transaction of several statements (not in autocommit mode), from its
  // first read of the store until it ends or writes the store.
  bool read_mark_set = false;
  uint64_t read_mark = 0;
  const Snapshot* snapshot = nullptr;
};

struct StrataVtab {
  sqlite3_vtab base;  // must be first: SQLite sees this
  sqlite3* db = nullptr;
  std::string table;        // the SQL table name, for messages
  std::string schema_name;  // "main", "temp" or an attached database
  Store* store = nullptr;
  const Schema* schema = nullptr;

  // The connection's transaction on the store (shared with its other
  // objects over the store).
  StoreTxn* tx = nullptr;

  // Scratch reused by xUpdate.
  std::vector<ValueHolder> holders;
  std::vector<SqlValue> values;
  std::string key_buf;
  std::string old_key_buf;
  std::string row_buf;
  std::string lookup_buf;
  std::string old_row_buf;  // the stored row an UPDATE reads unchanged columns from
  RowReader old_row;
  std::vector<uint64_t> real_key_mask;      // one bit per key column
  std::vector<uint64_t> neg_zero_key_mask;  // one bit per key column

  // Row count estimate for the planner, refreshed now and then.
  double row_estimate = 0;
  int plans_since_estimate = 0;

  int open_cursors = 0;  // this connection's cursors on the table
  RangeDeleteRun range_delete;
};

struct StrataCursor {
  sqlite3_vtab_cursor base;  // must be first
  StrataVtab* vtab = nullptr;

  enum class Mode { kEof, kIterator, kList };
  Mode mode = Mode::kEof;
  std::unique_ptr<Iterator> iter;
  bool desc = false;
  std::string lower;  // bounds the iterator refers to
  std::string upper;
  Slice lower_slice;
  Slice upper_slice;
  int64_t limit = -1;          // rows still allowed; -1: no limit
  uint64_t rows_returned = 0;  // by the iterator since xFilter

  // kList: rows found by a point or multi-get, in output order.
  std::vector<std::pair<std::string, std::string>> rows;
  size_t row_index = 0;

  // The current row, decoded lazily.
  Slice key;
  Slice value;
  bool key_decoded = false;
  bool row_parsed = false;
  std::vector<SqlValue> key_values;
  std::string key_scratch;
  RowReader row;
  const Snapshot* snapshot = nullptr;

  void SetRowFromIterator() {
    key = iter->key();
    value = iter->value();
    key_decoded = false;
    row_parsed = false;
  }
};

// The module, for sqlite3_create_module_v2, with ModuleRegistered(db) as its
// client data and ModuleDestroyed as its destructor: the end of the last
// registration on a connection (its close) removes the connection's private
// directory for the stores of :memory: and temporary databases.
const sqlite3_module* StrataModule();
void* ModuleRegistered(sqlite3* db);
void ModuleDestroyed(void* client_data);

// The range delete protocol (vtab_range_delete.cc; see RangeDeleteRun).
// xFilter, about to create the iterator of a scan with no LIMIT or OFFSET.
void RangeDeleteScanStart(StrataCursor* c);
// That scan's cursor reached the end of its range with an OK status.
void RangeDeleteScanDone(StrataCursor* c);
// A DELETE of key (encoded) from vt->txn. REQUIRES: phase == kDeleting.
void RangeDeleteDelete(StrataVtab* vt, const std::string& key);
// Ends the run, writing its deletes to vt->txn. REQUIRES: phase != kNone.
void BreakRangeDeleteRun(StrataVtab* vt);
// Anything that is not part of a run, and anything that reads or writes
// vt->txn, calls this first.
inline void EndRangeDeleteRun(StrataVtab* vt) {
  if (vt->range_delete.phase != RangeDeleteRun::Phase::kNone) BreakRangeDeleteRun(vt);
}

// Plan and cursor entry points (vtab_plan.cc, vtab_cursor.cc).
int StrataBestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info);
int StrataOpen(sqlite3_vtab* vtab, sqlite3_vtab_cursor** cursor);
int StrataClose(sqlite3_vtab_cursor* cursor);
int StrataFilter(sqlite3_vtab_cursor* cursor, int idx_num, const char* idx_str, int argc,
                 sqlite3_value** argv);
int StrataNext(sqlite3_vtab_cursor* cursor);
int StrataEof(sqlite3_vtab_cursor* cursor);
int StrataColumn(sqlite3_vtab_cursor* cursor, sqlite3_context* ctx, int column);
int StrataRowid(sqlite3_vtab_cursor* cursor, sqlite3_int64* rowid);

// The connection's strata table called `name` ("t" or "schema.t"),
// connecting it first if the schema declares it; null if there is none.
StrataVtab* FindTable(sqlite3* db, const std::string& name);

// The snapshot a read of the table uses, as a native table in WAL mode
// reads: in autocommit mode, none (each statement reads the latest committed
// state; its cursors each read one snapshot). Inside a transaction, the one
// its first read of the table took, until it ends (txn_watch.h tells when);
// once the transaction writes the table, none: it then holds the store's
// write token, so the latest committed state is the one it read.
const Snapshot* ReadSnapshot(StrataVtab* vtab);

// Before the registry closes the engine of `store` to move it (a RENAME, at
// commit or rollback; ddl_txn.cc): the connection's tables let go of their
// transaction snapshots of it. What they read does not change: only the
// connection that moves a store holds it, so nobody else commits to it.
void ReleaseTxnSnapshots(sqlite3* db, const Store* store);

// Helpers shared by the files of the module.
// The affinity used for key position p (the rowid is INTEGER).
Affinity KeyAffinity(const StrataVtab* vtab, int p);
// Number of key columns (1 for rowid tables).
int KeyColumnCount(const StrataVtab* vtab);
// The point read of a key through the open transaction, if any.
Status ReadKey(StrataVtab* vtab, const Slice& key, std::string* value);

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_VTAB_H_
