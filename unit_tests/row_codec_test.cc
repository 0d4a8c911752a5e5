// Tests of the row encoding (sqlite_ext/row_codec.h): exact round trips of every storage
// class, single-column access, compactness, the documented layout, and robustness of the
// reader against truncated, mutated and random input (run under ASan/UBSan as well).
#include "sqlite_ext/row_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace strata {
namespace {

std::string Hex(std::string_view s) {
  std::string r;
  char buf[4];
  for (unsigned char c : s) {
    snprintf(buf, sizeof(buf), "%02X", c);
    r += buf;
  }
  return r;
}

std::string Describe(const SqlValue& v) {
  char buf[64];
  switch (v.type) {
    case SqlValue::Type::kNull:
      return "NULL";
    case SqlValue::Type::kInteger:
      return "INT " + std::to_string(v.i);
    case SqlValue::Type::kReal:
      snprintf(buf, sizeof(buf), "REAL %a (bits %016llx)", v.r,
               static_cast<unsigned long long>(std::bit_cast<uint64_t>(v.r)));
      return buf;
    case SqlValue::Type::kText:
      return "TEXT x'" + Hex(v.bytes) + "'";
    case SqlValue::Type::kBlob:
      return "BLOB x'" + Hex(v.bytes) + "'";
  }
  return "?";
}

// Values whose bytes live as long as the generator.
class ValueGen {
 public:
  explicit ValueGen(uint64_t seed) : rng_(seed) {}

  SqlValue Next() {
    switch (rng_() % 8) {
      case 0:
        return SqlValue::Null();
      case 1: {  // integers around every byte-width boundary
        // 2^bits - 2 .. 2^bits + 2, wrapping past INT64_MAX; or its complement (-v - 1).
        const uint64_t u = (uint64_t{1} << (rng_() % 64)) + rng_() % 5 - 2;
        return SqlValue::Integer(static_cast<int64_t>(rng_() % 2 ? u : ~u));
      }
      case 2:
        return SqlValue::Integer(static_cast<int64_t>(rng_() % 5) - 2);
      case 3: {  // any double bit pattern, NaN payloads and -0.0 included
        return SqlValue::Real(std::bit_cast<double>(rng_()));
      }
      case 4: {  // doubles float holds exactly, and special ones
        static const double kSpecial[] = {0.0,
                                          -0.0,
                                          0.5,
                                          -1.0,
                                          1e300,
                                          std::numeric_limits<double>::infinity(),
                                          -std::numeric_limits<double>::infinity(),
                                          std::numeric_limits<double>::quiet_NaN(),
                                          std::bit_cast<double>(uint64_t{0x7FF0000000000001}),
                                          std::bit_cast<double>(uint64_t{0xFFF8000000000123}),
                                          std::numeric_limits<double>::denorm_min(),
                                          std::numeric_limits<float>::max(),
                                          std::numeric_limits<float>::denorm_min(),
                                          3.4028235677973366e38,  // just above FLT_MAX
                                          0.1};
        if (rng_() % 2) return SqlValue::Real(kSpecial[rng_() % std::size(kSpecial)]);
        return SqlValue::Real(
            static_cast<double>(std::bit_cast<float>(static_cast<uint32_t>(rng_()))));
      }
      default: {  // TEXT/BLOB: empty, NULs, long
        const size_t len = rng_() % 4 == 0 ? rng_() % 300 : rng_() % 4;
        std::string s;
        for (size_t k = 0; k < len; k++) s.push_back(static_cast<char>(rng_() % 3 ? rng_() : 0));
        strings_.push_back(std::make_unique<std::string>(std::move(s)));
        return rng_() % 2 ? SqlValue::Text(*strings_.back()) : SqlValue::Blob(*strings_.back());
      }
    }
  }

  uint64_t Rand() { return rng_(); }

