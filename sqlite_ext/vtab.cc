// The strata virtual table: creating and connecting tables to their
// stores, writing rows (xUpdate, with SQLite's conflict rules), and
// transactions (a pending WriteBatchWithIndex per connection, made durable
// in xSync).
#include "sqlite_ext/vtab.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "sqlite_ext/ddl_txn.h"
#include "sqlite_ext/key_codec.h"
#include "sqlite_ext/status_map.h"
#include "sqlite_ext/table_options.h"
#include "sqlite_ext/txn_watch.h"

namespace strata {

namespace {

// The tables each connection has open, for the SQL functions that name a
// table: (connection, lower-case "schema.table") -> vtab.
std::mutex tables_mu;
std::map<std::pair<sqlite3*, std::string>, StrataVtab*>* Tables() {
  static auto* tables = new std::map<std::pair<sqlite3*, std::string>, StrataVtab*>;
  return tables;
}
std::string LowerName(std::string s) {
  for (char& ch : s) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
  return s;
}
void RegisterTable(StrataVtab* vt) {
  std::lock_guard<std::mutex> l(tables_mu);
  (*Tables())[{vt->db, LowerName(vt->schema_name + "." + vt->table)}] = vt;
}
void UnregisterTable(StrataVtab* vt) {
  std::lock_guard<std::mutex> l(tables_mu);
  auto it = Tables()->find({vt->db, LowerName(vt->schema_name + "." + vt->table)});
  if (it != Tables()->end() && it->second == vt) Tables()->erase(it);
}

// Each connection's transaction state per store (vtab.h, StoreTxn), shared
// by its tables over the store; guarded by tables_mu.
std::map<std::pair<sqlite3*, const Store*>, StoreTxn*>* StoreTxns() {
  static auto* txns = new std::map<std::pair<sqlite3*, const Store*>, StoreTxn*>;
  return txns;
}

StoreTxn* AcquireStoreTxn(sqlite3* db, Store* store) {
  std::lock_guard<std::mutex> l(tables_mu);
  StoreTxn*& tx = (*StoreTxns())[{db, store}];
  if (tx == nullptr) {
    tx = new StoreTxn;
    tx->db = db;
    tx->store = store;
  }
  tx->refs++;
  return tx;
}

void EndTransaction(StoreTxn* tx);

// The last table over the store leaves: the transaction, if one is still
// open (SQLite ends them before it lets go of a table), is dropped.
void ReleaseStoreTxn(StoreTxn* tx) {
  {
    std::lock_guard<std::mutex> l(tables_mu);
    if (--tx->refs > 0) return;
    StoreTxns()->erase({tx->db, tx->store});
  }
  EndTransaction(tx);
  UnwatchTransactionEnd(tx->db, tx);
  delete tx;
}

// Each connection's private directory for the stores of its :memory: and
// temporary databases, made at the first such table and removed with all in
// it when the connection closes (the end of the module's registration).
struct PrivateDir {
  int registrations = 0;  // the module registered on the connection, not yet destroyed
  std::string path;       // "" until made
};
std::mutex private_dirs_mu;
std::map<sqlite3*, PrivateDir>* PrivateDirs() {
  static auto* dirs = new std::map<sqlite3*, PrivateDir>;
  return dirs;
}

bool PrivateDirectory(sqlite3* db, std::string* dir, std::string* error) {
  std::lock_guard<std::mutex> l(private_dirs_mu);
  PrivateDir& d = (*PrivateDirs())[db];
  if (d.path.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/strata-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      *error = "strata: cannot create a temporary directory in " + pattern;
      return false;
    }
    d.path = buf.data();
  }
  *dir = d.path;
  return true;
}

// SQL-level limits (SPEC §2), on the values themselves, before encoding.
constexpr size_t kMaxKeyBytes = 1 << 20;      // the key columns' values: 1 MiB
constexpr size_t kMaxRowBytes = 64ull << 20;  // all the columns' values: 64 MiB

int KeyError(StrataVtab* vt, int code, const std::string& message) {
  SetVtabError(&vt->base, message);
  return code;
}

// A constraint error, for SQLite to apply the statement's conflict mode to. Under OR IGNORE
// SQLite skips the row and goes on, but it has already moved zErrMsg into the statement
// (sqlite3VtabImportErrmsg), where it would stand for any later error of the statement that
// SQLite raises without a message of its own (a datatype mismatch, say). So an ignored
// row's error carries no message.
int ConstraintError(StrataVtab* vt, int code, const std::string& message) {
  if (sqlite3_vtab_on_conflict(vt->db) == SQLITE_IGNORE) return code;
  return KeyError(vt, code, message);
}

// Creates or connects: parses the arguments, opens (or shares) the store
// and declares the table to SQLite.
int Init(sqlite3* db, int argc, const char* const* argv, sqlite3_vtab** out, char** err,
         bool create) {
  *out = nullptr;
  std::vector<std::string> columns;
  StoreOptions options;
  std::string error;
  for (int i = 3; i < argc; i++) {
    if (IsOptionArgument(argv[i])) {
      if (!ParseOption(argv[i], &options, &error)) {
        *err = sqlite3_mprintf("%s", error.c_str());
        return SQLITE_ERROR;
      }
    } else {
      columns.emplace_back(argv[i]);
    }
  }
  Schema schema;
  if (!Schema::Parse(columns, &schema, &error)) {
    *err = sqlite3_mprintf("%s", error.c_str());
    return SQLITE_ERROR;
  }
  const std::string table = argv[2];
  std::string path;
  bool temporary = false;
  if (!options.path.empty()) {
    path = CanonicalStorePath(options.path);
  } else {
    const char* file = sqlite3_db_filename(db, argv[1]);
    if (file == nullptr || file[0] == '\0') {
      // :memory: or temporary database: in the connection's private directory,
      // removed when it closes. The same path at every connect, so that a
      // table SQLite connects again (after a ROLLBACK that undid a schema
      // change, say) finds its rows.
      std::string dir;
      if (!PrivateDirectory(db, &dir, &error)) {
        *err = sqlite3_mprintf("%s", error.c_str());
        return SQLITE_CANTOPEN;
      }
      path = CanonicalStorePath(dir + "/" + argv[1] + "-" + table + ".strata");
      temporary = true;
    } else {
      path = CanonicalStorePath(std::string(file) + "-" + table + ".strata");
    }
  }

  Store* store = nullptr;
  Status s =
      StoreRegistry::Get()->Acquire(path, temporary, create, schema, options, db, &store, &error);
  if (!s.ok()) {
    *err = sqlite3_mprintf("%s", error.c_str());
    return SqliteCode(s) == SQLITE_NOTFOUND ? SQLITE_CANTOPEN : SqliteCode(s);
  }
  int rc = sqlite3_declare_vtab(db, schema.DeclareSql().c_str());
  if (rc != SQLITE_OK) {
    StoreRegistry::Get()->Release(store, db);
    *err = sqlite3_mprintf("strata: cannot declare the table: %s", sqlite3_errmsg(db));
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  auto* vt = new StrataVtab;
  memset(&vt->base, 0, sizeof(vt->base));
  vt->db = db;
  vt->table = table;
  vt->schema_name = argv[1];
  vt->store = store;
  vt->tx = AcquireStoreTxn(db, store);
  vt->schema = &store->schema;
  const size_t ncols = store->schema.columns().size() + 1;
  vt->holders = std::vector<ValueHolder>(ncols);
  vt->values.resize(ncols);
  const size_t key_words = (store->schema.key_columns().size() + 63) / 64;
  vt->real_key_mask.resize(key_words);
  vt->neg_zero_key_mask.resize(key_words);
  *out = &vt->base;
  RegisterTable(vt);
  return SQLITE_OK;
}

int Create(sqlite3* db, void*, int argc, const char* const* argv, sqlite3_vtab** out, char** err) {
  return Init(db, argc, argv, out, err, true);
}

int Connect(sqlite3* db, void*, int argc, const char* const* argv, sqlite3_vtab** out, char** err) {
  return Init(db, argc, argv, out, err, false);
}

// Gives back the transaction's snapshot, if it holds one.
void DropSnapshot(StoreTxn* tx) {
  if (tx->snapshot != nullptr) {
    tx->store->db->ReleaseSnapshot(tx->snapshot);
    tx->snapshot = nullptr;
  }
}

// Forgets the transaction's view of the store (vtab.h, StoreTxn).
void ReleaseTxnView(StoreTxn* tx) {
  DropSnapshot(tx);
  tx->read_mark_set = false;
}

// A transaction watch (txn_watch.h) holds a reference on the StoreTxn and on
// its store from ReadSnapshot to OnTransactionEnd: the transaction's view
// must outlive the table objects, which SQLite may let go of in the middle
// of a transaction that only read them (a ROLLBACK TO that resets the
// schema).
void HoldForWatch(StoreTxn* tx) {
  {
    std::lock_guard<std::mutex> l(tables_mu);
    tx->refs++;
  }
  StoreRegistry::Get()->AddRef(tx->store, tx->db);
}

void ReleaseWatchHold(StoreTxn* tx) {
  Store* store = tx->store;
  sqlite3* db = tx->db;
  ReleaseStoreTxn(tx);  // may delete tx
  StoreRegistry::Get()->Release(store, db);
}

// Told by txn_watch.h; gives back the watch's hold. When the watch is lost
// in the middle of the transaction, the snapshot goes (it must not outlive
// the transaction unwatched; the next read takes another, and watches
// again), but the read mark stays: writes are still checked against the
// first read.
void OnTransactionEnd(void* owner, bool ended) {
  auto* tx = static_cast<StoreTxn*>(owner);
  if (ended) {
    ReleaseTxnView(tx);
  } else {
    DropSnapshot(tx);
  }
  ReleaseWatchHold(tx);
}

// Records Store::commits as the transaction's read mark, unless it has one.
void SetReadMark(StoreTxn* tx) {
  if (tx->read_mark_set) return;
  tx->read_mark = tx->store->commits.load();
  tx->read_mark_set = true;
}

void EndTransaction(StoreTxn* tx) {
  ReleaseTxnView(tx);
  tx->batch.reset();
  tx->written = false;
  tx->savepoints = 0;
  tx->max_rowid_known = false;
  if (tx->holds_writer) {
    tx->store->ReleaseWriter(tx);
    tx->holds_writer = false;
  }
}

void EndTransaction(StrataVtab* vt) {
  EndRangeDeleteRun(vt);
  EndTransaction(vt->tx);
}

int Disconnect(sqlite3_vtab* vtab) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  EndRangeDeleteRun(vt);
  ReleaseStoreTxn(vt->tx);
  UnregisterTable(vt);
  StoreRegistry::Get()->Release(vt->store, vt->db);
  sqlite3_free(vt->base.zErrMsg);
  delete vt;
  return SQLITE_OK;
}

// DROP TABLE. The store is deleted when the transaction commits (ddl_txn.h):
// a rollback brings the table back, and it must find its rows.
int Destroy(sqlite3_vtab* vtab) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  std::string error;
  int rc = DeferDrop(vt->db, vt->store, vt->table, &error);
  if (rc != SQLITE_OK) return KeyError(vt, rc, error);
  return Disconnect(vtab);
}

