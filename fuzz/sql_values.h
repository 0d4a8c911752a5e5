// SqlValues for the codec fuzz targets: drawn from fuzz input with a bias towards the values
// where encodings have edges (integers near powers of two and int64's ends, doubles near
// 2^53 and 2^63, subnormals, signed zeros, infinities, NaN payloads, bytes with NULs), and
// compared the way SQLite compares them, by asking SQLite itself. One fuzzing thread only.
#ifndef STRATA_FUZZ_SQL_VALUES_H_
#define STRATA_FUZZ_SQL_VALUES_H_

#include <fuzzer/FuzzedDataProvider.h>
#include <sqlite3.h>

#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>

#include "fuzz/fuzz_util.h"
#include "sqlite_ext/sql_value.h"

namespace strata {
namespace fuzz {

// Owns the bytes TEXT and BLOB values point into (a deque keeps them in place).
using ByteStore = std::deque<std::string>;

inline double ConsumeDouble(FuzzedDataProvider* in) {
  switch (in->ConsumeIntegralInRange(0, 9)) {
    case 0:  // any bit pattern: NaNs with payloads, subnormals, everything
      return std::bit_cast<double>(in->ConsumeIntegral<uint64_t>());
    case 1: {  // an integral double near a power of two (2^52..2^64 are the edges)
      const int e = in->ConsumeIntegralInRange(0, 66);
      const int delta = in->ConsumeIntegralInRange(-3, 3);
      const double d = std::ldexp(1.0, e) + delta * (e > 53 ? std::ldexp(1.0, e - 52) : 1.0);
      return in->ConsumeBool() ? -d : d;
    }
    case 2: {  // subnormal or smallest normal
      const uint64_t m = in->ConsumeIntegralInRange<uint64_t>(0, (uint64_t{1} << 53) - 1);
      const double d = std::bit_cast<double>(m);
      return in->ConsumeBool() ? -d : d;
    }
    case 3: {
      static const double kSpecial[] = {0.0,
                                        -0.0,
                                        std::numeric_limits<double>::infinity(),
                                        -std::numeric_limits<double>::infinity(),
                                        std::numeric_limits<double>::quiet_NaN(),
                                        9223372036854775808.0,
                                        -9223372036854775808.0,
                                        9223372036854774784.0,
                                        std::numeric_limits<double>::max(),
                                        std::numeric_limits<double>::min(),
                                        std::numeric_limits<double>::denorm_min(),
                                        0.1,
                                        1.5,
                                        -2.5};
      return kSpecial[in->ConsumeIntegralInRange<size_t>(0, std::size(kSpecial) - 1)];
    }
    case 4:  // a small integer, as a double
      return static_cast<double>(in->ConsumeIntegralInRange(-300, 300));
    default: {  // a short fraction
      const int64_t num = in->ConsumeIntegralInRange<int64_t>(-100000, 100000);
      const int shift = in->ConsumeIntegralInRange(0, 30);
      return std::ldexp(static_cast<double>(num), -shift);
    }
  }
}

inline int64_t ConsumeInt(FuzzedDataProvider* in) {
  switch (in->ConsumeIntegralInRange(0, 4)) {
    case 0:
      return in->ConsumeIntegral<int64_t>();
    case 1: {  // near a power of two, either sign, int64's ends included
      const int e = in->ConsumeIntegralInRange(0, 63);
      const int64_t delta = in->ConsumeIntegralInRange(-2, 2);
      const uint64_t u = (uint64_t{1} << e) + static_cast<uint64_t>(delta);
      return in->ConsumeBool() ? static_cast<int64_t>(u) : static_cast<int64_t>(0 - u);
    }
    default:
      return in->ConsumeIntegralInRange<int64_t>(-1000, 1000);
  }
}

inline std::string ConsumeBytes(FuzzedDataProvider* in, size_t max_len) {
  const size_t len = in->ConsumeIntegralInRange<size_t>(0, max_len);
  std::string s;
  const int style = in->ConsumeIntegralInRange(0, 2);
  for (size_t i = 0; i < len && in->remaining_bytes() > 0; i++) {
    const uint8_t b = in->ConsumeIntegral<uint8_t>();
    // A small alphabet (NUL, 0x01, 0xFF and letters) makes shared prefixes and escapes likely.
    s.push_back(style == 0 ? static_cast<char>(b)
                           : "\x00\x01\xff"
                             "ab"[b % 5]);
  }
  return s;
}

inline SqlValue ConsumeValue(FuzzedDataProvider* in, ByteStore* store) {
  switch (in->ConsumeIntegralInRange(0, 5)) {
    case 0:
      return SqlValue::Null();
    case 1:
      return SqlValue::Integer(ConsumeInt(in));
    case 2:
      return SqlValue::Real(ConsumeDouble(in));
    case 3:
    case 4:
      store->push_back(ConsumeBytes(in, 24));
      return SqlValue::Text(store->back());
    default:
      store->push_back(ConsumeBytes(in, 24));
      return SqlValue::Blob(store->back());
  }
}

inline std::string Describe(const SqlValue& v) {
  char buf[64];
  switch (v.type) {
    case SqlValue::Type::kNull:
      return "NULL";
    case SqlValue::Type::kInteger:
      snprintf(buf, sizeof(buf), "%" PRId64, v.i);
      return buf;
    case SqlValue::Type::kReal:
      snprintf(buf, sizeof(buf), "%.17g(bits %016" PRIx64 ")", v.r, std::bit_cast<uint64_t>(v.r));
      return buf;
    case SqlValue::Type::kText:
      return "text:" + Hex(Slice(v.bytes.data(), v.bytes.size()));
    case SqlValue::Type::kBlob:
      return "blob:" + Hex(Slice(v.bytes.data(), v.bytes.size()));
  }
  return "?";
}

// Compares values as SQLite orders them under BINARY collation (ORDER BY: NULL first), by
// running `?1 < ?2, ?1 = ?2` in SQLite. Returns -1, 0 or 1.
class SqliteComparer {
 public:
  SqliteComparer() {
    FUZZ_CHECK(sqlite3_open(":memory:", &db_) == SQLITE_OK, "sqlite3_open");
    FUZZ_CHECK(sqlite3_prepare_v2(db_, "SELECT ?1 < ?2, ?1 = ?2", -1, &stmt_, nullptr) == SQLITE_OK,
               "prepare: %s", sqlite3_errmsg(db_));
  }
  ~SqliteComparer() {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }

  int Compare(const SqlValue& a, const SqlValue& b) {
    // SQLite stores a NaN as NULL.
    const bool a_null = a.is_null() || (a.type == SqlValue::Type::kReal && std::isnan(a.r));
    const bool b_null = b.is_null() || (b.type == SqlValue::Type::kReal && std::isnan(b.r));
    if (a_null || b_null) return a_null == b_null ? 0 : (a_null ? -1 : 1);
    Bind(1, a);
    Bind(2, b);
    FUZZ_CHECK(sqlite3_step(stmt_) == SQLITE_ROW, "step: %s", sqlite3_errmsg(db_));
    const int lt = sqlite3_column_int(stmt_, 0);
    const int eq = sqlite3_column_int(stmt_, 1);
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return eq ? 0 : (lt ? -1 : 1);
  }

 private:
  void Bind(int i, const SqlValue& v) {
    const char* p = v.bytes.data() != nullptr ? v.bytes.data() : "";
    switch (v.type) {
      case SqlValue::Type::kInteger:
        sqlite3_bind_int64(stmt_, i, v.i);
        break;
      case SqlValue::Type::kReal:
        sqlite3_bind_double(stmt_, i, v.r);
        break;
      case SqlValue::Type::kText:
        sqlite3_bind_text(stmt_, i, p, static_cast<int>(v.bytes.size()), SQLITE_TRANSIENT);
        break;
      case SqlValue::Type::kBlob:
        sqlite3_bind_blob(stmt_, i, p, static_cast<int>(v.bytes.size()), SQLITE_TRANSIENT);
        break;
      case SqlValue::Type::kNull:
        sqlite3_bind_null(stmt_, i);
        break;
    }
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace fuzz
}  // namespace strata

#endif  // STRATA_FUZZ_SQL_VALUES_H_