 private:
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<std::string>> strings_;
};

bool MaskBit(const std::vector<uint64_t>& mask, size_t i) {
  return i / 64 < mask.size() && ((mask[i / 64] >> (i % 64)) & 1);
}

TEST(RowCodecTest, RandomRoundTrip) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ValueGen gen(seed);
  std::string row;  // reused, as the virtual table does
  RowReader reader;
  for (int iter = 0; iter < 3000; iter++) {
    const size_t n = gen.Rand() % 51;
    std::vector<SqlValue> values;
    for (size_t k = 0; k < n; k++) values.push_back(gen.Next());
    std::vector<uint64_t> mask(gen.Rand() % 3);
    for (uint64_t& w : mask)
      w = gen.Rand() % 2 ? gen.Rand() : (gen.Rand() % 2) << (gen.Rand() % 64);
    // Negative zeros in a third of the rows, a subset of the REAL columns.
    std::vector<uint64_t> zmask(gen.Rand() % 3 == 0 ? mask.size() : 0);
    for (size_t w = 0; w < zmask.size(); w++) zmask[w] = mask[w] & gen.Rand();
    EncodeRow(values.data(), values.size(), mask, zmask, &row);
    ASSERT_TRUE(reader.Init(row)) << Hex(row);
    ASSERT_EQ(n, reader.num_columns());
    for (size_t k = 0; k < n; k++) {
      const SqlValue got = reader.Column(k);
      ASSERT_TRUE(IdenticalValues(values[k], got))
          << "column " << k << ": " << Describe(values[k]) << " -> " << Describe(got);
      ASSERT_EQ(values[k].type, reader.ColumnType(k));
      if (got.is_bytes()) {  // a view into the row, not a copy
        EXPECT_TRUE(got.bytes.data() >= row.data() &&
                    got.bytes.data() + got.bytes.size() <= row.data() + row.size());
      }
    }
    for (size_t i = 0; i < 64 * 3 + 10; i++) {
      ASSERT_EQ(MaskBit(mask, i), reader.KeyColumnWasReal(i)) << "mask bit " << i;
      ASSERT_EQ(MaskBit(zmask, i), reader.KeyColumnWasNegativeZero(i)) << "zmask bit " << i;
    }
  }
}

TEST(RowCodecTest, EdgeValuesRoundTrip) {
  const std::string with_nul("a\0b\0", 4);
  std::vector<SqlValue> values = {
      SqlValue::Null(),
      SqlValue::Text(""),
      SqlValue::Blob(""),
      SqlValue::Text(with_nul),
      SqlValue::Blob(with_nul),
      SqlValue::Real(-0.0),
      SqlValue::Real(0.0),
      SqlValue::Real(std::bit_cast<double>(uint64_t{0x7FF4000000000001})),
      SqlValue::Real(std::bit_cast<double>(uint64_t{0xFFF8000000000000})),
      SqlValue::Real(std::numeric_limits<double>::denorm_min())};
  for (int bytes = 1; bytes <= 8; bytes++) {  // both ends of every integer width
    const int64_t hi = bytes == 8 ? INT64_MAX : (int64_t{1} << (8 * bytes - 1)) - 1;
    const int64_t lo = bytes == 8 ? INT64_MIN : -(int64_t{1} << (8 * bytes - 1));
    for (int64_t v : {hi, hi + (bytes < 8), lo, lo - (bytes < 8)}) {
      values.push_back(SqlValue::Integer(v));
    }
  }
  values.push_back(SqlValue::Integer(0));
  values.push_back(SqlValue::Integer(1));
  values.push_back(SqlValue::Integer(-1));
  std::string row;
  EncodeRow(values.data(), values.size(), 0, &row);
  RowReader reader;
  ASSERT_TRUE(reader.Init(row));
  ASSERT_EQ(values.size(), reader.num_columns());
  for (size_t k = 0; k < values.size(); k++) {
    EXPECT_TRUE(IdenticalValues(values[k], reader.Column(k)))
        << Describe(values[k]) << " -> " << Describe(reader.Column(k));
  }
  // Columns can be read in any order, any number of times, one at a time.
  for (size_t k = values.size(); k-- > 0;) {
    EXPECT_TRUE(IdenticalValues(values[k], reader.Column(k)));
  }
}