void SetName(StrataVtab* vt, const char* new_name) {
  UnregisterTable(vt);
  vt->table = new_name;
  RegisterTable(vt);
}

// ALTER TABLE ... RENAME. A store at its default path moves to the new
// name's when the transaction commits (ddl_txn.h); until then the new name
// leads to it where it is.
int Rename(sqlite3_vtab* vtab, const char* new_name) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  Store* store = vt->store;
  if (!store->options.path.empty()) {
    SetName(vt, new_name);  // an explicit path stays where it is
    return SQLITE_OK;
  }
  // Where the store is, or goes with the transaction's earlier renames.
  std::string old_path = StoreRegistry::Get()->RenamedTo(store);
  if (old_path.empty()) old_path = store->path;
  const std::string suffix = "-" + vt->table + ".strata";
  if (old_path.size() < suffix.size() ||
      old_path.compare(old_path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    SetName(vt, new_name);
    return SQLITE_OK;
  }
  const std::string new_path = CanonicalStorePath(
      old_path.substr(0, old_path.size() - suffix.size()) + "-" + new_name + ".strata");
  std::string error;
  int rc = DeferRename(vt->db, store, vt->table, new_name, old_path, new_path, &error);
  if (rc != SQLITE_OK) return KeyError(vt, rc, error);
  SetName(vt, new_name);
  return SQLITE_OK;
}

