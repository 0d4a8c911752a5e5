// Fuzz target: the order-preserving key codec (sqlite_ext/key_codec.cc), which turns SQL
// primary keys into the engine's byte keys and forms every scan bound.
//
// Input (FuzzedDataProvider): a column count and a string of bytes to decode, then tuples of
// SQL values drawn with a bias towards encoding edges (fuzz/sql_values.h).
// Checks (abort on violation):
//   - decoding arbitrary bytes never reads outside them (ASan), and whatever DecodeKey
//     accepts re-encodes to exactly the same bytes (the encoding is canonical and the
//     decoder accepts nothing else);
//   - encode -> decode round trip: every value comes back as itself, except as the contract
//     says (an integral REAL within int64 comes back INTEGER, -0.0 as 0, NaN as NULL);
//   - order: for two keys of the same column count (values drawn, decoded from the input, or
//     equal to the other key's under a different type), memcmp of the encodings has the sign
//     of SQLite's own comparison, column by column (asked of SQLite: `?1 < ?2, ?1 = ?2`);
//   - scan bounds: keys whose first k columns equal a prefix are exactly the keys that start
//     with EncodeKeyPrefix; RangeBound for >=, >, <, <= on column k includes exactly the
//     keys SQLite says satisfy the comparison; [TextPrefix(p), PrefixSuccessor(..)) holds
//     exactly the keys whose column is a TEXT starting with p.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "fuzz/sql_values.h"
#include "sqlite_ext/key_codec.h"

