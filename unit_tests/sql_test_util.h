// Helpers for unit tests that drive strata through the SQLite C API: open a
// connection with the extension loaded, run SQL, read one value back.
// (STRATA_EXT names the extension; tests skip without it.)
#ifndef STRATA_UNIT_TESTS_SQL_TEST_UTIL_H_
#define STRATA_UNIT_TESTS_SQL_TEST_UTIL_H_

#include <sqlite3.h>

#include <string>

namespace strata {
namespace test {

// A connection to `path` with the extension at `ext` loaded, or null.
inline sqlite3* OpenWithExtension(const std::string& path, const std::string& ext) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_enable_load_extension(db, 1);
  if (sqlite3_load_extension(db, ext.c_str(), nullptr, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return nullptr;
  }
  return db;
}

// "" on success, else the error code and message.
inline std::string ExecSql(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string r = rc == SQLITE_OK ? "" : std::to_string(rc) + ": " + (err ? err : "");
  sqlite3_free(err);
  return r;
}

// The first column of the first row, as text ("NULL", "no row"), or
// "error: " and the message.
inline std::string QueryFirst(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return std::string("error: ") + sqlite3_errmsg(db);
  }
  std::string r = "no row";
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(stmt, 0);
    r = t ? reinterpret_cast<const char*>(t) : "NULL";
  } else if (rc != SQLITE_DONE) {
    r = std::string("error: ") + sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  return r;
}

}  // namespace test
}  // namespace strata

#endif  // STRATA_UNIT_TESTS_SQL_TEST_UTIL_H_