// ---- writes ----------------------------------------------------------------

// The connection's busy timeout (sqlite3_busy_timeout, PRAGMA busy_timeout)
// in milliseconds: how long a writer waits for the store's write token, as
// SQLite waits for a database's write lock. 0 when none is set (or the
// connection uses a busy handler of its own, which strata cannot call).
int64_t BusyTimeoutMs(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  int64_t ms = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    ms = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return ms;
}

// Starts (or continues) this connection's write transaction.
int EnsureWriter(StrataVtab* vt) {
  if (vt->tx->holds_writer) return SQLITE_OK;
  if (vt->store->read_only) {
    return KeyError(vt, SQLITE_READONLY,
                    "strata: table " + vt->table + " is read-only (store " + vt->store->path + ")");
  }
  if (!vt->store->AcquireWriter(vt->tx) &&
      !vt->store->AcquireWriter(vt->tx, BusyTimeoutMs(vt->db))) {
    return KeyError(vt, SQLITE_BUSY,
                    "strata: table " + vt->table +
                        " is being written by another connection; one writer at a time");
  }
  // Another connection committed after this transaction read the table: a
  // write now could rest on what it read (a lost update). As a native WAL
  // table does, refuse; the transaction must roll back and start again.
  if (vt->tx->read_mark_set && vt->store->commits.load() != vt->tx->read_mark) {
    vt->store->ReleaseWriter(vt->tx);
    return KeyError(vt, SQLITE_BUSY_SNAPSHOT,
                    "strata: table " + vt->table +
                        " changed (another connection committed) since this transaction read "
                        "it; roll the transaction back and retry it");
  }
  // From here the write token keeps the state the transaction read.
  ReleaseTxnView(vt->tx);
  vt->tx->holds_writer = true;
  if (vt->tx->batch == nullptr) vt->tx->batch = std::make_unique<WriteBatchWithIndex>();
  return SQLITE_OK;
}

