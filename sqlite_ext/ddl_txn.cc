// Transactional DROP and RENAME (see ddl_txn.h for why and how).
//
// Savepoints: SQLite's xSavepoint(n) opens the (n+1)-th savepoint, including
// the statement savepoints it opens for each statement inside a transaction.
// Each pending operation records how many were open when it was made;
// xRollbackTo(n) undoes the operations made since savepoint n opened, and
// xRelease(n) hands the later ones to the enclosing savepoint.
#include "sqlite_ext/ddl_txn.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "sqlite_ext/status_map.h"
#include "sqlite_ext/vtab.h"

namespace strata {

namespace {

struct PendingDdl {
  enum class Kind { kDrop, kRename };
  Kind kind = Kind::kDrop;
  Store* store = nullptr;  // holds one reference until the operation ends
  std::string table;       // the table's name when the operation was made
  std::string new_table;   // kRename
  std::string from, to;    // kRename: the store's paths before and after
  int depth = 0;           // savepoints open when it was made
};

// The connection's one strata_pending_ddl: its transaction's operations.
struct DdlTxn {
  sqlite3_vtab base;  // must be first: SQLite sees this
  sqlite3* db = nullptr;
  bool joined = false;  // in the open transaction (xBegin seen, not ended)
  int depth = 0;        // savepoints open
  std::vector<PendingDdl> ops;
  std::map<Store*, std::string> moved_from;  // stores xSync moved, and from where
};

struct DdlCursor {
  sqlite3_vtab_cursor base;  // must be first
  size_t row = 0;
};

std::mutex txns_mu;
std::map<sqlite3*, DdlTxn*>* Txns() {
  static auto* txns = new std::map<sqlite3*, DdlTxn*>;
  return txns;
}

DdlTxn* AsTxn(sqlite3_vtab* vtab) { return reinterpret_cast<DdlTxn*>(vtab); }

// Moves the store (closing and reopening its engine) once the connection's
// tables have let go of their snapshots of the engine.
Status MoveStore(Store* store, const std::string& to, sqlite3* db) {
  ReleaseTxnSnapshots(db, store);
  return StoreRegistry::Get()->Move(store, to, db);
}

// Makes the connection's strata_pending_ddl part of the open transaction and
// returns it. A write to a virtual table does that (SQLite calls its xBegin
// and from then on its transaction methods), even one that changes nothing.
DdlTxn* Join(sqlite3* db, std::string* error) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db, "DELETE FROM main.strata_pending_ddl WHERE 0", nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    *error = std::string("strata: cannot make the change part of the transaction: ") +
             (msg != nullptr ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return nullptr;
  }
  DdlTxn* t = nullptr;
  {
    std::lock_guard<std::mutex> l(txns_mu);
    auto it = Txns()->find(db);
    if (it != Txns()->end()) t = it->second;
  }
  if (t == nullptr || !t->joined) {
    *error = "strata: cannot make the change part of the transaction (strata_pending_ddl)";
    return nullptr;
  }
  return t;
}

// Where each renamed store goes at commit (the last rename's target), leaving
// out stores the transaction also drops (no point moving those).
std::map<Store*, std::string> MoveTargets(const DdlTxn* t) {
  std::map<Store*, std::string> targets;
  std::set<Store*> dropped;
  for (const PendingDdl& op : t->ops) {
    if (op.kind == PendingDdl::Kind::kRename) targets[op.store] = op.to;
    if (op.kind == PendingDdl::Kind::kDrop) dropped.insert(op.store);
  }
  for (Store* s : dropped) targets.erase(s);
  return targets;
}

// Moves the stores xSync moved back to where they were. One that cannot move
// back (another connection took hold of it since) stays where it is, and its
// old path, aliased since xSync, keeps leading to it in this process.
void MoveBack(DdlTxn* t) {
  StoreRegistry* reg = StoreRegistry::Get();
  for (const auto& [store, from] : t->moved_from) {
    if (MoveStore(store, from, t->db).ok()) reg->RemoveAlias(from, store);
  }
  t->moved_from.clear();
}

// Undoes ops[first..], the latest first.
void UndoFrom(DdlTxn* t, size_t first) {
  StoreRegistry* reg = StoreRegistry::Get();
  while (t->ops.size() > first) {
    PendingDdl op = std::move(t->ops.back());
    t->ops.pop_back();
    if (op.kind == PendingDdl::Kind::kDrop) {
      reg->EndDrop(op.store, t->db, /*committed=*/false);
      continue;
    }
    // The new name no longer leads to the store (unless an earlier rename of
    // the transaction went there too); the target is the one before.
    reg->RemoveAlias(op.to, op.store);
    for (const PendingDdl& earlier : t->ops) {
      if (earlier.kind == PendingDdl::Kind::kRename && earlier.to == op.to) {
        reg->AddAlias(earlier.to, earlier.store);
      }
    }
    reg->SetRenamedTo(op.store, op.from);
    reg->Release(op.store, t->db);
  }
}

void EndTransaction(DdlTxn* t) {
  t->ops.clear();
  t->moved_from.clear();
  t->depth = 0;
  t->joined = false;
}

int Connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char** err) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(op TEXT, tbl TEXT, path TEXT, new_path TEXT)");
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    return rc;
  }
  // Only strata writes to it, directly: not from triggers or views.
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  auto* t = new DdlTxn;
  memset(&t->base, 0, sizeof(t->base));
  t->db = db;
  std::lock_guard<std::mutex> l(txns_mu);
  (*Txns())[db] = t;
  *out = &t->base;
  return SQLITE_OK;
}

