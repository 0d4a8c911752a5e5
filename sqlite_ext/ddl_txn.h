// Transactional DROP TABLE and ALTER TABLE ... RENAME of strata tables.
//
// SQLite calls xDestroy and xRename in the middle of the transaction that
// drops or renames a table, and on ROLLBACK restores the table in its schema.
// But afterwards it calls nothing on a dropped table (the object is gone),
// nor on a renamed one that has not written in the transaction, so neither
// can learn whether the transaction committed. The deletion and the move
// therefore wait in a list per connection kept by an eponymous virtual table,
// strata_pending_ddl. xDestroy and xRename make it join the transaction by a
// write to it (`DELETE FROM strata_pending_ddl WHERE 0`; SQLite's own fts5
// likewise runs SQL from its xDestroy and xRename), so SQLite calls its
// xSync, xCommit, xRollback and savepoint methods:
//
//   DROP    the store stays until xCommit, after the database has committed;
//           then it is deleted (when its last reference goes: another
//           connection may still read it). Rolled back, nothing happened.
//   RENAME  the new name's default path leads to the store (an alias) until
//           xSync, just before the database commits, moves the directory; a
//           failure there (another connection has the store open, a
//           statement still reads it) fails the COMMIT. Rolled back after
//           the move, the directory moves back.
//
// `SELECT * FROM strata_pending_ddl` lists what the connection's open
// transaction will do at commit (op, tbl, path, new_path).
//
// All functions run on the connection's thread, as SQLite calls them.
#ifndef STRATA_SQLITE_EXT_DDL_TXN_H_
#define STRATA_SQLITE_EXT_DDL_TXN_H_

#include <string>

#include "sqlite_ext/sqlite_api.h"
#include "sqlite_ext/store_registry.h"

namespace strata {

// Registers strata_pending_ddl on the connection.
int RegisterDdlTxnModule(sqlite3* db);

// From xDestroy of `table`: deletes its store when the transaction commits.
// Holds a reference to the store until the transaction ends. On failure
// returns an SQLite code with *error set, and nothing is pending.
int DeferDrop(sqlite3* db, Store* store, const std::string& table, std::string* error);

// From xRename of `table` to `new_table`: the store, at `from` once the
// transaction's earlier renames are done, moves to `to` at commit; `to` leads
// to it meanwhile. Checks first that the move can happen (no other
// connection holds the store, nothing is at `to`). On failure returns an
// SQLite code with *error set, and nothing is pending.
int DeferRename(sqlite3* db, Store* store, const std::string& table, const std::string& new_table,
                const std::string& from, const std::string& to, std::string* error);

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_DDL_TXN_H_