TEST(RowCodecTest, Compact) {
  std::string row;
  EncodeRow(nullptr, 0, 0, &row);
  EXPECT_EQ("010000", Hex(row));  // version, no columns, no mask
  const SqlValue small[] = {SqlValue::Integer(0),    SqlValue::Integer(1),
                            SqlValue::Integer(-1),   SqlValue::Integer(127),
                            SqlValue::Integer(-128), SqlValue::Integer(300)};
  EncodeRow(small, 6, 0, &row);
  // header: version, ncols, nmask, 6 one-byte types; body: 0 + 0 + 1 + 1 + 1 + 2 bytes.
  EXPECT_EQ(3u + 6 + 5, row.size());
  const SqlValue reals[] = {SqlValue::Real(0.5), SqlValue::Real(0.1)};
  EncodeRow(reals, 2, 0, &row);
  EXPECT_EQ(3u + 2 + 4 + 8, row.size());  // 0.5 fits binary32, 0.1 does not
}

TEST(RowCodecTest, DocumentedExample) {
  // The worked example of docs/row_format.md.
  const SqlValue values[] = {
      SqlValue::Text("Ada"), SqlValue::Integer(1), SqlValue::Integer(-300),
      SqlValue::Null(),      SqlValue::Real(2.5),  SqlValue::Blob(std::string_view("\x00\xFF", 2))};
  std::string row;
  EncodeRow(values, 6, uint64_t{1} << 1, &row);
  EXPECT_EQ("01060102160204000C15416461D4FE0000204000FF", Hex(row));
}

TEST(RowCodecTest, NegativeZeroKeyColumns) {
  // The worked example of docs/row_format.md for version 2: key columns 0 and 2 were REAL,
  // column 2 was -0.0; one value column, 'x'.
  const SqlValue values[] = {SqlValue::Text("x")};
  const uint64_t real = 0b101, neg_zero = 0b100;
  std::string row;
  EncodeRow(values, 1, std::span<const uint64_t>(&real, 1), std::span<const uint64_t>(&neg_zero, 1),
            &row);
  EXPECT_EQ("0201010501041278", Hex(row));
  RowReader reader;
  ASSERT_TRUE(reader.Init(row));
  ASSERT_EQ(1u, reader.num_columns());
  EXPECT_EQ("x", reader.Column(0).bytes);
  for (size_t i = 0; i < 10; i++) {
    EXPECT_EQ(i == 0 || i == 2, reader.KeyColumnWasReal(i)) << i;
    EXPECT_EQ(i == 2, reader.KeyColumnWasNegativeZero(i)) << i;
  }
  // Without negative zeros (an empty or all-zero mask) the row stays in version 1, the same
  // bytes as the encoder without the second mask writes.
  std::string v1, v1_zero_mask;
  EncodeRow(values, 1, std::span<const uint64_t>(&real, 1), &v1);
  const uint64_t none[] = {0, 0};
  EncodeRow(values, 1, std::span<const uint64_t>(&real, 1), none, &v1_zero_mask);
  EXPECT_EQ("010101051278", Hex(v1));
  EXPECT_EQ(v1, v1_zero_mask);
  ASSERT_TRUE(reader.Init(v1));
  EXPECT_TRUE(reader.KeyColumnWasReal(2));
  EXPECT_FALSE(reader.KeyColumnWasNegativeZero(2));
  // A wide mask: key column 130.
  const uint64_t wide_real[] = {0, 0, 4}, wide_zero[] = {0, 0, 4};
  EncodeRow(values, 1, wide_real, wide_zero, &row);
  ASSERT_TRUE(reader.Init(row));
  for (size_t i = 0; i < 200; i++) EXPECT_EQ(i == 130, reader.KeyColumnWasNegativeZero(i)) << i;
}

