// Tells strata tables when the connection's transaction ends, read-only
// transactions included.
//
// A transaction reads one snapshot of each strata table (vtab.h,
// ReadSnapshot), taken at its first read of the table and kept until the
// transaction ends. SQLite tells a virtual table when a transaction that
// *wrote* it ends (xCommit, xRollback), but nothing when one that only read
// it does: no xBegin comes for reads, and the commit hook fires for write
// transactions only and belongs to the user. Without that signal a later
// transaction would go on reading an old snapshot.
//
// So each connection gets an empty virtual table, temp.strata_txn, made the
// first time it is needed. A read that takes a transaction's snapshot makes
// it part of the open transaction with `DELETE FROM temp.strata_txn WHERE 0`:
// a write to a virtual table, even one that changes nothing, makes SQLite
// call its xBegin and, when the transaction ends, its xCommit or xRollback.
// Those call back every table that asked. The table lives in the TEMP schema
// so that joining takes no lock on the main database (a write to a table in
// `main`, even a no-op, takes the database's write lock). It shows in
// sqlite_temp_schema; dropping it is harmless (it comes back when needed).
//
// All functions run on the connection's thread, as SQLite calls them.
#ifndef STRATA_SQLITE_EXT_TXN_WATCH_H_
#define STRATA_SQLITE_EXT_TXN_WATCH_H_

#include "sqlite_ext/sqlite_api.h"

namespace strata {

// Registers the strata_txn module on the connection.
int RegisterTxnWatchModule(sqlite3* db);

// Calls on_end(owner, true) once, when the connection's open transaction
// ends (commit or rollback), making temp.strata_txn part of the transaction
// first if it is not yet. Call only inside a transaction (not in autocommit
// mode). False if that cannot be done (the TEMP schema cannot be written,
// e.g. under PRAGMA query_only): then on_end is not called.
//
// on_end(owner, false) instead means the watch was lost while the
// transaction goes on (a DROP TABLE temp.strata_txn inside it; a ROLLBACK TO
// that undoes its creation does not lose it: SQLite keeps the object in the
// transaction to its end). Whoever needs the end must watch again.
bool WatchTransactionEnd(sqlite3* db, void* owner, void (*on_end)(void* owner, bool ended));

// Forgets owner's call (the owner is going away).
void UnwatchTransactionEnd(sqlite3* db, void* owner);

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_TXN_WATCH_H_