// The key of an existing row as SQLite hands it back (argv[0] of UPDATE and
// DELETE): the rowid, the key column's value, or the hidden encoded key.
int OldKey(StrataVtab* vt, sqlite3_value* v, std::string* key) {
  key->clear();
  switch (vt->schema->kind()) {
    case KeyKind::kRowid:
      EncodeKey(SqlValue::Integer(sqlite3_value_int64(v)), key);
      return SQLITE_OK;
    case KeyKind::kSingle: {
      SqlValue k = WithAffinity(v, KeyAffinity(vt, 0), &vt->holders.back());
      EncodeKey(k, key);
      return SQLITE_OK;
    }
    case KeyKind::kComposite: {
      const void* p = sqlite3_value_blob(v);
      key->assign(static_cast<const char*>(p ? p : ""), sqlite3_value_bytes(v));
      return SQLITE_OK;
    }
  }
  return SQLITE_OK;
}

Status ExistsKey(StrataVtab* vt, const std::string& key, bool* exists) {
  Status s = ReadKey(vt, key, &vt->lookup_buf);
  *exists = s.ok();
  return s.IsNotFound() ? Status::OK() : s;
}

// The largest rowid present (transaction included), or 0 for none.
Status MaxRowid(StrataVtab* vt, int64_t* max) {
  if (vt->tx->max_rowid_known) {
    *max = vt->tx->max_rowid;
    return Status::OK();
  }
  EndRangeDeleteRun(vt);
  std::unique_ptr<Iterator> it(vt->store->db->NewIterator(ReadOptions()));
  if (vt->tx->batch != nullptr && vt->tx->batch->Count() > 0) {
    it.reset(vt->tx->batch->NewIteratorWithBase(it.release(), ReadOptions()));
  }
  it->SeekToLast();
  int64_t result = 0;
  if (it->Valid()) {
    SqlValue v;
    std::string scratch;
    if (DecodeKey(it->key().view(), 1, &v, &scratch) && v.type == SqlValue::Type::kInteger) {
      result = v.i;
    }
  }
  if (!it->status().ok()) return it->status();
  vt->tx->max_rowid = result;
  vt->tx->max_rowid_known = true;
  *max = result;
  return Status::OK();
}

