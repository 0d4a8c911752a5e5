// The extension's entry point: sqlite3_strata_init registers the `strata`
// virtual table module (with strata_pending_ddl, which makes its DROP and
// RENAME transactional, and strata_txn, which tells its tables when a
// transaction ends) and the SQL functions. Nothing else lives here.
#include <mutex>

#include "sqlite_ext/ddl_txn.h"
#include "sqlite_ext/functions.h"
#include "sqlite_ext/sqlite_api.h"
#include "sqlite_ext/txn_watch.h"
#include "sqlite_ext/vtab.h"

SQLITE_EXTENSION_INIT1

extern "C" int sqlite3_strata_init(sqlite3* db, char** err, const sqlite3_api_routines* api) {
  // Set once: every connection that loads the extension passes the same
  // table, and a later load must not write the pointer while other threads'
  // connections call through it (a data race, however benign).
  static std::once_flag api_once;
  std::call_once(api_once, [api] { SQLITE_EXTENSION_INIT2(api); });
  if (sqlite3_libversion_number() < 3038000) {
    *err = sqlite3_mprintf("strata needs SQLite 3.38 or later (this is %s)", sqlite3_libversion());
    return SQLITE_ERROR;
  }
  try {
    int rc = sqlite3_create_module_v2(db, "strata", strata::StrataModule(),
                                      strata::ModuleRegistered(db), strata::ModuleDestroyed);
    if (rc == SQLITE_OK) rc = strata::RegisterDdlTxnModule(db);
    if (rc == SQLITE_OK) rc = strata::RegisterTxnWatchModule(db);
    if (rc == SQLITE_OK) rc = strata::RegisterAdminFunctions(db);
    if (rc == SQLITE_OK) rc = strata::RegisterLevelFunctions(db);
    return rc;
  } catch (...) {
    *err = sqlite3_mprintf("strata: out of memory while loading");
    return SQLITE_NOMEM;
  }
}
