// Includes SQLite's extension API: every sqlite_ext file that calls SQLite
// includes this, so the calls go through the pointer table SQLite hands to
// sqlite3_strata_init (extension.cc defines it).
#ifndef STRATA_SQLITE_EXT_SQLITE_API_H_
#define STRATA_SQLITE_EXT_SQLITE_API_H_

#include <sqlite3ext.h>

SQLITE_EXTENSION_INIT3

#endif  // STRATA_SQLITE_EXT_SQLITE_API_H_