// Converts argv[2..] into the new row: values with affinity, NOT NULL and
// size checks, the encoded key in vt->key_buf and the encoded row in
// vt->row_buf. For rowid tables *rowid receives the key.
int BuildRow(StrataVtab* vt, int argc, sqlite3_value** argv, bool is_insert,
             sqlite3_value* old_rowid, sqlite3_int64* rowid) {
  const Schema& schema = *vt->schema;
  const auto& columns = schema.columns();
  const int ncols = static_cast<int>(columns.size());
  if (argc < ncols + 2) return KeyError(vt, SQLITE_ERROR, "strata: wrong number of columns");
  size_t row_bytes = 0;
  bool old_row_read = false;
  for (int i = 0; i < ncols; i++) {
    if (!is_insert && sqlite3_value_nochange(argv[2 + i])) {
      // An UPDATE left this (large) column alone and xColumn did not hand
      // it over: take it from the stored row.
      if (!old_row_read) {
        OldKey(vt, argv[0], &vt->old_key_buf);
        Status s = ReadKey(vt, vt->old_key_buf, &vt->old_row_buf);
        if (!s.ok() || !vt->old_row.Init(vt->old_row_buf)) {
          return VtabError(&vt->base, s.ok() ? Status::Corruption("malformed row") : s,
                           "reading the row being updated");
        }
        old_row_read = true;
      }
      const int j = schema.value_index(i);
      vt->values[i] = j >= 0 && static_cast<size_t>(j) < vt->old_row.num_columns()
                          ? vt->old_row.Column(j)
                          : SqlValue();
    } else {
      vt->values[i] = WithAffinity(argv[2 + i], columns[i].affinity, &vt->holders[i]);
    }
    row_bytes += ValueSize(vt->values[i]);
  }
  // The key.
  vt->key_buf.clear();
  // What the canonical key encoding loses, for the row to keep (row_codec.h).
  std::vector<uint64_t>& real_mask = vt->real_key_mask;
  std::vector<uint64_t>& neg_zero_mask = vt->neg_zero_key_mask;
  std::fill(real_mask.begin(), real_mask.end(), 0);
  std::fill(neg_zero_mask.begin(), neg_zero_mask.end(), 0);
  if (schema.kind() == KeyKind::kRowid) {
    const int alias = schema.rowid_alias();
    SqlValue key;
    // A changed rowid (UPDATE ... SET rowid = x) wins over the alias column,
    // which SQLite passes unchanged in that case.
    const bool rowid_changed = !is_insert && old_rowid != nullptr &&
                               sqlite3_value_type(argv[1]) != SQLITE_NULL &&
                               sqlite3_value_int64(argv[1]) != sqlite3_value_int64(old_rowid);
    if (alias >= 0 && !vt->values[alias].is_null() && !rowid_changed) {
      key = vt->values[alias];
    } else if (sqlite3_value_type(argv[1]) != SQLITE_NULL) {
      key = WithAffinity(argv[1], Affinity::kInteger, &vt->holders.back());
    }
    if (key.is_null()) {
      int64_t max = 0;
      Status s = MaxRowid(vt, &max);
      if (!s.ok()) return VtabError(&vt->base, s, "finding the largest rowid");
      if (max == INT64_MAX) {
        return KeyError(vt, SQLITE_FULL,
                        "strata: table " + vt->table + " has used rowid " +
                            std::to_string(INT64_MAX) + "; no rowid is left");
      }
      key = SqlValue::Integer(max + 1);
    }
    if (key.type != SqlValue::Type::kInteger) {
      return KeyError(vt, SQLITE_MISMATCH, "datatype mismatch");
    }
    *rowid = key.i;
    if (alias >= 0) vt->values[alias] = key;
    EncodeKey(key, &vt->key_buf);
  } else {
    const auto& keys = schema.key_columns();
    // NOT NULL in column order, as SQLite checks a native table without a rowid (whose key
    // columns are NOT NULL): the first NULL column named is the same.
    for (int i = 0; i < ncols; i++) {
      if (vt->values[i].is_null() && (columns[i].not_null || schema.key_index(i) >= 0)) {
        return ConstraintError(vt, SQLITE_CONSTRAINT_NOTNULL,
                               "NOT NULL constraint failed: " + vt->table + "." + columns[i].name);
      }
    }
    for (size_t k = 0; k < keys.size(); k++) {
      const SqlValue& v = vt->values[keys[k]];
      // The key encoding cannot tell 1.0 from 1, nor -0.0 from 0: remember REALs and their
      // sign. (Under REAL affinity a native table drops both: it stores 1.0 and -0.0 as the
      // integers 1 and 0, and reads them back as 1.0 and 0.0.)
      if (v.type == SqlValue::Type::kReal && columns[keys[k]].affinity != Affinity::kReal) {
        real_mask[k / 64] |= uint64_t{1} << (k % 64);
        if (v.r == 0 && std::signbit(v.r)) neg_zero_mask[k / 64] |= uint64_t{1} << (k % 64);
      }
    }
    if (keys.size() == 1) {
      EncodeKey(vt->values[keys[0]], &vt->key_buf);
    } else {
      for (size_t k = 0; k < keys.size(); k++) {
        AppendKeyColumn(vt->values[keys[k]], k + 1 == keys.size(), &vt->key_buf);
      }
    }
  }
  for (int i = 0; i < ncols; i++) {
    if (columns[i].not_null && vt->values[i].is_null()) {
      return ConstraintError(vt, SQLITE_CONSTRAINT_NOTNULL,
                             "NOT NULL constraint failed: " + vt->table + "." + columns[i].name);
    }
  }
  size_t key_bytes = 8;  // a rowid
  if (schema.kind() != KeyKind::kRowid) {
    key_bytes = 0;
    for (int k : schema.key_columns()) key_bytes += ValueSize(vt->values[k]);
  }
  if (key_bytes > kMaxKeyBytes) {
    return KeyError(vt, SQLITE_TOOBIG,
                    "strata: key of " + std::to_string(key_bytes) + " bytes exceeds the limit of " +
                        std::to_string(kMaxKeyBytes) + " bytes; nothing was written");
  }
  if (row_bytes > kMaxRowBytes) {
    return KeyError(vt, SQLITE_TOOBIG,
                    "strata: row of " + std::to_string(row_bytes) + " bytes exceeds the limit of " +
                        std::to_string(kMaxRowBytes) + " bytes; nothing was written");
  }
  // The row: the non-key columns.
  const auto& value_cols = schema.value_columns();
  vt->row_buf.clear();
  std::vector<SqlValue>& row = vt->values;
  // Gather value columns in order into the tail of values[] (the key
  // columns were read above).
  thread_local std::vector<SqlValue> gathered;
  gathered.resize(value_cols.size());
  for (size_t j = 0; j < value_cols.size(); j++) gathered[j] = row[value_cols[j]];
  EncodeRow(gathered.data(), gathered.size(), real_mask, neg_zero_mask, &vt->row_buf);
  return SQLITE_OK;
}

