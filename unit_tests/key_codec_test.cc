// Tests of the order-preserving key encoding (sqlite_ext/key_codec.h).
//
// The byte order of encodings is checked against two independent oracles: a reference
// comparison written here from SQLite's documented rules (exact INTEGER/REAL comparison by
// an integer/fraction split, cross-checked with x87 long double), and SQLite itself (the
// `<` and `=` operators on bound values, through the C API).
#include "sqlite_ext/key_codec.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace strata {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

int Sign(int64_t x) { return x < 0 ? -1 : (x > 0 ? 1 : 0); }

int CompareBytes(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  const int r = n == 0 ? 0 : memcmp(a.data(), b.data(), n);
  if (r != 0) return Sign(r);
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// Exact comparison of an int64 with a (non-NaN) double, without floating-point rounding:
// split the double into its integer part (which fits int64 inside the range) and fraction.
int CompareIntDouble(int64_t i, double d) {
  if (d >= 9223372036854775808.0) return -1;  // 2^63 and above, +inf
  if (d < -9223372036854775808.0) return 1;   // below -2^63, -inf
  const double t = std::trunc(d);
  const int64_t ti = static_cast<int64_t>(t);  // exact: |t| <= 2^63, t == -2^63 allowed
  if (i != ti) return i < ti ? -1 : 1;
  return d > t ? -1 : (d < t ? 1 : 0);
}

int ClassRank(const SqlValue& v) {
  switch (v.type) {
    case SqlValue::Type::kNull:
      return 0;
    case SqlValue::Type::kInteger:
    case SqlValue::Type::kReal:
      return 1;
    case SqlValue::Type::kText:
      return 2;
    case SqlValue::Type::kBlob:
      return 3;
  }
  return -1;
}

// SQLite's order under BINARY collation (datatype3.html#comparisons), with NULL == NULL
// (as in ORDER BY / index order).
int RefCompare(const SqlValue& a, const SqlValue& b) {
  const int ra = ClassRank(a), rb = ClassRank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 0) return 0;
  if (ra == 1) {
    using T = SqlValue::Type;
    if (a.type == T::kInteger && b.type == T::kInteger) return a.i < b.i ? -1 : (a.i > b.i);
    if (a.type == T::kReal && b.type == T::kReal) return a.r < b.r ? -1 : (a.r > b.r);
    if (a.type == T::kInteger) return CompareIntDouble(a.i, b.r);
    return -CompareIntDouble(b.i, a.r);
  }
  return CompareBytes(a.bytes, b.bytes);
}

int RefCompareTuple(const std::vector<SqlValue>& a, const std::vector<SqlValue>& b) {
  for (size_t k = 0; k < a.size(); k++) {
    const int c = RefCompare(a[k], b[k]);
    if (c != 0) return c;
  }
  return 0;
}

std::string Describe(const SqlValue& v) {
  char buf[64];
  switch (v.type) {
    case SqlValue::Type::kNull:
      return "NULL";
    case SqlValue::Type::kInteger:
      return "INT " + std::to_string(v.i);
    case SqlValue::Type::kReal:
      snprintf(buf, sizeof(buf), "REAL %.17g (%a)", v.r, v.r);
      return buf;
    case SqlValue::Type::kText:
    case SqlValue::Type::kBlob: {
      std::string s = v.type == SqlValue::Type::kText ? "TEXT x'" : "BLOB x'";
      for (unsigned char c : v.bytes) {
        snprintf(buf, sizeof(buf), "%02x", c);
        s += buf;
      }
      return s + "'";
    }
  }
  return "?";
}

std::string Hex(std::string_view s) {
  std::string r;
  char buf[4];
  for (unsigned char c : s) {
    snprintf(buf, sizeof(buf), "%02x", c);
    r += buf;
  }
  return r;
}

std::string Enc(const SqlValue& v) {
  std::string s;
  EncodeKey(v, &s);
  return s;
}

std::string EncTuple(const std::vector<SqlValue>& t) {
  std::string s;
  EncodeKey(t.data(), static_cast<int>(t.size()), &s);
  return s;
}

// Owns the bytes the TEXT/BLOB SqlValues point to.
class ValuePool {
 public:
  SqlValue Text(std::string s) { return SqlValue::Text(Keep(std::move(s))); }
  SqlValue Blob(std::string s) { return SqlValue::Blob(Keep(std::move(s))); }

 private:
  std::string_view Keep(std::string s) {
    strings_.push_back(std::make_unique<std::string>(std::move(s)));
    return *strings_.back();
  }
  std::vector<std::unique_ptr<std::string>> strings_;
};

