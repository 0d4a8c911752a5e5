// SqlValue: one SQLite value (NULL, INTEGER, REAL, TEXT or BLOB) as a plain C++ struct.
//
// The key and row codecs (key_codec.h, row_codec.h) take and return SqlValues so that they
// do not depend on SQLite's headers and can be tested and fuzzed on their own; the virtual
// table converts sqlite3_value to and from this struct.
//
// A SqlValue does not own the bytes of a TEXT or BLOB: `bytes` points into memory owned by
// someone else (the sqlite3_value, an encoded key or row, a scratch string), which must
// outlive the SqlValue. It is a plain value type: copy freely; distinct objects may be used
// from different threads.
#ifndef STRATA_SQLITE_EXT_SQL_VALUE_H_
#define STRATA_SQLITE_EXT_SQL_VALUE_H_

#include <bit>
#include <cstdint>
#include <string_view>

namespace strata {

struct SqlValue {
  // The five SQLite storage classes. kInteger..kBlob equal SQLITE_INTEGER..SQLITE_BLOB
  // (1..4); kNull is 0 (SQLITE_NULL is 5).
  enum class Type : uint8_t { kNull = 0, kInteger, kReal, kText, kBlob };

  Type type = Type::kNull;
  int64_t i = 0;           // kInteger
  double r = 0;            // kReal
  std::string_view bytes;  // kText / kBlob (not NUL-terminated; may contain NULs)

  static SqlValue Null() { return SqlValue(); }
  static SqlValue Integer(int64_t v) {
    SqlValue s;
    s.type = Type::kInteger;
    s.i = v;
    return s;
  }
  static SqlValue Real(double v) {
    SqlValue s;
    s.type = Type::kReal;
    s.r = v;
    return s;
  }
  static SqlValue Text(std::string_view v) {
    SqlValue s;
    s.type = Type::kText;
    s.bytes = v;
    return s;
  }
  static SqlValue Blob(std::string_view v) {
    SqlValue s;
    s.type = Type::kBlob;
    s.bytes = v;
    return s;
  }

  bool is_null() const { return type == Type::kNull; }
  bool is_number() const { return type == Type::kInteger || type == Type::kReal; }
  bool is_bytes() const { return type == Type::kText || type == Type::kBlob; }
};

// True if a and b are the same storage class and the same value, a REAL to
// the bit (so -0.0 is not 0.0, and a NaN equals itself).
inline bool IdenticalValues(const SqlValue& a, const SqlValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case SqlValue::Type::kNull:
      return true;
    case SqlValue::Type::kInteger:
      return a.i == b.i;
    case SqlValue::Type::kReal:
      return std::bit_cast<uint64_t>(a.r) == std::bit_cast<uint64_t>(b.r);
    default:
      return a.bytes == b.bytes;
  }
}

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_SQL_VALUE_H_