// The extended code is a native table's: ROWID for an implicit rowid,
// PRIMARYKEY for a declared key (an INTEGER PRIMARY KEY included).
int ConflictError(StrataVtab* vt) {
  const Schema& schema = *vt->schema;
  const bool implicit_rowid = schema.kind() == KeyKind::kRowid && schema.rowid_alias() < 0;
  return ConstraintError(vt,
                         implicit_rowid ? SQLITE_CONSTRAINT_ROWID : SQLITE_CONSTRAINT_PRIMARYKEY,
                         "UNIQUE constraint failed: " + schema.KeyDescription(vt->table));
}

int Update(sqlite3_vtab* vtab, int argc, sqlite3_value** argv, sqlite3_int64* rowid) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  int rc = EnsureWriter(vt);
  if (rc != SQLITE_OK) return rc;
  WriteBatchWithIndex* txn = vt->tx->batch.get();

  if (argc == 1) {  // DELETE
    OldKey(vt, argv[0], &vt->old_key_buf);
    if (vt->range_delete.phase == RangeDeleteRun::Phase::kDeleting) {
      RangeDeleteDelete(vt, vt->old_key_buf);
    } else {
      EndRangeDeleteRun(vt);
      txn->Delete(vt->old_key_buf);
    }
    vt->tx->max_rowid_known = false;
    return SQLITE_OK;
  }
  EndRangeDeleteRun(vt);
  const bool is_insert = sqlite3_value_type(argv[0]) == SQLITE_NULL;
  sqlite3_int64 new_rowid = 0;
  rc = BuildRow(vt, argc, argv, is_insert, is_insert ? nullptr : argv[0], &new_rowid);
  if (rc != SQLITE_OK) return rc;
  const int conflict = sqlite3_vtab_on_conflict(vt->db);

  if (is_insert) {
    if (conflict != SQLITE_REPLACE) {
      bool exists;
      Status s = ExistsKey(vt, vt->key_buf, &exists);
      if (!s.ok()) return VtabError(vtab, s, "checking for an existing row");
      if (exists) return ConflictError(vt);
    }
    txn->Put(vt->key_buf, vt->row_buf);
  } else {
    OldKey(vt, argv[0], &vt->old_key_buf);
    if (vt->old_key_buf != vt->key_buf) {
      if (conflict != SQLITE_REPLACE) {
        bool exists;
        Status s = ExistsKey(vt, vt->key_buf, &exists);
        if (!s.ok()) return VtabError(vtab, s, "checking for an existing row");
        if (exists) return ConflictError(vt);
      }
      txn->Delete(vt->old_key_buf);
      vt->tx->max_rowid_known = false;
    }
    txn->Put(vt->key_buf, vt->row_buf);
  }
  if (vt->schema->kind() == KeyKind::kRowid) {
    *rowid = new_rowid;
    if (vt->tx->max_rowid_known && new_rowid > vt->tx->max_rowid) vt->tx->max_rowid = new_rowid;
  }
  return SQLITE_OK;
}

// ---- transactions ------------------------------------------------------

// The start of the transaction's first statement that may write the table,
// before it reads anything: as SQLite takes a database's write lock, the
// statement takes the store's write token here (or fails with SQLITE_BUSY,
// or SQLITE_BUSY_SNAPSHOT if the transaction read an older state).
int Begin(sqlite3_vtab* vtab) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  EndRangeDeleteRun(vt);
  // A previous transaction that SQLite ended without commit or rollback
  // (it does not) would be dropped here.
  if (vt->tx->batch != nullptr && vt->tx->written) EndTransaction(vt);
  return EnsureWriter(vt);
}