TEST(RowCodecTest, EncoderReusesOutput) {
  std::string row;
  const std::string big(1000, 'x');
  const SqlValue one_big[] = {SqlValue::Blob(big)};
  EncodeRow(one_big, 1, 0, &row);
  const SqlValue one_small[] = {SqlValue::Integer(5)};
  EncodeRow(one_small, 1, 0, &row);
  RowReader reader;
  ASSERT_TRUE(reader.Init(row));
  ASSERT_EQ(1u, reader.num_columns());
  EXPECT_EQ(5, reader.Column(0).i);
  EXPECT_EQ(5u, row.size());
}

TEST(RowCodecTest, WideMask) {
  // A key of 130 columns, columns 0, 64 and 129 REAL.
  const uint64_t mask[] = {1, 1, 2};
  std::string row;
  EncodeRow(nullptr, 0, mask, &row);
  RowReader reader;
  ASSERT_TRUE(reader.Init(row));
  for (size_t i = 0; i < 200; i++) {
    EXPECT_EQ(i == 0 || i == 64 || i == 129, reader.KeyColumnWasReal(i)) << i;
  }
  // Trailing zero words are dropped: the same bytes as without them.
  const uint64_t padded[] = {1, 1, 2, 0, 0};
  std::string row2;
  EncodeRow(nullptr, 0, padded, &row2);
  EXPECT_EQ(row, row2);
}

// A reader that parses an exact-size heap copy of its input (so ASan sees any read past the
// end), and checks that an accepted row is fully readable and survives a re-encode.
class CheckedReader {
 public:
  bool Init(std::string_view input) {
    copy_.reset(new char[input.size()]);
    if (!input.empty()) memcpy(copy_.get(), input.data(), input.size());
    if (!reader_.Init(std::string_view(copy_.get(), input.size()))) {
      EXPECT_EQ(0u, reader_.num_columns());
      return false;
    }
    std::vector<SqlValue> values;
    for (size_t k = 0; k < reader_.num_columns(); k++) values.push_back(reader_.Column(k));
    std::string again;
    EncodeRow(values.data(), values.size(), 0, &again);
    RowReader second;
    EXPECT_TRUE(second.Init(again));
    for (size_t k = 0; k < values.size(); k++) {
      EXPECT_TRUE(IdenticalValues(values[k], second.Column(k)));
    }
    return true;
  }
  const RowReader& reader() const { return reader_; }

 private:
  std::unique_ptr<char[]> copy_;
  RowReader reader_;
};

