// SQLite value <-> SqlValue, with SQLite's column affinity rules
// (https://sqlite.org/datatype3.html#type_affinity):
//   TEXT     numbers become text (in SQLite's own formatting);
//   NUMERIC, INTEGER
//            text that looks like a number becomes one; a real that is an
//            exact integer (and not an int64 extreme) becomes an integer;
//   REAL     like NUMERIC, then integers become reals;
//   BLOB     (none) nothing changes.
#include "sqlite_ext/value_convert.h"

#include <cmath>
#include <cstdint>

namespace strata {

SqlValue FromSqlite(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return SqlValue::Integer(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return SqlValue::Real(sqlite3_value_double(v));
    case SQLITE_TEXT: {
      const char* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return SqlValue::Text(std::string_view(p ? p : "", sqlite3_value_bytes(v)));
    }
    case SQLITE_BLOB: {
      const void* p = sqlite3_value_blob(v);
      return SqlValue::Blob(
          std::string_view(p ? static_cast<const char*>(p) : "", sqlite3_value_bytes(v)));
    }
    default:
      return SqlValue::Null();
  }
}

// A real that is an exact integer strictly between the int64 extremes
// becomes that integer (SQLite's sqlite3VdbeIntegerAffinity).
static SqlValue IntegerIfExact(const SqlValue& v) {
  const double r = v.r;
  if (!(r > -9223372036854775808.0 && r < 9223372036854775808.0)) return v;
  const int64_t i = static_cast<int64_t>(r);
  if (static_cast<double>(i) == r && i > INT64_MIN && i < INT64_MAX) return SqlValue::Integer(i);
  return v;
}

SqlValue WithAffinity(sqlite3_value* v, Affinity affinity, ValueHolder* holder) {
  const int type = sqlite3_value_type(v);
  switch (affinity) {
    case Affinity::kBlob:
      return FromSqlite(v);
    case Affinity::kText:
      if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
        sqlite3_value* copy = holder->Dup(v);
        if (copy == nullptr) return FromSqlite(v);
        const char* p = reinterpret_cast<const char*>(sqlite3_value_text(copy));
        return SqlValue::Text(std::string_view(p ? p : "", sqlite3_value_bytes(copy)));
      }
      return FromSqlite(v);
    case Affinity::kNumeric:
    case Affinity::kInteger:
    case Affinity::kReal: {
      SqlValue out;
      if (type == SQLITE_TEXT) {
        sqlite3_value* copy = holder->Dup(v);
        if (copy == nullptr) return FromSqlite(v);
        sqlite3_value_numeric_type(copy);  // converts text that looks numeric
        out = FromSqlite(copy);
      } else {
        out = FromSqlite(v);
      }
      if (out.type == SqlValue::Type::kReal) out = IntegerIfExact(out);
      if (affinity == Affinity::kReal && out.type == SqlValue::Type::kInteger) {
        out = SqlValue::Real(static_cast<double>(out.i));
      }
      return out;
    }
  }
  return FromSqlite(v);
}

SqlValue ForColumn(const SqlValue& v, Affinity affinity) {
  if (affinity == Affinity::kReal && v.type == SqlValue::Type::kInteger) {
    return SqlValue::Real(static_cast<double>(v.i));
  }
  return v;
}

void ResultValue(sqlite3_context* ctx, const SqlValue& v) {
  switch (v.type) {
    case SqlValue::Type::kNull:
      sqlite3_result_null(ctx);
      break;
    case SqlValue::Type::kInteger:
      sqlite3_result_int64(ctx, v.i);
      break;
    case SqlValue::Type::kReal:
      sqlite3_result_double(ctx, v.r);
      break;
    case SqlValue::Type::kText:
      sqlite3_result_text64(ctx, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      break;
    case SqlValue::Type::kBlob:
      sqlite3_result_blob64(ctx, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
      break;
  }
}

}  // namespace strata