// The durable step: the pending writes go to the engine (WAL, then the
// memtable) as one atomic batch, fsynced first when sync = full.
int Sync(sqlite3_vtab* vtab) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  EndRangeDeleteRun(vt);
  if (vt->tx->batch == nullptr || vt->tx->written || vt->tx->batch->Count() == 0) return SQLITE_OK;
  // A large transaction into an empty key range becomes a bulk load.
  Status s = vt->store->db->Write(vt->store->write_options, vt->tx->batch.get());
  vt->store->commits++;  // even a failed write may have landed in part
  if (!s.ok()) return VtabError(vtab, s, "commit failed, the transaction was not written");
  vt->tx->written = true;
  return SQLITE_OK;
}

int Commit(sqlite3_vtab* vtab) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  EndRangeDeleteRun(vt);
  // SQLite ignores what xCommit returns; writing here covers a commit that
  // arrived without xSync.
  if (vt->tx->batch != nullptr && !vt->tx->written && vt->tx->batch->Count() > 0) Sync(vtab);
  EndTransaction(vt);
  return SQLITE_OK;
}

int Rollback(sqlite3_vtab* vtab) {
  EndTransaction(reinterpret_cast<StrataVtab*>(vtab));
  return SQLITE_OK;
}

// SQLite's savepoint N (0-based) maps to the N+1-th save point of the
// pending batch; N = -1 means the state when the table joined the
// transaction (nothing pending).
int Savepoint(sqlite3_vtab* vtab, int n) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  EndRangeDeleteRun(vt);  // a run's own save point goes first
  if (vt->tx->batch == nullptr) vt->tx->batch = std::make_unique<WriteBatchWithIndex>();
  while (vt->tx->savepoints <= n) {
    vt->tx->batch->SetSavePoint();
    vt->tx->savepoints++;
  }
  return SQLITE_OK;
}

int Release(sqlite3_vtab* vtab, int n) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  EndRangeDeleteRun(vt);
  if (vt->tx->batch == nullptr) return SQLITE_OK;
  while (vt->tx->savepoints > n && vt->tx->savepoints > 0) {
    vt->tx->batch->PopSavePoint();
    vt->tx->savepoints--;
  }
  return SQLITE_OK;
}

int RollbackTo(sqlite3_vtab* vtab, int n) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  EndRangeDeleteRun(vt);
  if (vt->tx->batch == nullptr) return SQLITE_OK;
  vt->tx->max_rowid_known = false;
  if (n < 0) {
    vt->tx->batch->Clear();
    vt->tx->savepoints = 0;
    return SQLITE_OK;
  }
  if (vt->tx->savepoints <= n) return SQLITE_OK;
  while (vt->tx->savepoints > n + 1) {
    vt->tx->batch->PopSavePoint();
    vt->tx->savepoints--;
  }
  vt->tx->batch->RollbackToSavePoint();  // drops savepoint n and what followed it
  vt->tx->batch->SetSavePoint();         // savepoint n stays open
  return SQLITE_OK;
}

// PRAGMA integrity_check (SQLite 3.44+): reads every block of the store.
int Integrity(sqlite3_vtab* vtab, const char*, const char*, int, char** err) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  Status s = vt->store->db->Verify();
  if (!s.ok())
    *err = sqlite3_mprintf("strata table %s: %s", vt->table.c_str(), s.ToString().c_str());
  return SQLITE_OK;
}

// The module, with the xIntegrity slot of SQLite 3.44 appended by hand when
// building against older headers: SQLite reads it only when it is new enough
// and the module says iVersion 4 (set at load time from the running
// version, see StrataModule()).
struct ModuleV4 {
  sqlite3_module base;
#if SQLITE_VERSION_NUMBER < 3044000
  int (*xIntegrity)(sqlite3_vtab*, const char*, const char*, int, char**);
#endif
};

ModuleV4 kModule = {{
    /* iVersion    */ 3,
    /* xCreate     */ Create,
    /* xConnect    */ Connect,
    /* xBestIndex  */ StrataBestIndex,
    /* xDisconnect */ Disconnect,
    /* xDestroy    */ Destroy,
    /* xOpen       */ StrataOpen,
    /* xClose      */ StrataClose,
    /* xFilter     */ StrataFilter,
    /* xNext       */ StrataNext,
    /* xEof        */ StrataEof,
    /* xColumn     */ StrataColumn,
    /* xRowid      */ StrataRowid,
    /* xUpdate     */ Update,
    /* xBegin      */ Begin,
    /* xSync       */ Sync,
    /* xCommit     */ Commit,
    /* xRollback   */ Rollback,
    /* xFindFunction */ nullptr,
    /* xRename     */ Rename,
    /* xSavepoint  */ Savepoint,
    /* xRelease    */ Release,
    /* xRollbackTo */ RollbackTo,
    /* xShadowName */ nullptr,
#if SQLITE_VERSION_NUMBER >= 3044000
    /* xIntegrity  */ Integrity,
}};
#else
                    },
                    /* xIntegrity  */ Integrity};