std::vector<SqlValue> EdgeValues(ValuePool* pool) {
  std::vector<SqlValue> v;
  v.push_back(SqlValue::Null());
  const int64_t kIntEdges[] = {0,
                               1,
                               2,
                               3,
                               5,
                               127,
                               128,
                               255,
                               256,
                               1000,
                               65535,
                               65536,
                               (int64_t{1} << 31) - 1,
                               int64_t{1} << 31,
                               (int64_t{1} << 53) - 1,
                               int64_t{1} << 53,
                               (int64_t{1} << 53) + 1,
                               (int64_t{1} << 53) + 2,
                               (int64_t{1} << 62) - 1,
                               int64_t{1} << 62,
                               (int64_t{1} << 62) + 1,
                               INT64_MAX - 1024,
                               INT64_MAX - 1,
                               INT64_MAX};
  for (int64_t x : kIntEdges) {
    v.push_back(SqlValue::Integer(x));
    v.push_back(SqlValue::Integer(-x));
  }
  v.push_back(SqlValue::Integer(INT64_MIN));
  v.push_back(SqlValue::Integer(INT64_MIN + 1));
  const double kRealEdges[] = {0.0,
                               1.0,
                               2.0,
                               2.5,
                               0.5,
                               0.1,
                               1.0 / 3,
                               3.0000000000000004,
                               0.9999999999999999,
                               1.0000000000000002,
                               127.5,
                               1e-300,
                               std::numeric_limits<double>::denorm_min(),
                               2 * std::numeric_limits<double>::denorm_min(),
                               3 * std::numeric_limits<double>::denorm_min(),
                               DBL_MIN,
                               DBL_MIN - std::numeric_limits<double>::denorm_min(),
                               9007199254740992.0,  // 2^53
                               9007199254740994.0,  // 2^53 + 2
                               9007199254740991.0,  // 2^53 - 1
                               4611686018427387904.0,
                               9223372036854774784.0,  // largest double below 2^63
                               9223372036854775808.0,  // 2^63
                               9223372036854777856.0,  // next double above 2^63
                               18446744073709551616.0,
                               1.8446744073709552e19 * 1.5,
                               1e300,
                               DBL_MAX,
                               kInf};
  for (double x : kRealEdges) {
    v.push_back(SqlValue::Real(x));
    v.push_back(SqlValue::Real(-x));
  }
  const std::string kBytes[] = {"",
                                "a",
                                "ab",
                                "abc",
                                "b",
                                std::string("\0", 1),
                                std::string("\0\0", 2),
                                std::string("a\0", 2),
                                std::string("a\0b", 3),
                                std::string("a\x01", 2),
                                "\x01",
                                "\xff",
                                "\xff\xff",
                                "a\xff",
                                "a\xff\xff",
                                "\xfe\xff"};
  for (const std::string& s : kBytes) {
    v.push_back(pool->Text(s));
    v.push_back(pool->Blob(s));
  }
  return v;
}

SqlValue RandomValue(std::mt19937_64* rng, ValuePool* pool) {
  std::uniform_int_distribution<int> kind(0, 9);
  switch (kind(*rng)) {
    case 0:
      return SqlValue::Null();
    case 1:  // small integers, to produce ties with reals
      return SqlValue::Integer(static_cast<int64_t>((*rng)() % 21) - 10);
    case 2: {  // integers of any magnitude
      const int shift = static_cast<int>((*rng)() % 64);
      return SqlValue::Integer(static_cast<int64_t>((*rng)()) >> shift);
    }
    case 3:  // integral reals that tie with small integers
      return SqlValue::Real(static_cast<double>(static_cast<int64_t>((*rng)() % 21) - 10));
    case 4: {  // any bit pattern but NaN
      double d;
      do {
        d = std::bit_cast<double>((*rng)());
      } while (std::isnan(d));
      return SqlValue::Real(d);
    }
    case 5: {  // an integer converted to double, and its neighbours
      const int shift = static_cast<int>((*rng)() % 64);
      double d = static_cast<double>(static_cast<int64_t>((*rng)()) >> shift);
      const int step = static_cast<int>((*rng)() % 3);
      if (step == 1) d = std::nextafter(d, kInf);
      if (step == 2) d = std::nextafter(d, -kInf);
      return SqlValue::Real(d);
    }
    case 6:  // halves
      return SqlValue::Real((static_cast<double>((*rng)() % 41) - 20) / 2);
    default: {  // short strings from a tricky alphabet
      static const char kAlphabet[] = {'\x00', '\x01', 'a', '\xfe', '\xff'};
      std::string s;
      const int len = static_cast<int>((*rng)() % 5);
      for (int k = 0; k < len; k++) s.push_back(kAlphabet[(*rng)() % 5]);
      return (*rng)() % 2 ? pool->Text(s) : pool->Blob(s);
    }
  }
}

