// Registration of strata's SQL functions and table-valued functions.
#ifndef STRATA_SQLITE_EXT_FUNCTIONS_H_
#define STRATA_SQLITE_EXT_FUNCTIONS_H_

#include "sqlite_ext/sqlite_api.h"

namespace strata {

// strata_version, strata_flush, strata_compact, strata_stats,
// strata_checkpoint, strata_verify, strata_resume (functions_admin.cc).
int RegisterAdminFunctions(sqlite3* db);

// strata_levels(t) and strata_files(t) (functions_levels.cc).
int RegisterLevelFunctions(sqlite3* db);

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_FUNCTIONS_H_
