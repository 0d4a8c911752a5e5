// Status -> SQLite result codes and messages.
#include "sqlite_ext/status_map.h"

namespace strata {

int SqliteCode(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return SQLITE_OK;
    case Status::Code::kNotFound:
      return SQLITE_NOTFOUND;
    case Status::Code::kCorruption:
      return SQLITE_CORRUPT;
    case Status::Code::kIOError:
      return SQLITE_IOERR;
    case Status::Code::kNoSpace:
      return SQLITE_FULL;
    case Status::Code::kBusy:
      return SQLITE_BUSY;
    case Status::Code::kReadOnly:
      return SQLITE_READONLY;
    case Status::Code::kTooBig:
      return SQLITE_TOOBIG;
    default:
      return SQLITE_ERROR;
  }
}

void SetVtabError(sqlite3_vtab* vtab, const std::string& message) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", message.c_str());
}

int VtabError(sqlite3_vtab* vtab, const Status& s, const std::string& context) {
  std::string msg = "strata: ";
  if (!context.empty()) msg += context + ": ";
  msg += s.ToString();
  SetVtabError(vtab, msg);
  return SqliteCode(s);
}

void ResultError(sqlite3_context* ctx, const Status& s, const std::string& context) {
  std::string msg = "strata: ";
  if (!context.empty()) msg += context + ": ";
  msg += s.ToString();
  sqlite3_result_error(ctx, msg.c_str(), -1);
  sqlite3_result_error_code(ctx, SqliteCode(s));
}

}  // namespace strata