// The value DecodeKey must return for v: numbers canonicalized (integral and within int64
// -> INTEGER), NaN -> NULL.
SqlValue Canonical(const SqlValue& v) {
  if (v.type == SqlValue::Type::kReal) {
    if (std::isnan(v.r)) return SqlValue::Null();
    if (v.r == std::trunc(v.r) && v.r >= -9223372036854775808.0 && v.r < 9223372036854775808.0) {
      return SqlValue::Integer(static_cast<int64_t>(v.r));
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------

TEST(KeyCodecTest, ReferenceCompareKnownCases) {
  EXPECT_EQ(1, CompareIntDouble(9007199254740993, 9007199254740992.0));
  EXPECT_EQ(-1, CompareIntDouble(INT64_MAX, 9223372036854775808.0));
  EXPECT_EQ(0, CompareIntDouble(INT64_MIN, -9223372036854775808.0));
  EXPECT_EQ(-1, CompareIntDouble(INT64_MIN, -9223372036854777856.0 * -1));
  EXPECT_EQ(1, CompareIntDouble(INT64_MIN, -9223372036854777856.0));
  EXPECT_EQ(1, CompareIntDouble(3, 2.5));
  EXPECT_EQ(-1, CompareIntDouble(2, 2.5));
  EXPECT_EQ(-1, CompareIntDouble(-3, -2.5));
  EXPECT_EQ(1, CompareIntDouble(-2, -2.5));
  EXPECT_EQ(0, CompareIntDouble(0, -0.0));
  EXPECT_EQ(-1, CompareIntDouble(INT64_MAX, kInf));
  EXPECT_EQ(1, CompareIntDouble(INT64_MIN, -kInf));
  EXPECT_EQ(1, CompareIntDouble(0, -1e-300));
  EXPECT_EQ(-1, CompareIntDouble(0, std::numeric_limits<double>::denorm_min()));
}

TEST(KeyCodecTest, ReferenceAgreesWithLongDouble) {
  static_assert(std::numeric_limits<long double>::digits >= 64, "needs x87 long double");
  ValuePool pool;
  std::vector<SqlValue> values = EdgeValues(&pool);
  for (const SqlValue& a : values) {
    if (a.type != SqlValue::Type::kInteger) continue;
    for (const SqlValue& b : values) {
      if (b.type != SqlValue::Type::kReal) continue;
      const long double x = a.i, y = b.r;
      EXPECT_EQ(x < y ? -1 : (x > y ? 1 : 0), CompareIntDouble(a.i, b.r))
          << Describe(a) << " vs " << Describe(b);
    }
  }
}

TEST(KeyCodecTest, CanonicalEqualities) {
  EXPECT_EQ(Enc(SqlValue::Integer(1)), Enc(SqlValue::Real(1.0)));
  EXPECT_EQ(Enc(SqlValue::Integer(0)), Enc(SqlValue::Real(0.0)));
  EXPECT_EQ(Enc(SqlValue::Integer(0)), Enc(SqlValue::Real(-0.0)));
  EXPECT_EQ(Enc(SqlValue::Integer(-7)), Enc(SqlValue::Real(-7.0)));
  EXPECT_EQ(Enc(SqlValue::Integer(INT64_MIN)), Enc(SqlValue::Real(-9223372036854775808.0)));
  EXPECT_EQ(Enc(SqlValue::Integer(int64_t{1} << 53)), Enc(SqlValue::Real(9007199254740992.0)));
  EXPECT_NE(Enc(SqlValue::Integer(9007199254740993)), Enc(SqlValue::Real(9007199254740992.0)));
  EXPECT_NE(Enc(SqlValue::Integer(INT64_MAX)), Enc(SqlValue::Real(9223372036854775808.0)));
  EXPECT_LT(Enc(SqlValue::Integer(INT64_MAX)), Enc(SqlValue::Real(9223372036854775808.0)));
  EXPECT_LT(Enc(SqlValue::Integer(2)), Enc(SqlValue::Real(2.5)));
  EXPECT_LT(Enc(SqlValue::Real(2.5)), Enc(SqlValue::Integer(3)));
  EXPECT_LT(Enc(SqlValue::Integer(-3)), Enc(SqlValue::Real(-2.5)));
  EXPECT_LT(Enc(SqlValue::Real(-2.5)), Enc(SqlValue::Integer(-2)));
  // NaN is treated as NULL.
  EXPECT_EQ(Enc(SqlValue::Null()), Enc(SqlValue::Real(std::nan(""))));
  // Text and blob with equal bytes differ; empty values differ from NULL.
  EXPECT_NE(Enc(SqlValue::Text("ab")), Enc(SqlValue::Blob("ab")));
  EXPECT_LT(Enc(SqlValue::Null()), Enc(SqlValue::Text("")));
  EXPECT_LT(Enc(SqlValue::Text("")), Enc(SqlValue::Blob("")));
}

TEST(KeyCodecTest, CompactForms) {
  // Single-column hot path: tag + raw bytes for TEXT/BLOB, 1-2 bytes for small integers.
  EXPECT_EQ(std::string("\xA0hello", 6), Enc(SqlValue::Text("hello")));
  EXPECT_EQ(std::string("\xB0\x00\xFF", 3), Enc(SqlValue::Blob(std::string_view("\0\xFF", 2))));
  EXPECT_EQ(1u, Enc(SqlValue::Integer(0)).size());
  EXPECT_EQ(2u, Enc(SqlValue::Integer(1)).size());
  EXPECT_EQ(2u, Enc(SqlValue::Integer(255)).size());
  EXPECT_EQ(2u, Enc(SqlValue::Integer(-255)).size());
  EXPECT_EQ(3u, Enc(SqlValue::Integer(32767)).size());
  EXPECT_EQ(10u, Enc(SqlValue::Integer(INT64_MAX)).size());
  EXPECT_EQ(2u, Enc(SqlValue::Integer(INT64_MIN)).size());
  EXPECT_EQ(4u, Enc(SqlValue::Real(0.5)).size());  // tag, 2 exponent bytes, 1 mantissa
}

void CheckPairwiseOrder(const std::vector<SqlValue>& values, const std::string& what) {
  std::vector<std::string> enc;
  for (const SqlValue& v : values) enc.push_back(Enc(v));
  for (size_t a = 0; a < values.size(); a++) {
    for (size_t b = 0; b < values.size(); b++) {
      const int want = RefCompare(values[a], values[b]);
      const int got = CompareBytes(enc[a], enc[b]);
      if (want != got) {
        ADD_FAILURE() << what << ": " << Describe(values[a]) << " [" << Hex(enc[a]) << "] vs "
                      << Describe(values[b]) << " [" << Hex(enc[b]) << "]: want " << want << " got "
                      << got;
        return;
      }
    }
  }
}

TEST(KeyCodecTest, SingleColumnOrderEdgeCases) {
  ValuePool pool;
  CheckPairwiseOrder(EdgeValues(&pool), "edge values");
}

TEST(KeyCodecTest, SingleColumnOrderRandom) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  ValuePool pool;
  std::vector<SqlValue> values = EdgeValues(&pool);
  for (int k = 0; k < 1500; k++) values.push_back(RandomValue(&rng, &pool));
  CheckPairwiseOrder(values, "random values");
}

// SQLite itself as the oracle: `?1 < ?2` and `?1 = ?2` on bound values (no affinity).
TEST(KeyCodecTest, OrderMatchesSqlite) {
  sqlite3* db = nullptr;
  ASSERT_EQ(SQLITE_OK, sqlite3_open(":memory:", &db));
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(SQLITE_OK, sqlite3_prepare_v2(db, "SELECT ?1 < ?2, ?1 = ?2", -1, &stmt, nullptr));
  auto bind = [&](int idx, const SqlValue& v) {
    switch (v.type) {
      case SqlValue::Type::kNull:
        return sqlite3_bind_null(stmt, idx);
      case SqlValue::Type::kInteger:
        return sqlite3_bind_int64(stmt, idx, v.i);
      case SqlValue::Type::kReal:
        return sqlite3_bind_double(stmt, idx, v.r);
      case SqlValue::Type::kText:
        return sqlite3_bind_text(stmt, idx, v.bytes.data(), static_cast<int>(v.bytes.size()),
                                 SQLITE_STATIC);
      case SqlValue::Type::kBlob:
        return sqlite3_bind_blob(stmt, idx, v.bytes.data(), static_cast<int>(v.bytes.size()),
                                 SQLITE_STATIC);
    }
    return SQLITE_ERROR;
  };
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  ValuePool pool;
  std::vector<SqlValue> values = EdgeValues(&pool);
  for (int k = 0; k < 250; k++) values.push_back(RandomValue(&rng, &pool));
  // NULL compares as unknown in SQL expressions.
  values.erase(
      std::remove_if(values.begin(), values.end(), [](const SqlValue& v) { return v.is_null(); }),
      values.end());
  int failures = 0;
  int outcomes[3] = {0, 0, 0};  // how often SQLite said <, =, >
  for (const SqlValue& a : values) {
    for (const SqlValue& b : values) {
      ASSERT_EQ(SQLITE_OK, bind(1, a));
      ASSERT_EQ(SQLITE_OK, bind(2, b));
      ASSERT_EQ(SQLITE_ROW, sqlite3_step(stmt));
      const int want = sqlite3_column_int(stmt, 0) ? -1 : (sqlite3_column_int(stmt, 1) ? 0 : 1);
      sqlite3_reset(stmt);
      outcomes[want + 1]++;
      const int got = CompareBytes(Enc(a), Enc(b));
      if (want != got && ++failures < 10) {
        ADD_FAILURE() << Describe(a) << " vs " << Describe(b) << ": sqlite " << want
                      << ", encoding " << got;
      }
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_GT(outcomes[0], 1000);
  EXPECT_GT(outcomes[1], 100);  // the diagonal plus the int/real ties
  EXPECT_GT(outcomes[2], 1000);
}

void CheckCompositeOrder(int ncols, uint64_t seed) {
  SCOPED_TRACE("ncols " + std::to_string(ncols) + " seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  ValuePool pool;
  // A small pool per column so that leading columns tie often.
  std::vector<SqlValue> column_pool = EdgeValues(&pool);
  for (int k = 0; k < 60; k++) column_pool.push_back(RandomValue(&rng, &pool));
  std::vector<std::vector<SqlValue>> tuples;
  for (int k = 0; k < 700; k++) {
    std::vector<SqlValue> t;
    for (int c = 0; c < ncols; c++) {
      // Leading columns from a narrow subset, to produce ties.
      const size_t range = c + 1 < ncols ? 12 : column_pool.size();
      t.push_back(column_pool[rng() % range]);
    }
    tuples.push_back(t);
  }
  std::vector<std::string> enc;
  for (const auto& t : tuples) enc.push_back(EncTuple(t));
  for (size_t a = 0; a < tuples.size(); a++) {
    for (size_t b = 0; b < tuples.size(); b++) {
      const int want = RefCompareTuple(tuples[a], tuples[b]);
      const int got = CompareBytes(enc[a], enc[b]);
      if (want != got) {
        std::string da, db;
        for (const SqlValue& v : tuples[a]) da += Describe(v) + ", ";
        for (const SqlValue& v : tuples[b]) db += Describe(v) + ", ";
        ADD_FAILURE() << "(" << da << ") vs (" << db << "): want " << want << " got " << got;
        return;
      }
    }
  }
}

TEST(KeyCodecTest, CompositeOrderTwoColumns) { CheckCompositeOrder(2, std::random_device()()); }

TEST(KeyCodecTest, CompositeOrderThreeColumns) { CheckCompositeOrder(3, std::random_device()()); }

TEST(KeyCodecTest, CompositeStringsWithZerosAndFF) {
  // Non-last string columns must stay prefix-free and ordered around escaped zeros.
  const std::string kStrings[] = {"",
                                  std::string("\0", 1),
                                  std::string("\0\x01", 2),
                                  std::string("\0\xff", 2),
                                  std::string("\x01", 1),
                                  "a",
                                  std::string("a\0", 2),
                                  std::string("a\0\0", 3),
                                  "a\x01",
                                  "a\xff"};
  std::vector<std::vector<SqlValue>> tuples;
  for (const std::string& s : kStrings) {
    for (const std::string& t : kStrings) {
      tuples.push_back({SqlValue::Text(s), SqlValue::Blob(t)});
      tuples.push_back({SqlValue::Blob(s), SqlValue::Integer(static_cast<int64_t>(t.size()))});
    }
  }
  for (const auto& a : tuples) {
    for (const auto& b : tuples) {
      ASSERT_EQ(RefCompareTuple(a, b), CompareBytes(EncTuple(a), EncTuple(b)))
          << Describe(a[0]) << "," << Describe(a[1]) << " vs " << Describe(b[0]) << ","
          << Describe(b[1]);
    }
  }
}

TEST(KeyCodecTest, RoundTrip) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  ValuePool pool;
  std::vector<SqlValue> values = EdgeValues(&pool);
  for (int k = 0; k < 3000; k++) values.push_back(RandomValue(&rng, &pool));
  std::string scratch;
  for (const SqlValue& v : values) {
    const std::string e = Enc(v);
    SqlValue out;
    ASSERT_TRUE(DecodeKey(e, 1, &out, &scratch)) << Describe(v) << " " << Hex(e);
    EXPECT_TRUE(IdenticalValues(Canonical(v), out)) << Describe(v) << " -> " << Describe(out);
    if (v.is_bytes()) {  // single column: no copy
      EXPECT_TRUE(out.bytes.data() >= e.data() && out.bytes.data() <= e.data() + e.size());
    }
  }
  for (int ncols = 2; ncols <= 4; ncols++) {
    for (int k = 0; k < 1000; k++) {
      std::vector<SqlValue> t;
      for (int c = 0; c < ncols; c++) t.push_back(values[rng() % values.size()]);
      const std::string e = EncTuple(t);
      std::vector<SqlValue> out(ncols);
      ASSERT_TRUE(DecodeKey(e, ncols, out.data(), &scratch)) << Hex(e);
      for (int c = 0; c < ncols; c++) {
        EXPECT_TRUE(IdenticalValues(Canonical(t[c]), out[c]))
            << "column " << c << ": " << Describe(t[c]) << " -> " << Describe(out[c]);
      }
      // A key of ncols columns is not a key of another width.
      std::vector<SqlValue> other(ncols + 1);
      std::string reenc;
      if (DecodeKey(e, ncols - 1, other.data(), &scratch)) {
        EncodeKey(other.data(), ncols - 1, &reenc);
        EXPECT_EQ(e, reenc);
      }
    }
  }
}

TEST(KeyCodecTest, DecodeTypesOfNumbers) {
  std::string scratch;
  SqlValue out;
  ASSERT_TRUE(DecodeKey(Enc(SqlValue::Real(3.0)), 1, &out, &scratch));
  EXPECT_EQ(SqlValue::Type::kInteger, out.type);
  EXPECT_EQ(3, out.i);
  ASSERT_TRUE(DecodeKey(Enc(SqlValue::Real(-0.0)), 1, &out, &scratch));
  EXPECT_EQ(SqlValue::Type::kInteger, out.type);
  EXPECT_EQ(0, out.i);
  ASSERT_TRUE(DecodeKey(Enc(SqlValue::Real(9223372036854775808.0)), 1, &out, &scratch));
  EXPECT_EQ(SqlValue::Type::kReal, out.type);
  EXPECT_EQ(9223372036854775808.0, out.r);
  ASSERT_TRUE(DecodeKey(Enc(SqlValue::Real(-9223372036854775808.0)), 1, &out, &scratch));
  EXPECT_EQ(SqlValue::Type::kInteger, out.type);
  EXPECT_EQ(INT64_MIN, out.i);
  ASSERT_TRUE(DecodeKey(Enc(SqlValue::Real(-kInf)), 1, &out, &scratch));
  EXPECT_EQ(SqlValue::Type::kReal, out.type);
  EXPECT_EQ(-kInf, out.r);
  ASSERT_TRUE(DecodeKey(Enc(SqlValue::Real(-2.5)), 1, &out, &scratch));
  EXPECT_EQ(SqlValue::Type::kReal, out.type);
  EXPECT_EQ(-2.5, out.r);
}

TEST(KeyCodecTest, CompositeDecodePointsIntoInputWithoutEscapes) {
  const SqlValue t[2] = {SqlValue::Text("abc"), SqlValue::Blob(std::string_view("x\0y", 3))};
  std::string e, scratch;
  EncodeKey(t, 2, &e);
  SqlValue out[2];
  ASSERT_TRUE(DecodeKey(e, 2, out, &scratch));
  EXPECT_EQ("abc", out[0].bytes);
  EXPECT_EQ(std::string_view("x\0y", 3), out[1].bytes);
  EXPECT_TRUE(out[0].bytes.data() > e.data() && out[0].bytes.data() < e.data() + e.size());

  // Several escaped columns decode into scratch, and all views stay valid.
  const SqlValue u[3] = {SqlValue::Text(std::string_view("\0a\0", 3)),
                         SqlValue::Blob(std::string_view("\0\0", 2)), SqlValue::Integer(7)};
  EncodeKey(u, 3, &e);
  SqlValue out3[3];
  ASSERT_TRUE(DecodeKey(e, 3, out3, &scratch));
  EXPECT_EQ(std::string_view("\0a\0", 3), out3[0].bytes);
  EXPECT_EQ(std::string_view("\0\0", 2), out3[1].bytes);
  EXPECT_EQ(7, out3[2].i);
}

// Strings over a small alphabet, all lengths up to 4: the universe for prefix tests.
std::vector<std::string> AllShortStrings() {
  static const char kAlphabet[] = {'\x00', '\x01', 'a', '\xfe', '\xff'};
  std::vector<std::string> out = {""};
  for (size_t begin = 0, len = 0; len < 4; len++) {
    const size_t end = out.size();
    for (size_t k = begin; k < end; k++) {
      for (char c : kAlphabet) out.push_back(out[k] + c);
    }
    begin = end;
  }
  return out;
}

bool InRange(std::string_view key, std::string_view lo, std::string_view hi) {
  return CompareBytes(key, lo) >= 0 && (hi.empty() || CompareBytes(key, hi) < 0);
}

TEST(KeyCodecTest, TextPrefixRange) {
  const std::vector<std::string> universe = AllShortStrings();
  const std::string kPrefixes[] = {"",   "a",        "\xff",     "\xff\xff", "a\xff",
                                   "\0", "a\0",      "\x01",     "\xfe\xff", std::string("\0", 1),
                                   "aa", "\xff\x00", "a\xfe\xff"};
  for (bool last : {true, false}) {
    for (const std::string& p : kPrefixes) {
      const std::string lo = TextPrefix(p, last);
      const std::string hi = PrefixSuccessor(lo);
      ASSERT_FALSE(hi.empty());
      for (const std::string& s : universe) {
        // As the last column the key is just the string; otherwise another column follows.
        const SqlValue cols[2] = {SqlValue::Text(s), SqlValue::Integer(1)};
        std::string key;
        EncodeKey(cols, last ? 1 : 2, &key);
        const bool has_prefix = s.compare(0, p.size(), p) == 0;
        EXPECT_EQ(has_prefix, InRange(key, lo, hi))
            << "last=" << last << " prefix " << Hex(p) << " string " << Hex(s);
        // A BLOB or number never falls in a TEXT prefix range.
        EXPECT_FALSE(InRange(Enc(SqlValue::Blob(s)), lo, hi));
      }
      EXPECT_FALSE(InRange(Enc(SqlValue::Integer(INT64_MAX)), lo, hi));
      EXPECT_FALSE(InRange(Enc(SqlValue::Real(kInf)), lo, hi));
    }
  }
}

TEST(KeyCodecTest, PrefixSuccessorBytes) {
  EXPECT_EQ("", PrefixSuccessor(""));
  EXPECT_EQ("", PrefixSuccessor("\xff\xff"));
  EXPECT_EQ("b", PrefixSuccessor("a"));
  EXPECT_EQ("b", PrefixSuccessor("a\xff\xff"));
  EXPECT_EQ("a\x01", PrefixSuccessor(std::string("a\0", 2)));
  EXPECT_EQ("\xA1", PrefixSuccessor("\xA0\xff"));
  EXPECT_EQ(std::string("ab\0", 3), KeySuccessor("ab"));
}

// For keys of ncols columns: the scan [lo, hi) built from the bound helpers holds exactly
// the keys whose first k columns equal `prefix_values` and whose column k satisfies `op v`.
void CheckRangeBounds(int ncols, uint64_t seed) {
  SCOPED_TRACE("ncols " + std::to_string(ncols) + " seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  ValuePool pool;
  std::vector<SqlValue> column_pool = EdgeValues(&pool);
  for (int k = 0; k < 40; k++) column_pool.push_back(RandomValue(&rng, &pool));
  std::vector<std::vector<SqlValue>> keys;
  std::vector<std::string> enc;
  for (int k = 0; k < 400; k++) {
    std::vector<SqlValue> t;
    for (int c = 0; c < ncols; c++) t.push_back(column_pool[rng() % (c + 1 < ncols ? 6 : 40)]);
    keys.push_back(t);
    enc.push_back(EncTuple(t));
  }
  for (int trial = 0; trial < 200; trial++) {
    const int k = static_cast<int>(rng() % ncols);  // equality on columns [0, k)
    const std::vector<SqlValue>& base = keys[rng() % keys.size()];
    std::string prefix;
    EncodeKeyPrefix(base.data(), k, ncols, &prefix);
    const SqlValue v = rng() % 2 ? keys[rng() % keys.size()][k] : column_pool[rng() % 40];
    const KeyBoundOp op = static_cast<KeyBoundOp>(rng() % 4);
    const bool last = k == ncols - 1;
    const std::string bound = RangeBound(prefix, v, last, op);
    std::string lo = prefix, hi = PrefixSuccessor(prefix);
    if (op == KeyBoundOp::kGe || op == KeyBoundOp::kGt) {
      lo = bound;
    } else {
      hi = bound;
    }
    for (size_t n = 0; n < keys.size(); n++) {
      bool want = true;
      for (int c = 0; c < k; c++) want = want && RefCompare(keys[n][c], base[c]) == 0;
      const int cmp = RefCompare(keys[n][k], v);
      switch (op) {
        case KeyBoundOp::kGe:
          want = want && cmp >= 0;
          break;
        case KeyBoundOp::kGt:
          want = want && cmp > 0;
          break;
        case KeyBoundOp::kLe:
          want = want && cmp <= 0;
          break;
        case KeyBoundOp::kLt:
          want = want && cmp < 0;
          break;
      }
      if (want != InRange(enc[n], lo, hi)) {
        ADD_FAILURE() << "k=" << k << " op=" << static_cast<int>(op) << " v=" << Describe(v)
                      << " key col=" << Describe(keys[n][k]) << " want " << want;
        return;
      }
    }
  }
}

TEST(KeyCodecTest, RangeBoundsSingleColumn) { CheckRangeBounds(1, std::random_device()()); }
TEST(KeyCodecTest, RangeBoundsTwoColumns) { CheckRangeBounds(2, std::random_device()()); }
TEST(KeyCodecTest, RangeBoundsThreeColumns) { CheckRangeBounds(3, std::random_device()()); }

TEST(KeyCodecTest, MalformedRejected) {
  std::string scratch;
  SqlValue out[3];
  auto dec = [&](std::string_view s, int n = 1) { return DecodeKey(s, n, out, &scratch); };
  EXPECT_FALSE(dec(""));
  EXPECT_FALSE(dec(std::string_view("\x00", 1)));     // unknown tag 0x00
  EXPECT_FALSE(dec("\xff"));                          // unknown tag 0xFF
  EXPECT_FALSE(dec(std::string("\x53\x00", 2)));      // trailing byte after zero
  EXPECT_FALSE(dec("\x56"));                          // integer 2^1 without mantissa
  EXPECT_FALSE(dec(std::string("\x56\x00\x00", 3)));  // trailing byte after a number
  EXPECT_FALSE(dec("\x56\x01"));                      // continuation without next byte
  EXPECT_FALSE(dec(std::string("\x56\x81\x00", 3)));  // trailing zero group
  EXPECT_FALSE(dec("\x56\x81\x81\x81\x81\x81\x81\x81\x81\x81\x02"));  // 10 mantissa bytes
  EXPECT_FALSE(dec(std::string("\x95\x00\x10\x00", 4)));              // large exponent < 64
  EXPECT_FALSE(dec(std::string("\x95\x04\x00\x00", 4)));              // exponent 1024
  EXPECT_FALSE(dec(std::string("\x54\x04\x32\x00", 4)));              // small exponent >= 0
  // More than 52 bits after the leading one on a non-integer: not a double.
  EXPECT_FALSE(dec("\x55\x81\x81\x81\x81\x81\x81\x81\x04"));
  // Subnormal with a bit below 2^-1074.
  EXPECT_FALSE(dec(std::string("\x54\x00\x00\x40", 4)));
  // Escapes in a non-last column.
  EXPECT_FALSE(dec(std::string("\xA0"
                               "ab",
                               3),
                   2));  // no terminator
  EXPECT_FALSE(dec(std::string("\xA0"
                               "ab\x00",
                               4),
                   2));  // half terminator
  EXPECT_FALSE(dec(std::string("\xA0"
                               "a\x00\x02\x00\x01\x53",
                               7),
                   2));  // bad escape
  EXPECT_TRUE(dec(std::string("\xA0"
                              "a\x00\xff\x00\x01\x53",
                              7),
                  2));
  EXPECT_EQ(std::string_view("a\0", 2), out[0].bytes);
  EXPECT_FALSE(dec(std::string("\xA0"
                               "a\x00\x01",
                               4),
                   2));  // second column missing
  EXPECT_TRUE(dec(std::string("\x55\x00", 2)));
  EXPECT_EQ(1, out[0].i);
}

// Any input: never a crash (run under ASan/UBSan), and whatever is accepted re-encodes to
// exactly the same bytes (the decoder accepts canonical encodings only).
TEST(KeyCodecTest, FuzzDecodeAcceptsOnlyCanonical) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  ValuePool pool;
  std::vector<SqlValue> values = EdgeValues(&pool);
  std::string scratch, reenc;
  std::vector<SqlValue> out(4);
  int accepted = 0;
  for (int iter = 0; iter < 60000; iter++) {
    const int ncols = 1 + static_cast<int>(rng() % 3);
    std::string input;
    if (iter % 2 == 0) {  // mutate a valid key
      std::vector<SqlValue> t;
      for (int c = 0; c < ncols; c++) t.push_back(values[rng() % values.size()]);
      input = EncTuple(t);
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !input.empty(); e++) {
        const size_t pos = rng() % input.size();
        switch (rng() % 3) {
          case 0:
            input[pos] = static_cast<char>(rng());
            break;
          case 1:
            input.resize(pos);
            break;
          default:
            input.insert(pos, 1, static_cast<char>(rng()));
            break;
        }
      }
    } else {  // random bytes, tags likely
      const int len = static_cast<int>(rng() % 16);
      static const uint8_t kTags[] = {0x05, 0x10, 0x11, 0x12, 0x30, 0x51, 0x52, 0x53,
                                      0x54, 0x55, 0x70, 0x94, 0x95, 0x96, 0xA0, 0xB0};
      for (int k = 0; k < len; k++) {
        input.push_back(static_cast<char>(rng() % 2 ? kTags[rng() % 16] : rng()));
      }
    }
    // Decode from an exact-size heap copy so ASan catches any read past the end.
    std::unique_ptr<char[]> copy(new char[input.size()]);
    memcpy(copy.get(), input.data(), input.size());
    const std::string_view view(copy.get(), input.size());
    if (DecodeKey(view, ncols, out.data(), &scratch)) {
      accepted++;
      EncodeKey(out.data(), ncols, &reenc);
      ASSERT_EQ(Hex(input), Hex(reenc)) << "ncols " << ncols;
    }
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace strata