int Disconnect(sqlite3_vtab* vtab) {
  DdlTxn* t = AsTxn(vtab);
  // SQLite ends a transaction before it lets go of its tables; should any
  // operation remain, keeping the data is the safe side.
  MoveBack(t);
  UndoFrom(t, 0);
  {
    std::lock_guard<std::mutex> l(txns_mu);
    auto it = Txns()->find(t->db);
    if (it != Txns()->end() && it->second == t) Txns()->erase(it);
  }
  sqlite3_free(t->base.zErrMsg);
  delete t;
  return SQLITE_OK;
}

int BestIndex(sqlite3_vtab*, sqlite3_index_info* info) {
  info->estimatedCost = 10;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

int Open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new DdlCursor;
  memset(&c->base, 0, sizeof(c->base));
  *out = &c->base;
  return SQLITE_OK;
}

int Close(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<DdlCursor*>(cur);
  return SQLITE_OK;
}

int Filter(sqlite3_vtab_cursor* cur, int, const char*, int, sqlite3_value**) {
  reinterpret_cast<DdlCursor*>(cur)->row = 0;
  return SQLITE_OK;
}

int Next(sqlite3_vtab_cursor* cur) {
  reinterpret_cast<DdlCursor*>(cur)->row++;
  return SQLITE_OK;
}

int Eof(sqlite3_vtab_cursor* cur) {
  return reinterpret_cast<DdlCursor*>(cur)->row >= AsTxn(cur->pVtab)->ops.size();
}

int Column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
  const PendingDdl& op = AsTxn(cur->pVtab)->ops[reinterpret_cast<DdlCursor*>(cur)->row];
  const bool drop = op.kind == PendingDdl::Kind::kDrop;
  std::string v;
  switch (column) {
    case 0:
      v = drop ? "drop" : "rename";
      break;
    case 1:
      v = drop ? op.table : op.table + " -> " + op.new_table;
      break;
    case 2:
      v = drop ? op.store->path : op.from;
      break;
    default:
      if (drop) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
      }
      v = op.to;
  }
  sqlite3_result_text(ctx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return SQLITE_OK;
}

int Rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) {
  *rowid = static_cast<sqlite3_int64>(reinterpret_cast<DdlCursor*>(cur)->row);
  return SQLITE_OK;
}

// Only strata's own `DELETE ... WHERE 0` writes, and it reaches no row.
int Update(sqlite3_vtab* vtab, int, sqlite3_value**, sqlite3_int64*) {
  SetVtabError(vtab, "strata_pending_ddl is kept by strata and cannot be written");
  return SQLITE_READONLY;
}

int Begin(sqlite3_vtab* vtab) {
  AsTxn(vtab)->joined = true;
  return SQLITE_OK;
}

// The renames' durable step, just before the database commits: the
// directories move now, so that a failure can still fail the COMMIT (SQLite
// then rolls the transaction back, or keeps it open after SQLITE_BUSY).
int Sync(sqlite3_vtab* vtab) {
  DdlTxn* t = AsTxn(vtab);
  StoreRegistry* reg = StoreRegistry::Get();
  for (const auto& [store, to] : MoveTargets(t)) {
    if (store->path == to) continue;  // moved by an earlier xSync of this transaction
    const std::string from = store->path;
    Status s = MoveStore(store, to, t->db);
    if (!s.ok()) {
      return VtabError(vtab, s, "cannot move the store of a renamed table to " + to);
    }
    t->moved_from.emplace(store, from);  // keeps the first: where it was before COMMIT
    // The old name is the committed one until the database commits.
    reg->AddAlias(from, store);
  }
  return SQLITE_OK;
}

