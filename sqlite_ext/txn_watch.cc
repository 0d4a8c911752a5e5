// temp.strata_txn: the end of each transaction, told to the strata tables
// that asked (see txn_watch.h for why and how).
#include "sqlite_ext/txn_watch.h"

#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "sqlite_ext/status_map.h"

namespace strata {

namespace {

constexpr const char* kJoinSql = "DELETE FROM temp.strata_txn WHERE 0";
constexpr const char* kCreateSql =
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.strata_txn USING strata_txn";

// The connection's temp.strata_txn.
struct TxnWatch {
  sqlite3_vtab base;  // must be first: SQLite sees this
  sqlite3* db = nullptr;
  bool joined = false;  // in the open transaction (xBegin seen, not ended)
  std::vector<std::pair<void*, void (*)(void*, bool)>> watchers;
};

struct EmptyCursor {
  sqlite3_vtab_cursor base;  // must be first
};

std::mutex watches_mu;
std::map<sqlite3*, TxnWatch*>* Watches() {
  static auto* watches = new std::map<sqlite3*, TxnWatch*>;
  return watches;
}

TxnWatch* AsWatch(sqlite3_vtab* vtab) { return reinterpret_cast<TxnWatch*>(vtab); }

TxnWatch* FindWatch(sqlite3* db) {
  std::lock_guard<std::mutex> l(watches_mu);
  auto it = Watches()->find(db);
  return it == Watches()->end() ? nullptr : it->second;
}

// The transaction ended, or the table goes away in the middle of one (a
// rollback of the savepoint that created it resets the schema): every
// watcher is called, once, told which.
void End(TxnWatch* w, bool ended) {
  w->joined = false;
  std::vector<std::pair<void*, void (*)(void*, bool)>> watchers;
  watchers.swap(w->watchers);
  for (const auto& [owner, on_end] : watchers) on_end(owner, ended);
}

int Connect(sqlite3* db, void*, int argc, const char* const* argv, sqlite3_vtab** out, char** err) {
  if (argc < 3 || sqlite3_stricmp(argv[1], "temp") != 0 ||
      sqlite3_stricmp(argv[2], "strata_txn") != 0) {
    *err = sqlite3_mprintf("strata_txn is kept by strata as temp.strata_txn; it cannot be created");
    return SQLITE_ERROR;
  }
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(unused)");
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    return rc;
  }
  // Only strata writes to it, directly: not from triggers or views.
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  auto* w = new TxnWatch;
  memset(&w->base, 0, sizeof(w->base));
  w->db = db;
  std::lock_guard<std::mutex> l(watches_mu);
  (*Watches())[db] = w;
  *out = &w->base;
  return SQLITE_OK;
}

// SQLite makes a table created inside a transaction part of it without
// calling its xBegin (it will call xCommit or xRollback).
int Create(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
           char** err) {
  int rc = Connect(db, aux, argc, argv, out, err);
  if (rc == SQLITE_OK) AsWatch(*out)->joined = true;
  return rc;
}

int Disconnect(sqlite3_vtab* vtab) {
  TxnWatch* w = AsWatch(vtab);
  // Still joined: SQLite lets go of the table while the transaction goes on
  // (at a connection's close it ends the transaction first).
  End(w, /*ended=*/!w->joined);
  {
    std::lock_guard<std::mutex> l(watches_mu);
    auto it = Watches()->find(w->db);
    if (it != Watches()->end() && it->second == w) Watches()->erase(it);
  }
  sqlite3_free(w->base.zErrMsg);
  delete w;
  return SQLITE_OK;
}

int BestIndex(sqlite3_vtab*, sqlite3_index_info* info) {
  info->estimatedCost = 1;
  info->estimatedRows = 1;
  return SQLITE_OK;
}

int Open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new EmptyCursor;
  memset(&c->base, 0, sizeof(c->base));
  *out = &c->base;
  return SQLITE_OK;
}

int Close(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<EmptyCursor*>(cur);
  return SQLITE_OK;
}

int Filter(sqlite3_vtab_cursor*, int, const char*, int, sqlite3_value**) { return SQLITE_OK; }
int Next(sqlite3_vtab_cursor*) { return SQLITE_OK; }
int Eof(sqlite3_vtab_cursor*) { return 1; }  // never a row

int Column(sqlite3_vtab_cursor*, sqlite3_context* ctx, int) {
  sqlite3_result_null(ctx);
  return SQLITE_OK;
}

int Rowid(sqlite3_vtab_cursor*, sqlite3_int64* rowid) {
  *rowid = 0;
  return SQLITE_OK;
}

// Only strata's own `DELETE ... WHERE 0` writes, and it reaches no row.
int Update(sqlite3_vtab* vtab, int, sqlite3_value**, sqlite3_int64*) {
  SetVtabError(vtab, "temp.strata_txn is kept by strata and holds no rows");
  return SQLITE_READONLY;
}

int Begin(sqlite3_vtab* vtab) {
  AsWatch(vtab)->joined = true;
  return SQLITE_OK;
}

int Commit(sqlite3_vtab* vtab) {
  End(AsWatch(vtab), /*ended=*/true);
  return SQLITE_OK;
}

const sqlite3_module kTxnWatchModule = {
    /* iVersion    */ 1,
    /* xCreate     */ Create,
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
    /* xSync       */ nullptr,
    /* xCommit     */ Commit,
    /* xRollback   */ Commit,  // either way the transaction is over
    /* xFindFunction */ nullptr,
    /* xRename     */ nullptr,
    /* xSavepoint  */ nullptr,
    /* xRelease    */ nullptr,
    /* xRollbackTo */ nullptr,
    /* xShadowName */ nullptr,
#if SQLITE_VERSION_NUMBER >= 3044000
    /* xIntegrity  */ nullptr,
#endif
};

// Makes temp.strata_txn part of the open transaction, creating it first if
// the connection has none (or it was dropped, or rolled back with the
// transaction that created it). The watch, or null.
TxnWatch* Join(sqlite3* db) {
  TxnWatch* w = FindWatch(db);
  if (w != nullptr && w->joined) return w;
  if (w == nullptr && sqlite3_exec(db, kCreateSql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return nullptr;
  }
  if (sqlite3_exec(db, kJoinSql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    if (sqlite3_exec(db, kCreateSql, nullptr, nullptr, nullptr) != SQLITE_OK) return nullptr;
    if (sqlite3_exec(db, kJoinSql, nullptr, nullptr, nullptr) != SQLITE_OK) return nullptr;
  }
  w = FindWatch(db);
  return w != nullptr && w->joined ? w : nullptr;
}

}  // namespace

int RegisterTxnWatchModule(sqlite3* db) {
  return sqlite3_create_module(db, "strata_txn", &kTxnWatchModule, nullptr);
}

bool WatchTransactionEnd(sqlite3* db, void* owner, void (*on_end)(void* owner, bool ended)) {
  TxnWatch* w = Join(db);
  if (w == nullptr) return false;
  w->watchers.emplace_back(owner, on_end);
  return true;
}

void UnwatchTransactionEnd(sqlite3* db, void* owner) {
  TxnWatch* w = FindWatch(db);
  if (w == nullptr) return;
  std::erase_if(w->watchers, [owner](const auto& watcher) { return watcher.first == owner; });
}

}  // namespace strata