TEST(RowCodecTest, MalformedRejected) {
  CheckedReader r;
  EXPECT_FALSE(r.Init(""));
  EXPECT_FALSE(r.Init(std::string("\x03\x00\x00", 3)));  // unknown version
  // Version 2 must carry a non-empty zmask whose last byte is not 0.
  EXPECT_FALSE(r.Init(std::string("\x02\x00\x00", 3)));
  EXPECT_FALSE(r.Init(std::string("\x02\x00\x00\x00", 4)));
  EXPECT_FALSE(r.Init(std::string("\x02\x00\x00\x01\x00", 5)));
  EXPECT_FALSE(r.Init(std::string("\x02\x00\x00\x02\x01", 5)));  // zmask past the end
  EXPECT_TRUE(r.Init(std::string("\x02\x00\x00\x01\x01", 5)));
  EXPECT_TRUE(r.reader().KeyColumnWasNegativeZero(0));
  EXPECT_FALSE(r.Init(std::string("\x02\x00\x00\x01\x01\x00", 6)));  // trailing byte
  EXPECT_FALSE(r.Init(std::string("\x00\x00\x00", 3)));
  EXPECT_TRUE(r.Init(std::string("\x01\x00\x00", 3)));
  EXPECT_FALSE(r.Init(std::string("\x01\x00\x00\x00", 4)));  // trailing byte
  EXPECT_FALSE(r.Init(std::string("\x01\x00", 2)));          // no nmask
  for (char reserved : {'\x0D', '\x0E', '\x0F'}) {
    EXPECT_FALSE(r.Init(std::string("\x01\x01\x00", 3) + reserved));
  }
  EXPECT_TRUE(r.Init(std::string("\x01\x01\x00\x03\x7F", 5)));
  EXPECT_EQ(127, r.reader().Column(0).i);
  EXPECT_FALSE(r.Init(std::string("\x01\x01\x00\x04\x7F", 5)));  // short body
  EXPECT_FALSE(r.Init(std::string("\x01\x01\x01\x00\x00", 5)));  // zero mask byte
  EXPECT_TRUE(r.Init(std::string("\x01\x00\x01\x80", 4)));
  EXPECT_TRUE(r.reader().KeyColumnWasReal(7));
  // A varint of 11 bytes, and one that overflows 64 bits in its 10th byte.
  EXPECT_FALSE(r.Init(std::string("\x01") + std::string(10, '\xFF') + "\x01\x00"));
  EXPECT_FALSE(r.Init(std::string("\x01") + std::string(9, '\xFF') + "\x02\x00"));
  // Column counts and lengths far beyond the input.
  EXPECT_FALSE(r.Init(std::string("\x01\xFF\xFF\xFF\xFF\x0F\x00", 7)));
  EXPECT_FALSE(r.Init(std::string("\x01\x01\x00\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 13)));
  EXPECT_FALSE(r.Init(std::string("\x01\x02\x00\xF0\xFF\xFF\xFF\x0F\xF0\xFF\xFF\xFF\x0F", 13)));
}

TEST(RowCodecTest, TruncationsAndExtensionsRejected) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ValueGen gen(seed);
  CheckedReader r;
  for (int iter = 0; iter < 200; iter++) {
    std::vector<SqlValue> values;
    const size_t n = gen.Rand() % 12;
    for (size_t k = 0; k < n; k++) values.push_back(gen.Next());
    std::string row;
    const uint64_t real = gen.Rand() % 4, neg_zero = real & gen.Rand();  // version 1 or 2
    EncodeRow(values.data(), values.size(), std::span<const uint64_t>(&real, 1),
              std::span<const uint64_t>(&neg_zero, 1), &row);
    ASSERT_TRUE(r.Init(row));
    for (size_t len = 0; len < row.size(); len++) {
      ASSERT_FALSE(r.Init(std::string_view(row).substr(0, len)))
          << "prefix of " << len << " bytes of " << Hex(row);
    }
    ASSERT_FALSE(r.Init(row + '\0'));
  }
}

TEST(RowCodecTest, FuzzNeverCrashes) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ValueGen gen(seed);
  CheckedReader r;
  int accepted = 0;
  for (int iter = 0; iter < 30000; iter++) {
    std::string input;
    if (iter % 2 == 0) {  // mutate a valid row
      std::vector<SqlValue> values;
      const size_t n = gen.Rand() % 8;
      for (size_t k = 0; k < n; k++) values.push_back(gen.Next());
      const uint64_t real = gen.Rand() % 3, neg_zero = real & gen.Rand();
      EncodeRow(values.data(), values.size(), std::span<const uint64_t>(&real, 1),
                std::span<const uint64_t>(&neg_zero, 1), &input);
      const int edits = 1 + static_cast<int>(gen.Rand() % 3);
      for (int e = 0; e < edits; e++) {
        const size_t pos = gen.Rand() % input.size();
        switch (gen.Rand() % 3) {
          case 0:
            input[pos] = static_cast<char>(gen.Rand());
            break;
          case 1:
            input.erase(pos, 1);
            break;
          default:
            input.insert(pos, 1, static_cast<char>(gen.Rand()));
            break;
        }
        if (input.empty()) break;
      }
    } else {  // random bytes after a valid version byte
      input.push_back('\x01');
      const size_t len = gen.Rand() % 12;
      for (size_t k = 0; k < len; k++) input.push_back(static_cast<char>(gen.Rand() % 24));
    }
    if (r.Init(input)) accepted++;
  }
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace strata
