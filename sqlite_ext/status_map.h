// Maps engine Status values to SQLite result codes, and sets error messages
// on virtual tables and function contexts.
#ifndef STRATA_SQLITE_EXT_STATUS_MAP_H_
#define STRATA_SQLITE_EXT_STATUS_MAP_H_

#include <string>

#include "sqlite_ext/sqlite_api.h"
#include "strata/status.h"

namespace strata {

// Corruption -> SQLITE_CORRUPT, IOError -> SQLITE_IOERR, NoSpace ->
// SQLITE_FULL, Busy -> SQLITE_BUSY, ReadOnly -> SQLITE_READONLY, TooBig ->
// SQLITE_TOOBIG, NotFound -> SQLITE_NOTFOUND, the rest -> SQLITE_ERROR.
int SqliteCode(const Status& s);

// Replaces the vtab's error message (sqlite3_free'd by SQLite).
void SetVtabError(sqlite3_vtab* vtab, const std::string& message);

// Sets the vtab error to "strata: <context>: <status>" and returns its code.
int VtabError(sqlite3_vtab* vtab, const Status& s, const std::string& context);

// Sets a function's error from a status (message and code).
void ResultError(sqlite3_context* ctx, const Status& s, const std::string& context);

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_STATUS_MAP_H_
