// Conversions between SQLite values and strata's SqlValue: reading
// arguments with a column's affinity applied exactly as a native table
// applies it on INSERT, and returning values as results.
#ifndef STRATA_SQLITE_EXT_VALUE_CONVERT_H_
#define STRATA_SQLITE_EXT_VALUE_CONVERT_H_

#include <string>

#include "sqlite_ext/schema.h"
#include "sqlite_ext/sql_value.h"
#include "sqlite_ext/sqlite_api.h"

namespace strata {

// Holds the converted copy of a value when affinity changed it (so the
// SqlValue's bytes stay valid); reusable.
class ValueHolder {
 public:
  ValueHolder() = default;
  ValueHolder(const ValueHolder&) = delete;
  ValueHolder& operator=(const ValueHolder&) = delete;
  ~ValueHolder() { Reset(); }
  void Reset() {
    if (dup_ != nullptr) sqlite3_value_free(dup_);
    dup_ = nullptr;
  }
  sqlite3_value* Dup(sqlite3_value* v) {
    Reset();
    dup_ = sqlite3_value_dup(v);
    return dup_;
  }

 private:
  sqlite3_value* dup_ = nullptr;
};

// The value as it is.
SqlValue FromSqlite(sqlite3_value* v);

// The value with `affinity` applied (SQLite's rules for storing into a
// column). The result's bytes may live in *holder or in v.
SqlValue WithAffinity(sqlite3_value* v, Affinity affinity, ValueHolder* holder);

// Applies affinity to a SqlValue that came out of storage (REAL affinity
// turns stored integers back into reals).
SqlValue ForColumn(const SqlValue& v, Affinity affinity);

void ResultValue(sqlite3_context* ctx, const SqlValue& v);

// Bytes a value counts toward the row size limit.
inline size_t ValueSize(const SqlValue& v) {
  return v.is_bytes() ? v.bytes.size() : (v.is_null() ? 0 : 8);
}

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_VALUE_CONVERT_H_