#endif

}  // namespace

const sqlite3_module* StrataModule() {
  if (sqlite3_libversion_number() >= 3044000) kModule.base.iVersion = 4;
  ReadRangeDeleteMinRows();
  return &kModule.base;
}

void* ModuleRegistered(sqlite3* db) {
  std::lock_guard<std::mutex> l(private_dirs_mu);
  (*PrivateDirs())[db].registrations++;
  return db;
}

void ModuleDestroyed(void* client_data) {
  auto* db = static_cast<sqlite3*>(client_data);
  std::string dir;
  {
    std::lock_guard<std::mutex> l(private_dirs_mu);
    auto it = PrivateDirs()->find(db);
    if (it == PrivateDirs()->end() || --it->second.registrations > 0) return;
    dir = it->second.path;
    PrivateDirs()->erase(it);
  }
  // SQLite disconnects every table before it lets go of the module, so no
  // store in the directory is open any more.
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

StrataVtab* FindTable(sqlite3* db, const std::string& name) {
  std::string key = LowerName(name);
  if (key.find('.') == std::string::npos) key = "main." + key;
  for (int attempt = 0; attempt < 2; attempt++) {
    {
      std::lock_guard<std::mutex> l(tables_mu);
      auto it = Tables()->find({db, key});
      if (it != Tables()->end()) return it->second;
    }
    if (attempt == 0) {
      // Not connected yet in this connection: a query connects it.
      const size_t dot = key.find('.');
      std::string sql = "SELECT 0 FROM " + QuoteIdentifier(key.substr(0, dot)) + "." +
                        QuoteIdentifier(name.substr(
                            name.find('.') == std::string::npos ? 0 : name.find('.') + 1)) +
                        " WHERE 0";
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) sqlite3_step(stmt);
      sqlite3_finalize(stmt);
    }
  }
  return nullptr;
}

Affinity KeyAffinity(const StrataVtab* vt, int p) {
  const Schema& schema = *vt->schema;
  if (schema.kind() == KeyKind::kRowid) return Affinity::kInteger;
  return schema.columns()[schema.key_columns()[p]].affinity;
}

int KeyColumnCount(const StrataVtab* vt) {
  return vt->schema->kind() == KeyKind::kRowid ? 1
                                               : static_cast<int>(vt->schema->key_columns().size());
}

Status ReadKey(StrataVtab* vt, const Slice& key, std::string* value) {
  EndRangeDeleteRun(vt);  // its deletes are not in the batch yet
  if (vt->tx->HasPendingWrites()) {
    return vt->tx->batch->GetFromBatchAndDB(vt->store->db.get(), ReadOptions(), key, value);
  }
  ReadOptions ro;
  ro.snapshot = ReadSnapshot(vt);
  return vt->store->db->Get(ro, key, value);
}

void ReleaseTxnSnapshots(sqlite3* db, const Store* store) {
  std::lock_guard<std::mutex> l(tables_mu);
  auto it = StoreTxns()->find({db, store});
  if (it != StoreTxns()->end()) DropSnapshot(it->second);
}

const Snapshot* ReadSnapshot(StrataVtab* vt) {
  StoreTxn* tx = vt->tx;
  if (tx->holds_writer) return nullptr;
  if (sqlite3_get_autocommit(vt->db)) {
    // A transaction's end releases its view when told (txn_watch.h); this
    // is the safe side for a view whose watch was lost before the end.
    ReleaseTxnView(tx);
    return nullptr;
  }
  if (tx->snapshot != nullptr) return tx->snapshot;
  // Without a word of the transaction's end, a snapshot would outlive it:
  // then each statement reads the latest state (the read mark still guards
  // the writes, from the statement that first writes).
  HoldForWatch(tx);
  if (!WatchTransactionEnd(vt->db, tx, OnTransactionEnd)) {
    ReleaseWatchHold(tx);
    return nullptr;
  }
  SetReadMark(tx);  // before the snapshot: a commit between them reads as a change
  tx->snapshot = tx->store->db->GetSnapshot();
  return tx->snapshot;
}

}  // namespace strata