namespace strata {
namespace fuzz {
namespace {

constexpr int kMaxCols = 4;

SqliteComparer* Sqlite() {
  static SqliteComparer* comparer = new SqliteComparer();
  return comparer;
}

// What DecodeKey(EncodeKey(v)) must return.
SqlValue Canonical(const SqlValue& v) {
  if (v.type != SqlValue::Type::kReal) return v;
  if (std::isnan(v.r)) return SqlValue::Null();
  if (std::floor(v.r) == v.r && v.r >= -9223372036854775808.0 && v.r < 9223372036854775808.0) {
    return SqlValue::Integer(static_cast<int64_t>(v.r));
  }
  return v;
}

// A value SQLite considers equal to v, of another storage class where there is one.
SqlValue EqualOtherType(const SqlValue& v) {
  if (v.type == SqlValue::Type::kInteger && v.i > -(int64_t{1} << 53) && v.i < (int64_t{1} << 53)) {
    return SqlValue::Real(static_cast<double>(v.i));
  }
  if (v.type == SqlValue::Type::kInteger && v.i == INT64_MIN) {
    return SqlValue::Real(-9223372036854775808.0);
  }
  if (v.type == SqlValue::Type::kReal && v.r == 0) return SqlValue::Real(-v.r);  // 0.0 and -0.0
  return Canonical(v);
}

int Sign(int x) { return (x > 0) - (x < 0); }

std::string DescribeTuple(const SqlValue* t, int n) {
  std::string r = "(";
  for (int i = 0; i < n; i++) r += (i ? ", " : "") + Describe(t[i]);
  return r + ")";
}

// SQLite's order of two tuples of n columns.
int CompareTuples(const SqlValue* a, const SqlValue* b, int n) {
  for (int i = 0; i < n; i++) {
    const int c = Sqlite()->Compare(a[i], b[i]);
    if (c != 0) return c;
  }
  return 0;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

void CheckRoundTrip(const SqlValue* t, int n, const std::string& enc) {
  SqlValue out[kMaxCols];
  std::string scratch;
  FUZZ_CHECK(DecodeKey(enc, n, out, &scratch), "%s encodes to %s, which does not decode",
             DescribeTuple(t, n).c_str(), Hex(enc).c_str());
  for (int i = 0; i < n; i++) {
    FUZZ_CHECK(IdenticalValues(out[i], Canonical(t[i])), "column %d of %s decodes as %s", i,
               DescribeTuple(t, n).c_str(), Describe(out[i]).c_str());
  }
}

// Checks the scan bounds built from the first k columns of v (and column k) against key a,
// whose encoding is enc_a.
void CheckBounds(const SqlValue* v, const SqlValue* a, int n, int k, const std::string& enc_a,
                 const std::string& text_prefix) {
  std::string prefix;
  EncodeKeyPrefix(v, k, n, &prefix);
  const bool prefix_equal = CompareTuples(a, v, k) == 0;
  FUZZ_CHECK(StartsWith(enc_a, prefix) == prefix_equal,
             "key %s and prefix of %d columns of %s: starts with %d, SQLite says equal %d",
             DescribeTuple(a, n).c_str(), k, DescribeTuple(v, n).c_str(), !prefix_equal,
             prefix_equal);
  if (!prefix_equal) return;
  const bool last = k == n - 1;
  const int c = Sqlite()->Compare(a[k], v[k]);
  const std::string ge = RangeBound(prefix, v[k], last, KeyBoundOp::kGe);
  const std::string gt = RangeBound(prefix, v[k], last, KeyBoundOp::kGt);
  const std::string lt = RangeBound(prefix, v[k], last, KeyBoundOp::kLt);
  const std::string le = RangeBound(prefix, v[k], last, KeyBoundOp::kLe);
  const auto what = [&](const char* op) {
    return DescribeTuple(a, n) + " column " + std::to_string(k) + " " + op + " " + Describe(v[k]);
  };
  FUZZ_CHECK(!ge.empty() && !lt.empty(), "%s: an empty >= or < bound", what("?").c_str());
  FUZZ_CHECK((enc_a >= ge) == (c >= 0), "%s: bound %s says %d", what(">=").c_str(), Hex(ge).c_str(),
             enc_a >= ge);
  FUZZ_CHECK(gt.empty() ? c <= 0 : (enc_a >= gt) == (c > 0), "%s: bound %s", what(">").c_str(),
             Hex(gt).c_str());
  FUZZ_CHECK((enc_a < lt) == (c < 0), "%s: bound %s says %d", what("<").c_str(), Hex(lt).c_str(),
             enc_a < lt);
  FUZZ_CHECK((le.empty() || enc_a < le) == (c <= 0), "%s: bound %s", what("<=").c_str(),
             Hex(le).c_str());

  // A TEXT prefix on column k.
  const std::string lo = prefix + TextPrefix(text_prefix, last);
  const std::string hi = PrefixSuccessor(lo);
  FUZZ_CHECK(!hi.empty(), "PrefixSuccessor of a text prefix is empty");
  const bool in_range = enc_a >= lo && enc_a < hi;
  const bool starts =
      a[k].type == SqlValue::Type::kText && a[k].bytes.substr(0, text_prefix.size()) == text_prefix;
  FUZZ_CHECK(in_range == starts, "%s: TEXT prefix %s range [%s, %s) holds it: %d",
             DescribeTuple(a, n).c_str(), Hex(text_prefix).c_str(), Hex(lo).c_str(),
             Hex(hi).c_str(), in_range);
}

void Run(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  ByteStore store;
  const int n = in.ConsumeIntegralInRange(1, kMaxCols);

  // Arbitrary bytes: decode as keys of 1..4 columns; accepted ones must be canonical.
  const std::string raw = in.ConsumeRandomLengthString(64);
  SqlValue decoded[kMaxCols];
  std::string decoded_scratch;
  bool have_decoded = false;
  for (int cols = 1; cols <= kMaxCols; cols++) {
    SqlValue out[kMaxCols];
    std::string scratch = "stale";
    if (!DecodeKey(raw, cols, out, &scratch)) continue;
    std::string again;
    EncodeKey(out, cols, &again);
    FUZZ_CHECK(again == raw, "%s decodes as %d columns %s, which encode to %s", Hex(raw).c_str(),
               cols, DescribeTuple(out, cols).c_str(), Hex(again).c_str());
    if (cols == n) {
      // Decoded again into storage that lives on (views may point into the scratch).
      have_decoded = DecodeKey(raw, n, decoded, &decoded_scratch);
      FUZZ_CHECK(have_decoded, "a second DecodeKey of the same bytes failed");
    }
  }

  // Two tuples: b draws on a (equal values, possibly of another type) so that prefixes
  // match and ties happen.
  while (in.remaining_bytes() > 0) {
    SqlValue a[kMaxCols], b[kMaxCols];
    const bool use_decoded = have_decoded && in.ConsumeBool();
    for (int i = 0; i < n; i++) a[i] = use_decoded ? decoded[i] : ConsumeValue(&in, &store);
    for (int i = 0; i < n; i++) {
      switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0:
          b[i] = a[i];
          break;
        case 1:
          b[i] = EqualOtherType(a[i]);
          break;
        default:
          b[i] = ConsumeValue(&in, &store);
      }
    }
    std::string ea, eb;
    EncodeKey(a, n, &ea);
    EncodeKey(b, n, &eb);
    if (n == 1) {
      std::string single;
      EncodeKey(a[0], &single);
      FUZZ_CHECK(single == ea, "single-column EncodeKey differs for %s", Describe(a[0]).c_str());
    }
    CheckRoundTrip(a, n, ea);
    CheckRoundTrip(b, n, eb);
    const int want = CompareTuples(a, b, n);
    const int got = Sign(Slice(ea).compare(eb));
    FUZZ_CHECK(got == want, "%s vs %s: SQLite says %d, encodings %s vs %s compare %d",
               DescribeTuple(a, n).c_str(), DescribeTuple(b, n).c_str(), want, Hex(ea).c_str(),
               Hex(eb).c_str(), got);

    const int k = in.ConsumeIntegralInRange(0, n - 1);
    std::string text_prefix;
    if (b[k].is_bytes() && in.ConsumeBool()) {
      text_prefix = std::string(
          b[k].bytes.substr(0, in.ConsumeIntegralInRange<size_t>(0, b[k].bytes.size())));
    } else {
      text_prefix = ConsumeBytes(&in, 3);
    }
    CheckBounds(a, b, n, k, eb, text_prefix);
    CheckBounds(b, a, n, k, ea, text_prefix);
  }
}

}  // namespace
}  // namespace fuzz
}  // namespace strata

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::Run(data, size);
  return 0;
}