int Commit(sqlite3_vtab* vtab) {
  DdlTxn* t = AsTxn(vtab);
  StoreRegistry* reg = StoreRegistry::Get();
  for (const auto& [store, to] : MoveTargets(t)) {
    // Without xSync (SQLite does not promise it), move now; if that fails the
    // store stays where it is and its new name leads to it in this process.
    if (store->path != to) MoveStore(store, to, t->db);
    reg->RemoveAliases(store, store->path == to ? "" : to);
    reg->SetRenamedTo(store, to);
  }
  for (PendingDdl& op : t->ops) {
    if (op.kind == PendingDdl::Kind::kDrop) {
      reg->EndDrop(op.store, t->db, /*committed=*/true);
    } else {
      reg->Release(op.store, t->db);
    }
  }
  EndTransaction(t);
  return SQLITE_OK;
}

int Rollback(sqlite3_vtab* vtab) {
  DdlTxn* t = AsTxn(vtab);
  MoveBack(t);
  UndoFrom(t, 0);
  EndTransaction(t);
  return SQLITE_OK;
}

int Savepoint(sqlite3_vtab* vtab, int n) {
  AsTxn(vtab)->depth = n + 1;
  return SQLITE_OK;
}

int Release(sqlite3_vtab* vtab, int n) {
  DdlTxn* t = AsTxn(vtab);
  t->depth = n;
  for (PendingDdl& op : t->ops) op.depth = std::min(op.depth, n);
  return SQLITE_OK;
}

int RollbackTo(sqlite3_vtab* vtab, int n) {
  DdlTxn* t = AsTxn(vtab);
  size_t first = t->ops.size();
  while (first > 0 && t->ops[first - 1].depth > n) first--;
  if (first < t->ops.size()) {
    MoveBack(t);  // a later xSync moves again what is still to move
    UndoFrom(t, first);
  }
  t->depth = n + 1;
  return SQLITE_OK;
}

const sqlite3_module kDdlTxnModule = {
    /* iVersion    */ 2,
    /* xCreate     */ nullptr,  // eponymous only
    /* xConnect    */ Connect,
    /* xBestIndex  */ BestIndex,
    /* xDisconnect */ Disconnect,
    /* xDestroy    */ Disconnect,
    /* xOpen       */ Open,
    /* xClose      */ Close,
    /* xFilter     */ Filter,
    /* xNext       */ Next,
    /* xEof        */ Eof,
    /* xColumn     */ Column,
    /* xRowid      */ Rowid,
    /* xUpdate     */ Update,
    /* xBegin      */ Begin,
    /* xSync       */ Sync,
    /* xCommit     */ Commit,
    /* xRollback   */ Rollback,
    /* xFindFunction */ nullptr,
    /* xRename     */ nullptr,
    /* xSavepoint  */ Savepoint,
    /* xRelease    */ Release,
    /* xRollbackTo */ RollbackTo,
    /* xShadowName */ nullptr,
#if SQLITE_VERSION_NUMBER >= 3044000
    /* xIntegrity  */ nullptr,
#endif
};

}  // namespace

int RegisterDdlTxnModule(sqlite3* db) {
  return sqlite3_create_module(db, "strata_pending_ddl", &kDdlTxnModule, nullptr);
}

int DeferDrop(sqlite3* db, Store* store, const std::string& table, std::string* error) {
  DdlTxn* t = Join(db, error);
  if (t == nullptr) return SQLITE_ERROR;
  StoreRegistry::Get()->BeginDrop(store, db);
  PendingDdl op;
  op.kind = PendingDdl::Kind::kDrop;
  op.store = store;
  op.table = table;
  op.depth = t->depth;
  t->ops.push_back(std::move(op));
  return SQLITE_OK;
}

int DeferRename(sqlite3* db, Store* store, const std::string& table, const std::string& new_table,
                const std::string& from, const std::string& to, std::string* error) {
  StoreRegistry* reg = StoreRegistry::Get();
  Status s = reg->CheckOnlyOwner(store, db);
  // (Back to where the store is, after an earlier rename of the transaction,
  // is no move at all.)
  if (s.ok() && to != store->path && !reg->PathIsFree(to)) {
    s = Status::InvalidArgument(to, "already exists");
  }
  if (!s.ok()) {
    *error = "strata: cannot move the store for the renamed table: " + s.ToString();
    return SqliteCode(s);
  }
  DdlTxn* t = Join(db, error);
  if (t == nullptr) return SQLITE_ERROR;
  reg->AddRef(store, db);
  reg->AddAlias(to, store);
  reg->SetRenamedTo(store, to);
  PendingDdl op;
  op.kind = PendingDdl::Kind::kRename;
  op.store = store;
  op.table = table;
  op.new_table = new_table;
  op.from = from;
  op.to = to;
  op.depth = t->depth;
  t->ops.push_back(std::move(op));
  return SQLITE_OK;
}

}  // namespace strata
